#include "protocol/libp2p/public_key.hpp"

#include "protocol/libp2p/detail/protobuf.hpp"
#include "protocol/libp2p/detail/sodium.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <sodium.h>

#include <algorithm>

namespace snapstream::libp2p {

namespace {
constexpr std::uint64_t key_type_ed25519 = 1;
}

byte_buffer encode_public_key(const ed25519_public_key& key) {
  byte_buffer out;
  out.reserve(ed25519_public_key_protobuf_size);
  detail::pb_put_varint(out, 1, key_type_ed25519);
  detail::pb_put_bytes(out, 2, key);
  return out;
}

result<ed25519_public_key> decode_public_key(bytes_view protobuf) {
  detail::pb_reader reader(protobuf);
  std::optional<std::uint64_t> type;
  std::optional<bytes_view> data;
  while (auto f = reader.next()) {
    if (f->number == 1 && f->wire_type == 0) type = f->varint;
    else if (f->number == 2 && f->wire_type == 2) data = f->bytes;
  }
  if (reader.failed()) return make_error(libp2p_errc::invalid_key, "malformed public key protobuf");
  if (!type || !data) {
    return make_error(libp2p_errc::invalid_key, "public key protobuf lacks its type or data field");
  }
  if (*type != key_type_ed25519) {
    return make_error(libp2p_errc::unsupported_key_type,
                      "public key type " + std::to_string(*type) + " is not Ed25519 (1)");
  }
  if (data->size() != ed25519_public_key_size) {
    return make_error(libp2p_errc::invalid_key, "Ed25519 public key of " +
                                                    std::to_string(data->size()) + " bytes, expected 32");
  }
  ed25519_public_key key{};
  std::copy(data->begin(), data->end(), key.begin());
  return key;
}

bool verify_signature(const ed25519_public_key& key, bytes_view message, bytes_view signature) noexcept {
  detail::ensure_sodium();
  if (signature.size() != ed25519_signature_size) return false;
  return crypto_sign_ed25519_verify_detached(signature.data(), message.data(), message.size(),
                                             key.data()) == 0;
}

} // namespace snapstream::libp2p
