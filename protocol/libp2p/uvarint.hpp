#pragma once
/// Unsigned varints as multiformats defines them (LEB128, at most 9 bytes,
/// minimal encoding only): the length prefix of multistream-select messages
/// and the codes of multihashes.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"

#include <cstdint>
#include <optional>

namespace snapstream::libp2p {

/// Largest number of bytes an encoded uvarint may take (63-bit values).
inline constexpr std::size_t uvarint_max_bytes = 9;

/// Appends the encoding of `value` (< 2^63) to `out`.
void uvarint_append(byte_buffer& out, std::uint64_t value);

/// Bytes needed to encode `value`.
[[nodiscard]] std::size_t uvarint_size(std::uint64_t value) noexcept;

/// A decoded value and the number of input bytes it took.
struct uvarint_decoded {
  std::uint64_t value = 0;
  std::size_t size = 0;
};

/// Decodes the uvarint at the start of `in`.
/// Returns an empty optional when `in` ends before the varint does (more
/// bytes needed); fails with `libp2p_errc::invalid_varint` on an encoding
/// longer than 9 bytes or a non-minimal one (a trailing zero byte).
[[nodiscard]] result<std::optional<uvarint_decoded>> uvarint_decode(bytes_view in);

} // namespace snapstream::libp2p
