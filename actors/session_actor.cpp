#include "actors/session_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/atoms.hpp"
#include "actors/resilience.hpp"
#include "actors/bridge.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/provider_actor.hpp"
#include "actors/snapshot_transport.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/snapshot/errors.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <deque>

namespace snapstream::actors {

std::string_view to_string(session_errc e) noexcept {
  switch (e) {
    case session_errc::network: return "network";
    case session_errc::checksum: return "checksum";
    case session_errc::authentication: return "authentication";
    case session_errc::resume_mismatch: return "resume_mismatch";
    case session_errc::saturated: return "saturated";
    case session_errc::remote: return "remote";
    case session_errc::local: return "local";
    case session_errc::cancelled: return "cancelled";
    case session_errc::backpressure: return "backpressure";
    case session_errc::finished: return "finished";
  }
  return "unknown";
}

failure_class failure_of(const error& reason) noexcept {
  if (reason.code().category() != make_error_code(session_errc::network).category()) return failure_class::local;
  switch (static_cast<session_errc>(reason.code().value())) {
    case session_errc::network: return failure_class::network;
    case session_errc::checksum: return failure_class::checksum;
    case session_errc::authentication: return failure_class::authentication;
    case session_errc::resume_mismatch: return failure_class::resume_mismatch;
    case session_errc::saturated: return failure_class::saturated;
    case session_errc::remote: return failure_class::remote;
    case session_errc::local:
    case session_errc::cancelled:
    case session_errc::backpressure:
    case session_errc::finished: return failure_class::local;
  }
  return failure_class::local;
}

namespace {

using messages::ack_kind;
using clock_type = std::chrono::steady_clock;

/// What the request in flight asks for.
enum class step { plan, update, chunk, ack, resume, cancel };

const char* step_name(step s) {
  switch (s) {
    case step::plan: return "plan";
    case step::update: return "light_client_update";
    case step::chunk: return "chunk";
    case step::ack: return "ack";
    case step::resume: return "resume";
    case step::cancel: return "cancel";
  }
  return "?";
}

/// The session errc of a transport failure.
session_errc classify_network(const error& e) {
  if (e.is(libp2p::libp2p_errc::peer_id_mismatch)) return session_errc::authentication;
  return session_errc::network;
}

/// The session errc of a verification failure.
session_errc classify_verification(const error& e) {
  using snapshot::verify_errc;
  if (e.is(verify_errc::unknown_signer) || e.is(verify_errc::duplicate_signer) || e.is(verify_errc::bad_signature) ||
      e.is(verify_errc::below_threshold))
    return session_errc::authentication;
  return session_errc::checksum;
}

/// The session errc of an `error` response to a request of kind `s`.
session_errc classify_refusal(step s, const std::string& message) {
  auto has = [&](std::string_view what) { return message.find(what) != std::string::npos; };
  if (has("saturated") || has("refuses peer")) return session_errc::saturated;
  if (has("backpressure") || has("unavailable")) return session_errc::network;
  if (s == step::resume || message.starts_with("resume ") || message == "snapshot not found" ||
      (message.starts_with("snapshot session ") && has("not found")))
    return session_errc::resume_mismatch;
  return session_errc::remote;
}

struct session_data {
  std::shared_ptr<const session_env> env;
  session_start start;
  caf::actor supervisor;
  std::optional<snapshot::light_client_verifier> verifier;
  /// The durable cursor: the last one the persistence writer confirmed.
  storage::session_record record;
  /// The newest cursor handed to the writer (equal to `record` when no write
  /// is in flight). Writes complete in the order they were sent.
  storage::session_record pending;
  std::optional<libp2p::peer_id> peer;
  snapshot::verified_chunk scratch; // reused for every chunk's record views

  bool requesting = false;  // a request is in flight
  unsigned writes = 0;      // verified artefacts being written
  bool done = false;
  step current = step::plan;
  /// Acks of durable artefacts, oldest first; the front is in flight while
  /// `current == step::ack`.
  std::deque<messages::ack_message> acks_due;
  bool resume_due = false;
  bool cancel_requested = false;
  std::optional<caf::response_promise> start_promise; // resumed sessions answer start_atom late
  std::uint64_t requests_sent = 0;

  std::deque<std::pair<clock_type::time_point, std::uint64_t>> rate_window; // (time, bytes_received)
  static inline const char* name = "snapstream.session";

