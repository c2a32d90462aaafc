#include "actors/persistence_writer.hpp"

#include "actors/atoms.hpp"
#include "actors/resilience.hpp"
#include "actors/provider_actor.hpp"
#include "protocol/common/log.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace snapstream::actors {

namespace {

struct writer_state {
  std::shared_ptr<storage::db> db;
  static inline const char* name = "snapstream.persistence_writer";
};

result<void> logged(result<void> r, const storage::session_record& rec, const char* what) {
  if (!r)
    log::error("persistence", "write_failed",
               {{"session", rec.session_id}, {"what", what}, {"reason", to_string(r.error())}});
  return r;
}

caf::behavior writer(caf::stateful_actor<writer_state>* self, std::shared_ptr<storage::db> db) {
  self->state.db = std::move(db);
  tolerate_stray_messages(self, "persistence");
  return {
    [self](persist_atom, const storage::session_record& rec) -> result<void> {
      return logged(storage::session_store(*self->state.db).save(rec), rec, "cursor");
    },
    [self](persist_atom, const storage::session_record& rec, const shared_bytes& plan) -> result<void> {
      return logged(storage::session_store(*self->state.db).save_plan(rec, *plan), rec, "plan");
    },
    [self](persist_atom, const storage::session_record& rec, std::uint64_t index,
           const shared_bytes& update) -> result<void> {
      return logged(storage::session_store(*self->state.db).save_update(rec, index, *update), rec, "update");
    },
    [self](persist_atom, const storage::session_record& rec, const chunk_write& w) -> result<void> {
      return logged(storage::session_store(*self->state.db).apply_chunk(rec, *w.chunk), rec, "chunk");
    },
    [self](persist_atom, cancel_atom, std::uint64_t session) -> result<void> {
      auto r = storage::session_store(*self->state.db).erase(session);
      if (!r) log::error("persistence", "erase_failed", {{"session", session}, {"reason", to_string(r.error())}});
      return r;
    },
  };
}

} // namespace

caf::actor spawn_persistence_writer(caf::actor_system& system, std::shared_ptr<storage::db> db) {
  return system.spawn<caf::detached>(writer, std::move(db));
}

} // namespace snapstream::actors
