#pragma once
/// The decoder's base64 path: the contract and the errors of
/// `snapstream::base64_decode_into` (protocol/common/base64.hpp), with the bulk
/// of the text decoded 32 characters at a time with AVX2 where the CPU has it.

#include "protocol/common/base64.hpp"

namespace snapstream::messages::detail {

/// Decodes `text` into `out` (room for `base64_decoded_max(text.size())`
/// bytes); returns the number of bytes decoded. On malformed text returns exactly the error of
/// `base64_decode_into(text, ...)`. Thread-safe.
[[nodiscard]] result<std::size_t> decode_base64(std::string_view text, std::uint8_t* out) noexcept;

/// True when `decode_base64` takes the AVX2 path on this CPU.
[[nodiscard]] bool base64_simd_available() noexcept;

} // namespace snapstream::messages::detail
