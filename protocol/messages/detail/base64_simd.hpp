#pragma once
/// The codec's base64 paths: the contracts and the errors of
/// `snapstream::base64_encode_into` / `base64_decode_into`
/// (protocol/common/base64.hpp), with the bulk of the data handled 24 bytes /
/// 32 characters at a time with AVX2 where the CPU has it. The common scalar
/// code does the tails, the other CPUs, and names the offset of any error.

#include "protocol/common/base64.hpp"

namespace snapstream::messages::detail {

/// Encodes `in` into `out` (room for `base64_encoded_size(in.size())`
/// characters); returns the end of what was written. Output identical to
/// `base64_encode_into`. Thread-safe.
char* encode_base64(bytes_view in, char* out) noexcept;

/// Decodes `text` into `out` (room for `base64_decoded_max(text.size())`
/// bytes); returns the number of bytes decoded. On malformed text returns
/// exactly the error of `base64_decode_into(text, ...)`. Thread-safe.
[[nodiscard]] result<std::size_t> decode_base64(std::string_view text, std::uint8_t* out) noexcept;

/// True when both functions take the AVX2 path on this CPU.
[[nodiscard]] bool base64_simd_available() noexcept;

} // namespace snapstream::messages::detail
