#pragma once
/// The session supervisor: spawns and monitors the consumer sessions of a
/// node, keeps their status, and handles their failures.
///
/// On a session's failure it records `error` and `error_code` in the status,
/// publishes `SnapshotStreamFailed` on the event bus, and applies the restart
/// policy: transient failures are retried with exponential backoff and
/// jitter, resuming from the durable cursor; a verification or authentication
/// failure is never retried. At start it reloads every persisted session:
/// completed ones report `verified`, incomplete ones are resumed when
/// `auto_resume` is on.
///
/// Messages:
///   (start_atom, start_command)  -> session_status, or a control_errc error
///   (status_atom, u64 session)   -> session_status | not_found
///   (list_atom)                  -> std::vector<session_status>
///   (cancel_atom, u64 session)   -> void | not_found
///   (fetch_atom, u64 session)    -> forwarded to the session (manual stepping)
///   (consumer_stats_atom)        -> consumer_stats

#include "actors/control.hpp"
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
  std::vector<double> latency_bounds;          ///< seconds
  std::vector<std::uint64_t> latency_buckets;  ///< cumulative counts per bound
  double latency_sum = 0;
  std::uint64_t latency_count = 0;
};

[[nodiscard]] caf::actor spawn_session_supervisor(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                                  consumer_config config);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::start_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::actors::session_status>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::consumer_stats)
