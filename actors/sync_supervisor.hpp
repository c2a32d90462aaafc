#pragma once
/// The sync supervisor: starts, lists, cancels and watches the node's sync
/// jobs (one per snapshot being fetched; `job_actor.hpp`).
///
/// It keeps every job's status (the job reports each step), publishes
/// `SessionProgress` at most once a second per job (and on every state
/// change), and handles a job's end: a job that exits normally verified its
/// snapshot; one that fails already spent its providers' retries, so its
/// failure is recorded (`error`, `error_code`) and published as
/// `SnapshotStreamFailed` with `retry_in_ms: null`. At start it reloads every
/// stored job: verified ones report `verified`; incomplete ones, and failed
/// ones whose failure class is retryable (`restart_policy::retryable`), are
/// resumed when `auto_resume` is on.
///
/// Messages:
///   (start_atom, start_command)  -> session_status, or a control_errc error
///   (status_atom, u64 session)   -> session_status | not_found
///   (list_atom)                  -> std::vector<session_status>
///   (cancel_atom, u64 session)   -> void | not_found
///   (fetch_atom, u64 session)    -> forwarded to the job (manual stepping)
///   (consumer_stats_atom)        -> consumer_stats

#include "actors/control.hpp"
#include "actors/job_actor.hpp"
#include "actors/session_actor.hpp"
#include "actors/session_config.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>
#include <vector>

namespace snapstream::actors {

/// The consumer side's counters, for `GET /metrics`.
struct consumer_stats {
  std::vector<std::pair<std::string, std::uint64_t>> sessions_by_state;
  std::uint64_t bytes_received = 0;
  std::uint64_t chunks_received = 0;
  std::uint64_t verification_failures = 0;
  std::uint64_t failures = 0;
  std::uint64_t restarts = 0;
  std::uint64_t peers_banned = 0;
  std::vector<double> latency_bounds;          ///< seconds
  std::vector<std::uint64_t> latency_buckets;  ///< cumulative counts per bound
  double latency_sum = 0;
  std::uint64_t latency_count = 0;
  /// Per provider, over every job of this node: bytes and chunks applied
  /// from it, failures, backpressure answers; `state` from its newest job.
  std::vector<peer_status> peers;
  /// Breakers of the providers this node syncs from (opened by a ban).
  std::vector<breaker_status> provider_breakers;
};

[[nodiscard]] caf::actor spawn_sync_supervisor(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                               consumer_config config);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::start_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::actors::session_status>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::consumer_stats)
