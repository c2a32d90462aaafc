#include "protocol/rlpx/handshake.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/rlpx/detail/openssl.hpp"
#include "protocol/rlpx/ecies.hpp"
#include "protocol/rlpx/rlp.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace snapstream::rlpx {

namespace {

constexpr std::size_t legacy_auth_body = 194; // 65 + 32 + 64 + 32 + 1
constexpr std::size_t legacy_ack_body = 97;   // 64 + 32 + 1

hash256 xor32(const hash256& a, const hash256& b) noexcept {
  hash256 out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
  return out;
}

error handshake_error(std::string_view what, const error& cause) {
  return make_error(rlpx_errc::handshake_invalid, std::string(what) + ": " + cause.message());
}

// Encrypts `body` (with `padding` random bytes for EIP-8) into a packet.
result<byte_buffer> seal(handshake_format format, const public_key& to, byte_buffer body, std::size_t padding) {
  if (format == handshake_format::legacy) return ecies_encrypt(to, body, {});
  const std::size_t body_size = body.size();
  body.resize(body_size + padding);
  if (auto r = detail::random_bytes(std::span(body).subspan(body_size)); !r) return r.error();
  const std::size_t sealed_size = body.size() + ecies_overhead;
  if (sealed_size + 2 > max_eip8_packet_size)
    return make_error(rlpx_errc::handshake_invalid, "EIP-8 packet of " + std::to_string(sealed_size + 2) +
                                                        " bytes exceeds the limit");
  std::uint8_t prefix[2];
  store_be16(prefix, static_cast<std::uint16_t>(sealed_size));
  auto sealed = ecies_encrypt(to, body, bytes_view(prefix, 2));
  if (!sealed) return sealed.error();
  // Sized up front and filled by copy: GCC 12 misreports insert() of the
  // 2-byte prefix after reserve() as an overflow (PR 107852).
  byte_buffer packet(2 + sealed->size());
  std::copy(prefix, prefix + 2, packet.begin());
  std::copy(sealed->begin(), sealed->end(), packet.begin() + 2);
  return packet;
}

// Decrypts a packet into its body (padding included for EIP-8).
result<byte_buffer> unseal(handshake_format format, const secret_key& key, bytes_view packet, std::string_view what) {
  if (format == handshake_format::legacy) {
    auto plain = ecies_decrypt(key, packet, {});
    if (!plain) return handshake_error(what, plain.error());
    return plain;
  }
  if (packet.size() < 2 || packet.size() > max_eip8_packet_size)
    return make_error(rlpx_errc::handshake_invalid,
                      std::string(what) + ": EIP-8 packet of " + std::to_string(packet.size()) + " bytes");
  const std::size_t declared = load_be16(packet.data());
  if (declared != packet.size() - 2)
    return make_error(rlpx_errc::handshake_invalid, std::string(what) + ": size prefix says " +
                                                        std::to_string(declared) + " bytes, packet has " +
                                                        std::to_string(packet.size() - 2));
  auto plain = ecies_decrypt(key, packet.subspan(2), packet.first(2));
  if (!plain) return handshake_error(what, plain.error());
  return plain;
}

// The first RLP list of an EIP-8 body; trailing padding is ignored (EIP-8).
result<rlp_reader> eip8_body(bytes_view plain, std::string_view what) {
  auto item = rlp_peek(plain);
  if (!item) return handshake_error(what, item.error());
  if (!item->is_list) return make_error(rlpx_errc::handshake_invalid, std::string(what) + ": body is not a list");
  return rlp_reader(item->payload);
}

} // namespace

result<hash256> random_nonce() {
  hash256 nonce{};
  if (auto r = detail::random_bytes(nonce); !r) return r.error();
  return nonce;
}

std::size_t random_handshake_padding() {
  std::uint8_t r[2] = {0, 0};
  (void)detail::random_bytes(r);
  return min_handshake_padding + load_be16(r) % (max_handshake_padding - min_handshake_padding + 1);
}

result<byte_buffer> make_auth(handshake_format format, const secret_key& static_key, const public_key& remote_id,
                              const secret_key& ephemeral, const hash256& nonce, std::size_t padding) {
  auto static_shared = ecdh_x(static_key, remote_id);
  if (!static_shared) return static_shared.error();
  auto sig = sign_recoverable(ephemeral, xor32(*static_shared, nonce));
  if (!sig) return sig.error();
  auto own_id = derive_public_key(static_key);
  if (!own_id) return own_id.error();

  byte_buffer body;
  if (format == handshake_format::legacy) {
    auto ephemeral_pub = derive_public_key(ephemeral);
    if (!ephemeral_pub) return ephemeral_pub.error();
    body.reserve(legacy_auth_body);
    append(body, *sig);
    append(body, keccak256(*ephemeral_pub));
    append(body, *own_id);
    append(body, nonce);
    body.push_back(0x00); // token flag (unused)
  } else {
    rlp_writer w(body);
    w.begin_list();
    w.bytes(*sig);
    w.bytes(*own_id);
    w.bytes(nonce);
    w.uint(handshake_version);
    w.end_list();
  }
  return seal(format, remote_id, std::move(body), padding);
}

