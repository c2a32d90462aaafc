#include "protocol/snapshot/light_client_update.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/snapshot/detail/sodium.hpp"

#include <sodium.h>

#include <cstring>
#include <string>
#include <string_view>

namespace snapstream::snapshot {

namespace {

constexpr std::uint8_t update_magic[4] = {'S', 'S', 'L', 'U'};
constexpr std::uint8_t update_version = 1;
constexpr std::string_view commitment_domain = "snapstream/lcu/v1";

} // namespace

hash256 commitment(const light_client_update& u) noexcept {
  std::uint8_t buf[commitment_domain.size() + 8 + 32 * 3];
  std::uint8_t* w = buf;
  std::memcpy(w, commitment_domain.data(), commitment_domain.size());
  w += commitment_domain.size();
  store_be64(w, u.height);
  w += 8;
  std::memcpy(w, u.block_hash.data(), 32);
  std::memcpy(w + 32, u.state_root.data(), 32);
  std::memcpy(w + 64, u.previous_commitment.data(), 32);
  return sha256(bytes_view(buf, sizeof buf));
}

byte_buffer encode_update(const light_client_update& u) {
  byte_buffer out(encoded_update_size(u.signatures.size()));
  std::uint8_t* w = out.data();
  std::memcpy(w, update_magic, 4);
  w[4] = update_version;
  store_be64(w + 5, u.height);
  std::memcpy(w + 13, u.block_hash.data(), 32);
  std::memcpy(w + 45, u.state_root.data(), 32);
  std::memcpy(w + 77, u.previous_commitment.data(), 32);
  store_be16(w + 109, static_cast<std::uint16_t>(u.signatures.size()));
  w += update_header_size;
  for (const auto& s : u.signatures) {
    std::memcpy(w, s.signer.data(), 32);
    std::memcpy(w + 32, s.signature.data(), 64);
    w += update_signature_size;
  }
  return out;
}

result<light_client_update> decode_update(bytes_view in) {
  const auto n = [](std::uint64_t v) { return std::to_string(v); };
  if (in.size() < update_header_size) {
    return error{snapshot_errc::truncated,
                 "update: " + n(in.size()) + " bytes, the header needs " + n(update_header_size)};
  }
  if (std::memcmp(in.data(), update_magic, 4) != 0) return error{snapshot_errc::bad_magic, "update: magic is not SSLU"};
  if (in[4] != update_version) {
    return error{snapshot_errc::unsupported_version, "update: format version " + n(in[4]) + " is not 1"};
  }
  light_client_update u;
  u.height = load_be64(in.data() + 5);
  std::memcpy(u.block_hash.data(), in.data() + 13, 32);
  std::memcpy(u.state_root.data(), in.data() + 45, 32);
  std::memcpy(u.previous_commitment.data(), in.data() + 77, 32);
  const std::size_t count = load_be16(in.data() + 109);
  const std::size_t body = in.size() - update_header_size;
  if (body < count * update_signature_size) {
    return error{snapshot_errc::truncated, "update: signature_count " + n(count) + " needs " +
                                             n(count * update_signature_size) + " bytes, " + n(body) + " remain"};
  }
  if (body != count * update_signature_size) {
    return error{snapshot_errc::trailing_bytes,
                 "update: " + n(body - count * update_signature_size) + " bytes after signature " + n(count)};
  }
  u.signatures.resize(count);
  const std::uint8_t* r = in.data() + update_header_size;
  for (auto& s : u.signatures) {
    std::memcpy(s.signer.data(), r, 32);
    std::memcpy(s.signature.data(), r + 32, 64);
    r += update_signature_size;
  }
  return u;
}

bool verify_signature(const ed25519_public_key& signer, bytes_view message,
                      const ed25519_signature& signature) noexcept {
  if (!detail::sodium_ready()) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), signer.data()) == 0;
}

} // namespace snapstream::snapshot
