#include "protocol/libp2p/noise.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/libp2p/detail/protobuf.hpp"
#include "protocol/libp2p/detail/sodium.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace snapstream::libp2p {

namespace {

constexpr std::string_view signature_prefix = "noise-libp2p-static-key:";
constexpr std::uint64_t max_nonce = ~std::uint64_t{0};

const EVP_CIPHER* chacha_poly() noexcept {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  if (c == nullptr) std::abort(); // OpenSSL 3 always has it; nothing can be encrypted without it
  return c;
}

void make_nonce(std::uint64_t n, std::uint8_t (&iv)[12]) noexcept {
  std::memset(iv, 0, 4);
  store_le64(iv + 4, n);
}

error handshake_error(std::string what) {
  return make_error(libp2p_errc::noise_handshake_failed, std::move(what));
}

void hmac_sha256(const noise_key& key, bytes_view a, bytes_view b, noise_key& out) noexcept {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, a.data(), a.size());
  crypto_auth_hmacsha256_update(&st, b.data(), b.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
}

/// Noise HKDF with two outputs (section 4.3).
void hkdf2(const noise_key& ck, bytes_view ikm, noise_key& out1, noise_key& out2) noexcept {
  noise_key temp{};
  hmac_sha256(ck, ikm, {}, temp);
  const std::uint8_t one = 1, two = 2;
  hmac_sha256(temp, bytes_view(&one, 1), {}, out1);
  hmac_sha256(temp, out1, bytes_view(&two, 1), out2);
  sodium_memzero(temp.data(), temp.size());
}

} // namespace

// ---------------------------------------------------------------- keys

noise_keypair noise_keypair::generate() {
  detail::ensure_sodium();
  noise_key secret{};
  randombytes_buf(secret.data(), secret.size());
  noise_keypair kp = from_secret(secret);
  sodium_memzero(secret.data(), secret.size());
  return kp;
}

noise_keypair noise_keypair::from_secret(const noise_key& secret) {
  detail::ensure_sodium();
  noise_keypair kp;
  kp.secret = secret;
  crypto_scalarmult_curve25519_base(kp.public_key.data(), kp.secret.data());
  return kp;
}

// ---------------------------------------------------------------- cipher

struct noise_cipher::impl {
  EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
  impl() {
    if (enc == nullptr || dec == nullptr) {
      EVP_CIPHER_CTX_free(enc);
      EVP_CIPHER_CTX_free(dec);
      throw std::bad_alloc();
    }
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
};

noise_cipher::noise_cipher() = default;
noise_cipher::~noise_cipher() = default;
noise_cipher::noise_cipher(noise_cipher&&) noexcept = default;
noise_cipher& noise_cipher::operator=(noise_cipher&&) noexcept = default;

void noise_cipher::set_key(const noise_key& key) {
  if (!impl_) impl_ = std::make_unique<impl>();
  if (EVP_EncryptInit_ex2(impl_->enc, chacha_poly(), key.data(), nullptr, nullptr) != 1 ||
      EVP_DecryptInit_ex2(impl_->dec, chacha_poly(), key.data(), nullptr, nullptr) != 1) {
    std::abort(); // only fails on allocation failure inside OpenSSL
  }
  nonce_ = 0;
  has_key_ = true;
}

result<void> noise_cipher::encrypt(bytes_view ad, bytes_view plain, std::uint8_t* out) {
  if (nonce_ == max_nonce) return make_error(libp2p_errc::noise_frame_too_large, "noise send nonce exhausted");
  std::uint8_t iv[12];
  make_nonce(nonce_, iv);
  EVP_CIPHER_CTX* ctx = impl_->enc;
  int len = 0;
  bool ok = EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) == 1;
  if (ok && !ad.empty()) ok = EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1;
  if (ok && !plain.empty()) ok = EVP_EncryptUpdate(ctx, out, &len, plain.data(), static_cast<int>(plain.size())) == 1;
  if (ok) ok = EVP_EncryptFinal_ex(ctx, out + plain.size(), &len) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(noise_tag_size), out + plain.size()) == 1;
  if (!ok) std::abort(); // encryption with a valid key cannot fail
  ++nonce_;
  return {};
}

