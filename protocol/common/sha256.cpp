#include "protocol/common/sha256.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <new>

namespace snapstream {

namespace {

// Fetched once: implicit fetching on every digest costs a lock and a lookup.
const EVP_MD* sha256_md() noexcept {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort(); // OpenSSL without SHA-256 cannot run this program
  return md;
}

} // namespace

hash256 sha256(bytes_view data) noexcept {
  hash256 out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr) != 1) std::abort();
  return out;
}

struct sha256_hasher::impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  impl() {
    if (ctx == nullptr) throw std::bad_alloc();
    EVP_DigestInit_ex(ctx, sha256_md(), nullptr);
  }
  impl(const impl& other) : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr) throw std::bad_alloc();
    EVP_MD_CTX_copy_ex(ctx, other.ctx);
  }
  impl& operator=(const impl&) = delete;
  ~impl() { EVP_MD_CTX_free(ctx); }
};

sha256_hasher::sha256_hasher() : impl_(std::make_unique<impl>()) {}
sha256_hasher::~sha256_hasher() = default;
sha256_hasher::sha256_hasher(const sha256_hasher& other)
  : impl_(std::make_unique<impl>(*other.impl_)) {}
sha256_hasher& sha256_hasher::operator=(const sha256_hasher& other) {
  if (this != &other) impl_ = std::make_unique<impl>(*other.impl_);
  return *this;
}
sha256_hasher::sha256_hasher(sha256_hasher&&) noexcept = default;
sha256_hasher& sha256_hasher::operator=(sha256_hasher&&) noexcept = default;

void sha256_hasher::update(bytes_view data) noexcept {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

hash256 sha256_hasher::finish() noexcept {
  hash256 out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, out.data(), &len);
  EVP_DigestInit_ex(impl_->ctx, sha256_md(), nullptr);
  return out;
}

} // namespace snapstream
