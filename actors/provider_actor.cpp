#include "actors/provider_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/atoms.hpp"
#include "actors/resilience.hpp"
#include "protocol/common/log.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "storage/errors.hpp"
#include "storage/served_store.hpp"

#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <functional>
#include <map>

namespace snapstream::actors {

namespace {
using clock_type = std::chrono::steady_clock;
using messages::byte_encoding;
using messages::protocol_version;
using storage::storage_errc;
using task_output = storage_task_output;
} // namespace

shared_bytes encode_shared(const messages::snapshots_response& response, byte_encoding encoding) {
  auto buffer = std::make_shared<byte_buffer>();
  buffer->reserve(messages::encoded_size(response, encoding));
  messages::encode(response, encoding, *buffer);
  return buffer;
}

shared_bytes encode_refusal(std::uint64_t session, protocol_version version, const error& e) {
  messages::error_message body{e.message()};
  // Older versions have no `code`: their peers read the message (and would
  // refuse the field as unknown).
  if (version >= protocol_version::v1_2) body.code = refusal_code_of(e);
  messages::snapshots_response r;
  r.session_id = session;
  r.body = std::move(body);
  return encode_shared(r, messages::encoding_of(version));
}

std::vector<snapshot::offer> offers_within_cap(std::vector<snapshot::offer> offers, std::uint64_t session,
                                               protocol_version version) {
  // The list travels as base64 (1.2.0): the response is its envelope, with
  // empty quotes, plus 4 characters per started 3 bytes of the list; under
  // 1.3.0 raw, after the envelope and its length.
  messages::snapshots_response empty;
  empty.session_id = session;
  empty.body = messages::offers_response{};
  const auto encoding = messages::encoding_of(version);
  const std::size_t envelope = messages::encoded_size(empty, encoding);
  const std::size_t cap = messages::max_response_size(version);
  if (envelope > cap) return {};
  const std::uint64_t budget =
    encoding == byte_encoding::raw ? cap - envelope : (cap - envelope) / 4 * 3; // the longest list that fits, bytes
  const auto size_of = [](const snapshot::offer& o) -> std::uint64_t {
    return snapshot::offer_header_size + 32 * o.signers.size() + 1 +
           (o.complete ? 0 : snapshot::offer_bitmap_size(o.page_count));
  };
  std::uint64_t used = snapshot::offers_header_size;
  std::vector<bool> keep(offers.size(), false);
  for (const bool complete : {true, false}) {
    for (std::size_t i = 0; i < offers.size(); ++i) {
      if (offers[i].complete != complete) continue;
      const std::uint64_t size = size_of(offers[i]);
      if (used + size > budget) continue;
      used += size;
      keep[i] = true;
    }
  }
  std::vector<snapshot::offer> out;
  for (std::size_t i = 0; i < offers.size(); ++i)
    if (keep[i]) out.push_back(std::move(offers[i]));
  return out;
}

namespace {

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

/// Who asked, and how to answer: the negotiated version fixes the byte
/// encoding and whether refusals carry a code.
struct requester {
  std::string peer;
  std::uint64_t session = 0;
  protocol_version version = protocol_version::v1_2;
};

/// Refusals that are the requesting peer's fault count against its breaker.
bool blames_peer(const error& e) {
  return e.is(provider_errc::invalid_request) || e.is(provider_errc::not_found) ||
         e.is(provider_errc::resume_rejected) || e.is(provider_errc::backpressure);
}

bool is_provider_error(const error& e) {
  return e.code().category() == make_error_code(provider_errc::not_found).category();
}

/// A failed storage task as the refusal the consumer gets: the provider's own
/// errors as they are, any other (RocksDB, file system) as `unavailable`.
error as_refusal(const error& e) {
  if (is_provider_error(e)) return e;
  return error{provider_errc::unavailable, "snapshot provider storage unavailable: " + e.message()};
}

/// A read of a served session's snapshot failed: `not_found` means it was
/// removed (pruned) since the session was planned.
error snapshot_read_failure(const error& e, const std::string& plan_id) {
  if (e.is(storage_errc::not_found)) return error{provider_errc::not_found, "snapshot " + plan_id + " is no longer served"};
  return e;
}

/// A plan id as quoted in a refusal: a peer's string, so at most 64
/// characters of it (a real plan id is exactly 64).
std::string quoted_plan_id(const std::string& plan_id) {
  return plan_id.size() <= 64 ? plan_id : plan_id.substr(0, 64) + "...";
}

storage_worker_actor::behavior_type storage_worker(storage_worker_actor::pointer) {
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

/// Bookkeeping of a successful request, on the provider's thread, when its
/// response goes out.
using on_served = std::function<void(task_output&)>;

/// A chunk response held back by the upload limits. Its session stays in
/// flight until it goes out, so backpressure still holds.
struct held_response {
  caf::response_promise rp;
  requester who;
  task_output out;
  on_served done;
};

/// A chunk read ahead for a session (chunk k+1 while chunk k is on the wire):
/// the storage worker fills `bytes`, then the provider marks it ready.
struct prepared_chunk {
  std::string plan_id;
  std::uint64_t chunk_size = 0;
  std::uint64_t index = 0;
  std::uint64_t token = 0;                   ///< which read filled it
  std::shared_ptr<byte_buffer> bytes;        ///< written by the worker only until `ready`
  bool ready = false;
};

/// At most this many bytes of chunks read ahead, over all sessions.
constexpr std::uint64_t max_prepared_bytes = 64u << 20;

struct provider_state {
  std::shared_ptr<storage::db> db;
  std::shared_ptr<const snapshot::authority_key> key;
  provider_config config;
  served_sessions book;
  circuit_breakers breakers;
  upload_limiter limiter;
  std::vector<storage_worker_actor> workers; ///< tasks go round-robin
  std::size_t next_worker = 0;
  provider_stats stats;
  struct tracked_upload {
    peer_upload_stats stats;
    std::uint64_t last_use = 0; ///< `upload_clock` when this peer was last served
  };
  std::map<std::string, tracked_upload> uploads; ///< by peer id, at most config.max_tracked_peers
  std::uint64_t upload_clock = 0;
  std::map<std::uint64_t, held_response> held;      ///< by hold id, until `upload_due_atom`
  std::uint64_t next_hold = 0;
  std::chrono::microseconds throttle_wait{0};       ///< total time responses were held
  /// Chunks read ahead, by (peer, session): at most one per session.
  std::map<std::pair<std::string, std::uint64_t>, prepared_chunk> prepared;
  std::uint64_t prepared_bytes = 0;  ///< of the ready ones
  std::uint64_t next_prepare = 0;
  static inline const char* name = "snapstream.provider";

  /// The worker for the next task.
  const storage_worker_actor& worker() {
    const auto& w = workers[next_worker % workers.size()];
    ++next_worker;
    return w;
  }
};

using self_pointer = provider_actor::stateful_pointer<provider_state>;

/// Removes the chunk read ahead for (peer, session), if any, and returns it.
std::optional<prepared_chunk> take_prepared(provider_state& st, const std::string& peer, std::uint64_t session) {
  auto it = st.prepared.find({peer, session});
  if (it == st.prepared.end()) return std::nullopt;
  prepared_chunk p = std::move(it->second);
  st.prepared.erase(it);
  if (p.ready) st.prepared_bytes -= p.bytes->size();
  return p;
}

/// Counts one chunk served to `peer`, forgetting the peer served least
/// recently when a new one would pass `max_tracked_peers`.
void count_upload(provider_state& st, const std::string& peer, std::uint64_t bytes) {
  auto it = st.uploads.find(peer);
  if (it == st.uploads.end()) {
    if (st.config.max_tracked_peers == 0) return;
    if (st.uploads.size() >= st.config.max_tracked_peers) {
      auto oldest = std::min_element(st.uploads.begin(), st.uploads.end(), [](const auto& a, const auto& b) {
        return a.second.last_use < b.second.last_use;
      });
      st.uploads.erase(oldest);
    }
    it = st.uploads.emplace(peer, provider_state::tracked_upload{}).first;
    it->second.stats.peer = peer;
  }
  it->second.last_use = ++st.upload_clock;
  it->second.stats.bytes_served += bytes;
  ++it->second.stats.chunks_served;
}

/// Answers a refused request and does the bookkeeping of a refusal. `blame`:
/// the refusal is the peer's fault and counts against its breaker; any other
/// shows the peer asked properly (a half-open breaker's trial passes).
shared_bytes refuse(self_pointer self, const requester& who, const error& e, bool blame) {
  auto& st = self->state;
  ++st.stats.requests_refused;
  if (e.is(provider_errc::backpressure)) ++st.stats.backpressure_refusals;
  if (blame) st.breakers.record_failure(who.peer, clock_type::now());
  else st.breakers.record_success(who.peer);
  if (e.is(provider_errc::not_available)) {
    // Routine in a swarm: consumers ask the pages others already hold.
    ++st.stats.not_available_refusals;
    log::debug("provider", "request_refused",
               {{"peer", who.peer}, {"session", who.session}, {"code", e.code().message()}, {"reason", e.message()}});
  } else {
    log::warn("provider", "request_refused",
              {{"peer", who.peer}, {"session", who.session}, {"code", e.code().message()}, {"reason", e.message()}});
  }
  return encode_refusal(who.session, who.version, e);
}

shared_bytes refuse(self_pointer self, const requester& who, const error& e) {
  return refuse(self, who, e, blames_peer(e));
}

/// Sends a served response: the session leaves the in-flight state (when the
/// request holds one), `done` does its bookkeeping.
void answer(self_pointer self, caf::response_promise& rp, const requester& who, bool in_book, task_output& out,
            const on_served& done) {
  auto& st = self->state;
  if (in_book) st.book.finish(who.peer, who.session);
  if (done) done(out);
  ++st.stats.requests_served;
  st.breakers.record_success(who.peer);
  rp.deliver(std::move(out.response));
}

/// How a storage task's request relates to the book and the upload limits.
struct task_mode {
  bool in_book = true; ///< the request holds its session in flight (`begin` admitted it)
  bool paced = false;  ///< a chunk response: it waits for the upload limits
};

/// Runs `task` on a storage worker; on the provider's thread, answers with
/// its response (after the upload limits' wait when paced) or refuses with
/// its error. The session leaves the in-flight state when the answer goes out.
caf::response_promise run_task(self_pointer self, requester who, storage_task task, task_mode mode,
                               on_served done) {
  auto rp = self->make_response_promise();
  self->request(self->state.worker(), self->state.config.storage_timeout, std::move(task))
    .then(
      [self, rp, who, mode, done](result<task_output>& out) mutable {
        auto& st = self->state;
        // The record first: finishing a session that still lacks its plan forgets it.
        if (out && out->record) st.book.put(*out->record);
        if (!out) {
          if (mode.in_book) st.book.finish(who.peer, who.session);
          const error e = as_refusal(out.error());
          // A snapshot that is not (or no longer) served here is no fault of
          // the peer: it may have learnt of it from another node's offers.
          rp.deliver(refuse(self, who, e, blames_peer(e) && !e.is(provider_errc::not_found)));
          return;
        }
        if (mode.paced && st.limiter.limited()) {
          const auto wait = st.limiter.reserve(who.peer, out->response->size(), clock_type::now());
          if (wait.count() > 0) {
            ++st.stats.throttled_responses;
            st.throttle_wait += wait;
            const std::uint64_t id = st.next_hold++;
            st.held.emplace(id, held_response{rp, who, std::move(*out), std::move(done)});
            self->delayed_send(self, wait, upload_due_atom::value, id);
            return;
          }
        }
        answer(self, rp, who, mode.in_book, *out, done);
      },
      [self, rp, who, mode](caf::error& e) mutable {
        if (mode.in_book) self->state.book.finish(who.peer, who.session);
        const error failure{provider_errc::unavailable,
                            "snapshot provider storage unavailable: " + from_caf_error(e).message()};
        rp.deliver(refuse(self, who, failure));
      });
  return rp;
}

/// The served sessions' records and the snapshot store all go through `db`.
struct stores {
  std::shared_ptr<storage::db> db;
  storage::snapshot_store snapshots() const { return storage::snapshot_store(*db); }
  storage::served_store served() const { return storage::served_store(*db); }
};

/// The snapshot a plan request asks for: the one named by `plan_id`,
/// complete or partial, or else the latest complete one.
result<storage::snapshot_info> snapshot_to_plan(const stores& s, const std::optional<std::string>& plan_id) {
  if (!plan_id) {
    auto latest = s.snapshots().latest();
    if (!latest) return latest.error();
    if (!*latest) return error{provider_errc::not_found, "no snapshot available to serve"};
    return std::move(**latest);
  }
  auto info = s.snapshots().info(*plan_id);
  if (!info && (info.error().is(storage_errc::not_found) || info.error().is(storage_errc::invalid_argument)))
    return error{provider_errc::not_found, "snapshot " + quoted_plan_id(*plan_id) + " is not served here"};
  return info;
}

caf::result<shared_bytes> serve_plan(self_pointer self, const requester& who, const messages::plan_request& p) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(who.peer, who.session, false, clock_type::now()); !admitted)
    return refuse(self, who, admitted.error());
  stores s{st.db};
  const chunk_size_limits limits = st.config.chunk_sizes;
  storage_task task = [s, who, p, limits]() -> result<task_output> {
    auto info = snapshot_to_plan(s, p.plan_id);
    if (!info) return info.error();
    auto sizes = negotiate_chunk_size(p.chunk_size, p.min_chunk_size, p.max_chunk_size, limits, info->page_size,
                                      who.version);
    if (!sizes) return sizes.error();
    auto plan_bytes = s.snapshots().read_plan(info->plan_id);
    if (!plan_bytes) return snapshot_read_failure(plan_bytes.error(), info->plan_id);
    const std::uint64_t pages_per_chunk = sizes->chunk_size / info->page_size;
    storage::served_record rec;
    rec.peer = who.peer;
    rec.session_id = who.session;
    rec.plan_id = info->plan_id;
    rec.chunk_size = sizes->chunk_size;
    rec.total_chunks = snapshot::chunk_count(info->page_count, pages_per_chunk);
    rec.total_updates = info->update_count;
    rec.created_unix_ms = rec.updated_unix_ms = unix_ms();
    if (auto saved = s.served().save(rec); !saved) return saved.error();
    messages::snapshots_response r;
    r.session_id = who.session;
    r.body = messages::plan_response{std::make_shared<const byte_buffer>(std::move(*plan_bytes)),
                                     sizes->chunk_size, sizes->min_chunk_size, sizes->max_chunk_size, 1};
    return task_output{encode_shared(r, messages::encoding_of(who.version)), std::move(rec), 0};
  };
  return run_task(self, who, std::move(task), task_mode{}, [who](task_output& out) {
    log::info("provider", "session_planned",
              {{"peer", who.peer}, {"session", who.session}, {"plan_id", out.record->plan_id},
               {"chunk_size", out.record->chunk_size}, {"chunks", out.record->total_chunks},
               {"updates", out.record->total_updates}});
  });
}

/// A 1.3.0 request's carried ack, taken as an `ack` request sent just before
/// it (the session is already admitted): the record to make durable before
/// the response (nullopt when the ack changes nothing), or the refusal.
result<std::optional<storage::served_record>> take_carried_ack(self_pointer self, const requester& who,
                                                              const std::optional<messages::ack_message>& ack) {
  if (!ack) return std::optional<storage::served_record>{};
  const auto current = *self->state.book.find(who.peer, who.session);
  auto next = served_sessions::acknowledge(current, *ack);
  if (!next) return next.error();
  ++self->state.stats.carried_acks;
  if (*next == current) return std::optional<storage::served_record>{};
  next->updated_unix_ms = unix_ms();
  return std::optional<storage::served_record>{std::move(*next)};
}

caf::result<shared_bytes> serve_update(self_pointer self, const requester& who, std::uint64_t index,
                                       const std::optional<messages::ack_message>& ack) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(who.peer, who.session, true, clock_type::now()); !admitted)
    return refuse(self, who, admitted.error());
  auto acked = take_carried_ack(self, who, ack);
  if (!acked) {
    st.book.finish(who.peer, who.session);
    return refuse(self, who, acked.error());
  }
  const auto rec = *st.book.find(who.peer, who.session);
  if (index >= rec.total_updates) {
    st.book.finish(who.peer, who.session);
    return refuse(self, who,
                  error{provider_errc::invalid_request, "update index " + std::to_string(index) +
                                                          " is out of range: the session has " +
                                                          std::to_string(rec.total_updates) + " updates"});
  }
  stores s{st.db};
  storage_task task = [s, rec, index, version = who.version, acked = std::move(*acked)]() -> result<task_output> {
    // The carried ack is durable before the response, as a separate ack's.
    if (acked)
      if (auto saved = s.served().save(*acked); !saved) return saved.error();
    auto bytes = s.snapshots().read_update(rec.plan_id, index);
    if (!bytes) return snapshot_read_failure(bytes.error(), rec.plan_id);
    messages::snapshots_response r;
    r.session_id = rec.session_id;
    r.body = messages::update_response{index, std::make_shared<const byte_buffer>(std::move(*bytes))};
    return task_output{encode_shared(r, messages::encoding_of(version)), acked, 0};
  };
  return run_task(self, who, std::move(task), task_mode{}, [self, who, index](task_output&) {
    if (auto* r = self->state.book.find(who.peer, who.session)) {
      auto updated = *r;
      updated.last_served_update = index;
      self->state.book.put(std::move(updated));
    }
  });
}

