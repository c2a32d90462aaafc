#pragma once
/// Protocol versions of `/rpp/snapshots` and what they fix on the wire: the
/// encoding of byte fields and the message size caps (docs/protocol.md 2.5).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace snapstream::messages {

/// How byte fields (`plan`, `chunk`, `update`) are written. A decoder accepts both.
enum class byte_encoding : std::uint8_t {
  array,  ///< `/rpp/snapshots/1.0.0`: a JSON array of numbers 0-255 (rpp's encoding)
  base64, ///< `/rpp/snapshots/1.1.0`: a JSON string of padded standard base64
};

inline constexpr std::string_view protocol_v1_0 = "/rpp/snapshots/1.0.0";
inline constexpr std::string_view protocol_v1_1 = "/rpp/snapshots/1.1.0";

/// The protocol id whose byte encoding is `encoding`.
[[nodiscard]] constexpr std::string_view protocol_id(byte_encoding encoding) noexcept {
  return encoding == byte_encoding::array ? protocol_v1_0 : protocol_v1_1;
}

/// The byte encoding of a negotiated protocol id; nullopt for an unknown id.
[[nodiscard]] constexpr std::optional<byte_encoding> encoding_of(std::string_view protocol) noexcept {
  if (protocol == protocol_v1_0) return byte_encoding::array;
  if (protocol == protocol_v1_1) return byte_encoding::base64;
  return std::nullopt;
}

/// Largest request, bytes, under both versions (rust-libp2p's default request cap).
inline constexpr std::size_t max_request_size = std::size_t{1} << 20;
/// Largest response under 1.0.0, bytes (rust-libp2p's default response cap).
inline constexpr std::size_t max_response_size_v1_0 = std::size_t{10} << 20;
/// Largest response under 1.1.0, bytes.
inline constexpr std::size_t max_response_size_v1_1 = std::size_t{16} << 20;

/// The response cap of the version whose byte encoding is `encoding`.
[[nodiscard]] constexpr std::size_t max_response_size(byte_encoding encoding) noexcept {
  return encoding == byte_encoding::array ? max_response_size_v1_0 : max_response_size_v1_1;
}

} // namespace snapstream::messages
