#pragma once
/// Base64 (RFC 4648, standard alphabet, with padding), table driven.
///
/// Decoding is strict: the length is a multiple of four, `=` appears only as
/// one or two final padding characters, and the unused bits of the last
/// quantum are zero, so every byte string has exactly one accepted encoding.

#include "protocol/common/bytes.hpp"
#include "protocol/common/common_errc.hpp"

#include <string>

namespace snapstream {

/// Characters needed to encode `n` bytes.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
  return (n + 2) / 3 * 4;
}

/// Upper bound of bytes decoded from `n` characters.
[[nodiscard]] constexpr std::size_t base64_decoded_max(std::size_t n) noexcept {
  return n / 4 * 3;
}

/// Encodes `in` into `out`, which has room for `base64_encoded_size(in.size())`
/// characters; returns the end of what was written.
char* base64_encode_into(bytes_view in, char* out) noexcept;

[[nodiscard]] std::string base64_encode(bytes_view in);

/// Decodes `text` into `out` (room for `base64_decoded_max(text.size())`
/// bytes); returns the number of bytes written. Fails with
/// `common_errc::invalid_base64`, the message naming the offset.
[[nodiscard]] result<std::size_t> base64_decode_into(std::string_view text, std::uint8_t* out) noexcept;

[[nodiscard]] result<byte_buffer> base64_decode(std::string_view text);

} // namespace snapstream
