#pragma once
/// Text from peers made safe for JSON documents and logs.

#include <string>
#include <string_view>

namespace snapstream::messages {

/// `text` with every byte that does not start a well-formed UTF-8 sequence
/// (RFC 3629) replaced by U+FFFD, so any JSON writer emits valid UTF-8 from
/// it. Valid text comes back unchanged.
[[nodiscard]] std::string valid_utf8(std::string_view text);

} // namespace snapstream::messages
