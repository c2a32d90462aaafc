#pragma once
/// An Ed25519 authority key (RFC 8032, libsodium) that signs light-client
/// updates.

#include "protocol/common/bytes.hpp"
#include "protocol/snapshot/light_client_update.hpp"

#include <array>

namespace snapstream::snapshot {

using ed25519_seed = std::array<std::uint8_t, 32>;

/// Owns a secret key; wipes it on destruction. Copyable (each copy wipes its
/// own). `sign` is safe to call from several threads at once.
class authority_key {
public:
  /// A fresh key from the system's CSPRNG.
  [[nodiscard]] static result<authority_key> generate();
  /// The key of a 32-byte RFC 8032 seed (the "private key" of RFC 8032);
  /// `snapshot_errc::invalid_key` for another size.
  [[nodiscard]] static result<authority_key> from_seed(bytes_view seed);

  authority_key(const authority_key&) = default;
  authority_key& operator=(const authority_key&) = default;
  ~authority_key();

  [[nodiscard]] const ed25519_public_key& public_key() const noexcept { return public_; }
  /// The seed this key derives from (store it to keep the key).
  [[nodiscard]] ed25519_seed seed() const noexcept;
  /// The Ed25519 signature of `message`.
  [[nodiscard]] ed25519_signature sign(bytes_view message) const noexcept;
  /// Appends this key's signature over `commitment(u)` to `u.signatures`.
  void sign_update(light_client_update& u) const;

private:
  authority_key() = default;

  std::array<std::uint8_t, 64> secret_{}; // libsodium layout: seed || public key
  ed25519_public_key public_{};
};

} // namespace snapstream::snapshot
