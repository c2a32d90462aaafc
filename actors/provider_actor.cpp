#include "actors/provider_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/atoms.hpp"
#include "actors/resilience.hpp"
#include "protocol/common/log.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "storage/served_store.hpp"

#include <caf/actor_pool.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <functional>

namespace snapstream::actors {

namespace {
using clock_type = std::chrono::steady_clock;
using messages::byte_encoding;
using task_output = storage_task_output;
} // namespace

shared_bytes encode_shared(const messages::snapshots_response& response, byte_encoding encoding) {
  auto buffer = std::make_shared<byte_buffer>();
  buffer->reserve(messages::encoded_size(response, encoding));
  messages::encode(response, encoding, *buffer);
  return buffer;
}

namespace {

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

shared_bytes error_response(std::uint64_t session, byte_encoding encoding, const std::string& message) {
  messages::snapshots_response r;
  r.session_id = session;
  r.body = messages::error_message{message};
  return encode_shared(r, encoding);
}

/// Refusals that are the requesting peer's fault count against its breaker.
bool blames_peer(const error& e) {
  return e.is(provider_errc::invalid_request) || e.is(provider_errc::not_found) ||
         e.is(provider_errc::resume_rejected) || e.is(provider_errc::backpressure);
}

caf::behavior storage_worker(caf::event_based_actor*) {
  return {
    [](storage_task& task) -> result<task_output> {
      try {
        return task();
      } catch (const std::exception& e) {
        return error{provider_errc::unavailable, std::string("storage task failed: ") + e.what()};
      }
    },
  };
}

struct provider_state {
  std::shared_ptr<storage::db> db;
  std::shared_ptr<const snapshot::authority_key> key;
  provider_config config;
  served_sessions book;
  circuit_breakers breakers;
  caf::actor workers;
  provider_stats stats;
  static inline const char* name = "snapstream.provider";
};

using provider_actor = caf::stateful_actor<provider_state>;

/// Answers a refused request and does the bookkeeping of a refusal.
shared_bytes refuse(provider_actor* self, const std::string& peer, std::uint64_t session,
                    byte_encoding encoding, const error& e) {
  auto& st = self->state;
  ++st.stats.requests_refused;
  if (e.is(provider_errc::backpressure)) ++st.stats.backpressure_refusals;
  if (blames_peer(e)) st.breakers.record_failure(peer, clock_type::now());
  log::warn("provider", "request_refused",
            {{"peer", peer}, {"session", session}, {"code", e.code().message()}, {"reason", e.message()}});
  return error_response(session, encoding, e.message());
}

/// Runs `task` on a storage worker; `done` receives its output on the
/// provider's thread. The session leaves the in-flight state either way.
caf::response_promise run_task(provider_actor* self, std::string peer, std::uint64_t session,
                               byte_encoding encoding, storage_task task,
                               std::function<void(task_output&)> done) {
  auto rp = self->make_response_promise();
  self->request(self->state.workers, self->state.config.storage_timeout, std::move(task))
    .then(
      [self, rp, peer, session, encoding, done](result<task_output>& out) mutable {
        auto& st = self->state;
        // The record first: finishing a session that still lacks its plan forgets it.
        if (out && out->record) st.book.put(*out->record);
        st.book.finish(peer, session);
        if (!out) {
          rp.deliver(refuse(self, peer, session, encoding, out.error()));
          return;
        }
        if (done) done(*out);
        ++st.stats.requests_served;
        st.breakers.record_success(peer);
        rp.deliver(std::move(out->response));
      },
      [self, rp, peer, session, encoding](caf::error& e) mutable {
        self->state.book.finish(peer, session);
        const error failure{provider_errc::unavailable,
                            "snapshot provider storage unavailable: " + from_caf_error(e).message()};
        rp.deliver(refuse(self, peer, session, encoding, failure));
      });
  return rp;
}

/// The served sessions' records and the snapshot store all go through `db`.
struct stores {
  std::shared_ptr<storage::db> db;
  storage::snapshot_store snapshots() const { return storage::snapshot_store(*db); }
  storage::served_store served() const { return storage::served_store(*db); }
};

caf::result<shared_bytes> serve_plan(provider_actor* self, const std::string& peer, std::uint64_t session,
                                     byte_encoding encoding, const messages::plan_request& p) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(peer, session, false, clock_type::now()); !admitted)
    return refuse(self, peer, session, encoding, admitted.error());
  stores s{st.db};
  const chunk_size_limits limits = st.config.chunk_sizes;
  storage_task task = [s, peer, session, encoding, p, limits]() -> result<task_output> {
    auto latest = s.snapshots().latest();
    if (!latest) return latest.error();
    if (!*latest) return error{provider_errc::not_found, "no snapshot available to serve"};
    const auto& info = **latest;
    auto sizes = negotiate_chunk_size(p.chunk_size, p.min_chunk_size, p.max_chunk_size, limits, info.page_size,
                                      encoding);
    if (!sizes) return sizes.error();
    auto plan_bytes = s.snapshots().read_plan(info.plan_id);
    if (!plan_bytes) return plan_bytes.error();
    const std::uint64_t pages_per_chunk = sizes->chunk_size / info.page_size;
    storage::served_record rec;
    rec.peer = peer;
    rec.session_id = session;
    rec.plan_id = info.plan_id;
    rec.chunk_size = sizes->chunk_size;
    rec.total_chunks = snapshot::chunk_count(info.page_count, pages_per_chunk);
    rec.total_updates = info.update_count;
    rec.created_unix_ms = rec.updated_unix_ms = unix_ms();
    if (auto saved = s.served().save(rec); !saved) return saved.error();
    messages::snapshots_response r;
    r.session_id = session;
    r.body = messages::plan_response{std::make_shared<const byte_buffer>(std::move(*plan_bytes)),
                                     sizes->chunk_size, sizes->min_chunk_size, sizes->max_chunk_size, 1};
    return task_output{encode_shared(r, encoding), std::move(rec), 0};
  };
  return run_task(self, peer, session, encoding, std::move(task), [peer, session](task_output& out) {
    log::info("provider", "session_planned",
              {{"peer", peer}, {"session", session}, {"plan_id", out.record->plan_id},
               {"chunk_size", out.record->chunk_size}, {"chunks", out.record->total_chunks},
               {"updates", out.record->total_updates}});
  });
}

