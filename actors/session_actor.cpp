#include "actors/session_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/bridge.hpp"
#include "actors/resilience.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/messages/refusal.hpp"
#include "protocol/messages/utf8.hpp"
#include "protocol/snapshot/errors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <deque>
#include <variant>

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
    case session_errc::not_available: return "not_available";
  }
  return "unknown";
}

failure_class failure_of(const error& reason) noexcept {
  if (reason.code().category() != make_error_code(session_errc::network).category()) {
    if (reason.is(actors_errc::timeout) || reason.is(actors_errc::unavailable)) return failure_class::network;
    return failure_class::local;
  }
  switch (static_cast<session_errc>(reason.code().value())) {
    case session_errc::network: return failure_class::network;
    case session_errc::checksum: return failure_class::checksum;
    case session_errc::authentication: return failure_class::authentication;
    case session_errc::resume_mismatch: return failure_class::resume_mismatch;
    case session_errc::saturated: return failure_class::saturated;
    case session_errc::remote: return failure_class::remote;
    case session_errc::not_available: return failure_class::remote;
    case session_errc::local:
    case session_errc::cancelled:
    case session_errc::backpressure:
    case session_errc::finished: return failure_class::local;
  }
  return failure_class::local;
}

namespace {

using messages::ack_kind;
using messages::protocol_version;

/// What the request in flight asks for.
enum class step { offers, plan, update, chunk, ack, resume, cancel };

const char* step_name(step s) {
  switch (s) {
    case step::offers: return "offers";
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

/// The one rule that turns a provider's refusal of a request of kind `s`
/// into what the session (and its job) make of it.
session_errc classify_refusal(step s, messages::refusal_code code) {
  using messages::refusal_code;
  switch (code) {
    case refusal_code::not_available: return s == step::chunk ? session_errc::not_available : session_errc::remote;
    case refusal_code::backpressure:
    case refusal_code::unavailable: return session_errc::network;
    case refusal_code::saturated:
    case refusal_code::breaker_open: return session_errc::saturated;
    case refusal_code::resume_rejected: return session_errc::resume_mismatch;
    case refusal_code::not_found:
      // A plan refused: the provider serves no such snapshot. Anything later:
      // it lost our session, which only a resume (or a new plan) mends.
      return s == step::plan || s == step::offers ? session_errc::remote : session_errc::resume_mismatch;
    case refusal_code::invalid_request: return s == step::resume ? session_errc::resume_mismatch : session_errc::remote;
  }
  return session_errc::remote;
}

using offers_promise = caf::typed_response_promise<session_offers>;
using plan_promise = caf::typed_response_promise<planned_session>;
using resume_promise = caf::typed_response_promise<resumed_session>;
using update_promise = caf::typed_response_promise<delivered_update>;
using chunk_promise = caf::typed_response_promise<delivered_chunk>;

/// The job's ask the session is serving: held until it may be sent, then in
/// flight until its response is delivered.
struct work_item {
  step kind = step::plan;
  plan_wanted plan;
  resume_wanted resume;
  std::uint64_t index = 0;
  std::chrono::milliseconds timeout{0};
  bool sent = false;
  /// A plan or offers ask sent to a provider that does not speak 1.2.0: sent
  /// again as a plain plan request over the older protocols.
  bool legacy = false;
  /// A chunk asked ahead (`chunk_wanted::then`): no promise until the job
  /// asks for it; its outcome waits in `session_data::ready` if it comes first.
  bool ahead = false;
  bool asked_ahead = false;          ///< sent as an ahead ask (stays set once the job asks)
  std::optional<std::uint64_t> then; ///< the job's next chunk, to ask ahead

  std::variant<std::monostate, offers_promise, plan_promise, resume_promise, update_promise, chunk_promise> promise;
};

struct session_data {
  std::shared_ptr<const session_env> env;
  session_start start;
  caf::actor job;
  std::optional<libp2p::peer_id> peer;
  std::shared_ptr<const snapshot::plan> plan;
  std::uint64_t pages_per_chunk = 0;
  std::optional<protocol_version> version; ///< the newest protocol the provider spoke to us

  bool requesting = false;
  step current = step::plan;
  std::optional<work_item> work;
  std::deque<messages::ack_message> acks_due;
  bool ack_carried = false;          ///< the request in flight carries acks_due.front() (1.3.0)
  bool flush_armed = false;          ///< a flush_acks_atom is on its way
  /// Since when due acks wait for a request to carry them (reset by every request sent).
  std::optional<std::chrono::steady_clock::time_point> linger_since;
  bool resume_handshake = false;     ///< re-acks and resume run on their own, even when stepped by hand
  bool stepped = false;              ///< manual: one request may go out
  bool owes_ready = false;           ///< answered the job with backpressure since its last request
  bool closing = false;
  bool tell_provider = false;
  std::string close_reason;
  bool done = false;
  std::uint64_t requests_sent = 0;
  snapshot::verified_chunk scratch;
  /// The verified chunk (or the refusal) of a chunk asked ahead that came
  /// before the job asked for it: at most one, handed over when it does.
  struct ready_chunk {
    std::uint64_t index = 0;
    std::optional<delivered_chunk> chunk;
    std::optional<error> refusal;
  };
  std::optional<ready_chunk> ready;

  static inline const char* name = "snapstream.session";
};

using self_pointer = session_actor::stateful_pointer<session_data>;

std::string describe(const session_data& st) { return "session " + std::to_string(st.start.session_id); }

error backpressure_error(const session_data& st) {
  if (st.requesting)
    return error{session_errc::backpressure,
                 "backpressure: " + describe(st) + " has a " + step_name(st.current) + " request in flight"};
  return error{session_errc::backpressure, "backpressure: " + describe(st) + " is already serving its job's request"};
}

void deliver_error(work_item& w, const error& e) {
  std::visit(
    [&](auto& rp) {
      if constexpr (!std::is_same_v<std::decay_t<decltype(rp)>, std::monostate>) rp.deliver(to_caf_error(e));
    },
    w.promise);
  w.promise = std::monostate{};
}

/// Ends the session with a typed failure; the job sees it as the exit reason.
void fail(self_pointer self, session_errc code, std::string message) {
  auto& st = self->state;
  if (st.done) return;
  st.done = true;
  error reason{code, std::move(message)};
  log::warn("session", "failed",
            {{"session", st.start.session_id}, {"peer", st.start.peer}, {"code", to_string(code)},
             {"reason", reason.message()}});
  if (st.work) deliver_error(*st.work, reason);
  st.work.reset();
  self->quit(to_caf_error(std::move(reason)));
}

/// The protocols to offer for a request that needs 1.2.0 or later
/// (`needs_v1_2`) or that an older provider must understand.
std::vector<net::protocol_spec> protocols_for(const session_data& st, bool needs_v1_2) {
  std::vector<net::protocol_spec> out;
  for (const auto& p : st.env->config.protocols) {
    auto v = messages::version_of(p.id);
    if (!v) continue;
    const bool new_enough = *v >= protocol_version::v1_2;
    if (needs_v1_2 == new_enough) out.push_back(p);
  }
  return out;
}

bool speaks_v1_2(const session_data& st) {
  if (st.version && *st.version < protocol_version::v1_2) return false;
  return !protocols_for(st, true).empty();
}

/// How long a due ack waits for a chunk or update request to carry it
/// before it goes out alone (1.3.0). The job asks its next chunk within
/// microseconds of the last one's delivery; the wait only matters when no
/// request follows (the provider's share of the job is done).
constexpr auto ack_linger = std::chrono::milliseconds(50);

/// Whether due acks ride on the next chunk or update request: the provider
/// spoke 1.3.0, and the session steps itself outside the resume handshake.
bool carries_acks(const session_data& st) {
  return st.version == protocol_version::v1_3 && !st.start.manual && !st.resume_handshake && !st.closing;
}

/// The 1.3.0 protocols of the configuration: a request with a carried ack
/// means nothing to an older provider.
std::vector<net::protocol_spec> v1_3_protocols(const session_data& st) {
  std::vector<net::protocol_spec> out;
  for (const auto& p : st.env->config.protocols)
    if (messages::version_of(p.id) == protocol_version::v1_3) out.push_back(p);
  return out;
}

void send_request(self_pointer self, step kind, decltype(messages::snapshots_request::body) body,
                  std::vector<net::protocol_spec> protocols, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  messages::snapshots_request request{st.start.session_id, std::move(body)};
  byte_buffer encoded;
  encoded.reserve(messages::encoded_size(request, messages::byte_encoding::base64));
  messages::encode(request, messages::byte_encoding::base64, encoded);
  st.requesting = true;
  st.current = kind;
  st.linger_since.reset();
  ++st.requests_sent;
  log::debug("session", "request",
             {{"session", st.start.session_id}, {"peer", st.start.peer}, {"type", messages::type_name(request)},
              {"seq", st.requests_sent}});
  net::peer_target target = *st.peer;
  start_io(st.env->io, exchange(st.env->host, std::move(target), std::move(protocols), std::move(encoded), timeout),
           caf::actor_cast<caf::actor>(self), net_reply_atom::value);
}

void send_work(self_pointer self, bool carry = false) {
  auto& st = self->state;
  auto& w = *st.work;
  w.sent = true;
  std::optional<messages::ack_message> ack;
  if (carry && (w.kind == step::update || w.kind == step::chunk)) ack = st.acks_due.front();
  const auto timeout = w.timeout.count() > 0 ? w.timeout : st.env->config.request_timeout;
  switch (w.kind) {
    case step::offers:
      if (!w.legacy && speaks_v1_2(st)) {
        send_request(self, step::offers, messages::offers_request{}, protocols_for(st, true), timeout);
        return;
      }
      w.legacy = true;
      send_request(self, step::offers,
                   messages::plan_request{w.plan.chunk_size, w.plan.min_chunk_size, w.plan.max_chunk_size, {}},
                   protocols_for(st, false), timeout);
      return;
    case step::plan: {
      messages::plan_request q{w.plan.chunk_size, w.plan.min_chunk_size, w.plan.max_chunk_size, {}};
      if (!w.legacy && w.plan.plan_id && speaks_v1_2(st)) {
        q.plan_id = w.plan.plan_id;
        send_request(self, step::plan, std::move(q), protocols_for(st, true), timeout);
        return;
      }
      w.legacy = true;
      auto protocols = st.env->config.protocols;
      if (st.version && *st.version != protocol_version::v1_2) protocols = protocols_for(st, false);
      send_request(self, step::plan, std::move(q), std::move(protocols), timeout);
      return;
    }
    case step::resume: {
      messages::resume_request q;
      q.plan_id = w.resume.plan_id;
      q.chunk_index = w.resume.chunk_index.value_or(st.start.record.next_ack_chunk);
      q.update_index = w.resume.update_index.value_or(st.start.record.next_ack_update);
      q.chunk_size = w.resume.chunk_size;
      send_request(self, step::resume, std::move(q), st.env->config.protocols, timeout);
      return;
    }
    case step::update:
      send_request(self, step::update, messages::update_request{w.index, ack},
                   ack ? v1_3_protocols(st) : st.env->config.protocols, timeout);
      st.ack_carried = ack.has_value();
      return;
    case step::chunk:
      send_request(self, step::chunk, messages::chunk_request{w.index, ack},
                   ack ? v1_3_protocols(st) : st.env->config.protocols, timeout);
      st.ack_carried = ack.has_value();
      return;
    case step::ack:
    case step::cancel: break;
  }
}

/// Sends the next request when the slot is free: due acks first (under
/// 1.3.0 carried by the job's next chunk or update request, or alone after
/// `ack_linger`), then the resume or the job's work, then the goodbye of a
/// closing session.
void pump(self_pointer self) {
  auto& st = self->state;
  if (st.done || st.requesting) return;
  const bool may_send = !st.start.manual || st.stepped || st.resume_handshake || st.closing;
  if (!may_send) return;
  if (!st.acks_due.empty()) {
    const bool carry = carries_acks(st) && !v1_3_protocols(st).empty();
    const bool carrier = st.work && !st.work->sent && (st.work->kind == step::chunk || st.work->kind == step::update);
    if (carry && carrier) {
      st.stepped = false;
      send_work(self, true);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!st.linger_since) st.linger_since = now;
    const auto waited = now - *st.linger_since;
    if (!carry || waited >= ack_linger || (st.work && !st.work->sent)) {
      st.stepped = false;
      send_request(self, step::ack, st.acks_due.front(), st.env->config.protocols, st.env->config.request_timeout);
      return;
    }
    // Wait the rest of `ack_linger` for a request to carry them; the job may
    // go on meanwhile.
    if (!st.flush_armed) {
      st.flush_armed = true;
      self->delayed_send(self, std::chrono::duration_cast<std::chrono::milliseconds>(ack_linger - waited) +
                                 std::chrono::milliseconds(1),
                         flush_acks_atom::value);
    }
  } else if (st.closing) {
    if (st.tell_provider) {
      st.tell_provider = false;
      send_request(self, step::cancel, messages::error_message{st.close_reason, std::nullopt},
                   st.env->config.protocols, st.env->config.request_timeout);
      return;
    }
    st.done = true;
    self->quit();
    return;
  } else if (st.work && !st.work->sent) {
    st.stepped = false;
    send_work(self);
    return;
  }
  if (st.owes_ready) {
    st.owes_ready = false;
    caf::anon_send(st.job, ready_atom::value, st.start.peer);
  }
}

/// Takes one ask of the job: refused with backpressure while the slot is
/// taken, otherwise sent (or held, when stepped by hand).
template <class T>
caf::result<T> take(self_pointer self, work_item w) {
  auto& st = self->state;
  if (st.done || st.closing)
    return to_caf_error(error{session_errc::finished, describe(st) + " is closing and takes no more work"});
  if (st.requesting || st.work) {
    st.owes_ready = true;
    return to_caf_error(backpressure_error(st));
  }
  auto rp = self->template make_response_promise<T>();
  w.promise = rp;
  st.work = std::move(w);
  pump(self);
  return rp;
}

/// The work of fetching chunk `index`.
work_item chunk_work(std::uint64_t index, std::chrono::milliseconds timeout, std::optional<std::uint64_t> then) {
  work_item w;
  w.kind = step::chunk;
  w.index = index;
  w.timeout = timeout;
  w.then = then;
  return w;
}

/// Requests the job's next chunk before it asks for it: right after the
/// previous chunk's response, so the wire carries it while that chunk is
/// verified and handed over (still one request in flight). Only for a
/// session that steps itself and has nothing else to send or hold.
void ask_ahead(self_pointer self, std::uint64_t index, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  if (st.done || st.closing || st.start.manual || st.resume_handshake || !st.plan || st.work || st.ready) return;
  work_item w = chunk_work(index, timeout, std::nullopt);
  w.ahead = true;
  w.asked_ahead = true;
  st.work = std::move(w);
  pump(self);
}

void on_offers(self_pointer self, const messages::snapshots_response& r, const exchange_result& x) {
  auto& st = self->state;
  auto& w = *st.work;
  session_offers out;
  out.version = x.version;
  if (auto* o = std::get_if<messages::offers_response>(&r.body)) {
    auto decoded = snapshot::decode_offers(o->offers ? bytes_view(*o->offers) : bytes_view{});
    if (!decoded) return fail(self, session_errc::checksum, "malformed offers response: " + decoded.error().message());
    out.offers = std::move(*decoded);
  } else if (auto* p = std::get_if<messages::plan_response>(&r.body)) {
    if (!p->plan || !p->chunk_size)
      return fail(self, session_errc::checksum, "the provider's plan answer lacks its plan or chunk_size");
    auto plan = snapshot::decode_plan(*p->plan);
    if (!plan) return fail(self, session_errc::checksum, plan.error().message());
    out.offers.push_back(snapshot::offer_of(*plan));
    out.planned = planned_session{p->plan, *p->chunk_size, out.version, x.latency};
  } else {
    return fail(self, session_errc::checksum,
                std::string("the provider answered an offers request with a ") +
                  std::string(messages::type_name(r)) + " response");
  }
  auto rp = std::get<offers_promise>(w.promise);
  st.work.reset();
  rp.deliver(std::move(out));
}

void on_response(self_pointer self, const messages::snapshots_response& r, const exchange_result& x) {
  auto& st = self->state;
  const step kind = st.current;
  auto unexpected = [&] {
    fail(self, session_errc::checksum,
         std::string("the provider answered a ") + step_name(kind) + " request with a " +
           std::string(messages::type_name(r)) + " response");
  };
  switch (kind) {
    case step::ack: {
      auto* a = std::get_if<messages::ack_message>(&r.body);
      if (a == nullptr) return unexpected();
      if (st.acks_due.empty() || !(*a == st.acks_due.front()))
        return fail(self, session_errc::checksum, "the provider's ack echo does not match the ack sent");
      st.acks_due.pop_front();
      return;
    }
    case step::cancel:
      st.done = true;
      log::info("session", "closed", {{"session", st.start.session_id}, {"peer", st.start.peer}});
      self->quit();
      return;
    case step::offers: return on_offers(self, r, x);
    case step::plan: {
      auto* p = std::get_if<messages::plan_response>(&r.body);
      if (p == nullptr) return unexpected();
      if (!p->chunk_size) return fail(self, session_errc::checksum, "plan response without a chunk_size");
      if (!p->plan) return fail(self, session_errc::checksum, "plan response without a plan");
      auto rp = std::get<plan_promise>(st.work->promise);
      st.work.reset();
      rp.deliver(planned_session{p->plan, *p->chunk_size, x.version, x.latency});
      return;
    }
    case step::resume: {
      auto* q = std::get_if<messages::resume_response>(&r.body);
      if (q == nullptr) return unexpected();
      const auto& rec = st.start.record;
      if (q->chunk_index != rec.next_ack_chunk || q->update_index != rec.next_ack_update)
        return fail(self, session_errc::resume_mismatch,
                    "the provider resumed at chunk " + std::to_string(q->chunk_index) + ", update " +
                      std::to_string(q->update_index) + " but this node's durable cursor is at chunk " +
                      std::to_string(rec.next_ack_chunk) + ", update " + std::to_string(rec.next_ack_update));
      st.resume_handshake = false;
      log::info("session", "resumed",
                {{"session", st.start.session_id}, {"peer", st.start.peer}, {"chunk", q->chunk_index},
                 {"update", q->update_index}});
      auto rp = std::get<resume_promise>(st.work->promise);
      st.work.reset();
      rp.deliver(resumed_session{q->chunk_index, q->update_index});
      return;
    }
    case step::update: {
      auto* u = std::get_if<messages::update_response>(&r.body);
      if (u == nullptr) return unexpected();
      const auto wanted = st.work->index;
      if (u->update_index != wanted || !u->update)
        return fail(self, session_errc::checksum,
                    "update " + std::to_string(wanted) + ": the provider answered with update " +
                      std::to_string(u->update_index));
      auto rp = std::get<update_promise>(st.work->promise);
      st.work.reset();
      rp.deliver(delivered_update{wanted, u->update, x.latency});
      return;
    }
    case step::chunk: {
      auto* c = std::get_if<messages::chunk_response>(&r.body);
      if (c == nullptr) return unexpected();
      const auto wanted = st.work->index;
      if (c->chunk_index != wanted || !c->chunk)
        return fail(self, session_errc::checksum,
                    "chunk " + std::to_string(wanted) + ": the provider answered with chunk " +
                      std::to_string(c->chunk_index));
      if (!st.plan) return fail(self, session_errc::local, "chunk " + std::to_string(wanted) + " before the plan");
      work_item w = std::move(*st.work);
      st.work.reset();
      // The next chunk leaves before this one is verified.
      if (!w.ahead && w.then) ask_ahead(self, *w.then, w.timeout);
      auto verified = std::make_shared<snapshot::verified_chunk>();
      std::swap(*verified, st.scratch); // reuse the vectors' capacity
      if (auto ok = snapshot::verify_chunk(*st.plan, wanted, st.pages_per_chunk, *c->chunk, *verified); !ok) {
        const auto code = classify_verification(ok.error());
        deliver_error(w, error{code, ok.error().message()});
        return fail(self, code, ok.error().message());
      }
      delivered_chunk d{wanted, c->chunk, std::move(verified), x.latency, w.asked_ahead};
      if (w.ahead) st.ready = session_data::ready_chunk{wanted, std::move(d), std::nullopt};
      else std::get<chunk_promise>(w.promise).deliver(std::move(d));
      return;
    }
  }
}

void on_reply(self_pointer self, result<exchange_result>& reply) {
  auto& st = self->state;
  if (!st.requesting || st.done) return;
  st.requesting = false;
  const step kind = st.current;
  const bool carried = std::exchange(st.ack_carried, false);
  if (!reply && carried && reply.error().is(libp2p::libp2p_errc::protocol_not_supported) && st.work) {
    // The provider no longer speaks 1.3.0 (it restarted older): the ack and
    // the request go the older way.
    st.version = protocol_version::v1_2;
    st.work->sent = false;
    pump(self);
    return;
  }
  if (!reply) {
    // An old provider does not speak 1.2.0: ask it the old way.
    if (reply.error().is(libp2p::libp2p_errc::protocol_not_supported) && st.work && st.work->sent &&
        !st.work->legacy && (kind == step::offers || kind == step::plan)) {
      st.version = protocol_version::v1_1;
      st.work->legacy = true;
      st.work->sent = false;
      send_work(self);
      return;
    }
    return fail(self, classify_network(reply.error()),
                std::string(step_name(kind)) + " request to " + st.start.peer + " failed: " + reply.error().message());
  }
  const auto version = reply->version;
  if (!st.version || *st.version < version) st.version = version;
  const messages::decode_options options{messages::max_response_size(version), version};
  // Handed over: a 1.3.0 chunk becomes its byte field without a copy.
  auto decoded = messages::decode_response(std::move(reply->body), options);
  if (!decoded)
    return fail(self, session_errc::checksum,
                std::string("malformed ") + step_name(kind) + " response: " + decoded.error().message());
  if (decoded->session_id != st.start.session_id)
    return fail(self, session_errc::checksum,
                "response for session " + std::to_string(decoded->session_id) + " to a request of session " +
                  std::to_string(st.start.session_id));
  if (auto* refusal = std::get_if<messages::error_message>(&decoded->body)) {
    if (kind == step::cancel) { // a provider that forgot us already: closed either way
      st.done = true;
      self->quit();
      return;
    }
    const auto code = classify_refusal(kind, messages::classify_refusal(*refusal));
    // A peer's words reach statuses, events and logs: valid UTF-8 only.
    const std::string text = std::string("provider refused ") + step_name(kind) + ": " +
                             messages::valid_utf8(refusal->message);
    if (code == session_errc::not_available && st.work) {
      if (st.work->ahead) st.ready = session_data::ready_chunk{st.work->index, std::nullopt, error{code, text}};
      deliver_error(*st.work, error{code, text});
      st.work.reset();
    } else {
      return fail(self, code, text);
    }
  } else {
    // Served: the provider took the carried ack first.
    if (carried && !st.acks_due.empty()) st.acks_due.pop_front();
    on_response(self, *decoded, *reply);
  }
  if (!st.done) pump(self);
}

/// How many of the last chunks durable here may lack their ack at the
/// provider: an ack rides on a later request than its chunk's, a job keeps
/// up to two writes per session pending, and a chunk asked ahead leaves
/// before the chunk before it is even verified.
constexpr std::uint64_t reacked_chunks = 4;

/// The durable artefacts whose acks the provider may have missed, oldest
/// first: the last update and the last `reacked_chunks` chunks. A repeated
/// ack is a no-op for the provider, so acking what it already has is safe.
void queue_reacks(session_data& st) {
  const auto& r = st.start.record;
  if (r.next_ack_update > 0)
    st.acks_due.push_back(messages::ack_message{ack_kind::light_client_update, r.next_ack_update - 1});
  for (std::uint64_t c = r.next_ack_chunk - std::min(r.next_ack_chunk, reacked_chunks); c < r.next_ack_chunk; ++c)
    st.acks_due.push_back(messages::ack_message{ack_kind::chunk, c});
  if (st.acks_due.empty()) st.acks_due.push_back(messages::ack_message{ack_kind::plan, 0});
}

session_actor::behavior_type session(self_pointer self, std::shared_ptr<const session_env> env, session_start start,
                                     caf::actor job) {
  auto& st = self->state;
  tolerate_stray_messages(self, "session");
  st.env = std::move(env);
  st.start = std::move(start);
  st.job = std::move(job);
  st.version = st.start.version;
  if (auto peer = libp2p::peer_id::parse(st.start.peer)) st.peer = *peer;
  return {
    [self](offers_atom, plan_wanted& p) -> caf::result<session_offers> {
      if (!self->state.peer) return to_caf_error(error{session_errc::local, "invalid peer id " + self->state.start.peer});
      work_item w;
      w.kind = step::offers;
      w.plan = std::move(p);
      return take<session_offers>(self, std::move(w));
    },
    [self](plan_atom, plan_wanted& p) -> caf::result<planned_session> {
      if (!self->state.peer) return to_caf_error(error{session_errc::local, "invalid peer id " + self->state.start.peer});
      work_item w;
      w.kind = step::plan;
      w.plan = std::move(p);
      return take<planned_session>(self, std::move(w));
    },
    [self](resume_atom, resume_wanted& r) -> caf::result<resumed_session> {
      auto& st = self->state;
      if (!st.peer) return to_caf_error(error{session_errc::local, "invalid peer id " + st.start.peer});
      if (st.requesting || st.work) {
        st.owes_ready = true;
        return to_caf_error(backpressure_error(st));
      }
      queue_reacks(st);
      st.resume_handshake = true;
      work_item w;
      w.kind = step::resume;
      w.resume = std::move(r);
      return take<resumed_session>(self, std::move(w));
    },
    [self](update_atom, std::uint64_t index) -> caf::result<delivered_update> {
      work_item w;
      w.kind = step::update;
      w.index = index;
      return take<delivered_update>(self, std::move(w));
    },
    [self](chunk_atom, chunk_wanted& c) -> caf::result<delivered_chunk> {
      auto& st = self->state;
      if (!st.plan)
        return to_caf_error(error{session_errc::local, "chunk " + std::to_string(c.index) + " asked before the plan"});
      if (st.ready) {
        auto r = std::move(*st.ready);
        st.ready.reset();
        if (r.index == c.index && !st.done && !st.closing) {
          // Asked ahead, and it came first: handed over now, and the next
          // one asked ahead in turn.
          if (c.then) ask_ahead(self, *c.then, c.timeout);
          if (r.refusal) return to_caf_error(*r.refusal);
          return std::move(*r.chunk);
        }
        // The job wants another chunk after all: the one asked ahead is dropped.
      }
      if (st.work && st.work->ahead && !st.done && !st.closing) {
        if (st.work->index == c.index) {
          // Asked ahead and on its way: this ask takes its response.
          auto rp = self->make_response_promise<delivered_chunk>();
          st.work->promise = rp;
          st.work->ahead = false;
          st.work->then = c.then;
          return rp;
        }
        // Another chunk: the one asked ahead finishes first.
        st.owes_ready = true;
        return to_caf_error(backpressure_error(st));
      }
      return take<delivered_chunk>(self, chunk_work(c.index, c.timeout, c.then));
    },
    [self](use_plan_atom, std::shared_ptr<const snapshot::plan>& plan, std::uint64_t pages_per_chunk) {
      self->state.plan = std::move(plan);
      self->state.pages_per_chunk = pages_per_chunk;
    },
    [self](ack_atom, messages::ack_message& ack) {
      self->state.acks_due.push_back(ack);
      pump(self);
    },
    [self](fetch_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.done)
        return to_caf_error(error{session_errc::finished, describe(st) + " has nothing left to fetch"});
      if (st.requesting) return to_caf_error(backpressure_error(st));
      if (!st.start.manual) return caf::unit; // it steps itself
      const bool something = !st.acks_due.empty() || (st.work && !st.work->sent) || st.closing;
      if (!something)
        return to_caf_error(error{session_errc::backpressure,
                                  "backpressure: " + describe(st) + " is waiting for work from its job"});
      st.stepped = true;
      pump(self);
      return caf::unit;
    },
    [self](close_atom, std::string& reason, bool tell_provider) {
      auto& st = self->state;
      if (st.done || st.closing) return;
      st.closing = true;
      st.close_reason = std::move(reason);
      st.tell_provider = tell_provider;
      if (st.work && !st.work->sent) {
        deliver_error(*st.work, error{session_errc::finished, describe(st) + " is closing"});
        st.work.reset();
      }
      pump(self);
    },
    [self](net_reply_atom, result<exchange_result>& reply) { on_reply(self, reply); },
    [self](flush_acks_atom) {
      auto& st = self->state;
      st.flush_armed = false;
      // A request in flight may carry them yet: its reply pumps (and arms
      // the timer again when nothing follows it).
      if (st.done || st.acks_due.empty() || st.requesting) return;
      pump(self); // alone once they waited `ack_linger`, else the timer again for the rest
    },
  };
}

} // namespace

session_actor spawn_session(caf::actor_system& system, std::shared_ptr<const session_env> env, session_start start,
                            caf::actor job) {
  return system.spawn(session, std::move(env), std::move(start), std::move(job));
}

} // namespace snapstream::actors
