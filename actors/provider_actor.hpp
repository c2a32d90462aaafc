#pragma once
/// The snapshot provider: serves `/rpp/snapshots/1.x` requests for many
/// sessions at once.
///
/// The provider actor keeps the book (sessions, backpressure, the cap, per-peer
/// breakers, upload limits, statistics) and never blocks; everything that
/// touches RocksDB — listing offers, reading a plan, an update or a chunk,
/// encoding the response, making an ack durable, building and pruning
/// snapshots — runs as a task on a pool of detached storage workers, and the
/// actor answers when the task is done. Every request gets one encoded
/// response, written for the negotiated protocol version: the artefact, or an
/// `error` response whose message says why (and, under 1.2.0, whose `code`
/// says which kind of refusal, `refusal_code_of`).
///
/// It serves every snapshot of its store: the complete ones (built here, or
/// synced and finalized) and, from 1.2.0 on, the partial ones this node is
/// still syncing, of which only the chunks whose pages are applied.
///
/// Its messages: `provider_actor` below; all replies are values, never CAF
/// errors.

#include "actors/atoms.hpp"
#include "actors/circuit_breaker.hpp"
#include "actors/served_sessions.hpp"
#include "actors/upload_limiter.hpp"
#include "protocol/messages/messages.hpp"
#include "protocol/messages/wire.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/offer.hpp"
#include "storage/db.hpp"
#include "storage/snapshot_store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::actors {

/// What a storage task produces: the encoded response, and the served record
/// the task made durable (when it changed one).
struct storage_task_output {
  shared_bytes response;
  std::optional<storage::served_record> record;
  std::uint64_t payload_bytes = 0; ///< chunk payload bytes, for statistics
};

/// Work the provider hands to its storage workers (reads, encodes, synced writes).
using storage_task = std::function<result<storage_task_output>()>;

/// A storage worker: runs each task on a thread of its own (detached) and
/// answers with its output.
using storage_worker_actor = caf::typed_actor<caf::replies_to<storage_task>::with<result<storage_task_output>>>;

