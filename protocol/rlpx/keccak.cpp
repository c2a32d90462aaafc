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

// rho offsets and pi destinations per lane index x + 5y, derived at compile
// time from their definitions (FIPS 202, algorithms 2 and 3) rather than
// transcribed: rho walks (x, y) from (1, 0) with offsets (t+1)(t+2)/2 mod 64;
// pi moves lane (x, y) to (y, 2x + 3y mod 5).
struct lane_tables {
  int rho[25]{};
  int pi_dest[25]{};
};

constexpr lane_tables make_lane_tables() {
  lane_tables t;
  int x = 1, y = 0;
  for (int step = 0; step < 24; ++step) {
    t.rho[x + 5 * y] = ((step + 1) * (step + 2) / 2) % 64;
    const int nx = y;
    const int ny = (2 * x + 3 * y) % 5;
    x = nx;
    y = ny;
  }
  for (int lx = 0; lx < 5; ++lx)
    for (int ly = 0; ly < 5; ++ly) t.pi_dest[lx + 5 * ly] = ly + 5 * ((2 * lx + 3 * ly) % 5);
  return t;
}

constexpr lane_tables lanes = make_lane_tables();
static_assert(lanes.rho[1] == 1 && lanes.rho[6] == 44 && lanes.rho[24] == 14, "rho offsets");
static_assert(lanes.pi_dest[6] == 1 && lanes.pi_dest[3] == 5, "pi destinations");

// Every step of a round is fully unrolled so that each lane index is a
// constant and the 25 lanes can live in registers.
void keccak_f1600(std::array<std::uint64_t, 25>& state) noexcept {
  std::uint64_t a[25];
  std::memcpy(a, state.data(), sizeof a);
  for (std::uint64_t rc : round_constants) {
    std::uint64_t c[5];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    std::uint64_t d[5];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
    // theta's parity, rho's rotation and pi's move in one pass
    std::uint64_t b[25];
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) b[lanes.pi_dest[i]] = std::rotl(a[i] ^ d[i % 5], lanes.rho[i]);
    // chi
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
      for (int x = 0; x < 5; ++x) a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
    }
    // iota
    a[0] ^= rc;
  }
  std::memcpy(state.data(), a, sizeof a);
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
