#include "actors/session_supervisor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/atoms.hpp"
#include "actors/resilience.hpp"
#include "actors/bridge.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/provider_actor.hpp"
#include "actors/snapshot_transport.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/snapshot/trust.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <random>

namespace snapstream::actors {

namespace {

using clock_type = std::chrono::steady_clock;
using cancel_sent_atom = caf::atom_constant<caf::atom("cancelsent")>;

constexpr double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
constexpr std::chrono::milliseconds start_timeout{120'000};

struct entry {
  session_status status;
  caf::actor actor;
  std::uint32_t attempts = 0; ///< failures since the last success
  std::uint64_t counted_bytes = 0;
  std::uint64_t counted_chunks = 0;
  clock_type::time_point last_event{};
  session_state last_published = session_state::planning;
};

struct supervisor_data {
  std::shared_ptr<const session_env> env;
  consumer_config config;
  restart_policy policy;
  std::map<std::uint64_t, entry> sessions;
  std::map<caf::actor_addr, std::uint64_t> by_actor;
  std::map<caf::actor_addr, std::uint64_t> cancelling; ///< sessions whose record is erased once they are gone
  std::mt19937_64 rng{std::random_device{}()};
  consumer_stats stats;
  static inline const char* name = "snapstream.session_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_data>;

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

void publish(supervisor_actor* self, const char* type, std::string json) {
  self->send(self->state.env->events, publish_atom::value, std::string(type), std::move(json));
}

session_status status_of(const storage::session_record& r) {
  session_status s;
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
  switch (r.state) {
    case storage::session_state::planning: s.state = session_state::planning; break;
    case storage::session_state::syncing: s.state = session_state::syncing; break;
    case storage::session_state::verified: s.state = session_state::verified; break;
    case storage::session_state::failed: s.state = session_state::failed; break;
    case storage::session_state::cancelled: s.state = session_state::cancelled; break;
  }
  s.verified = r.state == storage::session_state::verified;
  if (!r.error.empty()) s.error = r.error;
  if (!r.error_code.empty()) s.error_code = r.error_code;
  s.bytes_received = r.bytes_received;
  return s;
}

/// The control error an operator gets when a start or resume fails.
error control_error_of(const error& session_error) {
  if (session_error.code().category() == make_error_code(control_errc::internal).category()) return session_error;
  control_errc code = control_errc::internal;
  switch (failure_of(session_error)) {
    case failure_class::resume_mismatch: code = control_errc::resume_rejected; break;
    case failure_class::network: code = control_errc::peer_unreachable; break;
    case failure_class::saturated: code = control_errc::saturated; break;
    case failure_class::checksum:
    case failure_class::authentication:
    case failure_class::remote:
    case failure_class::local: code = control_errc::internal; break;
  }
  if (session_error.is(actors_errc::timeout)) code = control_errc::peer_unreachable;
  return error{code, session_error.message()};
}

caf::actor launch(supervisor_actor* self, session_start start) {
  auto& st = self->state;
  const auto id = start.session_id;
  auto actor = spawn_session(self->system(), st.env, std::move(start), caf::actor_cast<caf::actor>(self));
  self->monitor(actor);
  st.by_actor[actor.address()] = id;
  st.sessions[id].actor = actor;
  return actor;
}

/// Starts (or restarts) a session and answers `rp` with its first status.
void start_session(supervisor_actor* self, session_start start, std::optional<caf::response_promise> rp) {
  auto actor = launch(self, std::move(start));
  self->request(actor, start_timeout, start_atom::value)
    .then(
      [rp](session_status& s) mutable {
        if (rp) rp->deliver(std::move(s));
      },
      [rp](caf::error& e) mutable {
        // The session ends with this reason; the down handler records it.
        if (rp) rp->deliver(to_caf_error(control_error_of(from_caf_error(e))));
      });
}

result<std::optional<storage::stored_session>> load(supervisor_actor* self, std::uint64_t id) {
  return storage::session_store(*self->state.env->db).load(id);
}

void restart(supervisor_actor* self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.sessions.find(id);
  if (it == st.sessions.end() || it->second.actor) return; // cancelled, or running again
  auto stored = load(self, id);
  if (!stored || !*stored) {
    log::error("supervisor", "restart_impossible",
               {{"session", id}, {"reason", stored ? std::string("no stored record") : to_string(stored.error())}});
    return;
  }
  session_start start;
  start.session_id = id;
  start.peer = (*stored)->record.peer;
  start.chunk_size = (*stored)->record.chunk_size ? std::optional<std::uint64_t>((*stored)->record.chunk_size)
                                                  : std::nullopt;
  start.stored = std::move(**stored);
  start.retries = it->second.attempts;
  it->second.status.retries = it->second.attempts;
  ++st.stats.restarts;
  start_session(self, std::move(start), std::nullopt);
}

/// Sends the provider a cancel for a session that has no actor.
void cancel_on_provider(supervisor_actor* self, std::uint64_t id, const std::string& peer_text) {
  auto peer = libp2p::peer_id::parse(peer_text);
  if (!peer) return;
  messages::snapshots_request request{id, messages::error_message{"session cancelled by the consumer"}};
  byte_buffer encoded;
  messages::encode(request, messages::byte_encoding::base64, encoded);
  const auto& env = *self->state.env;
  net::peer_target target = *peer;
  start_io(env.io, exchange(env.host, std::move(target), env.config.protocols, std::move(encoded),
                            env.config.request_timeout),
           caf::actor_cast<caf::actor>(self), cancel_sent_atom::value);
}

void on_down(supervisor_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (auto c = st.cancelling.find(dm.source); c != st.cancelling.end()) {
    caf::anon_send(st.env->writer, persist_atom::value, cancel_atom::value, c->second);
    st.cancelling.erase(c);
    return;
  }
  auto a = st.by_actor.find(dm.source);
  if (a == st.by_actor.end()) return;
  const auto id = a->second;
  st.by_actor.erase(a);
  auto it = st.sessions.find(id);
  if (it == st.sessions.end()) return;
  auto& e = it->second;
  e.actor = nullptr;
  if (!dm.reason) { // normal exit: verified
    e.attempts = 0;
    return;
  }
  const error reason = from_caf_error(dm.reason);
  const failure_class cls = failure_of(reason);
  e.status.state = session_state::failed;
  e.status.verified = false;
  e.status.error = reason.message();
  e.status.error_code = error_code_name(cls);
  ++st.stats.failures;
  if (cls == failure_class::checksum || cls == failure_class::authentication) ++st.stats.verification_failures;
  auto delay = st.policy.next_delay(cls, e.attempts, st.rng);
  std::string json = "{\"session\":" + std::to_string(id) + ",\"peer\":\"" + json_escape(e.status.peer) +
                     "\",\"error\":\"" + json_escape(reason.message()) + "\",\"error_code\":\"" +
                     error_code_name(cls) + "\",\"retry_in_ms\":" +
                     (delay ? std::to_string(delay->count()) : std::string("null")) + "}";
  publish(self, "SnapshotStreamFailed", std::move(json));
  log::warn("supervisor", "session_failed",
            {{"session", id}, {"error_code", error_code_name(cls)}, {"reason", reason.message()},
             {"attempt", e.attempts},
             {"retry_in_ms", delay ? std::to_string(delay->count()) : std::string("never")}});
  if (!delay) return;
  ++e.attempts;
  self->delayed_send(self, *delay, restart_atom::value, id);
}

void on_progress(supervisor_actor* self, session_status& s, std::uint64_t latency_us) {
  auto& st = self->state;
  auto it = st.sessions.find(s.session);
  if (it == st.sessions.end()) return; // cancelled meanwhile
  auto& e = it->second;
  if (s.bytes_received > e.counted_bytes) st.stats.bytes_received += s.bytes_received - e.counted_bytes;
  e.counted_bytes = s.bytes_received;
  const std::uint64_t chunks = s.last_chunk_index ? *s.last_chunk_index + 1 : 0;
  if (chunks > e.counted_chunks) st.stats.chunks_received += chunks - e.counted_chunks;
  e.counted_chunks = chunks;
  if (latency_us > 0) {
    const double secs = static_cast<double>(latency_us) / 1e6;
    st.stats.latency_sum += secs;
    ++st.stats.latency_count;
    for (std::size_t i = 0; i < std::size(latency_bounds); ++i)
      if (secs <= latency_bounds[i]) ++st.stats.latency_buckets[i];
  }
  if (s.state != session_state::failed) e.attempts = s.state == session_state::verified ? 0 : e.attempts;
  s.retries = e.status.retries;
  e.status = std::move(s);
  const auto now = clock_type::now();
  if (e.status.state != e.last_published || now - e.last_event >= std::chrono::seconds(1)) {
    e.last_event = now;
    e.last_published = e.status.state;
    std::string json = "{\"session\":" + std::to_string(e.status.session) + ",\"state\":\"" +
                       to_string(e.status.state) + "\",\"bytes_received\":" +
                       std::to_string(e.status.bytes_received) + ",\"last_chunk_index\":" +
                       (e.status.last_chunk_index ? std::to_string(*e.status.last_chunk_index) : "null") +
                       ",\"total_chunks\":" +
                       (e.status.total_chunks ? std::to_string(*e.status.total_chunks) : "null") +
                       ",\"throughput\":" + std::to_string(static_cast<std::uint64_t>(e.status.throughput)) + "}";
    publish(self, "SessionProgress", std::move(json));
  }
}

caf::result<session_status> on_start(supervisor_actor* self, start_command& cmd) {
  auto& st = self->state;
  auto peer = libp2p::peer_id::parse(cmd.peer);
  if (!peer) return to_caf_error(error{control_errc::invalid_argument, "invalid peer id: " + peer.error().message()});
  if (cmd.chunk_size && *cmd.chunk_size == 0)
    return to_caf_error(error{control_errc::invalid_argument, "chunk_size must be greater than zero"});
  if (auto trusted = snapshot::check_trust(st.env->trust); !trusted)
    return to_caf_error(error{control_errc::invalid_argument,
                              "this node trusts no snapshot authority, so it cannot verify a sync (start it with "
                              "--trust): " + trusted.error().message()});
  // A response promise turns every `return` below into a deferred answer: make
  // it only once the command is known to start a session.
  if (cmd.resume) {
    const auto id = cmd.resume->session;
    auto it = st.sessions.find(id);
    if (it == st.sessions.end())
      return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
    if (it->second.status.peer != cmd.peer)
      return to_caf_error(error{control_errc::invalid_argument, "snapshot session " + std::to_string(id) +
                                                                  " streams from peer " + it->second.status.peer +
                                                                  ", not " + cmd.peer});
    if (it->second.actor) return it->second.status; // already running: resuming is a no-op
    auto stored = load(self, id);
    if (!stored) return to_caf_error(error{control_errc::internal, stored.error().message()});
    if (!*stored) return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
    const auto& rec = (*stored)->record;
    if (cmd.resume->plan_id && !rec.plan_id.empty() && *cmd.resume->plan_id != rec.plan_id)
      return to_caf_error(error{control_errc::resume_rejected, "resume plan id " + *cmd.resume->plan_id +
                                                                 " does not match persisted plan " + rec.plan_id});
    if (rec.state == storage::session_state::verified && !cmd.resume->chunk_index && !cmd.resume->update_index)
      return it->second.status;
    session_start start;
    start.session_id = id;
    start.peer = cmd.peer;
    start.chunk_size = cmd.chunk_size;
    start.stored = std::move(**stored);
    start.resume_chunk_index = cmd.resume->chunk_index;
    start.resume_update_index = cmd.resume->update_index;
    it->second.attempts = 0;
    it->second.status.error.reset();
    it->second.status.error_code.reset();
    auto rp = self->make_response_promise();
    start_session(self, std::move(start), rp);
    return rp;
  }
  std::uniform_int_distribution<std::uint64_t> pick(1, (std::uint64_t{1} << 53) - 1); // exact in JSON doubles
  std::uint64_t id = pick(st.rng);
  while (st.sessions.contains(id)) id = pick(st.rng);
  entry e;
  e.status.session = id;
  e.status.peer = cmd.peer;
  st.sessions[id] = std::move(e);
  session_start start;
  start.session_id = id;
  start.peer = cmd.peer;
  start.chunk_size = cmd.chunk_size;
  auto rp = self->make_response_promise();
  start_session(self, std::move(start), rp);
  return rp;
}

caf::behavior supervisor(supervisor_actor* self, std::shared_ptr<const session_env> env, consumer_config config) {
  auto& st = self->state;
  tolerate_stray_messages(self, "supervisor");
  st.env = std::move(env);
  st.config = config;
  st.policy = restart_policy(config.restart);
  st.stats.latency_bounds.assign(std::begin(latency_bounds), std::end(latency_bounds));
  st.stats.latency_buckets.assign(std::size(latency_bounds), 0);

  // Bootstrap: every persisted session reappears with its durable status.
  auto stored = storage::session_store(*st.env->db).load_all();
  if (!stored) {
    log::error("supervisor", "sessions_unreadable", {{"reason", to_string(stored.error())}});
  } else {
    std::size_t resumed = 0;
    for (auto& s : *stored) {
      const auto& r = s.record;
      entry e;
      e.status = status_of(r);
      e.counted_bytes = r.bytes_received;
      e.counted_chunks = r.next_chunk_index;
      const bool incomplete = r.state == storage::session_state::planning || r.state == storage::session_state::syncing;
      const bool retryable_failure = r.state == storage::session_state::failed &&
                                     (r.error_code == "network" || r.error_code == "saturated" || r.error_code == "remote");
      const auto id = r.session_id;
      st.sessions[id] = std::move(e);
      if (config.auto_resume && (incomplete || retryable_failure)) {
        ++resumed;
        self->send(self, restart_atom::value, id);
      }
    }
    log::info("supervisor", "sessions_loaded", {{"count", stored->size()}, {"resuming", resumed}});
  }

  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    for (auto& [id, e] : self->state.sessions)
      if (e.actor) self->send_exit(e.actor, em.reason);
    self->quit(em.reason);
  });

  return {
    [self](start_atom, start_command& cmd) -> caf::result<session_status> { return on_start(self, cmd); },
    [self](status_atom, std::uint64_t id) -> caf::result<session_status> {
      auto it = self->state.sessions.find(id);
      if (it == self->state.sessions.end())
        return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
      return it->second.status;
    },
    [self](list_atom) {
      std::vector<session_status> out;
      for (const auto& [id, e] : self->state.sessions) out.push_back(e.status);
      return out;
    },
    [self](cancel_atom, std::uint64_t id) -> caf::result<void> {
      auto& st = self->state;
      auto it = st.sessions.find(id);
      if (it == st.sessions.end())
        return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
      auto e = std::move(it->second);
      st.sessions.erase(it);
      if (e.actor) {
        // The session tells the provider; its record is erased once it is gone.
        st.by_actor.erase(e.actor.address());
        st.cancelling[e.actor.address()] = id;
        self->send(e.actor, cancel_atom::value);
      } else {
        cancel_on_provider(self, id, e.status.peer);
        caf::anon_send(st.env->writer, persist_atom::value, cancel_atom::value, id);
      }
      log::info("supervisor", "session_cancelled", {{"session", id}});
      publish(self, "SessionCancelled", "{\"session\":" + std::to_string(id) + "}");
      return caf::unit;
    },
    [self](fetch_atom, std::uint64_t id) -> caf::result<void> {
      auto it = self->state.sessions.find(id);
      if (it == self->state.sessions.end() || !it->second.actor)
        return to_caf_error(error{control_errc::not_found, "no running snapshot session " + std::to_string(id)});
      auto rp = self->make_response_promise();
      self->request(it->second.actor, std::chrono::seconds(30), fetch_atom::value)
        .then([rp]() mutable { rp.deliver(caf::unit); }, [rp](caf::error& e) mutable { rp.deliver(e); });
      return rp;
    },
    [self](consumer_stats_atom) {
      auto stats = self->state.stats;
      std::map<std::string, std::uint64_t> by_state;
      for (auto s : {session_state::planning, session_state::syncing, session_state::verified, session_state::failed,
                     session_state::cancelled})
        by_state[to_string(s)] = 0;
      for (const auto& [id, e] : self->state.sessions) ++by_state[to_string(e.status.state)];
      stats.sessions_by_state.assign(by_state.begin(), by_state.end());
      return stats;
    },
    [self](progress_atom, session_status& s, std::uint64_t latency_us) { on_progress(self, s, latency_us); },
    [self](restart_atom, std::uint64_t id) { restart(self, id); },
    [](cancel_sent_atom, const result<exchange_result>&) {},
  };
}

} // namespace

caf::actor spawn_session_supervisor(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                    consumer_config config) {
  return system.spawn(supervisor, std::move(env), std::move(config));
}

} // namespace snapstream::actors
