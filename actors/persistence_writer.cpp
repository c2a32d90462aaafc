#include "actors/persistence_writer.hpp"

#include "actors/provider_actor.hpp"
#include "actors/resilience.hpp"
#include "protocol/common/log.hpp"
#include "storage/snapshot_store.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>

namespace snapstream::actors {

namespace {

struct writer_state {
  std::shared_ptr<storage::db> db;
  /// Sessions with a failed write, and why. Every record a job sends
  /// carries its counters up to its newest chunk, and the job queues writes
  /// ahead of their answers: after one fails, the ones queued behind it
  /// count a chunk that is not stored. So they are refused, and the job's
  /// final `failed` record is laid onto the record that is durable. A new
  /// job of the session (it loads the session first) or its cancel clears
  /// the entry.
  std::map<std::uint64_t, error> broken;
  static inline const char* name = "snapstream.persistence_writer";
};

result<void> logged(result<void> r, std::uint64_t session, const char* what) {
  if (!r)
    log::error("persistence", "write_failed",
               {{"session", session}, {"what", what}, {"reason", to_string(r.error())}});
  return r;
}

using writer_pointer = persistence_writer_actor::stateful_pointer<writer_state>;

/// Runs `write` unless an earlier write of `session` failed; a failure
/// marks the session broken.
template <class Write>
result<void> progress(writer_pointer self, std::uint64_t session, const char* what, Write write) {
  auto& broken = self->state.broken;
  if (auto it = broken.find(session); it != broken.end()) {
    log::warn("persistence", "write_refused",
              {{"session", session}, {"what", what}, {"reason", "an earlier write of the session failed"}});
    return it->second;
  }
  auto r = logged(write(), session, what);
  if (!r) broken.emplace(session, r.error());
  return r;
}

/// The job's last word on a broken session: its state and error, on the
/// counters that are durable.
result<void> record_failure(writer_pointer self, const storage::session_record& rec) {
  storage::session_store sessions(*self->state.db);
  auto stored = sessions.load(rec.session_id);
  if (!stored) return logged(stored.error(), rec.session_id, "failure");
  if (!*stored) return {};
  auto durable = (*stored)->record;
  durable.state = rec.state;
  durable.error = rec.error;
  durable.error_code = rec.error_code;
  durable.updated_unix_ms = rec.updated_unix_ms;
  return logged(sessions.save(durable), rec.session_id, "failure");
}

persistence_writer_actor::behavior_type writer(persistence_writer_actor::stateful_pointer<writer_state> self,
                                               std::shared_ptr<storage::db> db) {
  self->state.db = std::move(db);
  tolerate_stray_messages(self, "persistence");
  return {
    [self](persist_atom, const storage::session_record& rec) -> result<void> {
      if (self->state.broken.count(rec.session_id) && rec.state == storage::session_state::failed)
        return record_failure(self, rec);
      return progress(self, rec.session_id, "cursor",
                      [&] { return storage::session_store(*self->state.db).save(rec); });
    },
    [self](persist_atom, const storage::session_record& rec, const shared_bytes& plan) -> result<void> {
      return progress(self, rec.session_id, "plan",
                      [&] { return storage::session_store(*self->state.db).save_plan(rec, *plan); });
    },
    [self](persist_atom, const storage::session_record& rec, std::uint64_t index,
           const shared_bytes& update) -> result<void> {
      return progress(self, rec.session_id, "update",
                      [&] { return storage::session_store(*self->state.db).save_update(rec, index, *update); });
    },
    [self](persist_atom, const storage::session_record& rec, const storage::provider_session_record& provider,
           const chunk_write& w) -> result<void> {
      return progress(self, rec.session_id, "chunk", [&] {
        return storage::session_store(*self->state.db).apply_chunk(rec, &provider, *w.chunk);
      });
    },
    [self](persist_atom, const storage::provider_session_record& provider) -> result<void> {
      // A provider's ack cursor may count a chunk that was not stored.
      return progress(self, provider.session_id, "provider",
                      [&] { return storage::session_store(*self->state.db).save_provider(provider); });
    },
    [self](persist_atom, cancel_atom, std::uint64_t session) -> result<void> {
      self->state.broken.erase(session);
      storage::session_store sessions(*self->state.db);
      // A snapshot the job was serving while it synced goes with it; one it
      // completed stays servable.
      if (auto stored = sessions.load(session); stored && *stored && !(*stored)->record.plan_id.empty()) {
        storage::snapshot_store snapshots(*self->state.db);
        if (auto info = snapshots.info((*stored)->record.plan_id); info && !info->complete)
          if (auto removed = snapshots.remove(info->plan_id); !removed)
            log::warn("persistence", "partial_snapshot_not_removed",
                      {{"session", session}, {"reason", to_string(removed.error())}});
      }
      auto r = sessions.erase(session);
      if (!r) log::error("persistence", "erase_failed", {{"session", session}, {"reason", to_string(r.error())}});
      return r;
    },
    [self](register_atom, const shared_bytes& plan, const std::vector<shared_bytes>& updates) -> result<void> {
      std::vector<byte_buffer> chain;
      chain.reserve(updates.size());
      for (const auto& u : updates) chain.push_back(*u);
      auto r = storage::snapshot_store(*self->state.db).register_synced(*plan, chain);
      if (!r) {
        log::error("persistence", "register_failed", {{"reason", to_string(r.error())}});
        return r.error();
      }
      log::info("persistence", "serving_synced_snapshot", {{"plan_id", r->plan_id}, {"complete", r->complete}});
      return {};
    },
    [self](finalize_atom, const std::string& plan_id, std::uint64_t retain) -> result<void> {
      storage::snapshot_store snapshots(*self->state.db);
      auto made = snapshots.finalize_synced(plan_id);
      if (!made) {
        // The node built this snapshot itself: it is servable already.
        if (auto info = snapshots.info(plan_id); info && info->origin == storage::snapshot_origin::built) return {};
        log::error("persistence", "finalize_failed", {{"plan_id", plan_id}, {"reason", to_string(made.error())}});
        return made.error();
      }
      auto pruned = snapshots.prune(std::max<std::uint64_t>(retain, 1));
      if (!pruned) return pruned.error();
      for (const auto& gone : *pruned) log::info("persistence", "snapshot_pruned", {{"plan_id", gone}});
      log::info("persistence", "snapshot_servable", {{"plan_id", plan_id}, {"height", made->height}});
      return {};
    },
    [self](load_atom, std::uint64_t session) -> result<std::optional<storage::stored_session>> {
      self->state.broken.erase(session); // a new job starts from what is stored
      auto r = storage::session_store(*self->state.db).load(session);
      if (!r) log::error("persistence", "load_failed", {{"session", session}, {"reason", to_string(r.error())}});
      return r;
    },
    [self](load_atom) -> result<std::vector<storage::stored_session>> {
      return storage::session_store(*self->state.db).load_all();
    },
  };
}

} // namespace

persistence_writer_actor spawn_persistence_writer(caf::actor_system& system, std::shared_ptr<storage::db> db) {
  return system.spawn<caf::detached>(writer, std::move(db));
}

} // namespace snapstream::actors
