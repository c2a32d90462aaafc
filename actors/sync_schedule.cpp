#include "actors/sync_schedule.hpp"

#include <algorithm>
#include <utility>

namespace snapstream::actors {

sync_schedule::sync_schedule(std::uint64_t chunk_count, const std::vector<std::uint64_t>& applied,
                             schedule_config config)
  : config_(config), state_(chunk_count, chunk_state::free), holders_(chunk_count, 0) {
  for (const auto c : applied) {
    if (c < state_.size() && state_[c] != chunk_state::written) {
      state_[c] = chunk_state::written;
      ++written_;
    }
  }
}

void sync_schedule::add_peer(const std::string& peer) { peers_.try_emplace(peer); }

void sync_schedule::count_holdings(const peer_entry& p, int sign) {
  for (std::uint64_t c = 0; c < p.have.size(); ++c)
    if (p.have[c]) holders_[c] = static_cast<std::uint32_t>(static_cast<int>(holders_[c]) + sign);
}

void sync_schedule::set_have(const std::string& peer, std::vector<bool> have) {
  auto& p = peers_[peer];
  if (!have.empty() && have.size() != state_.size()) have.clear();
  count_holdings(p, -1);
  p.have = std::move(have);
  count_holdings(p, +1);
  if (!p.have.empty()) p.lane_next = p.lane_end = 0; // a partial provider works without a lane
}

void sync_schedule::lacks(const std::string& peer, std::uint64_t chunk) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || chunk >= state_.size()) return;
  auto& p = it->second;
  if (p.have.empty()) {
    p.have.assign(state_.size(), true);
    count_holdings(p, +1);
  }
  if (p.have[chunk]) --holders_[chunk];
  p.have[chunk] = false;
  p.lane_next = p.lane_end = 0;
}

bool sync_schedule::partial(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && !it->second.have.empty();
}

bool sync_schedule::holds(const peer_entry& p, std::uint64_t chunk) const {
  return p.have.empty() || (chunk < p.have.size() && p.have[chunk]);
}

bool sync_schedule::in_some_lane(std::uint64_t chunk, const std::string& except) const {
  for (const auto& [name, p] : peers_)
    if (name != except && chunk >= p.lane_next && chunk < p.lane_end) return true;
  return false;
}

std::optional<std::uint64_t> sync_schedule::from_lane(const std::string&, peer_entry& p) {
  while (p.lane_next < p.lane_end) {
    const std::uint64_t c = p.lane_next++;
    if (state_[c] == chunk_state::free && holds(p, c)) return c;
  }
  return std::nullopt;
}

bool sync_schedule::take_free_run(const std::string& peer, peer_entry& p) {
  std::uint64_t best_start = 0, best_len = 0;
  std::uint64_t run_start = 0, run_len = 0;
  for (std::uint64_t c = 0; c < state_.size(); ++c) {
    const bool usable = state_[c] == chunk_state::free && holds(p, c) && !in_some_lane(c, peer);
    if (usable) {
      if (run_len == 0) run_start = c;
      ++run_len;
      if (run_len > best_len) {
        best_len = run_len;
        best_start = run_start;
      }
    } else {
      run_len = 0;
    }
  }
  if (best_len == 0) return false;
  // A run that starts right where another provider's lane ends is that
  // provider's natural continuation: leave it the lower half.
  std::uint64_t start = best_start;
  // The origin splits the run it falls in: its upper part first.
  if (origin_ > best_start && origin_ < best_start + best_len) start = origin_;
  for (const auto& [name, q] : peers_) {
    if (name != peer && q.lane_end == best_start && q.lane_next < q.lane_end && best_len >= 2) {
      start = best_start + best_len / 2;
      break;
    }
  }
  p.lane_next = start;
  p.lane_end = best_start + best_len;
  return true;
}

bool sync_schedule::split_a_lane(const std::string& peer, peer_entry& p, clock::time_point now) {
  // The victim keeps the lower half; a lane of one chunk is taken whole (its
  // owner is busy with the chunk before it). The chunk its session asked
  // ahead stays with it, unless it is stuck.
  peer_entry* victim = nullptr;
  std::uint64_t largest = 0, victim_from = 0;
  for (auto& [name, q] : peers_) {
    if (name == peer || q.lane_next >= q.lane_end) continue;
    std::uint64_t from = q.lane_next;
    if (q.ahead && *q.ahead >= from && *q.ahead < q.lane_end && !stuck(name, now)) from = *q.ahead + 1;
    if (from >= q.lane_end) continue;
    const std::uint64_t left = q.lane_end - from;
    if (left > largest) {
      largest = left;
      victim = &q;
      victim_from = from;
    }
  }
  if (victim == nullptr) return false;
  const std::uint64_t mid = victim_from + largest / 2;
  p.lane_next = mid;
  p.lane_end = victim->lane_end;
  victim->lane_end = mid;
  return true;
}

