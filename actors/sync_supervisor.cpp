#include "actors/sync_supervisor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/atoms.hpp"
#include "actors/bridge.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/resilience.hpp"
#include "actors/snapshot_transport.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/messages/utf8.hpp"
#include "protocol/snapshot/trust.hpp"

#include <boost/json.hpp>

#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <map>
#include <random>

namespace snapstream::actors {

namespace {

using clock_type = std::chrono::steady_clock;
using stored_job = result<std::optional<storage::stored_session>>;

constexpr double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
constexpr std::chrono::milliseconds start_timeout{150'000};
/// A read of the stored jobs waits behind the writes queued before it.
constexpr std::chrono::milliseconds load_timeout{60'000};

struct entry {
  session_status status;
  std::optional<job_actor> job;
  std::uint32_t attempts = 0; ///< restarts of the job at boot
  std::uint64_t counted_bytes = 0;
  std::uint64_t counted_chunks = 0;
  std::uint64_t counted_ahead = 0;
  std::uint64_t counted_restarts = 0;
  clock_type::time_point last_event{};
  session_state last_published = session_state::planning;
};

struct supervisor_data {
  std::shared_ptr<const session_env> env;
  consumer_config config;
  std::map<std::uint64_t, entry> jobs;
  std::map<caf::actor_addr, std::uint64_t> by_actor;
  std::map<caf::actor_addr, std::uint64_t> cancelling; ///< jobs whose record is erased once they are gone
  std::mt19937_64 rng{std::random_device{}()};
  consumer_stats stats;
  circuit_breakers breakers; ///< of the providers this node syncs from
  static inline const char* name = "snapstream.sync_supervisor";
};

using self_pointer = sync_supervisor_actor::stateful_pointer<supervisor_data>;
using start_promise = caf::typed_response_promise<session_status>;

void publish(self_pointer self, const char* type, const boost::json::object& payload) {
  self->send(self->state.env->events, publish_atom::value, std::string(type), boost::json::serialize(payload));
}

/// The control error an operator gets when a start or resume fails.
error control_error_of(const error& e) {
  if (e.code().category() == make_error_code(control_errc::internal).category()) return e;
  control_errc code = control_errc::internal;
  switch (failure_of(e)) {
    case failure_class::resume_mismatch: code = control_errc::resume_rejected; break;
    case failure_class::network: code = control_errc::peer_unreachable; break;
    case failure_class::saturated: code = control_errc::saturated; break;
    case failure_class::checksum:
    case failure_class::authentication:
    case failure_class::remote:
    case failure_class::local: code = control_errc::internal; break;
  }
  if (e.is(actors_errc::timeout)) code = control_errc::peer_unreachable;
  return error{code, e.message()};
}

/// Spawns a job and answers `rp` (when given) with its first status.
void launch(self_pointer self, job_start start, std::optional<start_promise> rp) {
  auto& st = self->state;
  const auto now = clock_type::now();
  for (const auto& b : st.breakers.status(now))
    if (b.state == breaker_state::open) start.excluded.emplace_back(b.peer, st.breakers.retry_after(b.peer, now));
  const auto id = start.id;
  auto job = spawn_job(self->system(), st.env, st.config, std::move(start), job_observer{self});
  self->monitor(job);
  st.by_actor[job.address()] = id;
  st.jobs[id].job = job;
  self->request(job, start_timeout, start_atom::value)
    .then(
      [rp](session_status& s) mutable {
        if (rp) rp->deliver(std::move(s));
      },
      [rp](caf::error& e) mutable {
        // The job ends with this reason; the down handler records it.
        if (rp) rp->deliver(to_caf_error(control_error_of(from_caf_error(e))));
      });
}

/// Reads a stored job on the persistence writer's thread, after every write
/// sent to it before, and continues with `then(stored_job)` on this actor.
/// The job may have been cancelled or started meanwhile: `then` checks.
template <class Then>
void load(self_pointer self, std::uint64_t id, Then then) {
  self->request(self->state.env->writer, load_timeout, load_atom::value, id)
    .then([then](stored_job& stored) mutable { then(std::move(stored)); },
          [then](caf::error& e) mutable {
            then(stored_job(boost::system::in_place_error, error{control_errc::internal, from_caf_error(e).message()}));
          });
}

/// A stored job read for a restart: it continues from its durable state,
/// unless it was cancelled or started again while it was read.
void restart_stored(self_pointer self, std::uint64_t id, stored_job stored) {
  auto& st = self->state;
  auto it = st.jobs.find(id);
  if (it == st.jobs.end() || it->second.job) return;
  if (!stored || !*stored) {
    log::error("supervisor", "restart_impossible",
               {{"session", id}, {"reason", stored ? std::string("no stored record") : to_string(stored.error())}});
    return;
  }
  job_start start;
  start.id = id;
  start.peers = (*stored)->record.peers;
  if (start.peers.empty() && !(*stored)->record.peer.empty()) start.peers.push_back((*stored)->record.peer);
  if ((*stored)->record.chunk_size) start.chunk_size = (*stored)->record.chunk_size;
  start.stored = std::move(**stored);
  start.retries = it->second.status.retries;
  ++st.stats.restarts;
  launch(self, std::move(start), std::nullopt);
}

/// Boot and automatic resumes: the job continues from its durable state.
void restart(self_pointer self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.jobs.find(id);
  if (it == st.jobs.end() || it->second.job) return; // cancelled, or running again
  load(self, id, [self, id](stored_job stored) { restart_stored(self, id, std::move(stored)); });
}

/// Tells a provider that a job without an actor is cancelled.
void cancel_on_provider(self_pointer self, std::uint64_t id, const std::string& peer_text) {
  auto peer = libp2p::peer_id::parse(peer_text);
  if (!peer) return;
  messages::snapshots_request request{id, messages::error_message{"session cancelled by the consumer", std::nullopt}};
  byte_buffer encoded;
  messages::encode(request, messages::byte_encoding::base64, encoded);
  const auto& env = *self->state.env;
  net::peer_target target = *peer;
  start_io(env.io, exchange(env.host, std::move(target), env.config.protocols, std::move(encoded),
                            env.config.request_timeout),
           caf::actor_cast<caf::actor>(self), net_reply_atom::value);
}

void on_down(self_pointer self, const caf::down_msg& dm) {
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
  auto it = st.jobs.find(id);
  if (it == st.jobs.end()) return;
  auto& e = it->second;
  e.job.reset();
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
  boost::json::object o;
  o["session"] = id;
  o["peer"] = e.status.peer;
  o["error"] = messages::valid_utf8(reason.message());
  o["error_code"] = error_code_name(cls);
  o["retry_in_ms"] = nullptr;
  publish(self, "SnapshotStreamFailed", o);
  log::warn("supervisor", "session_failed",
            {{"session", id}, {"error_code", error_code_name(cls)}, {"reason", reason.message()}});
}

void on_progress(self_pointer self, session_status& s, std::uint64_t latency_us) {
  auto& st = self->state;
  auto it = st.jobs.find(s.session);
  if (it == st.jobs.end()) return; // cancelled meanwhile
  auto& e = it->second;
  if (s.bytes_received > e.counted_bytes) st.stats.bytes_received += s.bytes_received - e.counted_bytes;
  e.counted_bytes = s.bytes_received;
  if (s.chunks_applied > e.counted_chunks) st.stats.chunks_received += s.chunks_applied - e.counted_chunks;
  e.counted_chunks = s.chunks_applied;
  if (s.chunks_asked_ahead < e.counted_ahead) e.counted_ahead = 0; // a restarted job counts from 0 again
  st.stats.chunks_asked_ahead += s.chunks_asked_ahead - e.counted_ahead;
  e.counted_ahead = s.chunks_asked_ahead;
  if (s.retries > e.counted_restarts) st.stats.restarts += s.retries - e.counted_restarts;
  e.counted_restarts = s.retries;
  if (latency_us > 0) {
    const double secs = static_cast<double>(latency_us) / 1e6;
    st.stats.latency_sum += secs;
    ++st.stats.latency_count;
    for (std::size_t i = 0; i < std::size(latency_bounds); ++i)
      if (secs <= latency_bounds[i]) ++st.stats.latency_buckets[i];
  }
  e.status = std::move(s);
  const auto now = clock_type::now();
  if (e.status.state != e.last_published || now - e.last_event >= std::chrono::seconds(1)) {
    e.last_event = now;
    e.last_published = e.status.state;
    boost::json::object o;
    o["session"] = e.status.session;
    o["state"] = to_string(e.status.state);
    o["bytes_received"] = e.status.bytes_received;
    o["last_chunk_index"] = e.status.last_chunk_index ? boost::json::value(*e.status.last_chunk_index) : nullptr;
    o["total_chunks"] = e.status.total_chunks ? boost::json::value(*e.status.total_chunks) : nullptr;
    o["chunks_applied"] = e.status.chunks_applied;
    o["throughput"] = static_cast<std::uint64_t>(e.status.throughput);
    boost::json::array peers;
    for (const auto& p : e.status.peers) {
      boost::json::object po;
      po["peer"] = p.peer;
      po["state"] = p.state;
      po["bytes"] = p.bytes;
      po["chunks"] = p.chunks;
      po["rate"] = static_cast<std::uint64_t>(p.rate);
      peers.push_back(std::move(po));
    }
    o["peers"] = std::move(peers);
    publish(self, "SessionProgress", o);
  }
}

/// Parses and deduplicates the providers of a start command.
result<std::vector<std::string>> providers_of(const start_command& cmd) {
  std::vector<std::string> out;
  auto add = [&](const std::string& text) -> result<void> {
    auto peer = libp2p::peer_id::parse(text);
    if (!peer) return error{control_errc::invalid_argument, "invalid peer id: " + peer.error().message()};
    const auto canonical = peer->to_string();
    if (std::find(out.begin(), out.end(), canonical) == out.end()) out.push_back(canonical);
    return {};
  };
  if (!cmd.peer.empty())
    if (auto ok = add(cmd.peer); !ok) return ok.error();
  for (const auto& p : cmd.peers)
    if (auto ok = add(p); !ok) return ok.error();
  return out;
}

/// An operator's resume of job `cmd.resume->session`, once its stored
/// record is read: checks it against the command and (re)starts the job,
/// unless it runs already (a no-op) or was cancelled meanwhile.
void resume_stored(self_pointer self, const start_command& cmd, const std::vector<std::string>& providers,
                   stored_job stored, start_promise rp) {
  auto& st = self->state;
  const auto id = cmd.resume->session;
  auto it = st.jobs.find(id);
  if (it == st.jobs.end()) {
    rp.deliver(to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)}));
    return;
  }
  if (!stored) {
    rp.deliver(to_caf_error(error{control_errc::internal, stored.error().message()}));
    return;
  }
  if (!*stored) {
    rp.deliver(to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)}));
    return;
  }
  const auto& rec = (*stored)->record;
  std::vector<std::string> job_peers = rec.peers;
  if (job_peers.empty() && !rec.peer.empty()) job_peers.push_back(rec.peer);
  if (!cmd.peer.empty() && std::find(job_peers.begin(), job_peers.end(), providers.front()) == job_peers.end()) {
    rp.deliver(to_caf_error(error{control_errc::invalid_argument, "snapshot session " + std::to_string(id) +
                                                                    " streams from peer " + it->second.status.peer +
                                                                    ", not " + cmd.peer}));
    return;
  }
  if (it->second.job) { // already running: resuming is a no-op
    rp.deliver(it->second.status);
    return;
  }
  if (cmd.resume->plan_id && !rec.plan_id.empty() && *cmd.resume->plan_id != rec.plan_id) {
    rp.deliver(to_caf_error(error{control_errc::resume_rejected, "resume plan id " + *cmd.resume->plan_id +
                                                                   " does not match persisted plan " + rec.plan_id}));
    return;
  }
  if (rec.state == storage::session_state::verified && !cmd.resume->chunk_index && !cmd.resume->update_index) {
    rp.deliver(it->second.status);
    return;
  }
  job_start start;
  start.id = id;
  start.peers = job_peers;
  start.chunk_size = cmd.chunk_size;
  start.stored = std::move(**stored);
  if (!cmd.peer.empty()) start.resume_peer = providers.front();
  start.resume_chunk_index = cmd.resume->chunk_index;
  start.resume_update_index = cmd.resume->update_index;
  // rpp's resume answers once the provider accepted it (or refused it).
  start.operator_resume = !cmd.peer.empty() && !start.stored->plan.empty();
  it->second.attempts = 0;
  it->second.status.error.reset();
  it->second.status.error_code.reset();
  launch(self, std::move(start), rp);
}