result<auth_message> read_auth(handshake_format format, const secret_key& recipient_key, bytes_view packet) {
  auto plain = unseal(format, recipient_key, packet, "auth");
  if (!plain) return plain.error();
  auth_message msg;
  msg.format = format;
  recoverable_signature sig{};
  std::optional<hash256> ephemeral_hash;
  if (format == handshake_format::legacy) {
    if (plain->size() != legacy_auth_body)
      return make_error(rlpx_errc::handshake_invalid,
                        "auth: legacy body of " + std::to_string(plain->size()) + " bytes, expected 194");
    const std::uint8_t* p = plain->data();
    std::memcpy(sig.data(), p, 65);
    ephemeral_hash.emplace();
    std::memcpy(ephemeral_hash->data(), p + 65, 32);
    std::memcpy(msg.initiator_id.data(), p + 97, 64);
    std::memcpy(msg.initiator_nonce.data(), p + 161, 32);
    msg.version = handshake_version;
  } else {
    auto body = eip8_body(*plain, "auth");
    if (!body) return body.error();
    auto s = body->fixed<65>("auth.sig");
    if (!s) return handshake_error("auth", s.error());
    sig = *s;
    auto id = body->fixed<64>("auth.initiator-pubk");
    if (!id) return handshake_error("auth", id.error());
    msg.initiator_id = *id;
    auto nonce = body->fixed<32>("auth.initiator-nonce");
    if (!nonce) return handshake_error("auth", nonce.error());
    msg.initiator_nonce = *nonce;
    auto vsn = body->uint64("auth.auth-vsn");
    if (!vsn) return handshake_error("auth", vsn.error());
    msg.version = *vsn;
  }
  auto static_shared = ecdh_x(recipient_key, msg.initiator_id);
  if (!static_shared) return handshake_error("auth.initiator-pubk", static_shared.error());
  auto ephemeral = recover_public_key(sig, xor32(*static_shared, msg.initiator_nonce));
  if (!ephemeral) return handshake_error("auth.sig", ephemeral.error());
  if (ephemeral_hash && keccak256(*ephemeral) != *ephemeral_hash)
    return make_error(rlpx_errc::handshake_invalid,
                      "auth: hash of the recovered ephemeral key differs from the one sent");
  msg.initiator_ephemeral = *ephemeral;
  return msg;
}

result<byte_buffer> make_ack(handshake_format format, const public_key& initiator_id, const secret_key& ephemeral,
                             const hash256& nonce, std::size_t padding) {
  auto ephemeral_pub = derive_public_key(ephemeral);
  if (!ephemeral_pub) return ephemeral_pub.error();
  byte_buffer body;
  if (format == handshake_format::legacy) {
    body.reserve(legacy_ack_body);
    append(body, *ephemeral_pub);
    append(body, nonce);
    body.push_back(0x00);
  } else {
    rlp_writer w(body);
    w.begin_list();
    w.bytes(*ephemeral_pub);
    w.bytes(nonce);
    w.uint(handshake_version);
    w.end_list();
  }
  return seal(format, initiator_id, std::move(body), padding);
}

result<ack_message> read_ack(handshake_format format, const secret_key& initiator_key, bytes_view packet) {
  auto plain = unseal(format, initiator_key, packet, "ack");
  if (!plain) return plain.error();
  ack_message msg;
  msg.format = format;
  if (format == handshake_format::legacy) {
    if (plain->size() != legacy_ack_body)
      return make_error(rlpx_errc::handshake_invalid,
                        "ack: legacy body of " + std::to_string(plain->size()) + " bytes, expected 97");
    std::memcpy(msg.recipient_ephemeral.data(), plain->data(), 64);
    std::memcpy(msg.recipient_nonce.data(), plain->data() + 64, 32);
    msg.version = handshake_version;
  } else {
    auto body = eip8_body(*plain, "ack");
    if (!body) return body.error();
    auto eph = body->fixed<64>("ack.recipient-ephemeral-pubk");
    if (!eph) return handshake_error("ack", eph.error());
    msg.recipient_ephemeral = *eph;
    auto nonce = body->fixed<32>("ack.recipient-nonce");
    if (!nonce) return handshake_error("ack", nonce.error());
    msg.recipient_nonce = *nonce;
    auto vsn = body->uint64("ack.ack-vsn");
    if (!vsn) return handshake_error("ack", vsn.error());
    msg.version = *vsn;
  }
  if (auto v = validate_public_key(msg.recipient_ephemeral); !v)
    return handshake_error("ack.recipient-ephemeral-pubk", v.error());
  return msg;
}

result<session_secrets> derive_session_secrets(bool initiator, const secret_key& local_ephemeral,
                                               const public_key& remote_ephemeral, const hash256& initiator_nonce,
                                               const hash256& recipient_nonce, bytes_view auth_packet,
                                               bytes_view ack_packet) {
  auto ephemeral_key = ecdh_x(local_ephemeral, remote_ephemeral);
  if (!ephemeral_key) return ephemeral_key.error();

  keccak256_hasher h;
  h.update(recipient_nonce);
  h.update(initiator_nonce);
  const hash256 nonce_hash = h.finish();
  h.update(*ephemeral_key);
  h.update(nonce_hash);
  const hash256 shared_secret = h.finish();

  session_secrets s;
  h.update(*ephemeral_key);
  h.update(shared_secret);
  s.aes_secret = h.finish();
  h.update(*ephemeral_key);
  h.update(s.aes_secret);
  s.mac_secret = h.finish();

  // The MAC that covers the auth packet starts from mac-secret ^ recipient-nonce.
  keccak256_hasher auth_mac;
  auth_mac.update(xor32(s.mac_secret, recipient_nonce));
  auth_mac.update(auth_packet);
  keccak256_hasher ack_mac;
  ack_mac.update(xor32(s.mac_secret, initiator_nonce));
  ack_mac.update(ack_packet);
  s.egress_mac = initiator ? auth_mac : ack_mac;
  s.ingress_mac = initiator ? ack_mac : auth_mac;
  return s;
}

} // namespace snapstream::rlpx
