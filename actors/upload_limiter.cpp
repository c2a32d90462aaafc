#include "actors/upload_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace snapstream::actors {

namespace {

/// Bytes a bucket of `rate` bytes per second earns in `elapsed` (computed
/// from whole nanoseconds, so round figures stay exact).
double earned(std::uint64_t rate, std::chrono::steady_clock::duration elapsed) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  return static_cast<double>(ns) * static_cast<double>(rate) / 1e9;
}

} // namespace

void upload_limiter::refill(bucket& b, std::uint64_t rate, clock::time_point now) noexcept {
  const double burst = static_cast<double>(rate);
  if (!b.started) {
    b = bucket{burst, now, true};
    return;
  }
  if (now > b.at) {
    b.level = std::min(burst, b.level + earned(rate, now - b.at));
    b.at = now;
  }
}

double upload_limiter::wait_for(const bucket& b, std::uint64_t rate, std::uint64_t bytes) noexcept {
  const double missing = static_cast<double>(bytes) - b.level;
  return missing > 0 ? missing * 1e6 / static_cast<double>(rate) : 0.0;
}

bool upload_limiter::full(const bucket& b, std::uint64_t rate, clock::time_point now) noexcept {
  if (!b.started) return true;
  const double gained = now > b.at ? earned(rate, now - b.at) : 0.0;
  return b.level + gained >= static_cast<double>(rate);
}

std::chrono::microseconds upload_limiter::reserve(const std::string& peer, std::uint64_t bytes,
                                                  clock::time_point now) {
  double wait = 0; // microseconds
  if (const std::uint64_t rate = limits_.bytes_per_second; rate != 0) {
    refill(node_, rate, now);
    wait = std::max(wait, wait_for(node_, rate, bytes));
    node_.level -= static_cast<double>(bytes);
  }
  if (const std::uint64_t rate = limits_.per_peer_bytes_per_second; rate != 0) {
    // Forget the peers whose bucket has filled up again: they would start full anyway.
    std::erase_if(peers_, [&](const auto& kv) { return kv.first != peer && full(kv.second, rate, now); });
    auto& b = peers_[peer];
    refill(b, rate, now);
    wait = std::max(wait, wait_for(b, rate, bytes));
    b.level -= static_cast<double>(bytes);
  }
  if (wait <= 0) return std::chrono::microseconds{0};
  return std::chrono::microseconds{static_cast<std::int64_t>(std::ceil(wait))};
}

} // namespace snapstream::actors