caf::result<session_status> on_start(self_pointer self, start_command& cmd) {
  auto& st = self->state;
  auto providers = providers_of(cmd);
  if (!providers) return to_caf_error(providers.error());
  if (cmd.chunk_size && *cmd.chunk_size == 0)
    return to_caf_error(error{control_errc::invalid_argument, "chunk_size must be greater than zero"});
  if (cmd.plan_id) {
    hash256 root{};
    if (cmd.plan_id->size() != 64 || !from_hex_into(*cmd.plan_id, root))
      return to_caf_error(error{control_errc::invalid_argument,
                                "invalid plan_id: expected 64 hex characters, got '" + *cmd.plan_id + "'"});
  }
  if (auto trusted = snapshot::check_trust(st.env->trust); !trusted)
    return to_caf_error(error{control_errc::invalid_argument,
                              "this node trusts no snapshot authority, so it cannot verify a sync (start it with "
                              "--trust): " + trusted.error().message()});
  // A response promise turns every `return` below into a deferred answer: make
  // it only once the command is known to start a job (or to read one).
  if (cmd.resume) {
    const auto id = cmd.resume->session;
    if (!st.jobs.contains(id))
      return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
    // The durable record decides the rest: read it, then continue.
    auto rp = self->make_response_promise<session_status>();
    load(self, id, [self, cmd, providers = std::move(*providers), rp](stored_job stored) {
      resume_stored(self, cmd, providers, std::move(stored), rp);
    });
    return rp;
  }
  std::uniform_int_distribution<std::uint64_t> pick(1, (std::uint64_t{1} << 53) - 1); // exact in JSON doubles
  std::uint64_t id = pick(st.rng);
  while (st.jobs.contains(id)) id = pick(st.rng);
  entry e;
  e.status.session = id;
  e.status.peer = providers->empty() ? std::string() : providers->front();
  st.jobs[id] = std::move(e);
  job_start start;
  start.id = id;
  start.peers = std::move(*providers);
  start.plan_id = cmd.plan_id;
  start.chunk_size = cmd.chunk_size;
  auto rp = self->make_response_promise<session_status>();
  launch(self, std::move(start), rp);
  return rp;
}

