#pragma once
/// Keccak-256 as Ethereum uses it: Keccak-f[1600], rate 1088 bits (136 bytes),
/// capacity 512, 32-byte output, and the original Keccak padding (a 0x01 byte
/// ... 0x80), not the 0x06 domain byte of FIPS 202 SHA3-256.
///
/// OpenSSL 3.0 has no Keccak-256, so the permutation is written here.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"

#include <array>
#include <cstdint>

namespace snapstream::rlpx {

/// One-shot Keccak-256 of `data`.
[[nodiscard]] hash256 keccak256(bytes_view data) noexcept;

/// Incremental Keccak-256 with a plain-value running state: copying the hasher
/// forks the computation, and `digest()` reads the hash of everything absorbed
/// so far without disturbing the state (RLPx MACs need both). Not thread-safe.
class keccak256_hasher {
public:
  static constexpr std::size_t rate = 136;

  /// Absorbs `data`.
  void update(bytes_view data) noexcept;
  /// The hash of everything absorbed so far; the state is unchanged.
  [[nodiscard]] hash256 digest() const noexcept;
  /// The hash of everything absorbed so far; then resets to the empty state.
  [[nodiscard]] hash256 finish() noexcept;
  /// Back to the empty state.
  void reset() noexcept;

private:
  std::array<std::uint64_t, 25> state_{};
  std::array<std::uint8_t, rate> buffer_{};
  std::size_t buffered_ = 0;
};

} // namespace snapstream::rlpx
