#pragma once
/// The persistence writer: the one actor that writes consumer session
/// records, in the order it receives them, each as one synced WriteBatch.
/// It runs on its own thread (detached), so fsyncs never stall the actor
/// scheduler.
///
/// Messages (each replies `result<void>` once the write is durable):
///   (persist_atom, session_record)                               save the cursor
///   (persist_atom, session_record, shared_bytes plan)             cursor + verified plan
///   (persist_atom, session_record, u64 index, shared_bytes update) cursor + accepted update
///   (persist_atom, session_record, chunk_write)                   a verified chunk's records + cursor
///   (persist_atom, cancel_atom, u64 session_id)                   forget a session

#include "protocol/snapshot/chunk.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>

namespace snapstream::actors {

/// A verified chunk on its way to the state: the records are views into
/// `bytes`, which this keeps alive.
struct chunk_write {
  shared_bytes bytes;
  std::shared_ptr<const snapshot::verified_chunk> chunk;
};

[[nodiscard]] caf::actor spawn_persistence_writer(caf::actor_system& system, std::shared_ptr<storage::db> db);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::storage::session_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::chunk_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<void>)