/// Bootstrap: every stored job reappears with its durable status; those to
/// resume get a `restart`.
void bootstrap(self_pointer self, result<std::vector<storage::stored_session>>& stored) {
  auto& st = self->state;
  if (!stored) {
    log::error("supervisor", "sessions_unreadable", {{"reason", to_string(stored.error())}});
    return;
  }
  std::size_t resumed = 0;
  for (auto& s : *stored) {
    const auto& r = s.record;
    entry e;
    e.status = status_of(r);
    for (const auto& p : s.providers) {
      peer_status ps;
      ps.peer = p.peer;
      ps.state = p.banned ? "banned" : (r.state == session_state::verified ? "done" : "waiting");
      ps.bytes = p.bytes;
      ps.chunks = p.chunks;
      if (p.banned) ps.last_error = p.ban_reason;
      e.status.peers.push_back(std::move(ps));
    }
    e.counted_bytes = r.bytes_received;
    e.counted_chunks = r.chunks_applied;
    const bool incomplete = r.state == session_state::planning || r.state == session_state::syncing;
    const auto cls = failure_class_from_name(r.error_code);
    const bool retryable_failure = r.state == session_state::failed && cls && restart_policy::retryable(*cls);
    const auto id = r.session_id;
    st.jobs[id] = std::move(e);
    if (st.config.auto_resume && (incomplete || retryable_failure)) {
      ++resumed;
      self->send(self, restart_atom::value, id);
    }
  }
  log::info("supervisor", "sessions_loaded", {{"count", stored->size()}, {"resuming", resumed}});
}

