#include "actors/node.hpp"

#include "actors/atoms.hpp"
#include "actors/event_bus.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/session_supervisor.hpp"
#include "actors/snapshot_transport.hpp"
#include "protocol/common/log.hpp"
#include "storage/errors.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <future>
#include <thread>

namespace snapstream::actors {

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// Errors of node commands as the control plane reports them.
error to_control_error(error e) {
  if (e.code().category() == make_error_code(control_errc::internal).category()) return e;
  if (e.is(actors_errc::unavailable)) return {control_errc::shutting_down, "the node is shutting down"};
  if (e.is(actors_errc::timeout)) return {control_errc::internal, "the node did not answer in time"};
  return {control_errc::internal, e.message()};
}

template <class T>
result<T> control_result(result<T> r) {
  if (r) return r;
  return to_control_error(r.error());
}

snapshot_info to_snapshot_info(const storage::snapshot_info& s) {
  return {s.plan_id, s.height, s.page_count, s.record_count, s.total_bytes, s.update_count};
}

class node_control final : public control_backend {
public:
  node_control(bridge& b, net::host& host, caf::actor supervisor, caf::actor provider, caf::actor events)
    : bridge_(b), host_(host), supervisor_(std::move(supervisor)), provider_(std::move(provider)),
      events_(std::move(events)) {}

  asio::awaitable<result<session_status>> start_session(start_command cmd) override {
    // A resume waits for the provider's answer: allow for a slow dial.
    auto r = co_await bridge_.ask<session_status>(supervisor_, 150s, start_atom::value, std::move(cmd));
    co_return control_result(std::move(r));
  }

  asio::awaitable<result<session_status>> session(std::uint64_t id) override {
    auto r = co_await bridge_.ask<session_status>(supervisor_, 10s, status_atom::value, id);
    co_return control_result(std::move(r));
  }

  asio::awaitable<result<std::vector<session_status>>> sessions() override {
    auto r = co_await bridge_.ask<std::vector<session_status>>(supervisor_, 10s, list_atom::value);
    co_return control_result(std::move(r));
  }

  asio::awaitable<result<void>> cancel_session(std::uint64_t id) override {
    auto r = co_await bridge_.ask<void>(supervisor_, 10s, cancel_atom::value, id);
    co_return control_result(std::move(r));
  }

  asio::awaitable<result<std::vector<breaker_status>>> breakers() override {
    auto stats = co_await bridge_.ask<provider_stats>(provider_, 10s, provider_stats_atom::value);
    if (!stats) co_return to_control_error(stats.error());
    co_return std::move(stats->breakers);
  }

  asio::awaitable<result<void>> reset_breakers() override {
    auto r = co_await bridge_.ask<void>(provider_, 10s, breaker_reset_atom::value);
    co_return control_result(std::move(r));
  }

  asio::awaitable<result<std::vector<peer_info>>> peers() override {
    std::vector<peer_info> out;
    for (const auto& p : host_.peers()) {
      peer_info info;
      info.peer_id = p.id.to_string();
      info.transport = "libp2p";
      info.addresses.push_back(p.address.to_string());
      info.protocols = p.protocols;
      out.push_back(std::move(info));
    }
    co_return out;
  }

  asio::awaitable<result<snapshot_info>> create_snapshot() override {
    // Builds take as long as the state is large: no bridge timeout shorter than an hour.
    auto built = co_await bridge_.ask<result<storage::snapshot_info>>(provider_, std::chrono::hours(1),
                                                                       build_snapshot_atom::value);
    if (!built) co_return to_control_error(built.error());
    if (*built) co_return to_snapshot_info(**built);
    const auto& e = built->error();
    if (e.is(storage::storage_errc::snapshot_exists)) {
      // The state has not changed since the last snapshot: that one is current.
      auto all = co_await bridge_.ask<result<std::vector<storage::snapshot_info>>>(provider_, 10s,
                                                                                  list_snapshots_atom::value);
      if (all && *all && !(*all)->empty()) co_return to_snapshot_info((*all)->back());
    }
    co_return error{control_errc::internal, "snapshot build failed: " + e.message()};
  }

  asio::awaitable<result<std::vector<node_event>>> events_after(std::uint64_t after,
                                                                std::chrono::milliseconds wait) override {
    const auto timeout = wait + 10s;
    auto r = co_await bridge_.ask<std::vector<node_event>>(events_, timeout, events_atom::value, after, wait);
    co_return control_result(std::move(r));
  }

  asio::awaitable<result<metrics_snapshot>> metrics() override {
    auto provided = co_await bridge_.ask<provider_stats>(provider_, 10s, provider_stats_atom::value);
    if (!provided) co_return to_control_error(provided.error());
    auto consumed = co_await bridge_.ask<consumer_stats>(supervisor_, 10s, consumer_stats_atom::value);
    if (!consumed) co_return to_control_error(consumed.error());
    metrics_snapshot m;
    m.sessions_by_state = consumed->sessions_by_state;
    m.bytes_received = consumed->bytes_received;
    m.chunks_received = consumed->chunks_received;
    m.verification_failures = consumed->verification_failures;
    m.latency_bounds = consumed->latency_bounds;
    m.latency_buckets = consumed->latency_buckets;
    m.latency_sum = consumed->latency_sum;
    m.latency_count = consumed->latency_count;
    m.bytes_served = provided->bytes_served;
    m.chunks_served = provided->chunks_served;
    m.inbound_sessions = provided->active_sessions;
    m.requests_served = provided->requests_served;
    m.requests_refused = provided->requests_refused;
    m.breakers = std::move(provided->breakers);
    co_return m;
  }

private:
  bridge& bridge_;
  net::host& host_;
  caf::actor supervisor_;
  caf::actor provider_;
  caf::actor events_;
};

caf::actor_system_config& configured(caf::actor_system_config& cfg, std::size_t threads) {
  if (threads > 0) cfg.set("scheduler.max-threads", threads);
  return cfg;
}

} // namespace