/// Reads chunk `index` of `rec`'s session ahead, on a storage worker, unless
/// it is past the end or the read-ahead budget is spent.
void prepare_chunk(self_pointer self, const requester& who, const storage::served_record& rec, std::uint64_t index) {
  auto& st = self->state;
  if (index >= rec.total_chunks || st.prepared_bytes + rec.chunk_size > max_prepared_bytes) return;
  const auto key = std::make_pair(who.peer, who.session);
  const std::uint64_t token = ++st.next_prepare;
  auto slot = std::make_shared<byte_buffer>();
  st.prepared[key] = prepared_chunk{rec.plan_id, rec.chunk_size, index, token, slot, false};
  stores s{st.db};
  storage_task task = [s, plan_id = rec.plan_id, chunk_size = rec.chunk_size, index, slot]() -> result<task_output> {
    auto info = s.snapshots().info(plan_id);
    if (!info) return info.error();
    auto bytes = s.snapshots().read_chunk(plan_id, index, chunk_size / info->page_size);
    if (!bytes) return bytes.error();
    *slot = std::move(*bytes);
    return task_output{};
  };
  self->request(st.worker(), st.config.storage_timeout, std::move(task))
    .then(
      [self, key, token](result<task_output>& out) {
        auto& st = self->state;
        auto it = st.prepared.find(key);
        if (it == st.prepared.end() || it->second.token != token) return; // taken over meanwhile
        if (!out || st.prepared_bytes + it->second.bytes->size() > max_prepared_bytes) {
          st.prepared.erase(it); // the request reads it itself, and reports what fails
          return;
        }
        it->second.ready = true;
        st.prepared_bytes += it->second.bytes->size();
      },
      [self, key, token](caf::error&) {
        auto& st = self->state;
        auto it = st.prepared.find(key);
        if (it != st.prepared.end() && it->second.token == token) st.prepared.erase(it);
      });
}

