#include "actors/job_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/bridge.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/provider_actor.hpp"
#include "actors/resilience.hpp"
#include "net/libp2p/host_errc.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/messages/utf8.hpp"
#include "protocol/snapshot/chunk_ledger.hpp"
#include "protocol/snapshot/errors.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"

#include <boost/json.hpp>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <functional>
#include <deque>
#include <map>
#include <random>
#include <set>

namespace snapstream::actors {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto tick_interval = 250ms;
constexpr auto writer_timeout = std::chrono::minutes(5);
constexpr auto close_grace = 10s;
/// A session has at most this many of its chunks waiting for their write
/// (so at most that many durable chunks whose acks it may not have sent: a
/// resume re-acks the last two).
constexpr std::size_t writes_per_session = 2;
/// How often a standby provider is asked whether it offers the job's plan yet.
constexpr auto standby_probe_interval = 2s;

enum class job_phase { starting, discovering, planning, chain, chunks, finalizing, done };

/// What the job knows of one provider.
struct provider {
  std::string peer;
  std::optional<session_actor> session;
  caf::actor_addr session_addr;
  std::string state = "planning";         ///< as peer_status shows it
  storage::provider_session_record record;  ///< as last handed to the writer (newest)
  std::optional<messages::protocol_version> version;
  std::optional<session_offers> offered;  ///< its answer to the offers ask
  std::optional<std::string> offer_error; ///< why it offered nothing
  bool asked_offers = false;
  bool planned = false;                   ///< its provider session is open on the job's plan
  bool plan_in_use = false;               ///< it has the trusted plan (use_plan sent)
  bool busy = false;                      ///< an ask of the job is outstanding
  bool backpressured = false;             ///< answered backpressure: wait for its `ready`
  bool waiting = false;                   ///< a restart is scheduled
  bool banned = false;
  bool dropped = false;
  /// Answered discovery without the chosen plan but speaks offers (1.2.0
  /// and later): a peer that may start serving it (it syncs it too). Asked
  /// for its offers every `standby_probe_interval`; joins once it offers it.
  bool standby = false;
  std::optional<std::uint64_t> asked_chunk; ///< assigned to it, not yet delivered
  std::size_t writing = 0;                ///< its chunks waiting for their write
  std::uint32_t attempts = 0;             ///< failures since it last delivered something
  std::uint64_t failures = 0;
  std::uint64_t backpressure = 0;
  std::optional<std::string> last_error;
  std::optional<std::string> last_error_code;
  clock_type::time_point next_offer_refresh{};

  [[nodiscard]] bool usable() const noexcept { return !banned && !dropped && !standby; }
  [[nodiscard]] bool live() const noexcept { return session.has_value(); }
};

struct job_data {
  std::shared_ptr<const session_env> env;
  consumer_config config;
  job_start start;
  job_observer supervisor;
  restart_policy policy;
  std::mt19937_64 rng{std::random_device{}()};

  storage::session_record record;  ///< the durable cursor (last write the writer confirmed)
  storage::session_record pending; ///< the newest cursor handed to the writer
  std::map<std::string, provider> providers;
  std::vector<std::string> order;  ///< providers in the order they joined

  job_phase phase = job_phase::starting;
  std::optional<snapshot::light_client_verifier> verifier;
  shared_bytes plan_bytes;
  std::shared_ptr<const snapshot::plan> plan;
  std::optional<snapshot::chunk_ledger> ledger;
  std::optional<sync_schedule> schedule;
  std::vector<shared_bytes> updates;  ///< the verified chain, for serving it on
  std::string chain_peer;             ///< who fetches the update chain
  bool chain_busy = false;
  std::set<std::string> rejected_plans;
  std::optional<std::string> chosen_plan;
  clock_type::time_point discovery_deadline{};
  bool discovery_listed = false;      ///< the candidate list arrived
  std::size_t writes_pending = 0;
  std::uint32_t restarts = 0;         ///< provider restarts so far (the status' retries)
  std::uint64_t chunks_asked_ahead = 0; ///< chunks whose request left before the job asked (this run)
  std::optional<caf::typed_response_promise<session_status>> start_promise;
  std::string last_error;
  failure_class last_class = failure_class::network;
  std::vector<bool> taken;            ///< chunks applied or handed to the writer
  bool cancelling = false;
  bool closing = false;
  clock_type::time_point close_deadline{};
  std::deque<std::pair<clock_type::time_point, std::uint64_t>> rate_window;

