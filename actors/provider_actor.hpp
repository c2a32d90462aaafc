#pragma once
/// The snapshot provider: serves `/rpp/snapshots/1.x` requests for many
/// sessions at once.
///
/// The provider actor keeps the book (sessions, backpressure, the cap, per-peer
/// breakers, statistics) and never blocks; everything that touches RocksDB —
/// reading a plan, an update or a chunk, encoding the response, making an ack
/// durable — runs as a task on a pool of detached storage workers, and the
/// actor answers when the task is done. Every request gets one encoded
/// response: the artefact, or an `error` response whose message says why.
///
/// Messages (all replies are values, never CAF errors):
///   (serve_atom, peer, byte_encoding, snapshots_request) -> shared_bytes
///   (bad_request_atom, peer, byte_encoding, message)     -> shared_bytes
///   (provider_stats_atom)                                -> provider_stats
///   (breaker_reset_atom)                                 -> void
///   (build_snapshot_atom)                                -> result<storage::snapshot_info>
///   (list_snapshots_atom)                                -> result<std::vector<storage::snapshot_info>>

#include "actors/circuit_breaker.hpp"
#include "actors/served_sessions.hpp"
#include "protocol/messages/messages.hpp"
#include "protocol/messages/wire.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "storage/db.hpp"
#include "storage/snapshot_store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  /// Runs storage tasks instead of a pool of `storage_workers` (an actor that
  /// answers `storage_task` with `result<storage_task_output>`); null = own pool.
  caf::actor workers;
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
  std::vector<breaker_status> breakers;
};

/// Spawns the provider and its storage workers. It reloads the served records
/// of `db`, so resumes keep working across a restart. `key` signs the
/// snapshots it builds. Exiting the provider stops its workers.
[[nodiscard]] caf::actor spawn_provider(caf::actor_system& system, std::shared_ptr<storage::db> db,
                                        snapshot::authority_key key, provider_config config);

/// Encodes a response into a fresh shared buffer sized exactly.
[[nodiscard]] shared_bytes encode_shared(const messages::snapshots_response& response,
                                         messages::byte_encoding encoding);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::shared_bytes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::messages::snapshots_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::messages::byte_encoding)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::provider_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::storage_task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<snapstream::actors::storage_task_output>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<snapstream::storage::snapshot_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<std::vector<snapstream::storage::snapshot_info>>)