caf::result<shared_bytes> serve_chunk(self_pointer self, const requester& who, std::uint64_t index,
                                      const std::optional<messages::ack_message>& ack) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(who.peer, who.session, true, clock_type::now()); !admitted)
    return refuse(self, who, admitted.error());
  auto acked = take_carried_ack(self, who, ack);
  if (!acked) {
    st.book.finish(who.peer, who.session);
    return refuse(self, who, acked.error());
  }
  const auto rec = *st.book.find(who.peer, who.session);
  if (index >= rec.total_chunks) {
    st.book.finish(who.peer, who.session);
    return refuse(self, who,
                  error{provider_errc::invalid_request, "chunk index " + std::to_string(index) +
                                                          " is out of range: the session has " +
                                                          std::to_string(rec.total_chunks) + " chunks"});
  }
  stores s{st.db};
  // The chunk read ahead for this session, when it is this one.
  std::shared_ptr<byte_buffer> ready;
  // Used, or not what was asked: either way it goes (a read still in flight
  // then finds no entry and is dropped).
  if (auto p = take_prepared(st, who.peer, who.session);
      p && p->ready && p->index == index && p->plan_id == rec.plan_id && p->chunk_size == rec.chunk_size) {
    ready = std::move(p->bytes);
    ++st.stats.prepared_hits;
  }
  storage_task task = [s, rec, index, version = who.version, acked = std::move(*acked),
                       ready = std::move(ready)]() -> result<task_output> {
    if (acked)
      if (auto saved = s.served().save(*acked); !saved) return saved.error();
    // The snapshot must still be served, also when its chunk was read ahead.
    auto info = s.snapshots().info(rec.plan_id);
    if (!info) return snapshot_read_failure(info.error(), rec.plan_id);
    result<byte_buffer> bytes = byte_buffer{};
    if (ready) {
      bytes = std::move(*ready);
    } else {
      const std::uint64_t pages_per_chunk = rec.chunk_size / info->page_size;
      bytes = s.snapshots().read_chunk(rec.plan_id, index, pages_per_chunk);
    }
    if (!bytes && bytes.error().is(storage_errc::not_available))
      return error{provider_errc::not_available,
                   "chunk " + std::to_string(index) + " of snapshot " + rec.plan_id + " is not available here yet"};
    if (!bytes) return snapshot_read_failure(bytes.error(), rec.plan_id);
    const std::uint64_t payload = bytes->size();
    messages::snapshots_response r;
    r.session_id = rec.session_id;
    shared_bytes encoded;
    if (messages::encoding_of(version) == byte_encoding::raw) {
      // 1.3.0: the chunk's own buffer becomes the response, the envelope appended.
      r.body = messages::chunk_response{index, nullptr};
      messages::append_envelope(r, *bytes);
      encoded = std::make_shared<const byte_buffer>(std::move(*bytes));
    } else {
      r.body = messages::chunk_response{index, std::make_shared<const byte_buffer>(std::move(*bytes))};
      encoded = encode_shared(r, messages::encoding_of(version));
    }
    if (encoded->size() > messages::max_response_size(version))
      return error{provider_errc::unavailable,
                   "chunk " + std::to_string(index) + " encodes to " + std::to_string(encoded->size()) +
                     " bytes, over the response cap of " + std::string(messages::protocol_id(version)) +
                     "; use a smaller chunk size"};
    return task_output{std::move(encoded), acked, payload};
  };
  return run_task(self, who, std::move(task), task_mode{.in_book = true, .paced = true},
                  [self, who, index](task_output& out) {
                    auto& st = self->state;
                    st.stats.bytes_served += out.payload_bytes;
                    ++st.stats.chunks_served;
                    count_upload(st, who.peer, out.payload_bytes);
                    if (auto* r = st.book.find(who.peer, who.session)) {
                      const bool in_order = r->last_served_chunk ? *r->last_served_chunk + 1 == index : index == 0;
                      auto updated = *r;
                      updated.last_served_chunk = index;
                      // A session that walks its chunks in order gets the next one read
                      // while this one is on the wire.
                      if (in_order) prepare_chunk(self, who, updated, index + 1);
                      st.book.put(std::move(updated));
                    }
                  });
}

