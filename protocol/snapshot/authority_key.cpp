#include "protocol/snapshot/authority_key.hpp"

#include "protocol/snapshot/detail/sodium.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

namespace snapstream::snapshot {

namespace {

error sodium_error() {
  return error{snapshot_errc::crypto_unavailable, "libsodium failed to initialise"};
}

} // namespace

result<authority_key> authority_key::generate() {
  if (!detail::sodium_ready()) return sodium_error();
  ed25519_seed seed;
  randombytes_buf(seed.data(), seed.size());
  auto key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

result<authority_key> authority_key::from_seed(bytes_view seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return error{snapshot_errc::invalid_key,
                 "authority key seed has " + std::to_string(seed.size()) + " bytes, expected 32"};
  }
  if (!detail::sodium_ready()) return sodium_error();
  authority_key key;
  crypto_sign_seed_keypair(key.public_.data(), key.secret_.data(), seed.data());
  return key;
}

authority_key::~authority_key() {
  sodium_memzero(secret_.data(), secret_.size());
}

ed25519_seed authority_key::seed() const noexcept {
  ed25519_seed out;
  std::copy_n(secret_.begin(), out.size(), out.begin());
  return out;
}

ed25519_signature authority_key::sign(bytes_view message) const noexcept {
  ed25519_signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

void authority_key::sign_update(light_client_update& u) const {
  const hash256 c = commitment(u);
  u.signatures.push_back(update_signature{public_, sign(c)});
}

} // namespace snapstream::snapshot