result<std::span<std::uint8_t>> noise_cipher::decrypt_in_place(bytes_view ad, std::span<std::uint8_t> ciphertext) {
  if (ciphertext.size() < noise_tag_size) {
    return make_error(libp2p_errc::noise_decrypt_failed,
                      "noise ciphertext of " + std::to_string(ciphertext.size()) + " bytes is shorter than its tag");
  }
  if (nonce_ == max_nonce) return make_error(libp2p_errc::noise_decrypt_failed, "noise receive nonce exhausted");
  const std::size_t n = ciphertext.size() - noise_tag_size;
  std::uint8_t iv[12];
  make_nonce(nonce_, iv);
  EVP_CIPHER_CTX* ctx = impl_->dec;
  int len = 0;
  bool ok = EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) == 1;
  if (ok && !ad.empty()) ok = EVP_DecryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1;
  if (ok && n > 0) ok = EVP_DecryptUpdate(ctx, ciphertext.data(), &len, ciphertext.data(), static_cast<int>(n)) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(noise_tag_size), ciphertext.data() + n) == 1;
  std::uint8_t scratch[16];
  if (ok) ok = EVP_DecryptFinal_ex(ctx, scratch, &len) == 1;
  if (!ok) {
    return make_error(libp2p_errc::noise_decrypt_failed,
                      "noise tag did not verify (message " + std::to_string(nonce_) + ", " + std::to_string(n) + " bytes)");
  }
  ++nonce_;
  return ciphertext.first(n);
}

// ---------------------------------------------------------------- XX

noise_xx::noise_xx(bool initiator, const noise_keypair& static_key, const noise_keypair& ephemeral_key,
                   bytes_view prologue)
  : initiator_(initiator), s_(static_key), e_(ephemeral_key) {
  detail::ensure_sodium();
  static_assert(noise_protocol_name.size() == 32);
  std::memcpy(h_.data(), noise_protocol_name.data(), 32);
  ck_ = h_;
  mix_hash(prologue);
}

noise_xx::~noise_xx() {
  sodium_memzero(s_.secret.data(), 32);
  sodium_memzero(e_.secret.data(), 32);
  sodium_memzero(ck_.data(), 32);
}
noise_xx::noise_xx(noise_xx&&) noexcept = default;
noise_xx& noise_xx::operator=(noise_xx&&) noexcept = default;

bool noise_xx::my_turn() const noexcept {
  if (step_ >= 3) return false;
  return (step_ % 2 == 0) == initiator_;
}

void noise_xx::mix_hash(bytes_view data) noexcept {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, h_.data(), h_.size());
  crypto_hash_sha256_update(&st, data.data(), data.size());
  crypto_hash_sha256_final(&st, h_.data());
}

void noise_xx::mix_key(bytes_view ikm) {
  noise_key temp{};
  hkdf2(ck_, ikm, ck_, temp);
  cipher_.set_key(temp);
  sodium_memzero(temp.data(), temp.size());
}

result<void> noise_xx::dh_into(const noise_key& secret, const noise_key& pub, noise_key& out) const {
  if (crypto_scalarmult_curve25519(out.data(), secret.data(), pub.data()) != 0) {
    return handshake_error("X25519 produced the all-zero shared secret (low-order remote key)");
  }
  return {};
}

result<void> noise_xx::encrypt_and_hash(bytes_view plain, byte_buffer& out) {
  const std::size_t at = out.size();
  if (!cipher_.has_key()) {
    append(out, plain);
  } else {
    out.resize(at + plain.size() + noise_tag_size);
    auto r = cipher_.encrypt(h_, plain, out.data() + at);
    if (!r) return r;
  }
  mix_hash(bytes_view(out).subspan(at));
  return {};
}

result<byte_buffer> noise_xx::decrypt_and_hash(bytes_view cipher) {
  byte_buffer buf(cipher.begin(), cipher.end());
  if (!cipher_.has_key()) {
    mix_hash(cipher);
    return buf;
  }
  auto plain = cipher_.decrypt_in_place(h_, buf);
  if (!plain) return plain.error();
  mix_hash(cipher);
  buf.resize(plain->size());
  return buf;
}