caf::result<shared_bytes> serve_offers(self_pointer self, const requester& who) {
  auto& st = self->state;
  if (who.version < protocol_version::v1_2)
    return refuse(self, who,
                  error{provider_errc::invalid_request,
                        "offers is a request of " + std::string(messages::protocol_v1_2) + " only"});
  stores s{st.db};
  auto left_out = std::make_shared<std::size_t>(0);
  storage_task task = [s, who, left_out]() -> result<task_output> {
    auto offers = s.snapshots().offers();
    if (!offers) return offers.error();
    const std::size_t listed = offers->size();
    const auto kept = offers_within_cap(std::move(*offers), who.session, who.version);
    *left_out = listed - kept.size();
    messages::snapshots_response r;
    r.session_id = who.session;
    r.body = messages::offers_response{std::make_shared<const byte_buffer>(snapshot::encode_offers(kept))};
    return task_output{encode_shared(r, messages::encoding_of(who.version)), std::nullopt, 0};
  };
  // No session: the request neither needs one nor opens one.
  return run_task(self, who, std::move(task), task_mode{.in_book = false, .paced = false},
                  [self, who, left_out](task_output&) {
                    ++self->state.stats.offers_served;
                    if (*left_out > 0)
                      log::warn("provider", "offers_left_out",
                                {{"peer", who.peer}, {"session", who.session}, {"count", *left_out},
                                 {"reason", "over the response cap"}});
                  });
}

