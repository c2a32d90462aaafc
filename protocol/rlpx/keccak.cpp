#include "protocol/rlpx/keccak.hpp"

#include "protocol/common/endian.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace snapstream::rlpx {

namespace {

// Round constants RC[i] of the iota step (Keccak reference, section 1.2).
constexpr std::uint64_t round_constants[24] = {
  0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
  0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
  0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
  0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
  0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
  0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

// rho and pi combined: walking the lanes in pi's order starting from lane 1,
// lane pi_lane[i] receives the previous lane rotated by rho_offset[i].
constexpr int rho_offset[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int pi_lane[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                             15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

void keccak_f1600(std::array<std::uint64_t, 25>& a) noexcept {
  for (std::uint64_t rc : round_constants) {
    // theta
    std::uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      const std::uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi
    std::uint64_t carried = a[1];
    for (int i = 0; i < 24; ++i) {
      const int j = pi_lane[i];
      const std::uint64_t next = a[j];
      a[j] = std::rotl(carried, rho_offset[i]);
      carried = next;
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      const std::uint64_t row[5] = {a[y], a[y + 1], a[y + 2], a[y + 3], a[y + 4]};
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    // iota
    a[0] ^= rc;
  }
}

void absorb_block(std::array<std::uint64_t, 25>& state, const std::uint8_t* block) noexcept {
  for (std::size_t i = 0; i < keccak256_hasher::rate / 8; ++i) state[i] ^= load_le64(block + 8 * i);
  keccak_f1600(state);
}

} // namespace

void keccak256_hasher::update(bytes_view data) noexcept {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  if (buffered_ != 0) {
    const std::size_t take = std::min(n, rate - buffered_);
    std::memcpy(buffer_.data() + buffered_, p, take);
    buffered_ += take;
    p += take;
    n -= take;
    if (buffered_ < rate) return;
    absorb_block(state_, buffer_.data());
    buffered_ = 0;
  }
  for (; n >= rate; p += rate, n -= rate) absorb_block(state_, p);
  if (n != 0) {
    std::memcpy(buffer_.data(), p, n);
    buffered_ = n;
  }
}

hash256 keccak256_hasher::digest() const noexcept {
  auto state = state_;
  std::array<std::uint8_t, rate> last{};
  std::memcpy(last.data(), buffer_.data(), buffered_);
  last[buffered_] ^= 0x01; // Keccak padding: 0x01 ... 0x80 (one byte when both fall together)
  last[rate - 1] ^= 0x80;
  absorb_block(state, last.data());
  hash256 out{};
  for (std::size_t i = 0; i < 4; ++i) store_le64(out.data() + 8 * i, state[i]);
  return out;
}

hash256 keccak256_hasher::finish() noexcept {
  const hash256 out = digest();
  reset();
  return out;
}

void keccak256_hasher::reset() noexcept {
  state_.fill(0);
  buffered_ = 0;
}

hash256 keccak256(bytes_view data) noexcept {
  keccak256_hasher h;
  h.update(data);
  return h.digest();
}

} // namespace snapstream::rlpx
