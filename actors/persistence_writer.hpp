#pragma once
/// The persistence writer: the one actor that writes consumer job records and
/// applies verified chunks, in the order it receives them, each as one
/// synced WriteBatch. It runs on its own thread (detached), so fsyncs never
/// stall the actor scheduler; because it keeps order, a record written after
/// a chunk never describes less than that chunk.
///
/// It also answers reads of the stored jobs (`load_atom`) for the sync
/// supervisor: a read is queued behind every write sent before it, so it
/// sees the durable record, and it keeps RocksDB off the scheduler threads.
/// Its messages: `persistence_writer_actor` below.

#include "actors/atoms.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::actors {

/// A verified chunk on its way to the state: the records are views into
/// `bytes`, which this keeps alive.
struct chunk_write {
  shared_bytes bytes;
  std::shared_ptr<const snapshot::verified_chunk> chunk;
};

/// The writer's typed interface. Every write replies `result<void>` once it
/// is durable (one synced batch); a write sent with `anon_send` is kept in
/// order all the same.
using persistence_writer_actor = caf::typed_actor<
  /// The job cursor.
  caf::replies_to<persist_atom, storage::session_record>::with<result<void>>,
  /// Cursor + the verified plan.
  caf::replies_to<persist_atom, storage::session_record, shared_bytes>::with<result<void>>,
  /// Cursor + accepted update `index`.
  caf::replies_to<persist_atom, storage::session_record, std::uint64_t, shared_bytes>::with<result<void>>,
  /// A verified chunk's records + its applied bit + cursor + its provider's record.
  caf::replies_to<persist_atom, storage::session_record, storage::provider_session_record,
                  chunk_write>::with<result<void>>,
  /// A provider's record.
  caf::replies_to<persist_atom, storage::provider_session_record>::with<result<void>>,
  /// Forget a job (and the partial snapshot it was serving while it synced).
  caf::replies_to<persist_atom, cancel_atom, std::uint64_t>::with<result<void>>,
  /// Serve a snapshot being synced (its applied pages): plan and update chain.
  caf::replies_to<register_atom, shared_bytes, std::vector<shared_bytes>>::with<result<void>>,
  /// Checkpoint a synced snapshot (plan id), then keep the newest `retain` complete ones.
  caf::replies_to<finalize_atom, std::string, std::uint64_t>::with<result<void>>,
  /// One stored job (none: never stored, or erased), as durable after every write sent before.
  caf::replies_to<load_atom, std::uint64_t>::with<result<std::optional<storage::stored_session>>>,
  /// Every stored job (the sync supervisor's bootstrap).
  caf::replies_to<load_atom>::with<result<std::vector<storage::stored_session>>>>;

/// Spawns the writer on a thread of its own.
[[nodiscard]] persistence_writer_actor spawn_persistence_writer(caf::actor_system& system,
                                                                std::shared_ptr<storage::db> db);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::storage::session_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::storage::provider_session_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::chunk_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<void>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::shared_bytes>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<std::optional<snapstream::storage::stored_session>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<std::vector<snapstream::storage::stored_session>>)
