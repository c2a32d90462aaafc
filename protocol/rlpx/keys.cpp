#include "protocol/rlpx/keys.hpp"

#include "protocol/rlpx/detail/openssl.hpp"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include <cstdlib>
#include <cstring>

namespace snapstream::rlpx {

namespace {

// One context for the whole process, randomised once against side channels
// and read-only afterwards (libsecp256k1 documents this as thread-safe).
const secp256k1_context* context() noexcept {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (c == nullptr) std::abort();
    std::array<std::uint8_t, 32> seed{};
    if (detail::random_bytes(seed) && secp256k1_context_randomize(c, seed.data()) != 1) std::abort();
    return c;
  }();
  return ctx;
}

result<secp256k1_pubkey> parse_point(const public_key& key) {
  std::uint8_t uncompressed[65];
  uncompressed[0] = 0x04;
  std::memcpy(uncompressed + 1, key.data(), key.size());
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(context(), &pk, uncompressed, sizeof uncompressed) != 1)
    return make_error(rlpx_errc::invalid_key, "public key is not a point on secp256k1");
  return pk;
}

public_key serialize_point(const secp256k1_pubkey& pk) noexcept {
  std::uint8_t out[65];
  std::size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(context(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  public_key key{};
  std::memcpy(key.data(), out + 1, key.size());
  return key;
}

// libsecp256k1 ECDH hash callback that returns the bare X coordinate.
int copy_x(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::memcpy(output, x32, 32);
  return 1;
}

} // namespace

result<secret_key> generate_secret_key() {
  secret_key key{};
  for (int attempt = 0; attempt < 64; ++attempt) {
    auto r = detail::random_bytes(key);
    if (!r) return r.error();
    if (secp256k1_ec_seckey_verify(context(), key.data()) == 1) return key;
  }
  return make_error(rlpx_errc::crypto_failure, "random source produced no valid secp256k1 scalar");
}

result<void> validate_secret_key(const secret_key& key) {
  if (secp256k1_ec_seckey_verify(context(), key.data()) != 1)
    return make_error(rlpx_errc::invalid_key, "secret key is zero or not below the curve order");
  return {};
}

result<public_key> derive_public_key(const secret_key& key) {
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(context(), &pk, key.data()) != 1)
    return make_error(rlpx_errc::invalid_key, "secret key is zero or not below the curve order");
  return serialize_point(pk);
}

result<void> validate_public_key(const public_key& key) {
  auto pk = parse_point(key);
  if (!pk) return pk.error();
  return {};
}

result<hash256> ecdh_x(const secret_key& secret, const public_key& point) {
  auto pk = parse_point(point);
  if (!pk) return pk.error();
  hash256 x{};
  if (secp256k1_ecdh(context(), x.data(), &*pk, secret.data(), copy_x, nullptr) != 1)
    return make_error(rlpx_errc::invalid_key, "ECDH failed: secret key is zero or not below the curve order");
  return x;
}

result<recoverable_signature> sign_recoverable(const secret_key& key, const hash256& digest) {
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), key.data(), nullptr, nullptr) != 1)
    return make_error(rlpx_errc::invalid_key, "signing failed: secret key is zero or not below the curve order");
  recoverable_signature out{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recid, &sig);
  out[64] = static_cast<std::uint8_t>(recid);
  return out;
}

result<public_key> recover_public_key(const recoverable_signature& sig, const hash256& digest) {
  if (sig[64] > 3) return make_error(rlpx_errc::invalid_signature, "recovery id " + std::to_string(sig[64]) + " above 3");
  secp256k1_ecdsa_recoverable_signature parsed;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, sig.data(), sig[64]) != 1)
    return make_error(rlpx_errc::invalid_signature, "signature r or s out of range");
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(context(), &pk, &parsed, digest.data()) != 1)
    return make_error(rlpx_errc::invalid_signature, "no public key recovers from this signature");
  return serialize_point(pk);
}

} // namespace snapstream::rlpx
