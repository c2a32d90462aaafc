#pragma once
/// A node's libp2p identity: an Ed25519 key pair and the peer id derived
/// from it, plus the key file that keeps it across restarts.
///
/// Key file format: exactly the bytes of libp2p's `PrivateKey` protobuf for
/// Ed25519 (field 1 `Type` = 1, field 2 `Data` = 32-byte seed followed by the
/// 32-byte public key), i.e. `08 01 12 40 <seed> <public key>`, 68 bytes, no
/// text, no newline. It is what go-libp2p's `MarshalPrivateKey` writes, so a
/// key moves between implementations. The file is written with mode 0600
/// (temporary file, fsync, rename) and refused on load when its mode grants
/// any access to group or others, or when it is not a regular file.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/libp2p/public_key.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace snapstream::libp2p {

inline constexpr std::size_t ed25519_seed_size = 32;

/// An Ed25519 key pair. The secret is wiped when the object is destroyed.
/// Immutable after construction; safe to share between threads for reading.
class identity {
public:
  /// A fresh random key pair.
  [[nodiscard]] static identity generate();
  /// The key pair of a 32-byte seed (RFC 8032 private key).
  [[nodiscard]] static result<identity> from_seed(bytes_view seed);
  /// Decodes the key file format above; checks that the stored public key is
  /// the one the seed derives.
  [[nodiscard]] static result<identity> from_private_key_protobuf(bytes_view protobuf);

  identity(const identity& other);
  identity& operator=(const identity& other);
  ~identity();

  /// The key file contents (68 bytes).
  [[nodiscard]] byte_buffer private_key_protobuf() const;
  [[nodiscard]] const ed25519_public_key& public_key() const noexcept { return public_; }
  [[nodiscard]] byte_buffer public_key_protobuf() const { return encode_public_key(public_); }
  [[nodiscard]] const libp2p::peer_id& id() const noexcept { return id_; }

  /// Ed25519 signature of `message`.
  [[nodiscard]] ed25519_signature sign(bytes_view message) const noexcept;
  /// The 32-byte RFC 8032 seed (secret): lets the same key sign other things,
  /// such as a node's light-client updates. Handle with care.
  [[nodiscard]] std::array<std::uint8_t, ed25519_seed_size> seed() const noexcept {
    std::array<std::uint8_t, ed25519_seed_size> out{};
    std::copy(secret_.begin(), secret_.begin() + ed25519_seed_size, out.begin());
    return out;
  }

private:
  identity() = default;
  std::array<std::uint8_t, 64> secret_{}; // libsodium layout: seed || public key
  ed25519_public_key public_{};
  libp2p::peer_id id_;
};

/// Reads a key file. Fails with `key_file_permissions` when the file is
/// group/other accessible, `key_file_io` when it cannot be read or is not a
/// regular file, `invalid_key` when its contents are not the format above.
[[nodiscard]] result<identity> load_identity(const std::string& path);

/// Writes `id` to `path` atomically with mode 0600 (replacing an old file).
[[nodiscard]] result<void> save_identity(const identity& id, const std::string& path);

/// Loads `path` when it exists, otherwise generates a key and saves it there.
[[nodiscard]] result<identity> load_or_create_identity(const std::string& path);

} // namespace snapstream::libp2p