  static inline const char* name = "snapstream.job";
};

using self_pointer = job_actor::stateful_pointer<job_data>;

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

std::string json(const boost::json::object& o) { return boost::json::serialize(o); }

void publish(self_pointer self, const char* type, const boost::json::object& payload) {
  caf::anon_send(self->state.env->events, publish_atom::value, std::string(type), json(payload));
}

session_status make_status(const job_data& st) {
  session_status s = status_of(st.record);
  s.retries = st.start.retries + st.restarts;
  s.chunks_asked_ahead = st.chunks_asked_ahead;
  if (st.rate_window.size() >= 2) {
    const auto& [t0, b0] = st.rate_window.front();
    const auto& [t1, b1] = st.rate_window.back();
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    if (secs > 0) s.throughput = static_cast<double>(b1 - b0) / secs;
  }
  for (const auto& name : st.order) {
    const auto& p = st.providers.at(name);
    peer_status ps;
    ps.peer = p.peer;
    ps.state = p.state;
    ps.bytes = p.record.bytes;
    ps.chunks = p.record.chunks;
    if (st.schedule) {
      const auto r = st.schedule->rates(p.peer);
      ps.rate = r.bytes_per_second;
      ps.rtt_ms = r.latency_ms;
    }
    ps.failures = p.failures;
    ps.backpressure = p.backpressure;
    ps.last_error = p.last_error;
    ps.last_error_code = p.last_error_code;
    s.peers.push_back(std::move(ps));
  }
  return s;
}

void report(self_pointer self, std::uint64_t latency_us) {
  auto& st = self->state;
  const auto now = clock_type::now();
  st.rate_window.emplace_back(now, st.record.bytes_received);
  while (st.rate_window.size() > 2 && now - st.rate_window.front().first > 5s) st.rate_window.pop_front();
  caf::anon_send(st.supervisor, progress_atom::value, make_status(st), latency_us);
}

void drive(self_pointer self);
void finalize(self_pointer self);

/// Stops every session at once (the job is going away).
void stop_sessions(self_pointer self) {
  for (auto& [name, p] : self->state.providers)
    if (p.session) self->send_exit(*p.session, caf::exit_reason::user_shutdown);
}

/// Ends the job with a typed failure, recorded durably after every write
/// already queued (the writer keeps order), so the stored cursor is the
/// newest one: it never moves back behind a chunk that is being written.
void fail_job(self_pointer self, session_errc code, std::string message) {
  auto& st = self->state;
  if (st.phase == job_phase::done) return;
  st.phase = job_phase::done;
  error reason{code, std::move(message)};
  log::warn("job", "failed",
            {{"session", st.record.session_id}, {"code", to_string(code)}, {"reason", reason.message()}});
  if (st.start_promise) {
    st.start_promise->deliver(to_caf_error(reason));
    st.start_promise.reset();
  }
  if (!st.cancelling && code != session_errc::cancelled) {
    auto rec = st.pending;
    rec.state = storage::session_state::failed;
    rec.error = reason.message();
    rec.error_code = error_code_name(failure_of(reason));
    rec.updated_unix_ms = unix_ms();
    caf::anon_send(st.env->writer, persist_atom::value, rec);
  }
  stop_sessions(self);
  self->quit(to_caf_error(std::move(reason)));
}

/// Fails the job with the last provider's error when no provider is left.
void check_providers_left(self_pointer self) {
  auto& st = self->state;
  if (st.phase == job_phase::done || st.phase == job_phase::finalizing || st.phase == job_phase::discovering ||
      st.phase == job_phase::starting)
    return;
  for (const auto& [name, p] : st.providers)
    if (p.usable()) return;
  session_errc code = session_errc::network;
  switch (st.last_class) {
    case failure_class::network: code = session_errc::network; break;
    case failure_class::checksum: code = session_errc::checksum; break;
    case failure_class::authentication: code = session_errc::authentication; break;
    case failure_class::resume_mismatch: code = session_errc::resume_mismatch; break;
    case failure_class::saturated: code = session_errc::saturated; break;
    case failure_class::remote: code = session_errc::remote; break;
    case failure_class::local: code = session_errc::local; break;
  }
  fail_job(self, code, st.last_error.empty() ? std::string("no provider is left to sync from") : st.last_error);
}

provider& add_provider(self_pointer self, const std::string& peer) {
  auto& st = self->state;
  auto [it, fresh] = st.providers.try_emplace(peer);
  if (fresh) {
    it->second.peer = peer;
    it->second.record.session_id = st.record.session_id;
    it->second.record.peer = peer;
    st.order.push_back(peer);
  }
  return it->second;
}

void spawn_for(self_pointer self, provider& p) {
  auto& st = self->state;
  session_start s;
  s.session_id = st.record.session_id;
  s.peer = p.peer;
  s.record = p.record;
  s.version = p.version;
  s.manual = !st.env->config.auto_advance;
  auto session = spawn_session(self->system(), st.env, std::move(s), caf::actor_cast<caf::actor>(self));
  self->monitor(session);
  p.session = session;
  p.session_addr = session.address();
  p.busy = false;
  p.backpressured = false;
  p.waiting = false;
  p.plan_in_use = false;
}

/// Gives a planned provider the trusted plan, so its session can verify chunks.
void arm(self_pointer self, provider& p) {
  auto& st = self->state;
  if (st.phase != job_phase::chunks || !p.planned || !p.session || p.plan_in_use || !st.plan) return;
  self->send(*p.session, use_plan_atom::value, st.plan, st.ledger->pages_per_chunk());
  p.plan_in_use = true;
}

/// A provider that cannot serve this job's snapshot: it is left out.
void drop(self_pointer self, provider& p, const std::string& why) {
  auto& st = self->state;
  if (p.dropped || p.banned) return;
  p.dropped = true;
  p.state = "dropped";
  p.last_error = why;
  log::info("job", "provider_dropped", {{"session", st.record.session_id}, {"peer", p.peer}, {"reason", why}});
  if (st.schedule) st.schedule->remove(p.peer);
  if (p.session) self->send(*p.session, close_atom::value, std::string("snapshot session no longer needed"), true);
  st.last_error = p.peer + ": " + why;
  st.last_class = failure_class::remote;
  report(self, 0);
}

/// A provider that lied: banned from the job; whatever it had not yet
/// delivered goes to the others. Nothing it sent that failed verification
/// was applied (sessions and the job verify before anything is written).
void ban(self_pointer self, provider& p, const error& why) {
  auto& st = self->state;
  if (p.banned) return;
  p.banned = true;
  p.state = "banned";
  p.last_error = why.message();
  p.last_error_code = error_code_name(failure_of(why));
  ++p.failures;
  if (st.schedule) st.schedule->remove(p.peer);
  p.asked_chunk.reset();
  p.record.banned = true;
  p.record.ban_reason = why.message();
  caf::anon_send(st.env->writer, persist_atom::value, p.record);
  if (p.session) self->send_exit(*p.session, caf::exit_reason::user_shutdown);
  st.last_error = why.message();
  st.last_class = failure_of(why);
  log::warn("job", "peer_banned",
            {{"session", st.record.session_id}, {"peer", p.peer}, {"reason", why.message()}});
  boost::json::object o;
  o["session"] = st.record.session_id;
  o["peer"] = p.peer;
  o["reason"] = messages::valid_utf8(why.message());
  o["error_code"] = error_code_name(failure_of(why));
  publish(self, "PeerBanned", o);
  caf::anon_send(st.supervisor, banned_atom::value, p.peer);
  report(self, 0);
}

// ---------------------------------------------------------------- writes

/// Hands the newest cursor to the writer with `args` and calls `done` once
/// it is durable (with the record as written).
template <class Done, class... Ts>
void write(self_pointer self, Done done, Ts... args) {
  auto& st = self->state;
  ++st.writes_pending;
  st.pending.updated_unix_ms = unix_ms();
  auto rec = st.pending;
  self->request(st.env->writer, writer_timeout, persist_atom::value, rec, std::move(args)...)
    .then(
      [self, done, rec](result<void>& written) mutable {
        auto& st = self->state;
        --st.writes_pending;
        if (st.phase == job_phase::done) return;
        if (!written)
          return fail_job(self, session_errc::local,
                          "could not store the session's progress: " + written.error().message());
        st.record = rec;
        done();
      },
      [self](caf::error& e) {
        --self->state.writes_pending;
        fail_job(self, session_errc::local, "persistence writer failed: " + from_caf_error(e).message());
      });
}

/// Makes a provider's record durable (after every write queued before it)
/// and then runs `done`.
template <class Done>
void save_provider(self_pointer self, provider& p, Done done) {
  auto& st = self->state;
  ++st.writes_pending;
  self->request(st.env->writer, writer_timeout, persist_atom::value, p.record)
    .then(
      [self, done](result<void>& written) mutable {
        auto& st = self->state;
        --st.writes_pending;
        if (st.phase == job_phase::done) return;
        if (!written)
          return fail_job(self, session_errc::local,
                          "could not store a provider's progress: " + written.error().message());
        done();
      },
      [self](caf::error& e) {
        --self->state.writes_pending;
        fail_job(self, session_errc::local, "persistence writer failed: " + from_caf_error(e).message());
      });
}

void save_provider(self_pointer self, provider& p) {
  save_provider(self, p, [] {});
}

// ---------------------------------------------------------------- plan and chain

plan_wanted plan_request_of(const job_data& st) {
  plan_wanted w;
  w.plan_id = st.chosen_plan;
  if (st.ledger) {
    // Every provider must cut chunks the same way as the job.
    w.chunk_size = w.min_chunk_size = w.max_chunk_size = st.pending.chunk_size;
  } else {
    w.chunk_size = st.start.chunk_size;
    w.min_chunk_size = st.env->config.min_chunk_size;
    w.max_chunk_size = st.env->config.max_chunk_size;
  }
  return w;
}

/// True when `o` lists the snapshot `plan_id`.
bool offers_plan(const session_offers& o, const std::string& plan_id) {
  return std::any_of(o.offers.begin(), o.offers.end(),
                     [&](const snapshot::offer& off) { return snapshot::plan_id(off.state_root) == plan_id; });
}

/// The chunks `p` holds of the job's snapshot by its last offers: empty
/// (every chunk) when it offers the snapshot whole or said nothing of it.
std::vector<bool> have_of(const job_data& st, const provider& p) {
  std::vector<bool> have;
  if (!p.offered || !st.ledger) return have;
  for (const auto& o : p.offered->offers) {
    if (snapshot::plan_id(o.state_root) != st.record.plan_id || o.complete) continue;
    have.assign(st.ledger->chunk_count(), false);
    for (std::uint64_t c = 0; c < have.size(); ++c) {
      const auto pages = st.ledger->pages_of(c);
      have[c] = o.has_pages(pages.first, pages.end);
    }
  }
  return have;
}

void on_planned(self_pointer self, const std::string& peer, planned_session& answer);

/// Asks `p` to open its provider session on the job's plan.
void ask_plan(self_pointer self, provider& p) {
  auto& st = self->state;
  if (!p.session || p.busy || !p.usable()) return;
  p.busy = true;
  p.state = "planning";
  const auto peer = p.peer;
  self->request(*p.session, st.env->config.request_timeout + 10s, plan_atom::value, plan_request_of(st))
    .then([self, peer](planned_session& answer) { on_planned(self, peer, answer); },
          [self, peer](caf::error&) {
            auto it = self->state.providers.find(peer);
            if (it != self->state.providers.end()) it->second.busy = false;
          });
}

void on_resumed(self_pointer self, const std::string& peer);

/// Asks `p` to resume its provider session (re-acks, then rpp's `resume`).
void ask_resume(self_pointer self, provider& p) {
  auto& st = self->state;
  if (!p.session || p.busy || !p.usable()) return;
  p.busy = true;
  p.state = "resuming";
  resume_wanted w;
  w.plan_id = st.record.plan_id;
  w.chunk_size = st.record.chunk_size;
  if (st.start.resume_peer && *st.start.resume_peer == p.peer) {
    w.chunk_index = st.start.resume_chunk_index;
    w.update_index = st.start.resume_update_index;
  }
  const auto peer = p.peer;
  self->request(*p.session, st.env->config.request_timeout * 6, resume_atom::value, std::move(w))
    .then([self, peer](resumed_session&) { on_resumed(self, peer); },
          [self, peer](caf::error&) {
            auto it = self->state.providers.find(peer);
            if (it != self->state.providers.end()) it->second.busy = false;
          });
}

void start_chain(self_pointer self);
void start_chunks(self_pointer self);

void on_resumed(self_pointer self, const std::string& peer) {
  auto& st = self->state;
  auto it = st.providers.find(peer);
  if (it == st.providers.end() || st.phase == job_phase::done) return;
  auto& p = it->second;
  p.busy = false;
  p.planned = true;
  p.attempts = 0;
  p.state = "idle";
  arm(self, p);
  if (st.start_promise && (!st.start.resume_peer || *st.start.resume_peer == peer)) {
    st.start_promise->deliver(make_status(st));
    st.start_promise.reset();
  }
  report(self, 0);
  drive(self);
}

/// The job's plan is chosen and trusted as far as its root goes: `p`'s
/// answer was accepted by the verifier. Stored before it is acked.
void adopt_plan(self_pointer self, provider& p, const planned_session& answer) {
  auto& st = self->state;
  st.plan_bytes = answer.plan;
  auto& r = st.pending;
  r.plan_id = st.verifier->plan_id();
  r.chunk_size = answer.chunk_size;
  r.total_chunks = st.verifier->chunk_count();
  r.total_updates = st.verifier->update_count();
  r.state = storage::session_state::syncing;
  if (r.peer.empty()) r.peer = p.peer;
  std::vector<std::string> peers;
  for (const auto& name : st.order)
    if (st.providers.at(name).usable()) peers.push_back(name);
  r.peers = std::move(peers);
  st.chosen_plan = r.plan_id;
  auto plan = std::make_shared<snapshot::plan>(st.verifier->current_plan());
  st.plan = plan;
  st.ledger.emplace(plan, st.verifier->pages_per_chunk());
  log::info("job", "planned",
            {{"session", r.session_id}, {"peer", p.peer}, {"plan_id", r.plan_id}, {"chunk_size", r.chunk_size},
             {"chunks", r.total_chunks}, {"updates", r.total_updates}});
  const auto peer = p.peer;
  write(self, [self] { report(self, 0); }, st.plan_bytes);
  st.chain_busy = true; // the next step waits for the writes
  save_provider(self, p, [self, peer] {
    auto& st = self->state;
    st.chain_busy = false;
    auto it = st.providers.find(peer);
    if (it != st.providers.end() && it->second.session)
      self->send(*it->second.session, ack_atom::value, messages::ack_message{messages::ack_kind::plan, 0});
    start_chain(self);
  });
  st.phase = job_phase::chain;
}

void on_planned(self_pointer self, const std::string& peer, planned_session& answer) {
  auto& st = self->state;
  auto it = st.providers.find(peer);
  if (it == st.providers.end() || st.phase == job_phase::done) return;
  auto& p = it->second;
  p.busy = false;
  p.version = answer.version;
  p.attempts = 0;
  if (!p.usable()) return;
  auto decoded = snapshot::decode_plan(answer.plan ? bytes_view(*answer.plan) : bytes_view{});
  if (!decoded) return ban(self, p, error{session_errc::checksum, decoded.error().message()});
  const auto id = snapshot::plan_id(*decoded);
  if (st.chosen_plan && id != *st.chosen_plan)
    return drop(self, p, "serves plan " + id + ", not plan " + *st.chosen_plan);
  if (st.verifier->stage() != snapshot::verifier_stage::awaiting_plan) {
    // The job has its plan: this provider must serve the same bytes at the
    // same chunk size.
    if (!messages::same_bytes(answer.plan, st.plan_bytes))
      return ban(self, p, error{session_errc::checksum, "its plan " + id + " differs from the plan other providers serve"});
    if (answer.chunk_size != st.pending.chunk_size)
      return drop(self, p, "serves chunks of " + std::to_string(answer.chunk_size) + " bytes, the job uses " +
                             std::to_string(st.pending.chunk_size));
    p.planned = true;
    p.record.planned = true;
    p.state = "idle";
    if (st.schedule) { // a provider that joins during the chunks
      st.schedule->add_peer(peer);
      if (auto have = have_of(st, p); !have.empty()) st.schedule->set_have(peer, std::move(have));
    }
    save_provider(self, p);
    arm(self, p);
    if (st.start_promise && st.start.resume_peer && *st.start.resume_peer == peer) {
      st.start_promise->deliver(make_status(st));
      st.start_promise.reset();
    }
    drive(self);
    return;
  }
  if (auto ok = st.verifier->accept_plan(*answer.plan, answer.chunk_size); !ok) {
    if (ok.error().is(snapshot::verify_errc::invalid_chunk_size))
      return drop(self, p, ok.error().message());
    return ban(self, p, error{session_errc::checksum, ok.error().message()});
  }
  p.planned = true;
  p.record.planned = true;
  p.state = "idle";
  st.chain_peer = p.peer;
  adopt_plan(self, p, answer);
}

void on_update(self_pointer self, const std::string& peer, delivered_update& u) {
  auto& st = self->state;
  st.chain_busy = false;
  auto it = st.providers.find(peer);
  if (it == st.providers.end() || st.phase != job_phase::chain) return;
  auto& p = it->second;
  p.busy = false;
  p.state = "idle";
  if (auto ok = st.verifier->accept_update(u.index, *u.update); !ok) {
    using snapshot::verify_errc;
    const auto& e = ok.error();
    const bool auth = e.is(verify_errc::unknown_signer) || e.is(verify_errc::duplicate_signer) ||
                      e.is(verify_errc::bad_signature) || e.is(verify_errc::below_threshold);
    ban(self, p, error{auth ? session_errc::authentication : session_errc::checksum, e.message()});
    check_providers_left(self);
    start_chain(self);
    return;
  }
  p.attempts = 0;
  st.updates.push_back(u.update);
  st.pending.next_update_index = u.index + 1;
  st.pending.last_update_height = st.verifier->last_update_height();
  const bool acked = p.record.next_ack_update == u.index;
  if (acked) p.record.next_ack_update = u.index + 1;
  const std::uint64_t latency = static_cast<std::uint64_t>(u.latency.count());
  write(self, [self, latency] { report(self, latency); }, u.index, u.update);
  st.chain_busy = true; // the next update waits for the writes
  // The provider's ack cursor is durable before the ack goes out, so a
  // resume never claims less than the provider has confirmed.
  save_provider(self, p, [self, peer, index = u.index, acked] {
    auto& st = self->state;
    st.chain_busy = false;
    auto it = st.providers.find(peer);
    if (acked && it != st.providers.end() && it->second.session)
      self->send(*it->second.session, ack_atom::value,
                 messages::ack_message{messages::ack_kind::light_client_update, index});
    start_chain(self);
  });
}

/// Fetches the next update of the chain, from one provider at a time.
void start_chain(self_pointer self) {
  auto& st = self->state;
  if (st.phase == job_phase::done || st.phase == job_phase::finalizing) return;
  if (st.chain_busy) return;
  if (st.verifier->stage() == snapshot::verifier_stage::awaiting_chunks ||
      st.verifier->stage() == snapshot::verifier_stage::complete) {
    if (st.phase == job_phase::chain) start_chunks(self);
    return;
  }
  // The provider that planned first fetches the chain; another takes over
  // when it is gone.
  provider* p = nullptr;
  if (auto it = st.providers.find(st.chain_peer); it != st.providers.end() && it->second.usable() &&
                                                  it->second.planned && it->second.session)
    p = &it->second;
  if (p == nullptr) {
    for (const auto& name : st.order) {
      auto& q = st.providers.at(name);
      if (q.usable() && q.planned && q.session && !q.busy) {
        p = &q;
        break;
      }
    }
  }
  if (p == nullptr || p->busy || p->backpressured) return;
  st.chain_peer = p->peer;
  p->busy = true;
  p->state = "chain";
  st.chain_busy = true;
  const auto peer = p->peer;
  const auto index = st.verifier->next_update_index();
  self->request(*p->session, st.env->config.request_timeout + 10s, update_atom::value, index)
    .then([self, peer](delivered_update& u) { on_update(self, peer, u); },
          [self, peer](caf::error& e) {
            auto& st = self->state;
            st.chain_busy = false;
            auto it = st.providers.find(peer);
            if (it == st.providers.end()) return;
            it->second.busy = false;
            if (from_caf_error(e).is(session_errc::backpressure)) {
              ++it->second.backpressure;
              it->second.backpressured = true;
            }
          });
}

/// The chain is verified: the plan's root is trusted. The snapshot becomes
/// servable as its chunks land, and every planned provider gets chunks.
void start_chunks(self_pointer self) {
  auto& st = self->state;
  st.phase = job_phase::chunks;
  if (!st.schedule) {
    std::vector<std::uint64_t> applied;
    for (std::uint64_t c = 0; c < st.ledger->chunk_count(); ++c)
      if (st.ledger->applied(c)) applied.push_back(c);
    auto cfg = st.config.schedule;
    cfg.max_timeout = st.env->config.request_timeout;
    st.schedule.emplace(st.ledger->chunk_count(), applied, cfg);
    // Among several peers, the first lane starts inside the snapshot, at
    // the first chunk of this node's class, and rarest first breaks ties by
    // that class, then in an order of this job's own. The class is this
    // node's rank among itself and its peers: nodes that sync from the same
    // peers at once hold different chunks early and ask a common seed for
    // different ones. Without a host (tests) the lane starts at a random
    // chunk. A lone provider streams in index order (rpp's acks are in
    // order).
    if (st.providers.size() > 1) st.schedule->set_origin(st.rng());
    st.schedule->shuffle(st.rng());
    if (st.env->host != nullptr && st.providers.size() > 1) {
      const auto self_id = st.env->host->local_peer_id().to_string();
      std::vector<std::string> ids{self_id};
      for (const auto& [name, p] : st.providers) ids.push_back(name);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      const auto rank = std::find(ids.begin(), ids.end(), self_id) - ids.begin();
      st.schedule->set_class(static_cast<std::uint64_t>(rank), ids.size());
    }
    st.taken.assign(st.ledger->chunk_count(), false);
    for (const auto c : applied) st.taken[c] = true;
    for (const auto& name : st.order) {
      const auto& p = st.providers.at(name);
      if (!p.usable()) continue;
      st.schedule->add_peer(name);
      if (auto have = have_of(st, p); !have.empty()) st.schedule->set_have(name, std::move(have));
    }
  }
  // Serve what we apply, from now on (and once complete, from a checkpoint).
  std::vector<shared_bytes> chain = st.updates;
  self->request(st.env->writer, writer_timeout, register_atom::value, st.plan_bytes, std::move(chain))
    .then(
      [self](result<void>& r) {
        if (!r)
          log::warn("job", "register_failed",
                    {{"session", self->state.record.session_id}, {"reason", r.error().message()}});
      },
      [](caf::error&) {});
  for (const auto& name : st.order) arm(self, st.providers.at(name));
  if (st.ledger->complete()) return finalize(self);
  drive(self);
}

// ---------------------------------------------------------------- chunks

void on_chunk(self_pointer self, const std::string& peer, delivered_chunk& d);

void ask_chunk(self_pointer self, provider& p, std::uint64_t chunk) {
  auto& st = self->state;
  p.busy = true;
  p.asked_chunk = chunk;
  p.state = "fetching";
  const auto peer = p.peer;
  const auto timeout = st.schedule->timeout(peer);
  const auto then = st.schedule->name_ahead(peer);
  self->request(*p.session, timeout + 10s, chunk_atom::value, chunk_wanted{chunk, timeout, then})
    .then([self, peer](delivered_chunk& d) { on_chunk(self, peer, d); },
          [self, peer, chunk](caf::error& e) {
            auto& st = self->state;
            auto it = st.providers.find(peer);
            if (it == st.providers.end() || st.phase == job_phase::done) return;
            auto& p = it->second;
            p.busy = false;
            const auto why = from_caf_error(e);
            if (why.is(session_errc::backpressure)) {
              // Honour it: the chunk stays assigned and is asked again when
              // the session says it is ready.
              ++p.backpressure;
              p.backpressured = true;
              p.state = "idle";
              return;
            }
            p.asked_chunk.reset();
            if (why.is(session_errc::not_available)) {
              // "Not yet": the provider is still syncing this snapshot.
              st.schedule->lacks(peer, chunk);
              st.schedule->release_chunk(peer, chunk);
              p.state = "idle";
              drive(self);
              return;
            }
            // The session failed; its DOWN decides what happens to the provider.
            st.schedule->release_chunk(peer, chunk);
          });
}

/// Gives every idle provider its next chunk.
void drive(self_pointer self) {
  auto& st = self->state;
  if (st.phase == job_phase::chain) {
    start_chain(self);
    return;
  }
  if (st.phase != job_phase::chunks) return;
  const auto now = clock_type::now();
  for (const auto& name : st.order) {
    auto& p = st.providers.at(name);
    if (!p.usable() || !p.session || !p.planned || !p.plan_in_use || p.busy || p.backpressured || p.waiting)
      continue;
    if (p.writing >= writes_per_session || st.writes_pending >= st.config.max_pending_writes) continue;
    if (p.asked_chunk) {
      ask_chunk(self, p, *p.asked_chunk);
      continue;
    }
    auto c = st.schedule->next(name, now);
    if (!c) {
      p.state = st.schedule->partial(name) ? "waiting" : "idle";
      continue;
    }
    ask_chunk(self, p, *c);
  }
}

void on_written(self_pointer self, const std::string& peer, std::shared_ptr<const snapshot::verified_chunk> chunk,
                bool acked, std::uint64_t latency_us) {
  auto& st = self->state;
  st.schedule->written(chunk->chunk_index);
  if (auto ok = st.ledger->mark(*chunk); !ok) {
    fail_job(self, session_errc::checksum, ok.error().message());
    return;
  }
  auto it = st.providers.find(peer);
  if (it != st.providers.end()) {
    if (it->second.writing > 0) --it->second.writing;
    if (acked && it->second.session)
      self->send(*it->second.session, ack_atom::value,
                 messages::ack_message{messages::ack_kind::chunk, chunk->chunk_index});
  }
  report(self, latency_us);
  if (st.ledger->complete()) return finalize(self);
  drive(self);
}

void on_chunk(self_pointer self, const std::string& peer, delivered_chunk& d) {
  auto& st = self->state;
  auto it = st.providers.find(peer);
  if (it == st.providers.end() || st.phase != job_phase::chunks) return;
  auto& p = it->second;
  p.busy = false;
  p.asked_chunk.reset();
  p.attempts = 0;
  if (p.state == "demoted" || p.state == "fetching") p.state = "idle";
  const auto index = d.index;
  if (d.asked_ahead) ++st.chunks_asked_ahead;
  const bool fresh = st.schedule->delivered(peer, index, d.bytes->size(), d.latency) && !st.ledger->applied(index);
  if (log::enabled(log::level::debug))
    log::debug("job", "chunk_delivered",
               {{"session", st.record.session_id}, {"peer", peer}, {"chunk", index},
                {"latency_ms", static_cast<double>(d.latency.count()) / 1000.0}, {"written", fresh},
                {"written_so_far", st.schedule->written_count()}});
  if (!fresh) {
    drive(self); // a late copy of a chunk another provider delivered first
    return;
  }
  // The batch: the chunk's records, its applied bit, the job cursor and this
  // provider's ack cursor, all durable together.
  auto& r = st.pending;
  ++r.chunks_applied;
  ++r.chunk_writes;
  r.bytes_received += d.bytes->size();
  r.page_bytes_applied += d.chunk->page_bytes;
  r.records_applied += d.chunk->records.size();
  // The cursor is the contiguous prefix of the chunks written or being
  // written (the writer keeps order, so it is durable when this batch is).
  st.taken[index] = true;
  while (r.next_chunk_index < st.taken.size() && st.taken[r.next_chunk_index]) ++r.next_chunk_index;
  const bool acked = p.record.next_ack_chunk == index;
  if (acked) p.record.next_ack_chunk = index + 1;
  p.record.bytes += d.bytes->size();
  ++p.record.chunks;
  ++p.writing;
  const std::uint64_t latency = static_cast<std::uint64_t>(d.latency.count());
  auto chunk = d.chunk;
  write(
    self, [self, peer, chunk, acked, latency] { on_written(self, peer, chunk, acked, latency); }, p.record,
    chunk_write{d.bytes, d.chunk});
  drive(self);
}

// ---------------------------------------------------------------- the end

void close_all(self_pointer self, const std::string& reason, bool cancel) {
  auto& st = self->state;
  st.closing = true;
  bool any = false;
  for (auto& [name, p] : st.providers) {
    if (!p.session) continue;
    any = true;
    const bool complete =
      p.record.next_ack_chunk == st.record.total_chunks && p.record.next_ack_update == st.record.total_updates;
    self->send(*p.session, close_atom::value, reason, cancel || !complete);
  }
  if (!any) {
    if (st.cancelling) self->quit(to_caf_error(error{session_errc::cancelled, "cancelled by the operator"}));
    else self->quit();
    return;
  }
  st.close_deadline = clock_type::now() + close_grace;
  self->delayed_send(self, close_grace, tick_atom::value);
}

void finalize(self_pointer self) {
  auto& st = self->state;
  if (st.phase == job_phase::finalizing || st.phase == job_phase::done) return;
  st.phase = job_phase::finalizing;
  if (auto ok = st.ledger->check_totals(); !ok) return fail_job(self, session_errc::checksum, ok.error().message());
  for (auto& [name, p] : st.providers)
    if (p.usable()) p.state = "done";
  const auto plan_id = st.record.plan_id;
  self->request(st.env->writer, std::chrono::minutes(60), finalize_atom::value, plan_id,
                static_cast<std::uint64_t>(st.config.retain_snapshots))
    .then(
      [self, plan_id](result<void>& made) {
        auto& st = self->state;
        if (!made) {
          // The store's own count of applied pages disagrees, or the disk
          // is full: never "verified". The record stays in `chunks`, so a
          // resume finalizes again (or fetches what is missing).
          log::warn("job", "finalize_failed", {{"session", st.record.session_id}, {"reason", made.error().message()}});
          return fail_job(self, session_errc::local, "could not finalize the snapshot: " + made.error().message());
        }
        st.pending.state = storage::session_state::verified;
        st.pending.error.clear();
        st.pending.error_code.clear();
        write(self, [self] {
          auto& st = self->state;
          st.phase = job_phase::done;
          const auto head = st.verifier->head();
          const std::string root = st.record.plan_id;
          const std::uint64_t height = head ? head->height : st.verifier->current_plan().height;
          boost::json::object o;
          o["session"] = st.record.session_id;
          o["peer"] = st.record.peer;
          o["height"] = height;
          o["state_root"] = root;
          o["bytes"] = st.record.bytes_received;
          boost::json::array peers;
          for (const auto& name : st.order) {
            const auto& p = st.providers.at(name);
            boost::json::object po;
            po["peer"] = p.peer;
            po["bytes"] = p.record.bytes;
            po["chunks"] = p.record.chunks;
            peers.push_back(std::move(po));
          }
          o["peers"] = std::move(peers);
          publish(self, "HeadVerified", o);
          log::info("job", "verified",
                    {{"session", st.record.session_id}, {"height", height}, {"state_root", root},
                     {"bytes", st.record.bytes_received}, {"chunk_writes", st.record.chunk_writes}});
          if (st.start_promise) {
            st.start_promise->deliver(make_status(st));
            st.start_promise.reset();
          }
          report(self, 0);
          close_all(self, "snapshot sync complete", false);
        });
      },
      [self](caf::error& e) { fail_job(self, session_errc::local, "finalize failed: " + from_caf_error(e).message()); });
}

// ---------------------------------------------------------------- supervision of sessions

void restart_later(self_pointer self, provider& p, failure_class cls, const error& why) {
  auto& st = self->state;
  auto delay = st.policy.next_delay(cls, p.attempts, st.rng);
  st.last_error = why.message();
  st.last_class = cls;
  const bool ends_job = [&] {
    if (delay) return false;
    for (const auto& [name, q] : st.providers)
      if (q.peer != p.peer && q.usable()) return false;
    return true;
  }();
  if (!ends_job) {
    boost::json::object o;
    o["session"] = st.record.session_id;
    o["peer"] = p.peer;
    o["error"] = messages::valid_utf8(why.message());
    o["error_code"] = error_code_name(cls);
    o["retry_in_ms"] = delay ? boost::json::value(delay->count()) : boost::json::value(nullptr);
    publish(self, "SnapshotStreamFailed", o);
    // The status shows the last failure while the job goes on.
    st.pending.error = st.record.error = why.message();
    st.pending.error_code = st.record.error_code = error_code_name(cls);
  }
  if (!delay) {
    p.dropped = true;
    p.state = "dropped";
    if (st.schedule) st.schedule->remove(p.peer);
    return;
  }
  ++p.attempts;
  ++st.restarts;
  p.waiting = true;
  if (p.state != "demoted") p.state = "waiting";
  self->delayed_send(self, *delay, restart_atom::value, p.peer);
  report(self, 0);
}

void on_session_down(self_pointer self, const caf::down_msg& dm) {
  auto& st = self->state;
  provider* found = nullptr;
  for (auto& [name, p] : st.providers)
    if (p.session && p.session_addr == dm.source) found = &p;
  if (found == nullptr) return;
  auto& p = *found;
  p.session.reset();
  p.busy = false;
  p.backpressured = false;
  p.plan_in_use = false;
  if (st.closing || st.phase == job_phase::done || st.phase == job_phase::finalizing) {
    bool any = false;
    for (const auto& [name, q] : st.providers) any = any || q.session.has_value();
    if (!any && st.closing) {
      if (st.cancelling) self->quit(to_caf_error(error{session_errc::cancelled, "cancelled by the operator"}));
      else self->quit();
    }
    return;
  }
  if (st.schedule) st.schedule->release(p.peer);
  if (!dm.reason || p.banned || p.dropped || p.standby) {
    check_providers_left(self);
    drive(self);
    return;
  }
  const error reason = from_caf_error(dm.reason);
  const failure_class cls = failure_of(reason);
  ++p.failures;
  p.last_error = reason.message();
  p.last_error_code = error_code_name(cls);
  switch (cls) {
    case failure_class::checksum:
    case failure_class::authentication:
      ban(self, p, reason);
      break;
    case failure_class::local:
      return fail_job(self, session_errc::local, reason.message());
    case failure_class::resume_mismatch:
      if (st.start.operator_resume && st.start.resume_peer && *st.start.resume_peer == p.peer) {
        // The operator's offsets were refused: the operator hears it.
        return fail_job(self, session_errc::resume_mismatch, reason.message());
      }
      // The provider lost or refuses our session: open a new one.
      p.record.planned = false;
      p.record.next_ack_chunk = 0;
      p.record.next_ack_update = 0;
      p.planned = false;
      restart_later(self, p, failure_class::network, reason);
      break;
    case failure_class::network: {
      const bool timed_out = reason.is(net::host_errc::timeout) || reason.message().find("timed out") != std::string::npos ||
                             reason.message().find("timeout") != std::string::npos;
      if (timed_out && st.schedule) {
        st.schedule->demote(p.peer);
        p.state = "demoted";
      }
      restart_later(self, p, cls, reason);
      break;
    }
    case failure_class::saturated:
    case failure_class::remote:
      restart_later(self, p, cls, reason);
      break;
  }
  check_providers_left(self);
  drive(self);
}

void on_restart(self_pointer self, const std::string& peer) {
  auto& st = self->state;
  auto it = st.providers.find(peer);
  if (it == st.providers.end() || st.phase == job_phase::done || st.closing) return;
  auto& p = it->second;
  if (!p.usable() || p.session) return;
  if (st.schedule) st.schedule->add_peer(peer);
  spawn_for(self, p);
  if (st.phase == job_phase::discovering) return; // asked again by the discovery round
  if (p.record.planned && !st.record.plan_id.empty()) ask_resume(self, p);
  else ask_plan(self, p);
}

// ---------------------------------------------------------------- discovery

void choose_plan(self_pointer self, bool final_round);

void on_offers(self_pointer self, const std::string& peer, result<session_offers> answer) {
  auto& st = self->state;
  auto it = st.providers.find(peer);
  if (it == st.providers.end() || st.phase != job_phase::discovering) return;
  auto& p = it->second;
  p.busy = false;
  if (answer) {
    p.version = answer->version;
    p.offered = std::move(*answer);
    p.offer_error.reset();
    if (p.offered->planned) {
      p.planned = true;
      p.record.planned = true;
    }
  } else {
    p.offer_error = answer.error().message();
  }
  choose_plan(self, false);
}

void ask_offers(self_pointer self, provider& p) {
  auto& st = self->state;
  if (!p.session || p.busy || !p.usable()) return;
  p.busy = true;
  p.asked_offers = true;
  p.state = "discovering";
  const auto peer = p.peer;
  plan_wanted w;
  w.chunk_size = st.start.chunk_size;
  w.min_chunk_size = st.env->config.min_chunk_size;
  w.max_chunk_size = st.env->config.max_chunk_size;
  self->request(*p.session, st.env->config.request_timeout + 10s, offers_atom::value, std::move(w))
    .then([self, peer](session_offers& o) { on_offers(self, peer, std::move(o)); },
          [self, peer](caf::error& e) { on_offers(self, peer, from_caf_error(e)); });
}

/// True when the offer's signers can satisfy our trust (unknown signers pass:
/// the chain decides).
bool trusted_enough(const snapshot::trust_config& trust, const snapshot::offer& o) {
  if (o.signers.empty()) return true;
  std::size_t known = 0;
  for (const auto& s : o.signers)
    if (std::find(trust.authorities.begin(), trust.authorities.end(), s) != trust.authorities.end()) ++known;
  return known >= trust.threshold;
}

std::string describe_offers(const job_data& st) {
  std::string out;
  for (const auto& name : st.order) {
    const auto& p = st.providers.at(name);
    if (!out.empty()) out += "; ";
    out += p.peer + ": ";
    if (p.offer_error) {
      out += "no answer (" + *p.offer_error + ")";
    } else if (!p.offered) {
      out += "no answer yet";
    } else if (p.offered->offers.empty()) {
      out += "offers no snapshot";
    } else {
      std::string list;
      for (const auto& o : p.offered->offers) {
        if (!list.empty()) list += ", ";
        list += "plan " + snapshot::plan_id(o.state_root) + " at height " + std::to_string(o.height);
        if (!trusted_enough(st.env->trust, o)) list += " (signed by keys this node does not trust)";
        else if (st.rejected_plans.contains(snapshot::plan_id(o.state_root))) list += " (rejected)";
      }
      out += "offers " + list;
    }
  }
  return out.empty() ? std::string("no peer is known or connected") : out;
}

/// CometBFT's ranking: the highest height this node can verify, then the one
/// most providers offer; or the operator's plan.
void choose_plan(self_pointer self, bool final_round) {
  auto& st = self->state;
  if (st.phase != job_phase::discovering || !st.discovery_listed) return;
  bool all_answered = true;
  for (const auto& [name, p] : st.providers)
    if (p.busy || (!p.offered && !p.offer_error)) all_answered = false;
  struct candidate {
    std::uint64_t height = 0;
    std::size_t providers = 0;
  };
  std::map<std::string, candidate> pool;
  for (const auto& [name, p] : st.providers) {
    if (!p.offered || !p.usable()) continue;
    std::set<std::string> seen;
    for (const auto& o : p.offered->offers) {
      const auto id = snapshot::plan_id(o.state_root);
      if (seen.contains(id) || st.rejected_plans.contains(id) || !trusted_enough(st.env->trust, o)) continue;
      if (st.start.plan_id && *st.start.plan_id != id) continue;
      seen.insert(id);
      auto& c = pool[id];
      c.height = o.height;
      ++c.providers;
    }
  }
  if (pool.empty()) {
    if (clock_type::now() >= st.discovery_deadline || (final_round && all_answered && false)) {
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(st.config.discovery_timeout).count();
      std::string what = st.start.plan_id ? "plan " + *st.start.plan_id : std::string("a snapshot this node can verify");
      return fail_job(self, session_errc::remote,
                      "no peer offered " + what + " within " + std::to_string(secs) + " s: " + describe_offers(st));
    }
    return; // ask again on the next tick
  }
  // Wait for every answer unless the deadline is near (one slow peer must
  // not hold the job back).
  if (!all_answered && clock_type::now() < st.discovery_deadline - st.config.discovery_timeout / 2) return;
  auto best = std::max_element(pool.begin(), pool.end(), [](const auto& a, const auto& b) {
    if (a.second.height != b.second.height) return a.second.height < b.second.height;
    return a.second.providers < b.second.providers;
  });
  st.chosen_plan = best->first;
  log::info("job", "plan_chosen",
            {{"session", st.record.session_id}, {"plan_id", best->first}, {"height", best->second.height},
             {"providers", best->second.providers}});
  boost::json::object o;
  o["session"] = st.record.session_id;
  o["plan_id"] = best->first;
  o["height"] = best->second.height;
  o["providers"] = best->second.providers;
  publish(self, "SnapshotChosen", o);
  st.phase = job_phase::planning;
  // Providers that do not offer it leave the job; the rest plan it.
  for (const auto& name : st.order) {
    auto& p = st.providers.at(name);
    if (!p.offered || !offers_plan(*p.offered, best->first)) {
      const bool speaks_offers = p.version && *p.version >= messages::protocol_version::v1_2;
      if (!p.offer_error && speaks_offers && p.usable()) {
        // It may be syncing the same snapshot: ask it again later.
        p.standby = true;
        p.state = "standby";
        p.next_offer_refresh = clock_type::now() + standby_probe_interval;
        log::info("job", "provider_standby",
                  {{"session", st.record.session_id}, {"peer", p.peer}, {"reason", "does not offer plan " + best->first + " yet"}});
        continue;
      }
      drop(self, p, p.offer_error ? "unreachable during discovery: " + *p.offer_error
                                  : std::string("does not offer plan ") + best->first);
      continue;
    }
  }
  // A provider whose plan answer came with its offer is planned already:
  // that answer is the job's plan.
  for (const auto& name : st.order) {
    auto& p = st.providers.at(name);
    if (!p.usable() || !p.offered || !p.offered->planned) continue;
    auto answer = *p.offered->planned;
    p.offered->planned.reset();
    p.planned = false;
    on_planned(self, name, answer);
    if (st.phase != job_phase::planning) break;
  }
  for (const auto& name : st.order) {
    auto& p = st.providers.at(name);
    if (p.usable() && !p.planned && p.session && !p.busy) ask_plan(self, p);
  }
}

void on_known_peers(self_pointer self, result<std::vector<std::string>>& known) {
  auto& st = self->state;
  if (st.phase != job_phase::discovering) return;
  st.discovery_listed = true;
  if (known) {
    for (const auto& peer : *known) {
      if (st.providers.contains(peer)) continue;
      const bool excluded = std::any_of(st.start.excluded.begin(), st.start.excluded.end(),
                                        [&](const auto& e) { return e.first == peer; });
      if (excluded) continue;
      auto& p = add_provider(self, peer);
      spawn_for(self, p);
      ask_offers(self, p);
    }
  }
  if (st.providers.empty()) choose_plan(self, true); // fails at the deadline, or waits for peers to connect
}

void start_discovery(self_pointer self) {
  auto& st = self->state;
  st.phase = job_phase::discovering;
  st.discovery_deadline = clock_type::now() + st.config.discovery_timeout;
  if (!st.start.peers.empty()) {
    st.discovery_listed = true;
    for (const auto& name : st.order) {
      auto& p = st.providers.at(name);
      if (!p.usable()) continue;
      spawn_for(self, p);
      ask_offers(self, p);
    }
    return;
  }
  // Every peer this node knows or is connected to is a candidate.
  start_io(st.env->io, known_snapshot_peers(st.env->host), caf::actor_cast<caf::actor>(self),
           known_peers_atom::value);
}

/// Asks `p` for its offers again (a provider on standby, or a partial one
/// whose page bitmap may have grown); `answered` runs with it, no longer
/// busy, unless it left the job meanwhile.
void ask_offers_again(self_pointer self, provider& p, std::function<void(provider&, session_offers&)> answered) {
  auto& st = self->state;
  p.busy = true;
  const auto peer = p.peer;
  self->request(*p.session, st.env->config.request_timeout + 10s, offers_atom::value, plan_wanted{})
    .then(
      [self, peer, answered = std::move(answered)](session_offers& o) {
        auto it = self->state.providers.find(peer);
        if (it == self->state.providers.end()) return;
        it->second.busy = false;
        answered(it->second, o);
      },
      [self, peer](caf::error&) {
        auto it = self->state.providers.find(peer);
        if (it != self->state.providers.end()) it->second.busy = false;
      });
}

/// Asks each standby provider, now and then, whether it offers the job's
/// plan by now; one that does joins the job (plans it, then takes chunks).
void probe_standby(self_pointer self, clock_type::time_point now) {
  auto& st = self->state;
  if (!st.chosen_plan) return;
  for (auto& [name, p] : st.providers) {
    if (!p.standby || p.banned || p.dropped || p.busy || now < p.next_offer_refresh) continue;
    p.next_offer_refresh = now + standby_probe_interval;
    if (!p.session) spawn_for(self, p);
    ask_offers_again(self, p, [self](provider& p, session_offers& o) {
      auto& st = self->state;
      if (st.phase == job_phase::done || st.closing || !p.standby) return;
      const bool offers_it = offers_plan(o, *st.chosen_plan);
      p.offered = std::move(o);
      if (!offers_it) return;
      p.standby = false;
      log::info("job", "provider_joined", {{"session", st.record.session_id}, {"peer", p.peer}});
      ask_plan(self, p);
    });
  }
}

void on_tick(self_pointer self) {
  auto& st = self->state;
  if (st.closing) {
    if (clock_type::now() < st.close_deadline) return;
    // The sessions had their grace to send their last acks.
    stop_sessions(self);
    if (st.cancelling) self->quit(to_caf_error(error{session_errc::cancelled, "cancelled by the operator"}));
    else self->quit();
    return;
  }
  if (st.phase == job_phase::done) return;
  self->delayed_send(self, tick_interval, tick_atom::value);
  const auto now = clock_type::now();
  if (st.phase == job_phase::discovering) {
    // Ask again whoever offered nothing usable; list peers again when none is known.
    if (!st.start.peers.empty() || st.discovery_listed) {
      for (auto& [name, p] : st.providers) {
        if (!p.session || p.busy || !p.usable()) continue;
        if (p.offer_error || (p.offered && p.offered->offers.empty())) {
          if (now >= p.next_offer_refresh) {
            p.next_offer_refresh = now + 1s;
            p.offer_error.reset();
            p.offered.reset();
            ask_offers(self, p);
          }
        }
      }
    }
    if (st.start.peers.empty() && st.providers.empty() && now >= st.discovery_deadline - st.config.discovery_timeout + 1s) {
      st.discovery_listed = false;
      start_io(st.env->io, known_snapshot_peers(st.env->host), caf::actor_cast<caf::actor>(self),
               known_peers_atom::value);
    }
    choose_plan(self, true);
    return;
  }
  if (st.phase == job_phase::planning || st.phase == job_phase::chain || st.phase == job_phase::chunks)
    probe_standby(self, now);
  if (st.phase == job_phase::chunks) {
    // Providers still syncing the same snapshot may hold more chunks by now.
    for (auto& [name, p] : st.providers) {
      if (!st.schedule->partial(name) || !p.session || p.busy || !p.usable() || p.state != "waiting") continue;
      if (now < p.next_offer_refresh) continue;
      p.next_offer_refresh = now + 1s;
      ask_offers_again(self, p, [self](provider& p, session_offers& o) {
        auto& st = self->state;
        if (!st.schedule) return;
        if (offers_plan(o, st.record.plan_id)) {
          p.offered = std::move(o);
          st.schedule->set_have(p.peer, have_of(st, p)); // empty: it holds the whole snapshot now
        }
        drive(self);
      });
    }
    drive(self); // late chunks may now be asked of another provider
  }
}

/// Rebuilds the verifier, the ledger and the providers of a stored job.
result<void> restore(self_pointer self) {
  auto& st = self->state;
  auto& stored = *st.start.stored;
  st.record = stored.record;
  st.record.error.clear();
  st.record.error_code.clear();
  if (st.record.state != storage::session_state::verified) st.record.state = storage::session_state::syncing;
  const auto& r = stored.record;
  if (st.start.resume_chunk_index && *st.start.resume_chunk_index > r.total_chunks)
    return error{session_errc::resume_mismatch, "resume chunk index " + std::to_string(*st.start.resume_chunk_index) +
                                                  " exceeds total " + std::to_string(r.total_chunks)};
  if (st.start.resume_update_index && *st.start.resume_update_index > r.total_updates)
    return error{session_errc::resume_mismatch, "resume update index " +
                                                  std::to_string(*st.start.resume_update_index) + " exceeds total " +
                                                  std::to_string(r.total_updates)};
  if (stored.plan.empty()) {
    st.record.state = storage::session_state::planning;
    return {};
  }
  snapshot::verifier_progress none{};
  auto v = snapshot::light_client_verifier::restore(st.env->trust, stored.plan, r.chunk_size, stored.updates, none);
  if (!v) {
    using snapshot::verify_errc;
    const auto& e = v.error();
    const bool auth = e.is(verify_errc::unknown_signer) || e.is(verify_errc::duplicate_signer) ||
                      e.is(verify_errc::bad_signature) || e.is(verify_errc::below_threshold);
    return error{auth ? session_errc::authentication : session_errc::checksum,
                 "the stored session no longer verifies: " + e.message()};
  }
  st.verifier.emplace(std::move(*v));
  st.plan_bytes = std::make_shared<const byte_buffer>(stored.plan);
  auto plan = std::make_shared<snapshot::plan>(st.verifier->current_plan());
  st.plan = plan;
  auto ledger = snapshot::chunk_ledger::restore(plan, st.verifier->pages_per_chunk(), stored.applied,
                                                r.page_bytes_applied, r.records_applied);
  if (!ledger) return error{session_errc::checksum, "the stored session no longer adds up: " + ledger.error().message()};
  st.ledger.emplace(std::move(*ledger));
  for (const auto& u : stored.updates) st.updates.push_back(std::make_shared<const byte_buffer>(u));
  st.chosen_plan = r.plan_id;
  for (const auto& pr : stored.providers) {
    auto& p = add_provider(self, pr.peer);
    p.record = pr;
    if (pr.banned) {
      p.banned = true;
      p.state = "banned";
      p.last_error = pr.ban_reason;
    }
  }
  return {};
}

job_actor::behavior_type job(self_pointer self, std::shared_ptr<const session_env> env, consumer_config config,
                             job_start start, job_observer supervisor) {
  auto& st = self->state;
  tolerate_stray_messages(self, "job");
  st.env = std::move(env);
  st.config = std::move(config);
  st.start = std::move(start);
  st.supervisor = std::move(supervisor);
  st.policy = restart_policy(st.config.restart);
  self->set_down_handler([self](caf::down_msg& dm) { on_session_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    stop_sessions(self);
    self->quit(em.reason);
  });
  return {
    [self](start_atom) -> caf::result<session_status> {
      auto& st = self->state;
      auto v = snapshot::light_client_verifier::create(st.env->trust);
      if (!v) {
        error e{session_errc::authentication, v.error().message()};
        st.phase = job_phase::done;
        self->quit(to_caf_error(e));
        return to_caf_error(e);
      }
      if (st.start.stored) {
        if (auto ok = restore(self); !ok) {
          fail_job(self, static_cast<session_errc>(ok.error().code().value()), ok.error().message());
          return to_caf_error(ok.error());
        }
      } else {
        st.record.session_id = st.start.id;
        st.record.peer = st.start.peers.empty() ? std::string() : st.start.peers.front();
        st.record.peers = st.start.peers;
        st.record.requested_plan_id = st.start.plan_id.value_or("");
        st.record.created_unix_ms = unix_ms();
        st.record.state = storage::session_state::planning;
      }
      if (!st.verifier) st.verifier.emplace(std::move(*v));
      for (const auto& peer : st.record.peers) add_provider(self, peer);
      if (st.start.resume_peer) add_provider(self, *st.start.resume_peer);
      for (const auto& [peer, wait] : st.start.excluded) {
        auto it = st.providers.find(peer);
        if (it == st.providers.end() || !it->second.usable()) continue;
        drop(self, it->second,
             "left out: it lied to this node and its breaker is open for " +
               std::to_string((wait.count() + 999) / 1000) + " s more");
      }
      if (!st.chosen_plan && !st.record.requested_plan_id.empty()) st.chosen_plan = st.record.requested_plan_id;
      if (st.start.plan_id) st.chosen_plan = st.start.plan_id;
      st.pending = st.record;
      log::info("job", st.start.stored ? "resuming" : "starting",
                {{"session", st.record.session_id}, {"providers", st.providers.size()},
                 {"retries", st.start.retries}});
      // The job is durable (and an earlier error cleared) before anyone
      // hears of it: a crash right after `start` answered loses nothing.
      auto rp = self->make_response_promise<session_status>();
      if (st.start.operator_resume) st.start_promise = rp;
      write(self, [self, rp]() mutable {
        auto& st = self->state;
        report(self, 0);
        if (!st.start.operator_resume) rp.deliver(make_status(st));
        self->send(self, tick_atom::value);
        if (st.ledger) {
          // A stored job with its plan: every provider resumes (or plans
          // again), the chain continues where it stopped.
          st.phase = st.verifier->stage() == snapshot::verifier_stage::awaiting_updates ? job_phase::chain
                                                                                         : job_phase::chunks;
          if (st.ledger->complete() && st.phase == job_phase::chunks) {
            st.phase = job_phase::chain; // start_chunks below finalizes at once
            start_chunks(self);
            return;
          }
          for (const auto& name : st.order) {
            auto& p = st.providers.at(name);
            if (!p.usable()) continue;
            spawn_for(self, p);
            if (p.record.planned) ask_resume(self, p);
            else ask_plan(self, p);
          }
          if (st.phase == job_phase::chunks) {
            st.phase = job_phase::chain;
            start_chain(self); // moves on to the chunks
          }
          return;
        }
        if (st.order.size() == 1 && !st.chosen_plan) {
          // One provider and no plan named: its plan answer is the plan
          // (rpp's single-provider session, request for request).
          st.phase = job_phase::planning;
          auto& p = st.providers.at(st.order.front());
          if (p.usable()) {
            spawn_for(self, p);
            ask_plan(self, p);
          }
          check_providers_left(self);
          return;
        }
        start_discovery(self);
      });
      return rp;
    },
    [self](status_atom) -> caf::result<session_status> { return make_status(self->state); },
    [self](fetch_atom) -> caf::result<void> {
      auto& st = self->state;
      for (const auto& name : st.order) {
        auto& p = st.providers.at(name);
        if (!p.session) continue;
        auto rp = self->make_response_promise();
        self->request(*p.session, 30s, fetch_atom::value)
          .then([rp]() mutable { rp.deliver(caf::unit); }, [rp](caf::error& e) mutable { rp.deliver(e); });
        return rp;
      }
      return to_caf_error(error{session_errc::backpressure,
                                "backpressure: session " + std::to_string(st.record.session_id) +
                                  " has no provider session running right now"});
    },
    [self](cancel_atom) {
      auto& st = self->state;
      if (st.cancelling) return;
      st.cancelling = true;
      st.phase = job_phase::done;
      if (st.start_promise) {
        st.start_promise->deliver(to_caf_error(error{session_errc::cancelled, "cancelled by the operator"}));
        st.start_promise.reset();
      }
      log::info("job", "cancelled", {{"session", st.record.session_id}});
      close_all(self, "session cancelled by the consumer", true);
    },
    [self](ready_atom, std::string& peer) {
      auto it = self->state.providers.find(peer);
      if (it == self->state.providers.end()) return;
      it->second.backpressured = false;
      drive(self);
    },
    [self](restart_atom, std::string& peer) { on_restart(self, peer); },
    [self](tick_atom) { on_tick(self); },
    [self](known_peers_atom, result<std::vector<std::string>>& known) { on_known_peers(self, known); },
  };
}

} // namespace

job_actor spawn_job(caf::actor_system& system, std::shared_ptr<const session_env> env, consumer_config config,
                    job_start start, job_observer supervisor) {
  return system.spawn(job, std::move(env), std::move(config), std::move(start), std::move(supervisor));
}

} // namespace snapstream::actors