  [[nodiscard]] bool busy() const noexcept { return requesting || writes > 0; }
  /// Chunks that may be written while the next one is fetched: with
  /// auto_advance the fetch of chunk k+1 overlaps the write of chunk k (still
  /// one request in flight, and ack k only once k is durable); stepped by
  /// hand, a session takes one step at a time.
  [[nodiscard]] unsigned max_writes() const noexcept { return env->config.auto_advance ? 2 : 1; }
};

using session_actor = caf::stateful_actor<session_data>;

session_status make_status(const session_data& st) {
  session_status s;
  const auto& r = st.record;
  s.session = r.session_id;
  s.peer = r.peer;
  s.root = r.plan_id;
  if (!r.plan_id.empty()) {
    s.plan_id = r.plan_id;
    s.chunk_size = r.chunk_size;
    s.total_chunks = r.total_chunks;
    s.total_updates = r.total_updates;
  }
  if (r.next_chunk_index > 0) s.last_chunk_index = r.next_chunk_index - 1;
  if (r.next_update_index > 0) {
    s.last_update_index = r.next_update_index - 1;
    s.last_update_height = r.last_update_height;
  }
  s.verified = r.state == storage::session_state::verified;
  switch (r.state) {
    case storage::session_state::planning: s.state = actors::session_state::planning; break;
    case storage::session_state::syncing: s.state = actors::session_state::syncing; break;
    case storage::session_state::verified: s.state = actors::session_state::verified; break;
    case storage::session_state::failed: s.state = actors::session_state::failed; break;
    case storage::session_state::cancelled: s.state = actors::session_state::cancelled; break;
  }
  if (!r.error.empty()) s.error = r.error;
  if (!r.error_code.empty()) s.error_code = r.error_code;
  s.bytes_received = r.bytes_received;
  s.retries = st.start.retries;
  if (st.rate_window.size() >= 2) {
    const auto& [t0, b0] = st.rate_window.front();
    const auto& [t1, b1] = st.rate_window.back();
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    if (secs > 0) s.throughput = static_cast<double>(b1 - b0) / secs;
  }
  return s;
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

void report(session_actor* self, std::uint64_t latency_us) {
  auto& st = self->state;
  const auto now = clock_type::now();
  st.rate_window.emplace_back(now, st.record.bytes_received);
  while (st.rate_window.size() > 2 && now - st.rate_window.front().first > std::chrono::seconds(5))
    st.rate_window.pop_front();
  self->send(st.supervisor, progress_atom::value, make_status(st), latency_us);
}

/// Ends the session with a typed failure after recording it durably.
void fail(session_actor* self, session_errc code, std::string message) {
  auto& st = self->state;
  if (st.done) return;
  st.done = true;
  error reason{code, std::move(message)};
  log::warn("session", "failed",
            {{"session", st.record.session_id}, {"peer", st.record.peer}, {"code", to_string(code)},
             {"reason", reason.message()}});
  if (st.start_promise) {
    st.start_promise->deliver(to_caf_error(reason));
    st.start_promise.reset();
  }
  // A cancelled session's record is erased by the supervisor once this actor
  // is gone; writing it again here would bring it back.
  if (!st.cancel_requested && code != session_errc::cancelled) {
    st.record.state = storage::session_state::failed;
    st.record.error = reason.message();
    st.record.error_code = std::string(to_string(code));
    st.record.updated_unix_ms = unix_ms();
    caf::anon_send(st.env->writer, persist_atom::value, st.record);
  }
  self->quit(to_caf_error(std::move(reason)));
}

void issue_next(session_actor* self);

/// Sends one request; its response arrives as (net_reply_atom, result<exchange_result>).
void send_request(session_actor* self, step kind, decltype(messages::snapshots_request::body) body) {
  auto& st = self->state;
  messages::snapshots_request request{st.record.session_id, std::move(body)};
  byte_buffer encoded;
  encoded.reserve(messages::encoded_size(request, messages::byte_encoding::base64));
  messages::encode(request, messages::byte_encoding::base64, encoded);
  st.requesting = true;
  st.current = kind;
  ++st.requests_sent;
  log::debug("session", "request",
             {{"session", st.record.session_id}, {"type", messages::type_name(request)}, {"seq", st.requests_sent}});
  net::peer_target target = *st.peer;
  start_io(st.env->io,
           exchange(st.env->host, std::move(target), st.env->config.protocols, std::move(encoded),
                    st.env->config.request_timeout),
           caf::actor_cast<caf::actor>(self), net_reply_atom::value);
}

/// After a write completes: `written` is the durable cursor now, and the ack
/// of what was written is due.
void persisted(session_actor* self, const result<void>& written, messages::ack_message ack,
               std::uint64_t latency_us, storage::session_record written_record) {
  auto& st = self->state;
  --st.writes;
  if (st.done) return;
  if (!written) {
    fail(self, session_errc::local, "could not store the session's progress: " + written.error().message());
    return;
  }
  st.record = std::move(written_record);
  st.acks_due.push_back(ack);
  report(self, latency_us);
  // A cancel asked for while this write ran goes out now, even when stepped by hand.
  if (st.env->config.auto_advance || st.cancel_requested) issue_next(self);
}

/// Hands `pending` (and the artefact in `args`) to the persistence writer.
template <class... Ts>
void persist(session_actor* self, messages::ack_message ack, std::uint64_t latency_us, Ts... args) {
  auto& st = self->state;
  ++st.writes;
  st.pending.updated_unix_ms = unix_ms();
  self->request(st.env->writer, std::chrono::minutes(5), persist_atom::value, st.pending, std::move(args)...)
    .then(
      [self, ack, latency_us, rec = st.pending](result<void>& written) mutable {
        persisted(self, written, ack, latency_us, std::move(rec));
      },
      [self](caf::error& e) {
        --self->state.writes;
        fail(self, session_errc::local, "persistence writer failed: " + from_caf_error(e).message());
      });
  // With automatic stepping the next chunk is fetched while this write runs
  // (issue_next allows it only while chunks are being fetched).
  if (st.env->config.auto_advance) issue_next(self);
}

void finish(session_actor* self) {
  auto& st = self->state;
  st.done = true;
  auto head = st.verifier->head();
  const std::string root = head ? to_hex(head->state_root) : st.record.plan_id;
  const std::uint64_t height = head ? head->height : 0;
  std::string json = "{\"session\":" + std::to_string(st.record.session_id) + ",\"peer\":\"" + st.record.peer +
                     "\",\"height\":" + std::to_string(height) + ",\"state_root\":\"" + root +
                     "\",\"bytes\":" + std::to_string(st.record.bytes_received) + "}";
  self->send(st.env->events, publish_atom::value, std::string("HeadVerified"), std::move(json));
  log::info("session", "verified",
            {{"session", st.record.session_id}, {"peer", st.record.peer}, {"height", height}, {"state_root", root},
             {"bytes", st.record.bytes_received}});
  report(self, 0);
  self->quit();
}

void issue_next(session_actor* self) {
  auto& st = self->state;
  if (st.done || st.requesting) return;
  if (st.cancel_requested) {
    if (st.writes == 0)
      send_request(self, step::cancel, messages::error_message{"session cancelled by the consumer"});
    return;
  }
  if (!st.acks_due.empty()) {
    send_request(self, step::ack, st.acks_due.front());
    return;
  }
  // Only chunk fetches overlap a write; every other step waits for it.
  const bool fetching_chunks = st.verifier->stage() == snapshot::verifier_stage::awaiting_chunks && !st.resume_due;
  if (st.writes >= (fetching_chunks ? st.max_writes() : 1u)) return;
  if (st.resume_due) {
    messages::resume_request q;
    q.plan_id = st.record.plan_id;
    q.chunk_index = st.start.resume_chunk_index.value_or(st.record.next_chunk_index);
    q.update_index = st.start.resume_update_index.value_or(st.record.next_update_index);
    q.chunk_size = st.record.chunk_size;
    send_request(self, step::resume, std::move(q));
    return;
  }
  switch (st.verifier->stage()) {
    case snapshot::verifier_stage::awaiting_plan: {
      const auto& cfg = st.env->config;
      send_request(self, step::plan, messages::plan_request{st.start.chunk_size, cfg.min_chunk_size, cfg.max_chunk_size});
      return;
    }
    case snapshot::verifier_stage::awaiting_updates:
      send_request(self, step::update, messages::update_request{st.verifier->next_update_index()});
      return;
    case snapshot::verifier_stage::awaiting_chunks:
      send_request(self, step::chunk, messages::chunk_request{st.verifier->next_chunk_index()});
      return;
    case snapshot::verifier_stage::complete:
      finish(self);
      return;
  }
}

void on_plan(session_actor* self, const messages::plan_response& p, std::uint64_t latency_us) {
  auto& st = self->state;
  if (!p.chunk_size) {
    fail(self, session_errc::checksum, "plan response without a chunk_size");
    return;
  }
  if (!p.plan) {
    fail(self, session_errc::checksum, "plan response without a plan");
    return;
  }
  if (auto ok = st.verifier->accept_plan(*p.plan, *p.chunk_size); !ok) {
    fail(self, classify_verification(ok.error()), ok.error().message());
    return;
  }
  auto& r = st.pending;
  r.plan_id = st.verifier->plan_id();
  r.chunk_size = *p.chunk_size;
  r.total_chunks = st.verifier->chunk_count();
  r.total_updates = st.verifier->update_count();
  r.state = storage::session_state::syncing;
  log::info("session", "planned",
            {{"session", r.session_id}, {"plan_id", r.plan_id}, {"chunk_size", r.chunk_size},
             {"chunks", r.total_chunks}, {"updates", r.total_updates}});
  persist(self, messages::ack_message{ack_kind::plan, 0}, latency_us, p.plan);
}

void on_update(session_actor* self, const messages::update_response& u, std::uint64_t latency_us) {
  auto& st = self->state;
  const auto expected = st.verifier->next_update_index();
  if (u.update_index != expected || !u.update) {
    fail(self, session_errc::checksum,
         "update " + std::to_string(expected) + ": the provider answered with update " + std::to_string(u.update_index));
    return;
  }
  if (auto ok = st.verifier->accept_update(expected, *u.update); !ok) {
    fail(self, classify_verification(ok.error()), ok.error().message());
    return;
  }
  st.pending.next_update_index = expected + 1;
  st.pending.last_update_height = st.verifier->last_update_height();
  if (st.verifier->stage() == snapshot::verifier_stage::complete) st.pending.state = storage::session_state::verified;
  persist(self, messages::ack_message{ack_kind::light_client_update, expected}, latency_us, expected, u.update);
}

void on_chunk(session_actor* self, const messages::chunk_response& c, std::uint64_t latency_us) {
  auto& st = self->state;
  const auto expected = st.verifier->next_chunk_index();
  if (c.chunk_index != expected || !c.chunk) {
    fail(self, session_errc::checksum,
         "chunk " + std::to_string(expected) + ": the provider answered with chunk " + std::to_string(c.chunk_index));
    return;
  }
  auto verified = std::make_shared<snapshot::verified_chunk>();
  std::swap(*verified, st.scratch); // reuse the record vector's capacity
  if (auto ok = st.verifier->accept_chunk(expected, *c.chunk, *verified); !ok) {
    fail(self, classify_verification(ok.error()), ok.error().message());
    return;
  }
  auto& r = st.pending;
  r.next_chunk_index = expected + 1;
  r.bytes_received += c.chunk->size();
  r.page_bytes_applied = st.verifier->progress().page_bytes;
  r.records_applied = st.verifier->progress().record_count;
  if (st.verifier->stage() == snapshot::verifier_stage::complete) r.state = storage::session_state::verified;
  chunk_write w{c.chunk, verified};
  persist(self, messages::ack_message{ack_kind::chunk, expected}, latency_us, std::move(w));
}

void on_reply(session_actor* self, result<exchange_result>& reply) {
  auto& st = self->state;
  if (!st.requesting || st.done) return;
  st.requesting = false;
  const step kind = st.current;
  if (!reply) {
    fail(self, classify_network(reply.error()),
         std::string(step_name(kind)) + " request to " + st.record.peer + " failed: " + reply.error().message());
    return;
  }
  const auto encoding = reply->encoding;
  const std::uint64_t latency_us = static_cast<std::uint64_t>(reply->latency.count());
  auto input = messages::padded_input::from(reply->body);
  const messages::decode_options options{messages::max_response_size(encoding)};
  auto decoded = input ? messages::decode_response(*input, options) : messages::decode_response(reply->body, options);
  if (!decoded) {
    fail(self, session_errc::checksum,
         std::string("malformed ") + step_name(kind) + " response: " + decoded.error().message());
    return;
  }
  if (decoded->session_id != st.record.session_id) {
    fail(self, session_errc::checksum,
         "response for session " + std::to_string(decoded->session_id) + " to a request of session " +
           std::to_string(st.record.session_id));
    return;
  }
  if (auto* refusal = std::get_if<messages::error_message>(&decoded->body)) {
    fail(self, classify_refusal(kind, refusal->message),
         std::string("provider refused ") + step_name(kind) + ": " + refusal->message);
    return;
  }
  auto unexpected = [&] {
    fail(self, session_errc::checksum,
         std::string("the provider answered a ") + step_name(kind) + " request with a " +
           std::string(messages::type_name(*decoded)) + " response");
  };
  switch (kind) {
    case step::plan:
      if (auto* p = std::get_if<messages::plan_response>(&decoded->body)) return on_plan(self, *p, latency_us);
      return unexpected();
    case step::update:
      if (auto* u = std::get_if<messages::update_response>(&decoded->body)) return on_update(self, *u, latency_us);
      return unexpected();
    case step::chunk:
      if (auto* c = std::get_if<messages::chunk_response>(&decoded->body)) return on_chunk(self, *c, latency_us);
      return unexpected();
    case step::ack: {
      auto* a = std::get_if<messages::ack_message>(&decoded->body);
      if (a == nullptr) return unexpected();
      if (st.acks_due.empty() || !(*a == st.acks_due.front())) {
        fail(self, session_errc::checksum, "the provider's ack echo does not match the ack sent");
        return;
      }
      st.acks_due.pop_front();
      report(self, latency_us);
      break;
    }
    case step::resume: {
      auto* r = std::get_if<messages::resume_response>(&decoded->body);
      if (r == nullptr) return unexpected();
      if (r->chunk_index != st.record.next_chunk_index || r->update_index != st.record.next_update_index) {
        fail(self, session_errc::resume_mismatch,
             "the provider resumed at chunk " + std::to_string(r->chunk_index) + ", update " +
               std::to_string(r->update_index) + " but this node's durable cursor is at chunk " +
               std::to_string(st.record.next_chunk_index) + ", update " + std::to_string(st.record.next_update_index));
        return;
      }
      st.resume_due = false;
      log::info("session", "resumed",
                {{"session", st.record.session_id}, {"chunk", r->chunk_index}, {"update", r->update_index}});
      if (st.start_promise) {
        st.start_promise->deliver(make_status(st));
        st.start_promise.reset();
      }
      report(self, latency_us);
      break;
    }
    case step::cancel:
      st.done = true;
      log::info("session", "cancelled", {{"session", st.record.session_id}, {"peer", st.record.peer}});
      self->quit(to_caf_error(error{session_errc::cancelled, "cancelled by the operator"}));
      return;
  }
  // A resume handshake (re-ack, then resume) completes on its own even when
  // the session is stepped by hand.
  if (st.env->config.auto_advance || st.cancel_requested || st.resume_due) issue_next(self);
}

/// Prepares the session: a fresh verifier, or one restored from durable state.
result<void> prepare(session_actor* self) {
  auto& st = self->state;
  auto peer = libp2p::peer_id::parse(st.start.peer);
  if (!peer) return error{session_errc::local, "invalid peer id: " + peer.error().message()};
  st.peer = *peer;
  const auto& stored = st.start.stored;
  if (!stored || stored->plan.empty()) {
    auto v = snapshot::light_client_verifier::create(st.env->trust);
    if (!v) return error{session_errc::authentication, v.error().message()};
    st.verifier.emplace(std::move(*v));
    st.record.session_id = st.start.session_id;
    st.record.peer = st.start.peer;
    st.record.created_unix_ms = stored ? stored->record.created_unix_ms : unix_ms();
    st.record.state = storage::session_state::planning;
    return {};
  }
  st.record = stored->record;
  st.record.error.clear();
  st.record.error_code.clear();
  st.record.state = storage::session_state::syncing;
  const auto& r = stored->record;
  if (st.start.resume_chunk_index && *st.start.resume_chunk_index > r.total_chunks)
    return error{session_errc::resume_mismatch, "resume chunk index " + std::to_string(*st.start.resume_chunk_index) +
                                                  " exceeds total " + std::to_string(r.total_chunks)};
  if (st.start.resume_update_index && *st.start.resume_update_index > r.total_updates)
    return error{session_errc::resume_mismatch, "resume update index " +
                                                  std::to_string(*st.start.resume_update_index) + " exceeds total " +
                                                  std::to_string(r.total_updates)};
  snapshot::verifier_progress progress{r.next_chunk_index, r.page_bytes_applied, r.records_applied};
  auto v = snapshot::light_client_verifier::restore(st.env->trust, stored->plan, r.chunk_size, stored->updates, progress);
  if (!v)
    return error{classify_verification(v.error()), "the stored session no longer verifies: " + v.error().message()};
  st.verifier.emplace(std::move(*v));
  if (st.verifier->stage() == snapshot::verifier_stage::complete) {
    st.record.state = storage::session_state::verified;
    return {};
  }
  // Re-acknowledge, oldest first, every durable artefact whose ack may not
  // have reached the provider, then resume from the durable cursor. Because a
  // chunk fetch overlaps the previous write, that can be the last update
  // (written while chunk 0 was fetched) and the last two chunks. A provider
  // takes a repeated ack as a no-op, so acking what it already has is safe.
  if (r.next_update_index > 0)
    st.acks_due.push_back(messages::ack_message{ack_kind::light_client_update, r.next_update_index - 1});
  if (r.next_chunk_index > 1) st.acks_due.push_back(messages::ack_message{ack_kind::chunk, r.next_chunk_index - 2});
  if (r.next_chunk_index > 0) st.acks_due.push_back(messages::ack_message{ack_kind::chunk, r.next_chunk_index - 1});
  if (st.acks_due.empty()) st.acks_due.push_back(messages::ack_message{ack_kind::plan, 0});
  st.resume_due = true;
  return {};
}

caf::behavior session(session_actor* self, std::shared_ptr<const session_env> env, session_start start,
                      caf::actor supervisor) {
  auto& st = self->state;
  tolerate_stray_messages(self, "session");
  st.env = std::move(env);
  st.start = std::move(start);
  st.supervisor = std::move(supervisor);
  return {
    [self](start_atom) -> caf::result<session_status> {
      auto& st = self->state;
      if (auto ready = prepare(self); !ready) {
        auto reason = ready.error();
        st.done = true;
        self->quit(to_caf_error(reason));
        return to_caf_error(std::move(reason));
      }
      if (st.record.state == storage::session_state::verified) {
        self->quit();
        return make_status(st);
      }
      const bool resuming = st.resume_due;
      log::info("session", resuming ? "resuming" : "starting",
                {{"session", st.record.session_id}, {"peer", st.record.peer}, {"retries", st.start.retries}});
      // The session is durable (and an earlier error cleared) before anyone
      // hears of it: a crash right after `start` answered loses nothing.
      auto rp = self->make_response_promise();
      if (resuming) st.start_promise = rp;
      st.pending = st.record;
      ++st.writes;
      self->request(st.env->writer, std::chrono::minutes(1), persist_atom::value, st.record)
        .then(
          [self, rp, resuming](result<void>& written) mutable {
            auto& st = self->state;
            --st.writes;
            if (!written) {
              fail(self, session_errc::local, "could not store the session: " + written.error().message());
              return;
            }
            report(self, 0);
            if (!resuming) rp.deliver(make_status(st));
            if (st.env->config.auto_advance || resuming) issue_next(self);
          },
          [self](caf::error& e) {
            --self->state.writes;
            fail(self, session_errc::local, "persistence writer failed: " + from_caf_error(e).message());
          });
      return rp;
    },
    [self](fetch_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.done) return to_caf_error(error{session_errc::finished, "session " + std::to_string(st.record.session_id) + " has nothing left to fetch"});
      if (st.busy())
        return to_caf_error(error{session_errc::backpressure,
                                  "backpressure: session " + std::to_string(st.record.session_id) + " has a " +
                                    (st.requesting ? std::string(step_name(st.current)) + " request in flight"
                                                   : std::string("write in progress"))});
      issue_next(self);
      return caf::unit;
    },
    [self](status_atom) { return make_status(self->state); },
    [self](cancel_atom) {
      auto& st = self->state;
      st.cancel_requested = true;
      if (!st.busy()) issue_next(self);
    },
    [self](net_reply_atom, result<exchange_result>& reply) { on_reply(self, reply); },
  };
}

} // namespace

caf::actor spawn_session(caf::actor_system& system, std::shared_ptr<const session_env> env, session_start start,
                         caf::actor supervisor) {
  return system.spawn(session, std::move(env), std::move(start), std::move(supervisor));
}

} // namespace snapstream::actors
