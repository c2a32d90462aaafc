#pragma once
/// Light-client updates (docs/protocol.md section 4.1): a signed link of a
/// provider's chain of snapshots.
///
///   update = "SSLU" || u8(1) || u64(height) || block_hash (32) || state_root (32)
///         || previous_commitment (32) || u16(signature_count)
///         || (public_key (32) || signature (64)) * signature_count
///
///   commitment(update) = SHA256("snapstream/lcu/v1" || u64(height) || block_hash
///                               || state_root || previous_commitment)

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/errors.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace snapstream::snapshot {

using ed25519_public_key = std::array<std::uint8_t, 32>;
using ed25519_signature = std::array<std::uint8_t, 64>;

/// Bytes of an update before its signatures.
inline constexpr std::size_t update_header_size = 4 + 1 + 8 + 32 + 32 + 32 + 2;
/// Bytes of one (public key, signature) entry.
inline constexpr std::size_t update_signature_size = 32 + 64;
/// The most signatures an update can carry (u16).
inline constexpr std::size_t max_update_signatures = 65535;

/// The commitment a provider's chain starts from (32 zero bytes).
inline constexpr hash256 genesis_commitment{};

struct update_signature {
  ed25519_public_key signer{};
  ed25519_signature signature{};
  friend bool operator==(const update_signature&, const update_signature&) = default;
};

struct light_client_update {
  std::uint64_t height = 0;
  hash256 block_hash{};
  hash256 state_root{};
  hash256 previous_commitment{};
  std::vector<update_signature> signatures;

  friend bool operator==(const light_client_update&, const light_client_update&) = default;
};

/// The 32 bytes every authority signs (section 4.1).
[[nodiscard]] hash256 commitment(const light_client_update& u) noexcept;

/// Exact size of an update with `signature_count` signatures.
[[nodiscard]] constexpr std::size_t encoded_update_size(std::size_t signature_count) noexcept {
  return update_header_size + update_signature_size * signature_count;
}

/// The canonical encoding. Precondition: at most 65535 signatures.
[[nodiscard]] byte_buffer encode_update(const light_client_update& u);

/// Parses exactly. Fails with `truncated`, `trailing_bytes`, `bad_magic` or
/// `unsupported_version`; the message names the field. Checks no signature
/// (that is the verifier's job).
[[nodiscard]] result<light_client_update> decode_update(bytes_view bytes);

/// True when `signature` is a valid Ed25519 signature by `signer` over
/// `message` (libsodium's strict verification: canonical encodings, no
/// small-order keys).
[[nodiscard]] bool verify_signature(const ed25519_public_key& signer, bytes_view message,
                                    const ed25519_signature& signature) noexcept;

} // namespace snapstream::snapshot
