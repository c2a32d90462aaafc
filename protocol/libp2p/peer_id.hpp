#pragma once
/// Peer ids: the multihash of a peer's `PublicKey` protobuf, shown in
/// base58btc. A key whose protobuf is at most 42 bytes (every Ed25519 key)
/// uses the identity multihash (`00 24 <protobuf>`, text `12D3KooW...`);
/// longer keys use sha2-256 (`12 20 <digest>`, text `Qm...`).

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/libp2p/public_key.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::libp2p {

/// A peer id; a value type, cheap to copy (at most 38 bytes of multihash).
class peer_id {
public:
  /// The empty peer id (never equal to a real one).
  peer_id() = default;

  /// The id of an Ed25519 key (identity multihash).
  [[nodiscard]] static peer_id from_public_key(const ed25519_public_key& key);

  /// Parses the base58btc text form. Accepts an identity multihash holding the
  /// canonical `PublicKey` protobuf of an Ed25519 key, or a sha2-256 multihash; fails with
  /// `libp2p_errc::invalid_peer_id` (message names what is wrong) otherwise.
  [[nodiscard]] static result<peer_id> parse(std::string_view text);

  /// Parses the binary multihash form (same rules as `parse`).
  [[nodiscard]] static result<peer_id> from_multihash(bytes_view multihash);

  /// The base58btc text (`12D3KooW...`).
  [[nodiscard]] std::string to_string() const;
  /// The binary multihash.
  [[nodiscard]] bytes_view multihash() const noexcept { return multihash_; }
  [[nodiscard]] bool empty() const noexcept { return multihash_.empty(); }

  /// The Ed25519 key an identity-multihash id embeds; empty for sha2-256 ids.
  [[nodiscard]] std::optional<ed25519_public_key> public_key() const;

  /// True when this id names `key` (either multihash form).
  [[nodiscard]] bool matches(const ed25519_public_key& key) const;

  friend bool operator==(const peer_id&, const peer_id&) = default;
  friend auto operator<=>(const peer_id&, const peer_id&) = default;

private:
  byte_buffer multihash_;
};

} // namespace snapstream::libp2p

template <>
struct std::hash<snapstream::libp2p::peer_id> {
  std::size_t operator()(const snapstream::libp2p::peer_id& id) const noexcept {
    return std::hash<std::string_view>{}(snapstream::as_chars(id.multihash()));
  }
};
