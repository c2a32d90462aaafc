#include "protocol/libp2p/peer_id.hpp"

#include "protocol/common/sha256.hpp"
#include "protocol/libp2p/detail/base58.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <algorithm>

namespace snapstream::libp2p {

namespace {
constexpr std::uint8_t multihash_identity = 0x00;
constexpr std::uint8_t multihash_sha256 = 0x12;
constexpr std::size_t max_inline_key = 42;
} // namespace

peer_id peer_id::from_public_key(const ed25519_public_key& key) {
  const byte_buffer pb = encode_public_key(key);
  peer_id id;
  id.multihash_.reserve(2 + pb.size());
  id.multihash_.push_back(multihash_identity);
  id.multihash_.push_back(static_cast<std::uint8_t>(pb.size()));
  append(id.multihash_, pb);
  return id;
}

result<peer_id> peer_id::from_multihash(bytes_view mh) {
  if (mh.size() < 2) return make_error(libp2p_errc::invalid_peer_id, "peer id multihash shorter than 2 bytes");
  const std::uint8_t code = mh[0];
  const std::size_t len = mh[1];
  if (len >= 0x80) return make_error(libp2p_errc::invalid_peer_id, "peer id multihash length is not one byte");
  if (mh.size() != 2 + len) {
    return make_error(libp2p_errc::invalid_peer_id,
                      "peer id multihash declares " + std::to_string(len) + " digest bytes but has " +
                          std::to_string(mh.size() - 2));
  }
  if (code == multihash_identity) {
    if (len > max_inline_key) {
      return make_error(libp2p_errc::invalid_peer_id, "identity multihash longer than 42 bytes");
    }
    auto key = decode_public_key(mh.subspan(2));
    if (!key) return make_error(libp2p_errc::invalid_peer_id, "peer id key: " + key.error().message());
    // One key, one id: a protobuf that decodes to the key but is not its
    // canonical encoding (fields reordered or repeated, unknown fields,
    // padded varints) would name the same peer under a second id, past every
    // per-peer limit and ban, and would never match the key Noise proves.
    const byte_buffer canonical = encode_public_key(*key);
    if (!std::ranges::equal(canonical, mh.subspan(2))) {
      return make_error(libp2p_errc::invalid_peer_id,
                        "peer id key protobuf is not the canonical encoding (08 01 12 20 <key>)");
    }
  } else if (code == multihash_sha256) {
    if (len != 32) return make_error(libp2p_errc::invalid_peer_id, "sha2-256 multihash digest is not 32 bytes");
  } else {
    return make_error(libp2p_errc::invalid_peer_id,
                      "peer id multihash code " + std::to_string(code) + " is neither identity nor sha2-256");
  }
  peer_id id;
  id.multihash_.assign(mh.begin(), mh.end());
  return id;
}

result<peer_id> peer_id::parse(std::string_view text) {
  auto bytes = detail::base58_decode(text);
  if (!bytes) return make_error(libp2p_errc::invalid_peer_id, "peer id \"" + std::string(text.substr(0, 64)) + "\": " + bytes.error().message());
  auto id = from_multihash(*bytes);
  if (!id) return make_error(libp2p_errc::invalid_peer_id, "peer id \"" + std::string(text.substr(0, 64)) + "\": " + id.error().message());
  return id;
}

std::string peer_id::to_string() const { return detail::base58_encode(multihash_); }

std::optional<ed25519_public_key> peer_id::public_key() const {
  if (multihash_.size() < 2 || multihash_[0] != multihash_identity) return std::nullopt;
  auto key = decode_public_key(bytes_view(multihash_).subspan(2));
  if (!key) return std::nullopt;
  return *key;
}

bool peer_id::matches(const ed25519_public_key& key) const {
  if (multihash_.size() < 2) return false;
  if (multihash_[0] == multihash_identity) return *this == from_public_key(key);
  const hash256 digest = sha256(encode_public_key(key));
  return multihash_.size() == 34 && std::equal(digest.begin(), digest.end(), multihash_.begin() + 2);
}

} // namespace snapstream::libp2p
