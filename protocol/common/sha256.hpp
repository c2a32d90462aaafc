#pragma once
/// SHA-256 through OpenSSL 3 (uses SHA-NI where the CPU has it).

#include "protocol/common/bytes.hpp"

#include <array>
#include <memory>

namespace snapstream {

using hash256 = std::array<std::uint8_t, 32>;

/// One-shot SHA-256 of `data`.
[[nodiscard]] hash256 sha256(bytes_view data) noexcept;

/// Incremental SHA-256. Not thread-safe. Copying duplicates the running state
/// (hash a common prefix once, then branch).
class sha256_hasher {
public:
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(const sha256_hasher& other);
  sha256_hasher& operator=(const sha256_hasher& other);
  sha256_hasher(sha256_hasher&&) noexcept;
  sha256_hasher& operator=(sha256_hasher&&) noexcept;

  void update(bytes_view data) noexcept;
  /// Returns the digest and resets the hasher for reuse.
  [[nodiscard]] hash256 finish() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace snapstream