sync_supervisor_actor::behavior_type supervisor(self_pointer self, std::shared_ptr<const session_env> env,
                                                consumer_config config) {
  auto& st = self->state;
  tolerate_stray_messages(self, "supervisor");
  st.env = std::move(env);
  st.config = config;
  st.breakers = circuit_breakers(config.provider_breakers);
  st.stats.latency_bounds.assign(std::begin(latency_bounds), std::end(latency_bounds));
  st.stats.latency_buckets.assign(std::size(latency_bounds), 0);

  // The stored jobs, read by the writer; `await` holds every other message
  // until they are here, so no command sees the supervisor half-loaded.
  self->request(st.env->writer, load_timeout, load_atom::value)
    .await([self](result<std::vector<storage::stored_session>>& stored) { bootstrap(self, stored); },
           [](caf::error& e) {
             log::error("supervisor", "sessions_unreadable", {{"reason", from_caf_error(e).message()}});
           });

  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    for (auto& [id, e] : self->state.jobs)
      if (e.job) self->send_exit(*e.job, em.reason);
    self->quit(em.reason);
  });

  return {
    [self](start_atom, start_command& cmd) -> caf::result<session_status> { return on_start(self, cmd); },
    [self](status_atom, std::uint64_t id) -> caf::result<session_status> {
      auto it = self->state.jobs.find(id);
      if (it == self->state.jobs.end())
        return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
      return it->second.status;
    },
    [self](list_atom) {
      std::vector<session_status> out;
      for (const auto& [id, e] : self->state.jobs) out.push_back(e.status);
      return out;
    },
    [self](cancel_atom, std::uint64_t id) -> caf::result<void> {
      auto& st = self->state;
      auto it = st.jobs.find(id);
      if (it == st.jobs.end())
        return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
      auto e = std::move(it->second);
      st.jobs.erase(it);
      if (e.job) {
        // The job tells its providers; its record is erased once it is gone.
        st.by_actor.erase(e.job->address());
        st.cancelling[e.job->address()] = id;
        self->send(*e.job, cancel_atom::value);
      } else {
        std::vector<std::string> peers;
        for (const auto& p : e.status.peers) peers.push_back(p.peer);
        if (peers.empty() && !e.status.peer.empty()) peers.push_back(e.status.peer);
        for (const auto& p : peers) cancel_on_provider(self, id, p);
        caf::anon_send(st.env->writer, persist_atom::value, cancel_atom::value, id);
      }
      log::info("supervisor", "session_cancelled", {{"session", id}});
      boost::json::object o;
      o["session"] = id;
      publish(self, "SessionCancelled", o);
      return caf::unit;
    },
    [self](fetch_atom, std::uint64_t id) -> caf::result<void> {
      auto it = self->state.jobs.find(id);
      if (it == self->state.jobs.end() || !it->second.job)
        return to_caf_error(error{control_errc::not_found, "no running snapshot session " + std::to_string(id)});
      auto rp = self->make_response_promise();
      self->request(*it->second.job, std::chrono::seconds(30), fetch_atom::value)
        .then([rp]() mutable { rp.deliver(caf::unit); }, [rp](caf::error& e) mutable { rp.deliver(e); });
      return rp;
    },
    [self](consumer_stats_atom) {
      auto stats = self->state.stats;
      std::map<std::string, std::uint64_t> by_state;
      for (auto s : {session_state::planning, session_state::syncing, session_state::verified, session_state::failed,
                     session_state::cancelled})
        by_state[std::string(to_string(s))] = 0;
      std::map<std::string, peer_status> peers;
      for (const auto& [id, e] : self->state.jobs) {
        ++by_state[std::string(to_string(e.status.state))];
        for (const auto& p : e.status.peers) {
          auto& agg = peers[p.peer];
          agg.peer = p.peer;
          agg.state = p.state;
          agg.bytes += p.bytes;
          agg.chunks += p.chunks;
          agg.failures += p.failures;
          agg.backpressure += p.backpressure;
          agg.rate = p.rate;
          agg.rtt_ms = p.rtt_ms;
          if (p.state == "banned") ++stats.peers_banned;
        }
      }
      stats.sessions_by_state.assign(by_state.begin(), by_state.end());
      stats.provider_breakers = self->state.breakers.status(clock_type::now());
      for (auto& b : stats.provider_breakers) b.side = breaker_side::syncing;
      for (auto& [name, p] : peers) stats.peers.push_back(std::move(p));
      return stats;
    },
    [self](progress_atom, session_status& s, std::uint64_t latency_us) { on_progress(self, s, latency_us); },
    [self](restart_atom, std::uint64_t id) { restart(self, id); },
    [self](banned_atom, const std::string& peer) {
      self->state.breakers.record_failure(peer, clock_type::now());
      log::warn("supervisor", "provider_breaker_opened", {{"peer", peer}});
    },
    [self](breaker_reset_atom) { self->state.breakers.reset_all(); },
    [](net_reply_atom, const result<exchange_result>&) {},
  };
}

} // namespace

sync_supervisor_actor spawn_sync_supervisor(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                            consumer_config config) {
  return system.spawn(supervisor, std::move(env), std::move(config));
}

} // namespace snapstream::actors
