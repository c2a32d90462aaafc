#pragma once
/// Protocol versions of `/rpp/snapshots` and what they fix on the wire: the
/// encoding of byte fields, the message size caps (docs/protocol.md 2.5) and
/// which messages and fields exist (2.4).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace snapstream::messages {

/// How byte fields (`plan`, `chunk`, `update`, `offers`) are written. A JSON
/// decoder accepts `array` and `base64` alike; `raw` is the 1.3.0 frame.
enum class byte_encoding : std::uint8_t {
  array,  ///< `/rpp/snapshots/1.0.0`: a JSON array of numbers 0-255 (rpp's encoding)
  base64, ///< `/rpp/snapshots/1.1.0` and 1.2.0: a JSON string of padded standard base64
  raw,    ///< `/rpp/snapshots/1.3.0` responses: the bytes as they are, then the JSON envelope and its length
};

/// The versions of `/rpp/snapshots`, oldest first. 1.2.0 is 1.1.0 plus the
/// `offers` messages, a plan request's `plan_id` and an error response's
/// `code`. 1.3.0 is 1.2.0 with every response framed (the byte field raw
/// before the JSON envelope, docs/protocol.md 2.8) and an ack carried by a
/// chunk or update request (`ack_kind`, `ack_index`).
enum class protocol_version : std::uint8_t { v1_0, v1_1, v1_2, v1_3 };

inline constexpr std::string_view protocol_v1_0 = "/rpp/snapshots/1.0.0";
inline constexpr std::string_view protocol_v1_1 = "/rpp/snapshots/1.1.0";
inline constexpr std::string_view protocol_v1_2 = "/rpp/snapshots/1.2.0";
inline constexpr std::string_view protocol_v1_3 = "/rpp/snapshots/1.3.0";

/// The protocol id of `version`.
[[nodiscard]] constexpr std::string_view protocol_id(protocol_version version) noexcept {
  switch (version) {
    case protocol_version::v1_0: return protocol_v1_0;
    case protocol_version::v1_1: return protocol_v1_1;
    case protocol_version::v1_2: return protocol_v1_2;
    case protocol_version::v1_3: return protocol_v1_3;
  }
  return protocol_v1_3;
}

/// The version of a negotiated protocol id; nullopt for an unknown id.
[[nodiscard]] constexpr std::optional<protocol_version> version_of(std::string_view protocol) noexcept {
  if (protocol == protocol_v1_0) return protocol_version::v1_0;
  if (protocol == protocol_v1_1) return protocol_version::v1_1;
  if (protocol == protocol_v1_2) return protocol_version::v1_2;
  if (protocol == protocol_v1_3) return protocol_version::v1_3;
  return std::nullopt;
}

/// The byte encoding `version` writes: the number array under 1.0.0, base64
/// under 1.1.0 and 1.2.0, the raw frame under 1.3.0.
[[nodiscard]] constexpr byte_encoding encoding_of(protocol_version version) noexcept {
  switch (version) {
    case protocol_version::v1_0: return byte_encoding::array;
    case protocol_version::v1_1:
    case protocol_version::v1_2: return byte_encoding::base64;
    case protocol_version::v1_3: return byte_encoding::raw;
  }
  return byte_encoding::base64;
}

/// The oldest protocol id whose byte encoding is `encoding`.
[[nodiscard]] constexpr std::string_view protocol_id(byte_encoding encoding) noexcept {
  switch (encoding) {
    case byte_encoding::array: return protocol_v1_0;
    case byte_encoding::base64: return protocol_v1_1;
    case byte_encoding::raw: return protocol_v1_3;
  }
  return protocol_v1_1;
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
/// Largest response under 1.3.0, bytes (the whole frame): as 1.1.0.
inline constexpr std::size_t max_response_size_v1_3 = max_response_size_v1_1;
/// The size of a 1.3.0 frame's envelope length field, bytes (u32, big-endian).
inline constexpr std::size_t frame_length_size = 4;

/// The response cap of the versions whose byte encoding is `encoding` (1.1.0,
/// 1.2.0 and 1.3.0 share theirs).
[[nodiscard]] constexpr std::size_t max_response_size(byte_encoding encoding) noexcept {
  return encoding == byte_encoding::array ? max_response_size_v1_0 : max_response_size_v1_1;
}

/// The response cap of `version`.
[[nodiscard]] constexpr std::size_t max_response_size(protocol_version version) noexcept {
  switch (version) {
    case protocol_version::v1_0: return max_response_size_v1_0;
    case protocol_version::v1_1: return max_response_size_v1_1;
    case protocol_version::v1_2: return max_response_size_v1_2;
    case protocol_version::v1_3: return max_response_size_v1_3;
  }
  return max_response_size_v1_3;
}

} // namespace snapstream::messages
