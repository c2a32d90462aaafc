#pragma once
/// Protocol versions of `/rpp/snapshots` and what they fix on the wire: the
/// encoding of byte fields, the message size caps (docs/protocol.md 2.5) and
/// which messages and fields exist (2.4).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace snapstream::messages {

/// How byte fields (`plan`, `chunk`, `update`, `offers`) are written. A decoder accepts both.
enum class byte_encoding : std::uint8_t {
  array,  ///< `/rpp/snapshots/1.0.0`: a JSON array of numbers 0-255 (rpp's encoding)
  base64, ///< `/rpp/snapshots/1.1.0` and later: a JSON string of padded standard base64
};

/// The versions of `/rpp/snapshots`, oldest first. 1.2.0 is 1.1.0 plus the
/// `offers` messages, a plan request's `plan_id` and an error response's `code`.
enum class protocol_version : std::uint8_t { v1_0, v1_1, v1_2 };

inline constexpr std::string_view protocol_v1_0 = "/rpp/snapshots/1.0.0";
inline constexpr std::string_view protocol_v1_1 = "/rpp/snapshots/1.1.0";
inline constexpr std::string_view protocol_v1_2 = "/rpp/snapshots/1.2.0";

/// The protocol id of `version`.
[[nodiscard]] constexpr std::string_view protocol_id(protocol_version version) noexcept {
  switch (version) {
    case protocol_version::v1_0: return protocol_v1_0;
    case protocol_version::v1_1: return protocol_v1_1;
    case protocol_version::v1_2: return protocol_v1_2;
  }
  return protocol_v1_2;
}

/// The version of a negotiated protocol id; nullopt for an unknown id.
[[nodiscard]] constexpr std::optional<protocol_version> version_of(std::string_view protocol) noexcept {
  if (protocol == protocol_v1_0) return protocol_version::v1_0;
  if (protocol == protocol_v1_1) return protocol_version::v1_1;
  if (protocol == protocol_v1_2) return protocol_version::v1_2;
  return std::nullopt;
}

/// The byte encoding `version` writes: the number array under 1.0.0, base64 after.
[[nodiscard]] constexpr byte_encoding encoding_of(protocol_version version) noexcept {
  return version == protocol_version::v1_0 ? byte_encoding::array : byte_encoding::base64;
}

/// The protocol id whose byte encoding is `encoding`.
[[nodiscard]] constexpr std::string_view protocol_id(byte_encoding encoding) noexcept {
  return encoding == byte_encoding::array ? protocol_v1_0 : protocol_v1_1;
}

/// The byte encoding of a negotiated protocol id; nullopt for an unknown id.
[[nodiscard]] constexpr std::optional<byte_encoding> encoding_of(std::string_view protocol) noexcept {
  if (const auto version = version_of(protocol)) return encoding_of(*version);
  return std::nullopt;
}

/// Largest request, bytes, under every version (rust-libp2p's default request cap).
inline constexpr std::size_t max_request_size = std::size_t{1} << 20;
/// Largest response under 1.0.0, bytes (rust-libp2p's default response cap).
inline constexpr std::size_t max_response_size_v1_0 = std::size_t{10} << 20;
/// Largest response under 1.1.0, bytes.
inline constexpr std::size_t max_response_size_v1_1 = std::size_t{16} << 20;
/// Largest response under 1.2.0, bytes: as 1.1.0.
inline constexpr std::size_t max_response_size_v1_2 = max_response_size_v1_1;

/// The response cap of the version whose byte encoding is `encoding` (1.1.0
/// and 1.2.0 share theirs).
[[nodiscard]] constexpr std::size_t max_response_size(byte_encoding encoding) noexcept {
  return encoding == byte_encoding::array ? max_response_size_v1_0 : max_response_size_v1_1;
}

/// The response cap of `version`.
[[nodiscard]] constexpr std::size_t max_response_size(protocol_version version) noexcept {
  switch (version) {
    case protocol_version::v1_0: return max_response_size_v1_0;
    case protocol_version::v1_1: return max_response_size_v1_1;
    case protocol_version::v1_2: return max_response_size_v1_2;
  }
  return max_response_size_v1_2;
}

} // namespace snapstream::messages