caf::result<shared_bytes> serve_resume(self_pointer self, const requester& who, const messages::resume_request& q) {
  auto& st = self->state;
  const auto* rec = st.book.find(who.peer, who.session);
  if (auto valid = served_sessions::validate_resume(rec, q); !valid) return refuse(self, who, valid.error());
  if (auto admitted = st.book.begin(who.peer, who.session, true, clock_type::now()); !admitted)
    return refuse(self, who, admitted.error());
  rec = st.book.find(who.peer, who.session);
  auto sizes = negotiate_chunk_size(rec->chunk_size, std::nullopt, std::nullopt, st.config.chunk_sizes,
                                    static_cast<std::uint32_t>(st.config.page_size), who.version);
  messages::snapshots_response r;
  r.session_id = who.session;
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
  st.book.finish(who.peer, who.session);
  ++st.stats.requests_served;
  st.breakers.record_success(who.peer);
  log::info("provider", "session_resumed",
            {{"peer", who.peer}, {"session", who.session}, {"chunk", body.chunk_index}, {"update", body.update_index}});
  return encode_shared(r, messages::encoding_of(who.version));
}

caf::result<shared_bytes> serve_ack(self_pointer self, const requester& who, const messages::ack_message& ack) {
  auto& st = self->state;
  if (auto admitted = st.book.begin(who.peer, who.session, true, clock_type::now()); !admitted)
    return refuse(self, who, admitted.error());
  const auto current = *st.book.find(who.peer, who.session);
  auto next = served_sessions::acknowledge(current, ack);
  if (!next) {
    st.book.finish(who.peer, who.session);
    return refuse(self, who, next.error());
  }
  messages::snapshots_response echo;
  echo.session_id = who.session;
  echo.body = ack;
  if (*next == current) { // a repeated ack, or the plan's: nothing to make durable
    st.book.finish(who.peer, who.session);
    ++st.stats.requests_served;
    st.breakers.record_success(who.peer);
    return encode_shared(echo, messages::encoding_of(who.version));
  }
  next->updated_unix_ms = unix_ms();
  stores s{st.db};
  storage_task task = [s, rec = *next, echo, version = who.version]() -> result<task_output> {
    // Durable before the echo: the consumer may rely on it at once.
    if (auto saved = s.served().save(rec); !saved) return saved.error();
    return task_output{encode_shared(echo, messages::encoding_of(version)), rec, 0};
  };
  return run_task(self, who, std::move(task), task_mode{}, [who](task_output& out) {
    if (served_sessions::complete(*out.record))
      log::info("provider", "session_completed", {{"peer", who.peer}, {"session", who.session}});
  });
}

