#pragma once
/// Configuration of the consumer side: sessions and their supervisor.

#include "actors/circuit_breaker.hpp"
#include "actors/restart_policy.hpp"
#include "actors/sync_schedule.hpp"
#include "net/libp2p/host.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace snapstream::actors {

struct session_config {
  /// Longest wait for one response (dial included).
  std::chrono::milliseconds request_timeout{60'000};
  /// Protocols offered, in preference order (1.1.0 then 1.0.0 by default;
  /// a benchmark can force 1.0.0).
  std::vector<net::protocol_spec> protocols = net::snapshot_protocols();
  /// The consumer's chunk size bounds sent with the plan request.
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
  /// Sessions drive themselves; when false they advance one step per `fetch`.
  bool auto_advance = true;
};

struct consumer_config {
  session_config session;
  /// Retries of a provider within a job (and of a job at boot).
  restart_config restart;
  /// Resume incomplete sessions automatically when the node starts.
  bool auto_resume = true;
  /// How long a job without a plan keeps asking peers for offers before it
  /// fails with what it was offered.
  std::chrono::milliseconds discovery_timeout{30'000};
  /// Complete snapshots this node keeps servable (built and synced ones
  /// together); a finished sync prunes older ones.
  std::size_t retain_snapshots = 2;
  /// Adaptive chunk request timeouts and late-chunk re-requests.
  schedule_config schedule;
  /// Verified chunks waiting for their write, per job, at most (each session
  /// also has at most two).
  std::size_t max_pending_writes = 8;
  /// Breakers of the providers this node syncs from: a provider banned for a
  /// lie is left out of new jobs until its breaker's cool-down has passed
  /// (`POST /p2p/snapshots/breaker/reset` closes them all).
  breaker_config provider_breakers{1, std::chrono::minutes(10), std::chrono::minutes(10)};
};

} // namespace snapstream::actors
