#include "protocol/rlpx/ecies.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/rlpx/detail/openssl.hpp"

#include <cstring>

namespace snapstream::rlpx {

hash256 ecies_kdf(const hash256& z) noexcept {
  // 32 bytes of key material = exactly one SHA-256 block of output (counter 1).
  std::uint8_t counter[4];
  store_be32(counter, 1);
  sha256_hasher h;
  h.update(bytes_view(counter, 4));
  h.update(z);
  return h.finish();
}

namespace {

struct ecies_keys {
  std::array<std::uint8_t, 16> encryption{};
  hash256 mac{};
};

ecies_keys derive_keys(const hash256& shared_x) {
  const hash256 material = ecies_kdf(shared_x);
  ecies_keys k;
  std::memcpy(k.encryption.data(), material.data(), 16);
  k.mac = sha256(bytes_view(material.data() + 16, 16));
  return k;
}

} // namespace

result<byte_buffer> ecies_encrypt(const public_key& recipient, bytes_view plaintext, bytes_view shared_mac_data) {
  auto ephemeral = generate_secret_key();
  if (!ephemeral) return ephemeral.error();
  std::array<std::uint8_t, 16> iv{};
  if (auto r = detail::random_bytes(iv); !r) return r.error();
  return ecies_encrypt(recipient, plaintext, shared_mac_data, *ephemeral, iv);
}

result<byte_buffer> ecies_encrypt(const public_key& recipient, bytes_view plaintext, bytes_view shared_mac_data,
                                  const secret_key& ephemeral, const std::array<std::uint8_t, 16>& iv) {
  auto shared = ecdh_x(ephemeral, recipient);
  if (!shared) return shared.error();
  auto r_point = derive_public_key(ephemeral);
  if (!r_point) return r_point.error();
  const ecies_keys keys = derive_keys(*shared);

  byte_buffer out(ecies_overhead + plaintext.size());
  out[0] = 0x04;
  std::memcpy(out.data() + 1, r_point->data(), 64);
  std::memcpy(out.data() + 65, iv.data(), 16);
  auto ctr = detail::aes_ctr::create(keys.encryption, iv);
  if (!ctr) return ctr.error();
  ctr->apply(plaintext.data(), out.data() + 81, plaintext.size());
  const bytes_view iv_and_ciphertext(out.data() + 65, 16 + plaintext.size());
  const hash256 tag = detail::hmac_sha256(keys.mac, {iv_and_ciphertext, shared_mac_data});
  std::memcpy(out.data() + 81 + plaintext.size(), tag.data(), tag.size());
  return out;
}

result<byte_buffer> ecies_decrypt(const secret_key& key, bytes_view message, bytes_view shared_mac_data) {
  if (message.size() < ecies_overhead)
    return make_error(rlpx_errc::ecies_invalid, "ECIES message of " + std::to_string(message.size()) +
                                                    " bytes is shorter than its 113-byte overhead");
  if (message[0] != 0x04)
    return make_error(rlpx_errc::ecies_invalid, "ECIES ephemeral key is not an uncompressed point");
  public_key r_point{};
  std::memcpy(r_point.data(), message.data() + 1, 64);
  auto shared = ecdh_x(key, r_point);
  if (!shared) return make_error(rlpx_errc::ecies_invalid, "ECIES ephemeral key: " + shared.error().message());
  const ecies_keys keys = derive_keys(*shared);

  const std::size_t text_size = message.size() - ecies_overhead;
  const bytes_view iv_and_ciphertext = message.subspan(65, 16 + text_size);
  const bytes_view tag = message.subspan(81 + text_size, 32);
  const hash256 expected = detail::hmac_sha256(keys.mac, {iv_and_ciphertext, shared_mac_data});
  if (!detail::equal_constant_time(expected, tag))
    return make_error(rlpx_errc::ecies_invalid, "ECIES MAC does not verify");

  std::array<std::uint8_t, 16> iv{};
  std::memcpy(iv.data(), message.data() + 65, 16);
  auto ctr = detail::aes_ctr::create(keys.encryption, iv);
  if (!ctr) return ctr.error();
  byte_buffer plain(text_size);
  ctr->apply(message.data() + 81, plain.data(), text_size);
  return plain;
}

} // namespace snapstream::rlpx
