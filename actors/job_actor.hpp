#pragma once
/// A sync job: one snapshot, fetched from one or many providers.
///
/// The job owns one plan: it picks it from what the providers offer (or the
/// operator names it), verifies the plan and the light-client update chain
/// (`light_client_verifier`), keeps the durable set of applied chunks
/// (`chunk_ledger`, stored with every chunk), and schedules the chunks over
/// its providers (`sync_schedule`). Under it runs one session actor per
/// provider (`session_actor.hpp`), each with exactly one request in flight.
///
/// The job drives its sessions by asking them for work; a session that is
/// busy answers `backpressure`, and the job asks it again only when the
/// session says `ready`. Sessions hand the job verified chunks; the job
/// orders their writes through the persistence writer, at most two per
/// session and a few in all, and a chunk's records, its applied bit, the job
/// cursor and the provider's ack cursor become durable in one batch. Chunks
/// land in any order: each was verified against the plan's page hashes,
/// which the signed chain authenticated; after the last one the job checks
/// the plan's totals.
///
/// The job supervises its sessions (it monitors them): a provider whose
/// answer fails verification is banned from the job and only its unapplied
/// chunks go to the others (`PeerBanned`); a provider that times out is
/// demoted (its measurements start over) and retried after a backoff, like
/// one that failed on the network or was saturated (`SnapshotStreamFailed`
/// with its `retry_in_ms`); the retry budget of a provider starts over each
/// time it delivers something. The job fails only when no provider is left
/// (or its own storage fails), with the last provider's error.
///
/// When every chunk is applied the job makes the snapshot servable (a
/// checkpoint of the state, `snapshot_store::finalize_synced`; older
/// snapshots beyond the node's retention are pruned), records the job as
/// verified, publishes `HeadVerified`, lets its sessions send their last acks
/// (or release the provider's session) and exits normally.

#include "actors/control.hpp"
#include "actors/session_actor.hpp"
#include "actors/session_config.hpp"
#include "actors/sync_schedule.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::actors {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using known_peers_atom = caf::atom_constant<caf::atom("knownpeers")>;
/// job -> supervisor: a provider lied (`job_observer`).
using banned_atom = caf::atom_constant<caf::atom("banned")>;

/// How a job starts.
struct job_start {
  std::uint64_t id = 0;                              ///< the job id (the session id of the API and the wire)
  std::vector<std::string> peers;                    ///< providers as given (validated); empty: discover
  std::optional<std::string> plan_id;                ///< the operator's choice of snapshot
  std::optional<std::uint64_t> chunk_size;           ///< preference (new jobs)
  std::optional<storage::stored_session> stored;     ///< resume from this durable state
  /// rpp's resume: the provider whose session resumes at the operator's offsets.
  std::optional<std::string> resume_peer;
  std::optional<std::uint64_t> resume_chunk_index;
  std::optional<std::uint64_t> resume_update_index;
  bool operator_resume = false;                      ///< `start` answers once `resume_peer` resumed
  /// Providers whose breaker is open on this node (they lied to an earlier
  /// job): left out, with the time until they may be asked again.
  std::vector<std::pair<std::string, std::chrono::milliseconds>> excluded;
  std::uint32_t retries = 0;                         ///< restarts of the job before this one
};

/// The job's typed interface (its supervisor and the job's own timers and
/// sessions use it).
using job_actor = caf::typed_actor<
  caf::replies_to<start_atom>::with<session_status>,
  caf::replies_to<status_atom>::with<session_status>,
  caf::reacts_to<fetch_atom>,
  caf::reacts_to<cancel_atom>,
  caf::reacts_to<ready_atom, std::string>,
  caf::reacts_to<restart_atom, std::string>,
  caf::reacts_to<tick_atom>,
  caf::reacts_to<known_peers_atom, result<std::vector<std::string>>>>;

/// What a job tells its supervisor (the sync supervisor's interface includes it).
using job_observer = caf::typed_actor<
  /// After each step: the job's status and the latency of the request behind it (µs; 0: none).
  caf::reacts_to<progress_atom, session_status, std::uint64_t>,
  /// A provider lied to the job: its node-level breaker opens.
  caf::reacts_to<banned_atom, std::string>>;

/// Spawns a job that reports to `supervisor` and exits with a `session_errc`
/// reason when it fails.
[[nodiscard]] job_actor spawn_job(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                  consumer_config config, job_start start, job_observer supervisor);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::job_start)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<std::vector<std::string>>)