struct node::impl {
  node_config config;
  std::shared_ptr<storage::db> db;
  caf::actor_system_config caf_config;
  std::unique_ptr<caf::actor_system> system;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<net::host> host;
  std::unique_ptr<bridge> bridge_;
  caf::actor writer, events, provider, supervisor;
  std::unique_ptr<node_control> control;
  std::vector<libp2p::multiaddr> addresses;
  std::thread io_thread;
  bool stopped = false;

  void stop_actors() {
    caf::scoped_actor self{*system};
    for (auto* a : {&supervisor, &provider, &writer, &events}) {
      if (!*a) continue;
      self->monitor(*a);
      self->send_exit(*a, caf::exit_reason::user_shutdown);
      self->receive([](const caf::down_msg&) {});
      *a = nullptr;
    }
  }

  void stop_io() {
    if (io_thread.joinable()) {
      if (host) {
        std::promise<void> stopped_host;
        auto done = stopped_host.get_future();
        asio::co_spawn(io, host->stop(), [&stopped_host](std::exception_ptr) { stopped_host.set_value(); });
        done.wait();
      }
      work.reset();
      io_thread.join();
    }
  }
};

node::node(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

node::~node() { stop(); }

result<std::unique_ptr<node>> node::start(node_config config) {
  auto d = std::make_unique<impl>();
  d->config = std::move(config);
  auto& cfg = d->config;
  auto opened = storage::db::open(cfg.data_dir);
  if (!opened) return opened.error();
  d->db = std::shared_ptr<storage::db>(std::move(*opened));

  configured(d->caf_config, cfg.scheduler_threads);
  d->system = std::make_unique<caf::actor_system>(d->caf_config);
  d->host = std::make_unique<net::host>(d->io.get_executor(), cfg.identity, cfg.host);
  for (const auto& address : cfg.listen) {
    auto bound = d->host->listen(address);
    if (!bound) {
      d->host.reset();
      return bound.error();
    }
    d->addresses.push_back(*bound);
  }
  for (const auto& peer : cfg.peers) {
    const auto& id = peer.peer;
    if (!id) return error{control_errc::invalid_argument, "peer address " + peer.to_string() + " lacks /p2p/<peer id>"};
    d->host->add_address(*id, peer);
  }
  d->bridge_ = std::make_unique<bridge>(*d->system);

  const auto seed = cfg.identity.seed();
  auto key = snapshot::authority_key::from_seed(bytes_view(seed.data(), seed.size()));
  if (!key) return key.error();
  d->writer = spawn_persistence_writer(*d->system, d->db);
  d->events = spawn_event_bus(*d->system);
  d->provider = spawn_provider(*d->system, d->db, std::move(*key), cfg.provider);
  auto env = std::make_shared<session_env>();
  env->db = d->db;
  env->host = d->host.get();
  env->io = d->io.get_executor();
  env->writer = d->writer;
  env->events = d->events;
  env->trust = cfg.trust;
  env->config = cfg.consumer.session;
  d->supervisor = spawn_session_supervisor(*d->system, env, cfg.consumer);
  serve_snapshots(*d->host, *d->bridge_, d->provider, cfg.provider_timeout);
  d->control = std::make_unique<node_control>(*d->bridge_, *d->host, d->supervisor, d->provider, d->events);

  d->work.emplace(d->io.get_executor());
  d->io_thread = std::thread([io = &d->io] {
    for (;;) {
      try {
        io->run();
        return;
      } catch (const std::exception& e) {
        log::error("node", "io_thread_exception", {{"what", e.what()}});
      }
    }
  });
  std::string listening;
  for (const auto& a : d->addresses) listening += (listening.empty() ? "" : ",") + a.to_string();
  log::info("node", "started", {{"peer_id", cfg.identity.id().to_string()}, {"listen", listening},
                                 {"data_dir", cfg.data_dir.string()}});
  return std::unique_ptr<node>(new node(std::move(d)));
}

void node::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stop_actors();
  impl_->stop_io();
  impl_->bridge_->stop();
  impl_->control.reset();
  impl_->host.reset();
  impl_->system->await_all_actors_done();
  log::info("node", "stopped", {{"peer_id", impl_->config.identity.id().to_string()}});
}

control_backend& node::control() noexcept { return *impl_->control; }
boost::asio::any_io_executor node::executor() const noexcept { return impl_->io.get_executor(); }
const libp2p::peer_id& node::peer_id() const noexcept { return impl_->config.identity.id(); }
const std::vector<libp2p::multiaddr>& node::addresses() const noexcept { return impl_->addresses; }
caf::actor_system& node::system() noexcept { return *impl_->system; }
caf::actor node::supervisor() const noexcept { return impl_->supervisor; }
caf::actor node::provider() const noexcept { return impl_->provider; }
caf::actor node::events() const noexcept { return impl_->events; }
storage::db& node::db() noexcept { return *impl_->db; }

} // namespace snapstream::actors