caf::result<shared_bytes> serve_cancel(self_pointer self, const requester& who, const messages::error_message& why) {
  auto& st = self->state;
  messages::snapshots_response echo;
  echo.session_id = who.session;
  echo.body = messages::ack_message{messages::ack_kind::error, 0};
  if (st.book.find(who.peer, who.session) == nullptr) // cancelling twice is harmless
    return encode_shared(echo, messages::encoding_of(who.version));
  if (auto admitted = st.book.begin(who.peer, who.session, true, clock_type::now()); !admitted)
    return refuse(self, who, admitted.error());
  stores s{st.db};
  storage_task task = [s, who, echo]() -> result<task_output> {
    if (auto erased = s.served().erase(who.session, who.peer); !erased) return erased.error();
    return task_output{encode_shared(echo, messages::encoding_of(who.version)), std::nullopt, 0};
  };
  return run_task(self, who, std::move(task), task_mode{}, [self, who, reason = why.message](task_output&) {
    auto& st = self->state;
    st.book.erase(who.peer, who.session);
    take_prepared(st, who.peer, who.session);
    log::info("provider", "session_cancelled", {{"peer", who.peer}, {"session", who.session}, {"reason", reason}});
  });
}

/// What a build task did: the snapshot, and the retention that followed it.
struct build_outcome {
  std::optional<storage::snapshot_info> built;
  std::vector<std::string> pruned;     ///< plan ids, oldest first
  std::optional<error> prune_failure;  ///< the build stands even when pruning failed
};