caf::result<shared_bytes> serve_update(provider_actor* self, const std::string& peer, std::uint64_t session,
                                       byte_encoding encoding, std::uint64_t index) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(peer, session, true, clock_type::now()); !admitted)
    return refuse(self, peer, session, encoding, admitted.error());
  const auto rec = *st.book.find(peer, session);
  if (index >= rec.total_updates) {
    st.book.finish(peer, session);
    return refuse(self, peer, session, encoding,
                  error{provider_errc::invalid_request, "update index " + std::to_string(index) +
                                                          " is out of range: the session has " +
                                                          std::to_string(rec.total_updates) + " updates"});
  }
  stores s{st.db};
  storage_task task = [s, rec, index, encoding]() -> result<task_output> {
    auto bytes = s.snapshots().read_update(rec.plan_id, index);
    if (!bytes) return bytes.error();
    messages::snapshots_response r;
    r.session_id = rec.session_id;
    r.body = messages::update_response{index, std::make_shared<const byte_buffer>(std::move(*bytes))};
    return task_output{encode_shared(r, encoding), std::nullopt, 0};
  };
  return run_task(self, peer, session, encoding, std::move(task), [self, peer, session, index](task_output&) {
    if (auto* r = self->state.book.find(peer, session)) {
      auto updated = *r;
      updated.last_served_update = index;
      self->state.book.put(std::move(updated));
    }
  });
}

caf::result<shared_bytes> serve_chunk(provider_actor* self, const std::string& peer, std::uint64_t session,
                                      byte_encoding encoding, std::uint64_t index) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(peer, session, true, clock_type::now()); !admitted)
    return refuse(self, peer, session, encoding, admitted.error());
  const auto rec = *st.book.find(peer, session);
  if (index >= rec.total_chunks) {
    st.book.finish(peer, session);
    return refuse(self, peer, session, encoding,
                  error{provider_errc::invalid_request, "chunk index " + std::to_string(index) +
                                                          " is out of range: the session has " +
                                                          std::to_string(rec.total_chunks) + " chunks"});
  }
  stores s{st.db};
  storage_task task = [s, rec, index, encoding]() -> result<task_output> {
    auto info = s.snapshots().info(rec.plan_id);
    if (!info) return info.error();
    const std::uint64_t pages_per_chunk = rec.chunk_size / info->page_size;
    auto bytes = s.snapshots().read_chunk(rec.plan_id, index, pages_per_chunk);
    if (!bytes) return bytes.error();
    const std::uint64_t payload = bytes->size();
    messages::snapshots_response r;
    r.session_id = rec.session_id;
    r.body = messages::chunk_response{index, std::make_shared<const byte_buffer>(std::move(*bytes))};
    auto encoded = encode_shared(r, encoding);
    if (encoded->size() > messages::max_response_size(encoding))
      return error{provider_errc::unavailable,
                   "chunk " + std::to_string(index) + " encodes to " + std::to_string(encoded->size()) +
                     " bytes, over the response cap of " + std::string(messages::protocol_id(encoding)) +
                     "; use a smaller chunk size"};
    return task_output{std::move(encoded), std::nullopt, payload};
  };
  return run_task(self, peer, session, encoding, std::move(task),
                  [self, peer, session, index](task_output& out) {
                    auto& st = self->state;
                    st.stats.bytes_served += out.payload_bytes;
                    ++st.stats.chunks_served;
                    if (auto* r = st.book.find(peer, session)) {
                      auto updated = *r;
                      updated.last_served_chunk = index;
                      st.book.put(std::move(updated));
                    }
                  });
}