struct provider_config {
  chunk_size_limits chunk_sizes;
  served_sessions_config sessions;
  breaker_config breakers;
  /// Detached threads that read and write storage for the provider.
  std::size_t storage_workers = 2;
  /// Longest a storage task may take before the request is answered with an error.
  std::chrono::milliseconds storage_timeout{60'000};
  /// Page size of snapshots this node builds.
  std::uint32_t page_size = 65536;
  /// Complete snapshots kept after each build: the older ones are pruned
  /// (`snapshot_store::prune`), sessions still serving them included (their
  /// next request is refused with `not_found`). 0 keeps every snapshot.
  std::size_t retain_snapshots = 2;
  /// Upload rate limits of chunk responses (0 = unlimited).
  upload_limits upload_limit;
  /// Consumer peers whose uploads are counted one by one (status, per-peer
  /// metrics). Beyond it, the peer served least recently is forgotten, so a
  /// node serving an ever-changing crowd keeps bounded memory and bounded
  /// metric series; the node-wide totals keep counting everything.
  std::size_t max_tracked_peers = 1024;
  /// Runs storage tasks instead of a pool of `storage_workers` (tests hold
  /// tasks back with it); null = own pool.
  storage_worker_actor workers;
};

/// What one consumer peer was served since the provider started.
struct peer_upload_stats {
  std::string peer;
  std::uint64_t bytes_served = 0;  ///< chunk payload bytes
  std::uint64_t chunks_served = 0;
  friend bool operator==(const peer_upload_stats&, const peer_upload_stats&) = default;
};

/// The provider's counters, for metrics and `GET /p2p/snapshots/breaker`.
struct provider_stats {
  std::uint64_t bytes_served = 0;     ///< chunk payload bytes
  std::uint64_t chunks_served = 0;
  std::uint64_t requests_served = 0;
  std::uint64_t requests_refused = 0; ///< answered with an error response
  /// Requests that arrived while their session already had one in flight:
  /// a consumer that keeps to one request at a time never causes one.
  std::uint64_t backpressure_refusals = 0;
  std::uint64_t active_sessions = 0;
  std::uint64_t known_sessions = 0;   ///< with a served record
  /// Chunk requests refused as `not_available` (a page of a snapshot this
  /// node is still syncing is not applied yet); included in requests_refused.
  std::uint64_t not_available_refusals = 0;
  std::uint64_t offers_served = 0;    ///< `offers` requests answered
  /// Acks carried by 1.3.0 chunk and update requests (each would have been
  /// a request of its own, and a round trip, under the older versions).
  std::uint64_t carried_acks = 0;
  /// Chunk requests answered from a chunk read ahead while the one before
  /// it was on the wire (the session asks its chunks in order).
  std::uint64_t prepared_hits = 0;
  /// Chunks read ahead and waiting for their request now (a gauge).
  std::uint64_t prepared_chunks = 0;
  /// Session records erased after `record_expiry` without a request.
  std::uint64_t sessions_expired = 0;
  std::vector<breaker_status> breakers;
  upload_limits upload_limit;         ///< the configured limits
  std::uint64_t throttled_responses = 0; ///< chunk responses held back by the upload limits
  std::uint64_t throttle_wait_ms = 0;    ///< total time they were held, milliseconds
  std::vector<peer_upload_stats> peers;  ///< by peer id
};

/// The provider commands an operator gives through the node actor, which
/// hands them to the provider.
using provider_commands = caf::typed_actor<
  /// Counters, active sessions, breakers, upload limits, per-peer uploads.
  caf::replies_to<provider_stats_atom>::with<provider_stats>,
  /// Close every breaker (through the node actor: both sides').
  caf::reacts_to<breaker_reset_atom>,
  /// Build a snapshot of the live state, then prune to the retention.
  caf::replies_to<build_snapshot_atom>::with<result<storage::snapshot_info>>,
  /// The complete snapshots, by increasing height (read by a storage worker).
  caf::replies_to<list_snapshots_atom>::with<result<std::vector<storage::snapshot_info>>>>;

/// The provider's typed interface: the operators' commands
/// (`provider_commands`), the requests of the network, and its own timer.
using provider_actor = provider_commands::extend<
  /// Serve one request of `peer` (decoded as the negotiated version): the encoded response.
  caf::replies_to<serve_atom, std::string, messages::protocol_version, messages::snapshots_request>::with<
    shared_bytes>,
  /// Refuse a request of `peer` that did not decode (the message says why): an `error` response.
  caf::replies_to<bad_request_atom, std::string, messages::protocol_version, std::string>::with<shared_bytes>,
  /// internal: a chunk response held back by the upload limits goes out.
  caf::reacts_to<upload_due_atom, std::uint64_t>,
  /// internal, periodic: erase the records of expired sessions, forget idle breakers.
  caf::reacts_to<served_sweep_atom>>;

/// Spawns the provider and its storage workers. It reloads the served records
/// of `db`, so resumes keep working across a restart. `key` signs the
/// snapshots it builds. Exiting the provider stops its workers.
[[nodiscard]] provider_actor spawn_provider(caf::actor_system& system, std::shared_ptr<storage::db> db,
                                        snapshot::authority_key key, provider_config config);

/// Encodes a response into a fresh shared buffer sized exactly.
[[nodiscard]] shared_bytes encode_shared(const messages::snapshots_response& response,
                                         messages::byte_encoding encoding);

/// The `error` response refusing a request of `session` because of `e`: its
/// message and, under 1.2.0 only, its code (`refusal_code_of(e)`; an error
/// that is not a `provider_errc` counts as `unavailable`).
[[nodiscard]] shared_bytes encode_refusal(std::uint64_t session, messages::protocol_version version,
                                          const error& e);

/// The offers an `offers` response of `session` under `version` can carry
/// within that version's response cap (docs/protocol.md 2.5). `offers` is in
/// `snapshot_store::offers` order (complete snapshots, then partial ones,
/// newest first); the result keeps that order and leaves out the offers that
/// do not fit, partial ones first: complete offers are taken first, then
/// each partial offer that still fits. Precondition: `version` is 1.2.0 or
/// later (offers exist only there); at most `snapshot::max_offers` offers.
[[nodiscard]] std::vector<snapshot::offer> offers_within_cap(std::vector<snapshot::offer> offers,
                                                             std::uint64_t session,
                                                             messages::protocol_version version);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::shared_bytes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::messages::snapshots_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::messages::byte_encoding)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::messages::protocol_version)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::provider_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::storage_task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<snapstream::actors::storage_task_output>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<snapstream::storage::snapshot_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<std::vector<snapstream::storage::snapshot_info>>)