result<void> noise_xx::write_message(bytes_view payload, byte_buffer& out) {
  if (!my_turn()) return handshake_error("noise: not this side's turn to write");
  const std::size_t start = out.size();
  noise_key dh{};
  switch (step_) {
    case 0: // -> e
      append(out, e_.public_key);
      mix_hash(e_.public_key);
      break;
    case 1: { // <- e, ee, s, es
      append(out, e_.public_key);
      mix_hash(e_.public_key);
      if (auto r = dh_into(e_.secret, re_, dh); !r) return r;
      mix_key(dh);
      if (auto r = encrypt_and_hash(s_.public_key, out); !r) return r;
      if (auto r = dh_into(s_.secret, re_, dh); !r) return r;
      mix_key(dh);
      break;
    }
    case 2: { // -> s, se
      if (auto r = encrypt_and_hash(s_.public_key, out); !r) return r;
      if (auto r = dh_into(s_.secret, re_, dh); !r) return r;
      mix_key(dh);
      break;
    }
    default: return handshake_error("noise: handshake already finished");
  }
  sodium_memzero(dh.data(), dh.size());
  if (auto r = encrypt_and_hash(payload, out); !r) return r;
  if (out.size() - start > noise_max_message) {
    return make_error(libp2p_errc::noise_frame_too_large, "noise handshake message above 65535 bytes");
  }
  ++step_;
  return {};
}

result<byte_buffer> noise_xx::read_message(bytes_view message) {
  if (my_turn() || step_ >= 3) return handshake_error("noise: not this side's turn to read");
  std::size_t pos = 0;
  auto take = [&](std::size_t n, const char* what) -> result<bytes_view> {
    if (message.size() - pos < n) {
      return handshake_error(std::string("noise handshake message ") + std::to_string(step_ + 1) +
                             " too short for " + what + " (" + std::to_string(message.size()) + " bytes)");
    }
    bytes_view v = message.subspan(pos, n);
    pos += n;
    return v;
  };
  noise_key dh{};
  const std::size_t s_len = 32 + noise_tag_size;
  switch (step_) {
    case 0: { // -> e (responder reads)
      auto e = take(32, "the ephemeral key");
      if (!e) return e.error();
      std::copy(e->begin(), e->end(), re_.begin());
      mix_hash(*e);
      break;
    }
    case 1: { // <- e, ee, s, es (initiator reads)
      auto e = take(32, "the ephemeral key");
      if (!e) return e.error();
      std::copy(e->begin(), e->end(), re_.begin());
      mix_hash(*e);
      if (auto r = dh_into(e_.secret, re_, dh); !r) return r.error();
      mix_key(dh);
      auto s = take(s_len, "the static key");
      if (!s) return s.error();
      auto rs = decrypt_and_hash(*s);
      if (!rs) return rs.error();
      std::copy(rs->begin(), rs->end(), rs_.begin());
      if (auto r = dh_into(e_.secret, rs_, dh); !r) return r.error();
      mix_key(dh);
      break;
    }
    case 2: { // -> s, se (responder reads)
      auto s = take(s_len, "the static key");
      if (!s) return s.error();
      auto rs = decrypt_and_hash(*s);
      if (!rs) return rs.error();
      std::copy(rs->begin(), rs->end(), rs_.begin());
      if (auto r = dh_into(e_.secret, rs_, dh); !r) return r.error();
      mix_key(dh);
      break;
    }
    default: return handshake_error("noise: handshake already finished");
  }
  sodium_memzero(dh.data(), dh.size());
  auto payload = decrypt_and_hash(message.subspan(pos));
  if (!payload) return payload.error();
  ++step_;
  return payload;
}

std::pair<noise_cipher, noise_cipher> noise_xx::split() {
  noise_key k1{}, k2{};
  hkdf2(ck_, {}, k1, k2);
  noise_cipher c1, c2;
  c1.set_key(k1);
  c2.set_key(k2);
  sodium_memzero(k1.data(), 32);
  sodium_memzero(k2.data(), 32);
  if (initiator_) return {std::move(c1), std::move(c2)};
  return {std::move(c2), std::move(c1)};
}

// ---------------------------------------------------------------- transport

result<void> noise_transport::seal_into(bytes_view plain, std::uint8_t* out) {
  while (!plain.empty()) {
    const std::size_t n = std::min(plain.size(), noise_max_plaintext);
    store_be16(out, static_cast<std::uint16_t>(n + noise_tag_size));
    if (auto r = send_.encrypt({}, plain.first(n), out + noise_length_prefix); !r) return r;
    out += noise_length_prefix + n + noise_tag_size;
    plain = plain.subspan(n);
  }
  return {};
}

result<void> noise_transport::seal(bytes_view plain, byte_buffer& wire) {
  const std::size_t at = wire.size();
  wire.resize(at + sealed_size(plain.size()));
  return seal_into(plain, wire.data() + at);
}

