#pragma once
/// The persistence writer: the one actor that writes consumer job records and
/// applies verified chunks, in the order it receives them, each as one
/// synced WriteBatch. It runs on its own thread (detached), so fsyncs never
/// stall the actor scheduler; because it keeps order, a record written after
/// a chunk never describes less than that chunk.
///
/// Messages (each replies `result<void>` once the write is durable):
///   (persist_atom, session_record)                                   save the job cursor
///   (persist_atom, session_record, shared_bytes plan)                 cursor + verified plan
///   (persist_atom, session_record, u64 index, shared_bytes update)    cursor + accepted update
///   (persist_atom, session_record, provider_session_record, chunk_write)
///                     a verified chunk's records + applied bit + cursor + the provider's record
///   (persist_atom, provider_session_record)                           a provider's record
///   (persist_atom, cancel_atom, u64 session_id)                       forget a job (and the partial
///                                                                     snapshot it was serving on)
///   (register_atom, shared_bytes plan, std::vector<shared_bytes> updates)
///                     serve a snapshot being synced (its applied pages)
///   (finalize_atom, std::string plan_id, u64 retain)                  checkpoint a synced snapshot,
///                                                                     keep the newest `retain`

#include "protocol/snapshot/chunk.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>
#include <vector>

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
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::storage::provider_session_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::chunk_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<void>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::shared_bytes>)
