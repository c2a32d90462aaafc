#pragma once
/// libp2p public keys. Only Ed25519 keys are supported (the default of
/// js-libp2p, rust-libp2p and go-libp2p); other key types are refused with
/// `libp2p_errc::unsupported_key_type`.
///
/// Wire form (libp2p peer-id spec, `PublicKey` protobuf): field 1 `Type`
/// (varint, Ed25519 = 1), field 2 `Data` (the 32 raw key bytes), so an
/// Ed25519 key always encodes as `08 01 12 20 <32 bytes>`.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"

#include <array>
#include <cstdint>

namespace snapstream::libp2p {

inline constexpr std::size_t ed25519_public_key_size = 32;
inline constexpr std::size_t ed25519_signature_size = 64;
/// Size of the protobuf encoding of an Ed25519 public key.
inline constexpr std::size_t ed25519_public_key_protobuf_size = 36;

using ed25519_public_key = std::array<std::uint8_t, ed25519_public_key_size>;
using ed25519_signature = std::array<std::uint8_t, ed25519_signature_size>;

/// The `PublicKey` protobuf of an Ed25519 key.
[[nodiscard]] byte_buffer encode_public_key(const ed25519_public_key& key);

/// Decodes a `PublicKey` protobuf. Fails with `unsupported_key_type` for a key
/// type other than Ed25519 and `invalid_key` for malformed bytes.
[[nodiscard]] result<ed25519_public_key> decode_public_key(bytes_view protobuf);

/// True when `signature` is a valid Ed25519 signature of `message` by `key`.
[[nodiscard]] bool verify_signature(const ed25519_public_key& key, bytes_view message,
                                    bytes_view signature) noexcept;

} // namespace snapstream::libp2p
