#pragma once
/// secp256k1 keys, ECDH and recoverable ECDSA as devp2p uses them, over
/// Debian's libsecp256k1 (ecdh and recovery modules).
///
/// Every function is thread-safe: they share one randomised, read-only context.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace snapstream::rlpx {

/// A secp256k1 secret key: a 32-byte big-endian scalar in [1, n-1].
using secret_key = std::array<std::uint8_t, 32>;
/// A public key in devp2p's node-id form: the 64 bytes X || Y of the
/// uncompressed point, without the 0x04 prefix.
using public_key = std::array<std::uint8_t, 64>;
/// A recoverable ECDSA signature: r (32) || s (32) || recovery id (1, 0..3).
using recoverable_signature = std::array<std::uint8_t, 65>;

/// A fresh secret key from the CSPRNG.
[[nodiscard]] result<secret_key> generate_secret_key();

/// Checks that `key` is a valid secret scalar.
[[nodiscard]] result<void> validate_secret_key(const secret_key& key);

/// The public key (node id) of `key`.
[[nodiscard]] result<public_key> derive_public_key(const secret_key& key);

/// Checks that `key` is a point on the curve.
[[nodiscard]] result<void> validate_public_key(const public_key& key);

/// ECDH as RLPx uses it: the raw 32-byte X coordinate of `secret * point`
/// (not hashed, unlike libsecp256k1's default).
[[nodiscard]] result<hash256> ecdh_x(const secret_key& secret, const public_key& point);

/// Signs the 32-byte `digest` (RFC 6979 nonce); the signature is low-S.
[[nodiscard]] result<recoverable_signature> sign_recoverable(const secret_key& key, const hash256& digest);

/// The public key that produced `sig` over `digest`.
[[nodiscard]] result<public_key> recover_public_key(const recoverable_signature& sig, const hash256& digest);

} // namespace snapstream::rlpx