caf::result<shared_bytes> serve_resume(provider_actor* self, const std::string& peer, std::uint64_t session,
                                       byte_encoding encoding, const messages::resume_request& q) {
  auto& st = self->state;
  const auto* rec = st.book.find(peer, session);
  if (auto valid = served_sessions::validate_resume(rec, q); !valid)
    return refuse(self, peer, session, encoding, valid.error());
  if (auto admitted = st.book.begin(peer, session, true, clock_type::now()); !admitted)
    return refuse(self, peer, session, encoding, admitted.error());
  rec = st.book.find(peer, session);
  auto sizes = negotiate_chunk_size(rec->chunk_size, std::nullopt, std::nullopt, st.config.chunk_sizes,
                                    static_cast<std::uint32_t>(st.config.page_size), encoding);
  messages::snapshots_response r;
  r.session_id = session;
  messages::resume_response body;
  body.chunk_index = served_sessions::next_expected_chunk(*rec);
  body.update_index = served_sessions::next_expected_update(*rec);
  body.chunk_size = rec->chunk_size;
  if (sizes) {
    body.min_chunk_size = sizes->min_chunk_size;
    body.max_chunk_size = sizes->max_chunk_size;
  }
  body.max_concurrent_requests = 1;
  r.body = body;
  st.book.finish(peer, session);
  ++st.stats.requests_served;
  st.breakers.record_success(peer);
  log::info("provider", "session_resumed",
            {{"peer", peer}, {"session", session}, {"chunk", body.chunk_index}, {"update", body.update_index}});
  return encode_shared(r, encoding);
}

caf::result<shared_bytes> serve_ack(provider_actor* self, const std::string& peer, std::uint64_t session,
                                    byte_encoding encoding, const messages::ack_message& ack) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(peer, session, true, clock_type::now()); !admitted)
    return refuse(self, peer, session, encoding, admitted.error());
  const auto current = *st.book.find(peer, session);
  auto next = served_sessions::acknowledge(current, ack);
  if (!next) {
    st.book.finish(peer, session);
    return refuse(self, peer, session, encoding, next.error());
  }
  messages::snapshots_response echo;
  echo.session_id = session;
  echo.body = ack;
  if (*next == current) { // a repeated ack, or the plan's: nothing to make durable
    st.book.finish(peer, session);
    ++st.stats.requests_served;
    st.breakers.record_success(peer);
    return encode_shared(echo, encoding);
  }
  next->updated_unix_ms = unix_ms();
  stores s{st.db};
  storage_task task = [s, rec = *next, echo, encoding]() -> result<task_output> {
    // Durable before the echo: the consumer may rely on it at once.
    if (auto saved = s.served().save(rec); !saved) return saved.error();
    return task_output{encode_shared(echo, encoding), rec, 0};
  };
  return run_task(self, peer, session, encoding, std::move(task), [peer, session](task_output& out) {
    if (served_sessions::complete(*out.record))
      log::info("provider", "session_completed", {{"peer", peer}, {"session", session}});
  });
}

caf::result<shared_bytes> serve_cancel(provider_actor* self, const std::string& peer, std::uint64_t session,
                                       byte_encoding encoding, const messages::error_message& why) {
  auto& st = self->state;
  messages::snapshots_response echo;
  echo.session_id = session;
  echo.body = messages::ack_message{messages::ack_kind::error, 0};
  if (st.book.find(peer, session) == nullptr) // cancelling twice is harmless
    return encode_shared(echo, encoding);
  if (auto admitted = st.book.begin(peer, session, true, clock_type::now()); !admitted)
    return refuse(self, peer, session, encoding, admitted.error());
  stores s{st.db};
  storage_task task = [s, peer, session, echo, encoding]() -> result<task_output> {
    if (auto erased = s.served().erase(session, peer); !erased) return erased.error();
    return task_output{encode_shared(echo, encoding), std::nullopt, 0};
  };
  return run_task(self, peer, session, encoding, std::move(task),
                  [self, peer, session, reason = why.message](task_output&) {
                    self->state.book.erase(peer, session);
                    log::info("provider", "session_cancelled",
                              {{"peer", peer}, {"session", session}, {"reason", reason}});
                  });
}