result<noise_transport::opened> noise_transport::open_in_place(std::span<std::uint8_t> buffer) {
  if (buffer.size() < noise_length_prefix) return opened{};
  const std::size_t len = load_be16(buffer.data());
  if (buffer.size() - noise_length_prefix < len) return opened{};
  auto plain = receive_.decrypt_in_place({}, buffer.subspan(noise_length_prefix, len));
  if (!plain) return plain.error();
  return opened{noise_length_prefix + len, *plain};
}

// ---------------------------------------------------------------- libp2p handshake

noise_handshake::noise_handshake(const identity& local, bool initiator, std::optional<peer_id> expected,
                                 const noise_keypair& static_key, const noise_keypair& ephemeral_key)
  : expected_(std::move(expected)), xx_(initiator, static_key, ephemeral_key, {}) {
  byte_buffer signed_data(as_bytes(signature_prefix).begin(), as_bytes(signature_prefix).end());
  append(signed_data, static_key.public_key);
  const ed25519_signature sig = local.sign(signed_data);
  detail::pb_put_bytes(payload_, 1, local.public_key_protobuf());
  detail::pb_put_bytes(payload_, 2, sig);
}

noise_handshake noise_handshake::initiator(const identity& local, std::optional<peer_id> expected) {
  return noise_handshake(local, true, std::move(expected), noise_keypair::generate(), noise_keypair::generate());
}

noise_handshake noise_handshake::initiator(const identity& local, std::optional<peer_id> expected,
                                           const noise_keypair& static_key, const noise_keypair& ephemeral_key) {
  return noise_handshake(local, true, std::move(expected), static_key, ephemeral_key);
}

noise_handshake noise_handshake::responder(const identity& local) {
  return noise_handshake(local, false, std::nullopt, noise_keypair::generate(), noise_keypair::generate());
}

result<void> noise_handshake::write(byte_buffer& out) {
  if (failed_) return handshake_error("noise handshake already failed");
  const bool turn = xx_.my_turn(); // writing out of turn is the caller's slip, not a failure
  const std::size_t at = out.size();
  out.resize(at + noise_length_prefix);
  // The first message (-> e) carries no payload: nothing protects it yet.
  bytes_view body;
  if (xx_.messages_done() > 0) body = payload_;
  if (auto r = xx_.write_message(body, out); !r) {
    out.resize(at);
    failed_ = turn;
    return r;
  }
  store_be16(out.data() + at, static_cast<std::uint16_t>(out.size() - at - noise_length_prefix));
  return {};
}

result<void> noise_handshake::read(bytes_view message) {
  if (failed_) return handshake_error("noise handshake already failed");
  const bool first = xx_.messages_done() == 0;
  const bool turn = !xx_.my_turn() && !xx_.finished(); // reading out of turn changes nothing
  auto payload = xx_.read_message(message);
  // The machine has taken the message (and for the third, finished) before
  // its payload is checked: a failure ends the handshake either way.
  if (!payload) {
    failed_ = turn;
    return payload.error();
  }
  if (first) return {}; // the dialer's `-> e` message has nothing to authenticate
  auto checked = check_payload(*payload);
  if (!checked) failed_ = true;
  return checked;
}

result<void> noise_handshake::check_payload(bytes_view payload) {
  detail::pb_reader reader(payload);
  std::optional<bytes_view> key_pb, sig;
  while (auto f = reader.next()) {
    if (f->wire_type != 2) continue;
    if (f->number == 1) key_pb = f->bytes;
    else if (f->number == 2) sig = f->bytes;
  }
  if (reader.failed()) return handshake_error("malformed noise handshake payload");
  if (!key_pb || !sig) return handshake_error("noise handshake payload lacks identity_key or identity_sig");
  auto key = decode_public_key(*key_pb);
  if (!key) return key.error();
  byte_buffer signed_data(as_bytes(signature_prefix).begin(), as_bytes(signature_prefix).end());
  append(signed_data, xx_.remote_static());
  const peer_id claimed = peer_id::from_public_key(*key);
  if (!verify_signature(*key, signed_data, *sig)) {
    return make_error(libp2p_errc::authentication_failed,
                      "identity signature of " + claimed.to_string() + " over its noise static key is invalid");
  }
  if (expected_ && !expected_->matches(*key)) {
    return make_error(libp2p_errc::peer_id_mismatch,
                      "dialled " + expected_->to_string() + " but the remote is " + claimed.to_string());
  }
  remote_ = claimed;
  return {};
}

noise_transport noise_handshake::into_transport() {
  auto [send, receive] = xx_.split();
  return noise_transport(std::move(send), std::move(receive));
}

} // namespace snapstream::libp2p
