#pragma once
/// Lower-case hexadecimal encoding.

#include "protocol/common/bytes.hpp"
#include "protocol/common/common_errc.hpp"

#include <string>

namespace snapstream {

/// Lower-case hex of `bytes`, two characters per byte, no prefix.
[[nodiscard]] std::string to_hex(bytes_view bytes);

/// Decodes hex of either case; fails with `common_errc::invalid_hex` on an odd
/// length or a non-hex character (the message gives its position).
[[nodiscard]] result<byte_buffer> from_hex(std::string_view text);

/// Decodes exactly `out.size()` bytes of hex into `out`.
[[nodiscard]] result<void> from_hex_into(std::string_view text, std::span<std::uint8_t> out);

} // namespace snapstream