caf::result<result<storage::snapshot_info>> build_snapshot(self_pointer self) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  stores s{st.db};
  auto key = st.key;
  const std::uint32_t page_size = st.config.page_size;
  const std::size_t retain = st.config.retain_snapshots;
  auto outcome = std::make_shared<build_outcome>();
  storage_task task = [s, key, page_size, retain, outcome]() -> result<task_output> {
    auto latest = s.snapshots().latest();
    if (!latest) return latest.error();
    storage::build_options options;
    options.height = *latest ? (*latest)->height + 1 : 1;
    options.page_size = page_size;
    auto info = s.snapshots().build(options, *key);
    if (!info) return info.error();
    outcome->built = *info;
    if (retain > 0) {
      auto pruned = s.snapshots().prune(retain);
      if (pruned) outcome->pruned = std::move(*pruned);
      else outcome->prune_failure = pruned.error();
    }
    return task_output{};
  };
  // Builds may take minutes on a large state: no storage timeout here.
  self->request(st.worker(), caf::infinite, std::move(task))
    .then(
      [rp, outcome, retain](result<task_output>& out) mutable {
        if (!out) {
          rp.deliver(result<storage::snapshot_info>(out.error()));
          return;
        }
        const auto& built = *outcome->built;
        log::info("provider", "snapshot_built",
                  {{"plan_id", built.plan_id}, {"height", built.height}, {"pages", built.page_count},
                   {"bytes", built.total_bytes}});
        for (const auto& plan_id : outcome->pruned)
          log::info("provider", "snapshot_pruned", {{"plan_id", plan_id}, {"retain", retain}});
        if (outcome->prune_failure)
          log::error("provider", "snapshot_prune_failed", {{"reason", to_string(*outcome->prune_failure)}});
        rp.deliver(result<storage::snapshot_info>(built));
      },
      [rp](caf::error& e) mutable { rp.deliver(result<storage::snapshot_info>(from_caf_error(e))); });
  return rp;
}

caf::result<result<std::vector<storage::snapshot_info>>> list_snapshots(self_pointer self) {
  using listing = result<std::vector<storage::snapshot_info>>;
  auto rp = self->make_response_promise<listing>();
  stores s{self->state.db};
  auto listed = std::make_shared<std::vector<storage::snapshot_info>>();
  storage_task task = [s, listed]() -> result<task_output> {
    auto all = s.snapshots().list();
    if (!all) return all.error();
    *listed = std::move(*all);
    return task_output{};
  };
  self->request(self->state.worker(), self->state.config.storage_timeout, std::move(task))
    .then(
      [rp, listed](result<task_output>& out) mutable {
        if (!out) rp.deliver(listing(boost::system::in_place_error, out.error()));
        else rp.deliver(listing(std::move(*listed)));
      },
      [rp](caf::error& e) mutable { rp.deliver(listing(boost::system::in_place_error, from_caf_error(e))); });
  return rp;
}

provider_stats stats_of(self_pointer self) {
  auto& st = self->state;
  auto stats = st.stats;
  const auto now = clock_type::now();
  stats.active_sessions = st.book.active_count(now);
  stats.known_sessions = st.book.size();
  for (const auto& [key, p] : st.prepared) stats.prepared_chunks += p.ready ? 1 : 0;
  stats.breakers = st.breakers.status(now);
  stats.upload_limit = st.config.upload_limit;
  stats.throttle_wait_ms =
    static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(st.throttle_wait).count());
  stats.peers.reserve(st.uploads.size());
  for (const auto& [peer, upload] : st.uploads) stats.peers.push_back(upload.stats);
  return stats;
}

/// Reloads the served records into the book, read on a thread of its own;
/// `await` holds every request until they are in, so a resume after a
/// restart finds its session.
void load_served_records(self_pointer self) {
  auto loader = self->system().spawn<caf::detached>(storage_worker);
  auto records = std::make_shared<std::vector<storage::served_record>>();
  stores s{self->state.db};
  storage_task task = [s, records]() -> result<task_output> {
    auto all = s.served().load_all();
    if (!all) return all.error();
    *records = std::move(*all);
    return task_output{};
  };
  self->request(loader, self->state.config.storage_timeout, std::move(task))
    .await(
      [self, loader, records](result<task_output>& out) {
        if (out) {
          log::info("provider", "served_records_loaded", {{"count", records->size()}});
          self->state.book.load(std::move(*records), clock_type::now());
        } else {
          log::error("provider", "served_records_unreadable", {{"reason", to_string(out.error())}});
        }
        self->send_exit(loader, caf::exit_reason::user_shutdown);
      },
      [self, loader](caf::error& e) {
        log::error("provider", "served_records_unreadable", {{"reason", from_caf_error(e).message()}});
        self->send_exit(loader, caf::exit_reason::user_shutdown);
      });
}