caf::behavior provider(provider_actor* self, std::shared_ptr<storage::db> db, snapshot::authority_key key,
                       provider_config config) {
  auto& st = self->state;
  tolerate_stray_messages(self, "provider");
  st.db = std::move(db);
  st.key = std::make_shared<const snapshot::authority_key>(std::move(key));
  st.config = config;
  st.book = served_sessions(config.sessions);
  st.breakers = circuit_breakers(config.breakers);
  if (auto records = storage::served_store(*st.db).load_all()) {
    log::info("provider", "served_records_loaded", {{"count", records->size()}});
    st.book.load(std::move(*records));
  } else {
    log::error("provider", "served_records_unreadable", {{"reason", to_string(records.error())}});
  }
  if (config.workers) {
    st.workers = config.workers;
  } else {
    auto& sys = self->system();
    auto factory = [&sys] { return sys.spawn<caf::detached>(storage_worker); };
    st.workers = caf::actor_pool::make(sys.dummy_execution_unit(),
                                       std::max<std::size_t>(1, config.storage_workers), factory,
                                       caf::actor_pool::round_robin());
    self->link_to(st.workers);
  }

  return {
    [self](serve_atom, const std::string& peer, byte_encoding encoding,
           const messages::snapshots_request& request) -> caf::result<shared_bytes> {
      auto& st = self->state;
      const auto session = request.session_id;
      const auto now = clock_type::now();
      if (!st.breakers.allow(peer, now)) {
        const auto wait = st.breakers.retry_after(peer, now);
        ++st.stats.requests_refused;
        return error_response(session, encoding,
                              "snapshot provider refuses peer " + peer +
                                " after repeated failed requests; retry after " +
                                std::to_string((wait.count() + 999) / 1000) + " s");
      }
      return std::visit(
        [&](const auto& body) -> caf::result<shared_bytes> {
          using body_type = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<body_type, messages::plan_request>)
            return serve_plan(self, peer, session, encoding, body);
          else if constexpr (std::is_same_v<body_type, messages::update_request>)
            return serve_update(self, peer, session, encoding, body.update_index);
          else if constexpr (std::is_same_v<body_type, messages::chunk_request>)
            return serve_chunk(self, peer, session, encoding, body.chunk_index);
          else if constexpr (std::is_same_v<body_type, messages::resume_request>)
            return serve_resume(self, peer, session, encoding, body);
          else if constexpr (std::is_same_v<body_type, messages::ack_message>)
            return serve_ack(self, peer, session, encoding, body);
          else
            return serve_cancel(self, peer, session, encoding, body);
        },
        request.body);
    },
    [self](bad_request_atom, const std::string& peer, byte_encoding encoding,
           const std::string& message) -> shared_bytes {
      return refuse(self, peer, 0, encoding, error{provider_errc::invalid_request, message});
    },
    [self](provider_stats_atom) -> provider_stats {
      auto& st = self->state;
      auto stats = st.stats;
      stats.active_sessions = st.book.active_count(clock_type::now());
      stats.known_sessions = st.book.size();
      stats.breakers = st.breakers.status(clock_type::now());
      return stats;
    },
    [self](breaker_reset_atom) {
      self->state.breakers.reset_all();
      log::info("provider", "breakers_reset");
    },
    [self](build_snapshot_atom) -> caf::result<result<storage::snapshot_info>> {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      stores s{st.db};
      auto key = st.key;
      const std::uint32_t page_size = st.config.page_size;
      auto built = std::make_shared<std::optional<storage::snapshot_info>>();
      storage_task task = [s, key, page_size, built]() -> result<task_output> {
        auto latest = s.snapshots().latest();
        if (!latest) return latest.error();
        storage::build_options options;
        options.height = *latest ? (*latest)->height + 1 : 1;
        options.page_size = page_size;
        auto info = s.snapshots().build(options, *key);
        if (!info) return info.error();
        *built = *info;
        return task_output{};
      };
      // Builds may take minutes on a large state: no storage timeout here.
      self->request(st.workers, caf::infinite, std::move(task))
        .then(
          [rp, built](result<task_output>& out) mutable {
            if (!out) {
              rp.deliver(result<storage::snapshot_info>(out.error()));
              return;
            }
            log::info("provider", "snapshot_built",
                      {{"plan_id", (*built)->plan_id}, {"height", (*built)->height},
                       {"pages", (*built)->page_count}, {"bytes", (*built)->total_bytes}});
            rp.deliver(result<storage::snapshot_info>(**built));
          },
          [rp](caf::error& e) mutable { rp.deliver(result<storage::snapshot_info>(from_caf_error(e))); });
      return rp;
    },
    [self](list_snapshots_atom) -> result<std::vector<storage::snapshot_info>> {
      return storage::snapshot_store(*self->state.db).list();
    },
  };
}

} // namespace

caf::actor spawn_provider(caf::actor_system& system, std::shared_ptr<storage::db> db, snapshot::authority_key key,
                          provider_config config) {
  return system.spawn(provider, std::move(db), std::move(key), config);
}

} // namespace snapstream::actors