void sync_schedule::set_class(std::uint64_t rank, std::uint64_t classes) noexcept {
  classes_ = std::min<std::uint64_t>(classes, state_.size());
  if (classes_ <= 1) {
    classes_ = 0;
    return;
  }
  rank_ = rank % classes_;
  // The first chunk c with c * classes / n == rank.
  origin_ = (rank_ * state_.size() + classes_ - 1) / classes_;
}

std::uint64_t sync_schedule::class_of(std::uint64_t chunk) const noexcept {
  return classes_ > 1 ? chunk * classes_ / state_.size() : 0;
}

bool sync_schedule::any_partial() const {
  return std::any_of(peers_.begin(), peers_.end(), [](const auto& e) { return !e.second.have.empty(); });
}

namespace {

/// A fixed permutation of chunk indices per salt (splitmix64's finaliser).
std::uint64_t tie_order(std::uint64_t chunk, std::uint64_t salt) noexcept {
  std::uint64_t z = chunk + salt + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace

bool sync_schedule::stuck(const std::string& owner, clock::time_point now) const {
  return std::any_of(flights_.begin(), flights_.end(),
                     [&](const auto& e) { return e.second.peer == owner && late(e.second, now); });
}

bool sync_schedule::named_ahead_by_other(std::uint64_t chunk, const std::string& peer, clock::time_point now) const {
  for (const auto& [name, q] : peers_) {
    // Kept for its owner unless the owner is stuck (what it fetches is late).
    if (name != peer && q.ahead == chunk && !stuck(name, now)) return true;
  }
  return false;
}

std::optional<std::uint64_t> sync_schedule::rarest(const std::string& peer, const peer_entry& p,
                                                   clock::time_point now) const {
  std::optional<std::uint64_t> best;
  std::uint32_t best_holders = 0;
  std::uint64_t best_class = 0;
  std::uint64_t best_tie = 0;
  for (std::uint64_t c = 0; c < state_.size(); ++c) {
    if (state_[c] != chunk_state::free || !holds(p, c)) continue;
    const std::uint32_t h = holders_[c];
    if (best && h > best_holders) continue;
    // How far the chunk's class is from this job's own, in class order.
    const std::uint64_t cls = classes_ > 1 ? (class_of(c) + classes_ - rank_) % classes_ : 0;
    if (best && h == best_holders && cls > best_class) continue;
    const std::uint64_t tie = tie_order(c, salt_);
    if (!best || h < best_holders || cls < best_class || tie < best_tie) {
      if (named_ahead_by_other(c, peer, now)) continue; // checked only for a new best: O(peers) a few times
      best = c;
      best_holders = h;
      best_class = cls;
      best_tie = tie;
    }
  }
  return best;
}

double sync_schedule::late_after_ms(const std::string& owner) const {
  double expected_ms = 0;
  if (auto it = peers_.find(owner); it != peers_.end() && it->second.rates.samples > 0) {
    expected_ms = it->second.rates.latency_ms;
  } else {
    // Not measured yet: the job's mean, else what the longest timeout implies.
    std::size_t measured = 0;
    for (const auto& [name, q] : peers_) {
      if (q.rates.samples > 0) {
        expected_ms += q.rates.latency_ms;
        ++measured;
      }
    }
    if (measured > 0) expected_ms /= static_cast<double>(measured);
  }
  if (expected_ms <= 0) expected_ms = static_cast<double>(config_.max_timeout.count()) / config_.timeout_factor;
  return config_.late_factor * expected_ms;
}

bool sync_schedule::late(const flight& f, clock::time_point now) const {
  return std::chrono::duration<double, std::milli>(now - f.since).count() >= late_after_ms(f.peer);
}

std::optional<std::uint64_t> sync_schedule::late_chunk(const std::string& peer, const peer_entry& p,
                                                       clock::time_point now) const {
  std::optional<std::uint64_t> best;
  clock::time_point oldest = clock::time_point::max();
  for (const auto& [chunk, f] : flights_) {
    if (f.peer == peer || state_[chunk] != chunk_state::in_flight || flights_.count(chunk) > 1 || !holds(p, chunk))
      continue;
    if (!late(f, now)) continue;
    if (f.since < oldest) {
      oldest = f.since;
      best = chunk;
    }
  }
  return best;
}

void sync_schedule::start(std::uint64_t chunk, const std::string& peer, clock::time_point now) {
  if (state_[chunk] == chunk_state::free) state_[chunk] = chunk_state::in_flight;
  flights_.emplace(chunk, flight{peer, now});
}

std::optional<std::uint64_t> sync_schedule::next(const std::string& peer, clock::time_point now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  auto& p = it->second;
  std::optional<std::uint64_t> c;
  // The chunk named ahead first: its session may have asked for it already.
  if (const auto a = std::exchange(p.ahead, std::nullopt); a && state_[*a] == chunk_state::free && holds(p, *a)) {
    c = a;
    if (p.lane_next == *a) ++p.lane_next;
  }
  const bool rarest_first = any_partial();
  if (!c && rarest_first) c = rarest(peer, p, now);
  if (!c && !rarest_first) {
    c = from_lane(peer, p);
    if (!c && take_free_run(peer, p)) c = from_lane(peer, p);
    if (!c && split_a_lane(peer, p, now)) c = from_lane(peer, p);
  }
  if (!c) c = late_chunk(peer, p, now);
  if (c) start(*c, peer, now);
  return c;
}

std::optional<std::uint64_t> sync_schedule::name_ahead(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  auto& p = it->second;
  p.ahead.reset();
  // A partial provider may be given any free chunk before `peer` is asked
  // for it: then the chunk asked ahead would be fetched for nothing.
  if (any_partial()) return std::nullopt; // `peer` itself too, if it is one
  for (std::uint64_t c = p.lane_next; c < p.lane_end; ++c) {
    if (state_[c] == chunk_state::free) {
      p.ahead = c;
      return c;
    }
  }
  return std::nullopt;
}

bool sync_schedule::delivered(const std::string& peer, std::uint64_t chunk, std::uint64_t bytes,
                              std::chrono::microseconds latency) {
  if (chunk >= state_.size()) return false;
  if (auto it = peers_.find(peer); it != peers_.end() && latency.count() > 0) {
    auto& r = it->second.rates;
    const double ms = static_cast<double>(latency.count()) / 1000.0;
    const double rate = static_cast<double>(bytes) / (ms / 1000.0);
    const double w = r.samples == 0 ? 1.0 : config_.smoothing;
    r.latency_ms = (1 - w) * r.latency_ms + w * ms;
    r.bytes_per_second = (1 - w) * r.bytes_per_second + w * rate;
    ++r.samples;
  }
  for (auto [f, last] = flights_.equal_range(chunk); f != last;) {
    if (f->second.peer == peer) f = flights_.erase(f);
    else ++f;
  }
  if (state_[chunk] == chunk_state::writing || state_[chunk] == chunk_state::written) return false;
  state_[chunk] = chunk_state::writing;
  return true;
}

void sync_schedule::written(std::uint64_t chunk) {
  if (chunk >= state_.size() || state_[chunk] == chunk_state::written) return;
  state_[chunk] = chunk_state::written;
  ++written_;
  flights_.erase(chunk);
}

void sync_schedule::write_failed(std::uint64_t chunk) {
  if (chunk < state_.size() && state_[chunk] == chunk_state::writing) state_[chunk] = chunk_state::free;
}

void sync_schedule::release_chunk(const std::string& peer, std::uint64_t chunk) {
  for (auto [f, last] = flights_.equal_range(chunk); f != last;) {
    if (f->second.peer == peer) f = flights_.erase(f);
    else ++f;
  }
  if (chunk < state_.size() && state_[chunk] == chunk_state::in_flight && flights_.count(chunk) == 0)
    state_[chunk] = chunk_state::free;
}

void sync_schedule::release(const std::string& peer) {
  for (auto f = flights_.begin(); f != flights_.end();) {
    if (f->second.peer != peer) {
      ++f;
      continue;
    }
    const auto chunk = f->first;
    f = flights_.erase(f);
    if (state_[chunk] == chunk_state::in_flight && flights_.count(chunk) == 0) state_[chunk] = chunk_state::free;
  }
  if (auto it = peers_.find(peer); it != peers_.end()) {
    it->second.lane_next = it->second.lane_end = 0;
    it->second.ahead.reset();
  }
}

void sync_schedule::demote(const std::string& peer) {
  if (auto it = peers_.find(peer); it != peers_.end()) it->second.rates = {};
}

void sync_schedule::remove(const std::string& peer) {
  release(peer);
  if (auto it = peers_.find(peer); it != peers_.end()) {
    count_holdings(it->second, -1);
    peers_.erase(it);
  }
}

std::chrono::milliseconds sync_schedule::timeout(const std::string& peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.rates.samples == 0) return config_.max_timeout;
  const double ms = config_.timeout_factor * it->second.rates.latency_ms;
  const auto t = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
  return std::clamp(t, config_.min_timeout, config_.max_timeout);
}

peer_rates sync_schedule::rates(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? peer_rates{} : it->second.rates;
}

std::vector<std::uint64_t> sync_schedule::in_flight(const std::string& peer) const {
  std::vector<std::uint64_t> out;
  for (const auto& [chunk, f] : flights_)
    if (f.peer == peer) out.push_back(chunk);
  return out;
}

bool sync_schedule::unreachable_chunks() const {
  for (std::uint64_t c = 0; c < state_.size(); ++c) {
    if (state_[c] != chunk_state::free) continue;
    bool someone = false;
    for (const auto& [name, p] : peers_) {
      if (holds(p, c)) {
        someone = true;
        break;
      }
    }
    if (!someone) return true;
  }
  return false;
}

} // namespace snapstream::actors
