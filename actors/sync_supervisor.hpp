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
/// It never touches RocksDB itself: it reads stored jobs through the
/// persistence writer (`load_atom`), behind every write sent before, so a
/// resume sees the durable record.
///
/// Its messages: `sync_supervisor_actor` below.

#include "actors/control.hpp"
#include "actors/job_actor.hpp"
#include "actors/session_actor.hpp"
#include "actors/session_config.hpp"
#include "actors/snapshot_transport.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <vector>

namespace snapstream::actors {

/// The consumer side's counters, for `GET /metrics`.
struct consumer_stats {
  std::vector<std::pair<std::string, std::uint64_t>> sessions_by_state;
  std::uint64_t bytes_received = 0;
  std::uint64_t chunks_received = 0;
  std::uint64_t chunks_asked_ahead = 0;
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

/// The consumer commands an operator gives through the node actor, which
/// hands them to the sync supervisor. Command errors are `control_errc`
/// errors (`to_caf_error`).
using sync_commands = caf::typed_actor<
  /// Start a job, or resume a stored one: its status (a new job: once it is
  /// durable; rpp's resume: once the provider accepted it).
  caf::replies_to<start_atom, start_command>::with<session_status>,
  /// One job's status, or `not_found`.
  caf::replies_to<status_atom, std::uint64_t>::with<session_status>,
  /// Every job's status.
  caf::replies_to<list_atom>::with<std::vector<session_status>>,
  /// Cancel a job (its record is erased once its actor is gone), or `not_found`.
  caf::reacts_to<cancel_atom, std::uint64_t>,
  /// Manual stepping: forwarded to the running job (`not_found` when none runs).
  caf::reacts_to<fetch_atom, std::uint64_t>,
  /// The consumer side's counters.
  caf::replies_to<consumer_stats_atom>::with<consumer_stats>>;

/// The sync supervisor's typed interface: the operators' commands
/// (`sync_commands`), what its jobs report (`job_observer`), and its own
/// messages.
using sync_supervisor_actor = job_observer::extend_with<sync_commands>::extend<
  /// Close the breakers of the providers this node's jobs leave out.
  caf::reacts_to<breaker_reset_atom>,
  /// internal: resume a stored job (boot, `auto_resume`).
  caf::reacts_to<restart_atom, std::uint64_t>,
  /// internal: a provider's answer to the cancel of a job that had no actor (ignored).
  caf::reacts_to<net_reply_atom, result<exchange_result>>>;

/// Spawns the supervisor. It loads every stored job (through `env->writer`)
/// before it handles any command.
[[nodiscard]] sync_supervisor_actor spawn_sync_supervisor(caf::actor_system& system,
                                                          std::shared_ptr<const session_env> env,
                                                          consumer_config config);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::start_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::actors::session_status>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::consumer_stats)
