#pragma once
/// Per-peer circuit breakers for the snapshot provider.
///
/// A breaker counts a peer's failures (malformed or refused requests) inside a
/// sliding window. At `failure_threshold` failures it opens: the peer's
/// requests are refused for `cool_down`. Then it is half-open: one request is
/// let through as a trial; its success closes the breaker, its failure opens
/// it again. One misbehaving peer never affects another. Pure logic: the
/// caller supplies the time. Not thread-safe (owned by one actor).

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace snapstream::actors {

struct breaker_config {
  std::uint32_t failure_threshold = 10;
  std::chrono::milliseconds window{60'000};
  std::chrono::milliseconds cool_down{30'000};
};

enum class breaker_state { closed, open, half_open };

[[nodiscard]] const char* to_string(breaker_state s) noexcept;

/// Which side of the node a breaker guards.
enum class breaker_side {
  serving, ///< the provider refuses this peer's requests while it is open
  syncing, ///< sync jobs leave this provider out while it is open (it lied)
};

[[nodiscard]] const char* to_string(breaker_side s) noexcept;

/// What an operator sees of one peer's breaker.
struct breaker_status {
  std::string peer;
  breaker_side side = breaker_side::serving;
  breaker_state state = breaker_state::closed;
  std::uint32_t recent_failures = 0;
  /// Time left until an open breaker turns half-open (zero otherwise).
  std::chrono::milliseconds retry_after{0};
};

class circuit_breakers {
public:
  using clock = std::chrono::steady_clock;

  explicit circuit_breakers(breaker_config config = {}) : config_(config) {}

  /// May a request from `peer` proceed at `now`? Turns an open breaker
  /// half-open once its cool-down has passed and admits exactly one trial.
  [[nodiscard]] bool allow(const std::string& peer, clock::time_point now);

  /// Records the outcome of a request `allow` admitted.
  void record_success(const std::string& peer);
  void record_failure(const std::string& peer, clock::time_point now);

  /// Time until an open breaker may be retried (for the refusal message).
  [[nodiscard]] std::chrono::milliseconds retry_after(const std::string& peer,
                                                      clock::time_point now) const;

  [[nodiscard]] std::vector<breaker_status> status(clock::time_point now) const;
  [[nodiscard]] breaker_state state_of(const std::string& peer, clock::time_point now) const;

  /// Closes every breaker (operator reset) and forgets all failures.
  void reset_all() { peers_.clear(); }

  /// Forgets the breakers that hold nothing any more: closed with no failure
  /// inside the window, or open with the cool-down a window past and no trial
  /// since (the peer left; it would start afresh). Returns how many. (`record_failure` also sweeps, once
  /// a window, so a crowd of peers that failed once each is not kept forever.)
  std::size_t sweep(clock::time_point now);
  /// Peers with a breaker entry (for tests and the status).
  [[nodiscard]] std::size_t size() const noexcept { return peers_.size(); }

private:
  struct peer_breaker {
    breaker_state state = breaker_state::closed;
    std::vector<clock::time_point> failures; // inside the window, oldest first
    clock::time_point opened_at{};
    bool trial_in_flight = false;
  };

  void prune(peer_breaker& b, clock::time_point now) const;

  breaker_config config_;
  std::unordered_map<std::string, peer_breaker> peers_;
  clock::time_point last_sweep_{};
};

} // namespace snapstream::actors
