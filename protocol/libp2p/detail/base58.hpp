#pragma once
/// Base58btc (the Bitcoin alphabet), used by peer ids.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"

#include <string>
#include <string_view>

namespace snapstream::libp2p::detail {

/// Longest text `base58_decode` accepts; decoding is quadratic, and peer ids
/// are about 52 characters.
inline constexpr std::size_t base58_max_text = 128;

[[nodiscard]] std::string base58_encode(bytes_view in);

/// Fails with `libp2p_errc::invalid_base58` on an empty or over-long text or a
/// character outside the alphabet (the message gives its position).
[[nodiscard]] result<byte_buffer> base58_decode(std::string_view text);

} // namespace snapstream::libp2p::detail
