#include "actors/circuit_breaker.hpp"

#include <algorithm>

namespace snapstream::actors {

const char* to_string(breaker_side s) noexcept {
  return s == breaker_side::syncing ? "syncing" : "serving";
}

const char* to_string(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "unknown";
}

void circuit_breakers::prune(peer_breaker& b, clock::time_point now) const {
  const auto horizon = now - config_.window;
  auto keep = std::find_if(b.failures.begin(), b.failures.end(),
                           [&](clock::time_point t) { return t > horizon; });
  b.failures.erase(b.failures.begin(), keep);
}

bool circuit_breakers::allow(const std::string& peer, clock::time_point now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return true;
  auto& b = it->second;
  switch (b.state) {
    case breaker_state::closed:
      return true;
    case breaker_state::open:
      if (now - b.opened_at < config_.cool_down) return false;
      b.state = breaker_state::half_open;
      b.trial_in_flight = true;
      return true;
    case breaker_state::half_open:
      if (b.trial_in_flight) return false;
      b.trial_in_flight = true;
      return true;
  }
  return false;
}

void circuit_breakers::record_success(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  if (it->second.state == breaker_state::half_open) {
    peers_.erase(it); // the trial passed: closed, with a clean slate
  }
}

std::size_t circuit_breakers::sweep(clock::time_point now) {
  last_sweep_ = now;
  std::size_t removed = 0;
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto& b = it->second;
    prune(b, now);
    // A breaker that cooled down a window ago and saw no trial: its peer left.
    const bool stale_open = b.state == breaker_state::open && now - b.opened_at >= config_.cool_down + config_.window;
    if ((b.state == breaker_state::closed && b.failures.empty()) || stale_open) {
      it = peers_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

void circuit_breakers::record_failure(const std::string& peer, clock::time_point now) {
  if (now - last_sweep_ >= config_.window) sweep(now);
  auto& b = peers_[peer];
  if (b.state == breaker_state::half_open) {
    b.state = breaker_state::open;
    b.opened_at = now;
    b.trial_in_flight = false;
    return;
  }
  if (b.state == breaker_state::open) return;
  prune(b, now);
  b.failures.push_back(now);
  if (b.failures.size() >= config_.failure_threshold) {
    b.state = breaker_state::open;
    b.opened_at = now;
    b.failures.clear();
  }
}

std::chrono::milliseconds circuit_breakers::retry_after(const std::string& peer,
                                                        clock::time_point now) const {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.state != breaker_state::open) return std::chrono::milliseconds{0};
  const auto left = config_.cool_down - (now - it->second.opened_at);
  return std::max(std::chrono::milliseconds{0},
                  std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

breaker_state circuit_breakers::state_of(const std::string& peer, clock::time_point now) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return breaker_state::closed;
  const auto& b = it->second;
  if (b.state == breaker_state::open && now - b.opened_at >= config_.cool_down)
    return breaker_state::half_open;
  return b.state;
}

std::vector<breaker_status> circuit_breakers::status(clock::time_point now) const {
  std::vector<breaker_status> out;
  out.reserve(peers_.size());
  const auto horizon = now - config_.window;
  for (const auto& [peer, b] : peers_) {
    breaker_status s;
    s.peer = peer;
    s.state = state_of(peer, now);
    s.recent_failures = static_cast<std::uint32_t>(std::count_if(
      b.failures.begin(), b.failures.end(), [&](clock::time_point t) { return t > horizon; }));
    s.retry_after = retry_after(peer, now);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.peer < b.peer; });
  return out;
}

} // namespace snapstream::actors
