#pragma once
/// ECIES as the RLPx handshake uses it (devp2p rlpx.md, "ECIES Encryption"):
/// secp256k1 ECDH (raw X), NIST SP 800-56 concatenation KDF over SHA-256,
/// AES-128-CTR, and HMAC-SHA256 over iv || ciphertext || shared-mac-data with
/// the key SHA256(kM).
///
///   message = R (65, uncompressed point) || iv (16) || ciphertext || tag (32)

#include "protocol/common/bytes.hpp"
#include "protocol/rlpx/keys.hpp"

#include <array>

namespace snapstream::rlpx {

/// Bytes ECIES adds to a plaintext: 65 (R) + 16 (iv) + 32 (tag).
inline constexpr std::size_t ecies_overhead = 113;

/// Encrypts `plaintext` to `recipient` with a fresh ephemeral key and IV;
/// `shared_mac_data` is authenticated but not sent (EIP-8 uses the size prefix).
[[nodiscard]] result<byte_buffer> ecies_encrypt(const public_key& recipient, bytes_view plaintext,
                                                bytes_view shared_mac_data);

/// As above with the ephemeral key and IV given (deterministic; for tests).
[[nodiscard]] result<byte_buffer> ecies_encrypt(const public_key& recipient, bytes_view plaintext,
                                                bytes_view shared_mac_data, const secret_key& ephemeral,
                                                const std::array<std::uint8_t, 16>& iv);

/// Verifies and decrypts `message` with `key`. Fails with `ecies_invalid`
/// (too short, bad point, MAC mismatch), never reveals which byte differed.
[[nodiscard]] result<byte_buffer> ecies_decrypt(const secret_key& key, bytes_view message,
                                                bytes_view shared_mac_data);

/// The concatenation KDF of NIST SP 800-56A section 5.8.1 with SHA-256 and
/// empty other-info: SHA256(counter_be32 || z) for counter = 1, 2, ...
/// truncated to 32 bytes (the 16-byte kE and 16-byte kM).
[[nodiscard]] hash256 ecies_kdf(const hash256& z) noexcept;

} // namespace snapstream::rlpx
