#include "protocol/rlpx/detail/openssl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

namespace snapstream::rlpx::detail {

void cipher_ctx_deleter::operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }

namespace {

result<cipher_ctx_ptr> make_ctx(const EVP_CIPHER* cipher, const std::uint8_t* key, const std::uint8_t* iv) {
  cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key, iv) != 1)
    return make_error(rlpx_errc::crypto_failure, "EVP_EncryptInit_ex failed");
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return ctx;
}

} // namespace

result<aes_ctr> aes_ctr::create(bytes_view key, const std::array<std::uint8_t, 16>& iv) {
  const EVP_CIPHER* cipher = key.size() == 16 ? EVP_aes_128_ctr() : key.size() == 32 ? EVP_aes_256_ctr() : nullptr;
  if (cipher == nullptr) return make_error(rlpx_errc::crypto_failure, "AES-CTR key must be 16 or 32 bytes");
  auto ctx = make_ctx(cipher, key.data(), iv.data());
  if (!ctx) return ctx.error();
  aes_ctr out;
  out.ctx_ = std::move(*ctx);
  return out;
}

void aes_ctr::apply(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept {
  // CTR never fails on a correctly initialised context; chunk to fit `int`.
  while (n != 0) {
    const int chunk = static_cast<int>(std::min<std::size_t>(n, 1u << 30));
    int written = 0;
    if (EVP_EncryptUpdate(ctx_.get(), out, &written, in, chunk) != 1) std::abort();
    in += chunk;
    out += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
}

result<aes256_ecb> aes256_ecb::create(const hash256& key) {
  auto ctx = make_ctx(EVP_aes_256_ecb(), key.data(), nullptr);
  if (!ctx) return ctx.error();
  aes256_ecb out;
  out.ctx_ = std::move(*ctx);
  return out;
}

std::array<std::uint8_t, 16> aes256_ecb::encrypt_block(const std::uint8_t* block) noexcept {
  std::array<std::uint8_t, 16> out{};
  int written = 0;
  if (EVP_EncryptUpdate(ctx_.get(), out.data(), &written, block, 16) != 1 || written != 16) std::abort();
  return out;
}

hash256 hmac_sha256(bytes_view key, std::initializer_list<bytes_view> parts) noexcept {
  hash256 out{};
  // HMAC_CTX is deprecated in OpenSSL 3; EVP_MAC is the replacement.
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
  std::size_t len = 0;
  bool ok = ctx != nullptr && EVP_MAC_init(ctx, key.data(), key.size(), params) == 1;
  for (auto p : parts) ok = ok && EVP_MAC_update(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  if (!ok) std::abort(); // OpenSSL without HMAC-SHA256 cannot run this program
  return out;
}

result<void> random_bytes(std::span<std::uint8_t> out) noexcept {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    return make_error(rlpx_errc::crypto_failure, "RAND_bytes failed");
  return {};
}

bool equal_constant_time(bytes_view a, bytes_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace snapstream::rlpx::detail