/// How often the provider looks for expired sessions and idle breakers: a
/// quarter of the record expiry, between 10 ms and a minute.
std::chrono::milliseconds sweep_interval(const served_sessions_config& c) {
  return std::clamp(c.record_expiry / 4, std::chrono::milliseconds{10}, std::chrono::milliseconds{60'000});
}

/// Erases the records of sessions that saw no request for `record_expiry`
/// (on a storage worker: each is a synced delete), then forgets them; prunes
/// the breakers nobody needs; and comes back after `sweep_interval`.
void sweep_served(self_pointer self) {
  auto& st = self->state;
  const auto now = clock_type::now();
  if (const auto pruned = st.breakers.sweep(now); pruned > 0)
    log::debug("provider", "breakers_pruned", {{"count", pruned}});
  self->delayed_send(self, sweep_interval(st.config.sessions), served_sweep_atom::value);
  auto expired = std::make_shared<std::vector<served_sessions::key>>(st.book.take_expired(now));
  if (expired->empty()) return;
  stores s{st.db};
  auto erased = std::make_shared<std::size_t>(0);
  storage_task task = [s, expired, erased]() -> result<task_output> {
    for (const auto& [peer, session] : *expired) {
      if (auto r = s.served().erase(session, peer); !r) return r.error();
      ++*erased;
    }
    return task_output{};
  };
  self->request(st.worker(), st.config.storage_timeout, std::move(task))
    .then(
      [self, expired, erased](result<task_output>& out) {
        auto& book = self->state.book;
        // The first `erased` records are gone from disk; the rest stay, and their sessions live on.
        for (std::size_t i = 0; i < expired->size(); ++i) {
          const auto& [peer, session] = (*expired)[i];
          take_prepared(self->state, peer, session);
          if (i < *erased) {
            book.erase(peer, session);
            log::info("provider", "session_expired", {{"peer", peer}, {"session", session}});
          } else {
            book.finish(peer, session);
          }
        }
        self->state.stats.sessions_expired += *erased;
        if (!out) log::error("provider", "session_expiry_failed", {{"reason", to_string(out.error())}});
      },
      [self, expired](caf::error& e) {
        for (const auto& [peer, session] : *expired) self->state.book.finish(peer, session);
        log::error("provider", "session_expiry_failed", {{"reason", from_caf_error(e).message()}});
      });
}

provider_actor::behavior_type provider(self_pointer self, std::shared_ptr<storage::db> db, snapshot::authority_key key,
                       provider_config config) {
  auto& st = self->state;
  tolerate_stray_messages(self, "provider");
  st.db = std::move(db);
  st.key = std::make_shared<const snapshot::authority_key>(std::move(key));
  st.config = config;
  st.book = served_sessions(config.sessions);
  st.breakers = circuit_breakers(config.breakers);
  st.limiter = upload_limiter(config.upload_limit);
  load_served_records(self);
  self->delayed_send(self, sweep_interval(config.sessions), served_sweep_atom::value);
  if (config.workers) {
    st.workers.push_back(config.workers);
  } else {
    // Linked: they stop with the provider.
    for (std::size_t i = 0; i < std::max<std::size_t>(1, config.storage_workers); ++i) {
      auto worker = self->system().spawn<caf::detached>(storage_worker);
      self->link_to(worker);
      st.workers.push_back(std::move(worker));
    }
  }

  return {
    [self](serve_atom, const std::string& peer, protocol_version version,
           const messages::snapshots_request& request) -> caf::result<shared_bytes> {
      auto& st = self->state;
      const requester who{peer, request.session_id, version};
      const auto now = clock_type::now();
      if (!st.breakers.allow(peer, now)) {
        // Not `refuse`: a request of an open breaker's peer proves nothing either way.
        const auto wait = st.breakers.retry_after(peer, now);
        ++st.stats.requests_refused;
        return encode_refusal(who.session, version,
                              error{provider_errc::breaker_open,
                                    "snapshot provider refuses peer " + peer +
                                      " after repeated failed requests; retry after " +
                                      std::to_string((wait.count() + 999) / 1000) + " s"});
      }
      return std::visit(
        [&](const auto& body) -> caf::result<shared_bytes> {
          using body_type = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<body_type, messages::plan_request>)
            return serve_plan(self, who, body);
          else if constexpr (std::is_same_v<body_type, messages::update_request>)
            return serve_update(self, who, body.update_index, body.ack);
          else if constexpr (std::is_same_v<body_type, messages::chunk_request>)
            return serve_chunk(self, who, body.chunk_index, body.ack);
          else if constexpr (std::is_same_v<body_type, messages::resume_request>)
            return serve_resume(self, who, body);
          else if constexpr (std::is_same_v<body_type, messages::ack_message>)
            return serve_ack(self, who, body);
          else if constexpr (std::is_same_v<body_type, messages::offers_request>)
            return serve_offers(self, who);
          else
            return serve_cancel(self, who, body);
        },
        request.body);
    },
    [self](bad_request_atom, const std::string& peer, protocol_version version,
           const std::string& message) -> shared_bytes {
      return refuse(self, requester{peer, 0, version}, error{provider_errc::invalid_request, message});
    },
    [self](upload_due_atom, std::uint64_t id) {
      auto& st = self->state;
      auto it = st.held.find(id);
      if (it == st.held.end()) return;
      auto held = std::move(it->second);
      st.held.erase(it);
      answer(self, held.rp, held.who, true, held.out, held.done);
    },
    [self](served_sweep_atom) { sweep_served(self); },
    [self](provider_stats_atom) -> provider_stats { return stats_of(self); },
    [self](breaker_reset_atom) {
      self->state.breakers.reset_all();
      log::info("provider", "breakers_reset");
    },
    [self](build_snapshot_atom) -> caf::result<result<storage::snapshot_info>> { return build_snapshot(self); },
    [self](list_snapshots_atom) -> caf::result<result<std::vector<storage::snapshot_info>>> {
      return list_snapshots(self);
    },
  };
}

} // namespace

provider_actor spawn_provider(caf::actor_system& system, std::shared_ptr<storage::db> db, snapshot::authority_key key,
                          provider_config config) {
  return system.spawn(provider, std::move(db), std::move(key), config);
}

} // namespace snapstream::actors
