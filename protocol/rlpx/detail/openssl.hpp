#pragma once
/// Thin RAII wrappers over the OpenSSL 3 primitives RLPx uses: AES in CTR and
/// ECB mode, HMAC-SHA256, and the random source. Internal to protocol/rlpx.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <array>
#include <memory>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace snapstream::rlpx::detail {

struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept;
};
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;

/// A running AES-CTR keystream (AES-128 or AES-256 by key size). Encryption and
/// decryption are the same operation. Not thread-safe; movable.
class aes_ctr {
public:
  /// `key` is 16 or 32 bytes; `iv` the initial 16-byte counter block.
  [[nodiscard]] static result<aes_ctr> create(bytes_view key, const std::array<std::uint8_t, 16>& iv);
  /// XORs the next `in.size()` keystream bytes into `in`, writing to `out`
  /// (which may be `in`). Both are the same size.
  void apply(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept;

private:
  cipher_ctx_ptr ctx_;
};

/// AES-256 in ECB mode on single 16-byte blocks (the RLPx MAC's block cipher).
class aes256_ecb {
public:
  [[nodiscard]] static result<aes256_ecb> create(const hash256& key);
  [[nodiscard]] std::array<std::uint8_t, 16> encrypt_block(const std::uint8_t* block) noexcept;

private:
  cipher_ctx_ptr ctx_;
};

/// HMAC-SHA256 of the concatenation of `parts`.
[[nodiscard]] hash256 hmac_sha256(bytes_view key, std::initializer_list<bytes_view> parts) noexcept;

/// Fills `out` from the operating system's CSPRNG (through OpenSSL).
[[nodiscard]] result<void> random_bytes(std::span<std::uint8_t> out) noexcept;

/// Constant-time equality of two equally long byte strings.
[[nodiscard]] bool equal_constant_time(bytes_view a, bytes_view b) noexcept;

} // namespace snapstream::rlpx::detail
