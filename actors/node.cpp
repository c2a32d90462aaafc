#include "actors/node.hpp"

#include "actors/atoms.hpp"
#include "actors/http_control_actor.hpp"
#include "actors/node_actor.hpp"
#include "actors/sync_supervisor.hpp"
#include "actors/snapshot_transport.hpp"
#include "protocol/common/log.hpp"
#include "protocol/common/version.hpp"
#include "storage/snapshot_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <future>
#include <thread>

namespace snapstream::actors {

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// The peers of the libp2p host, for `GET /p2p/peers` (on the host's executor).
std::vector<peer_info> libp2p_peers(const net::host& host) {
  std::vector<peer_info> out;
  for (const auto& p : host.peers()) {
    peer_info info;
    info.peer_id = p.id.to_string();
    info.transport = "libp2p";
    info.addresses.push_back(p.address.to_string());
    info.protocols = p.protocols;
    out.push_back(std::move(info));
  }
  return out;
}

caf::actor_system_config& configured(caf::actor_system_config& cfg, std::size_t threads) {
  if (threads > 0) cfg.set("scheduler.max-threads", threads);
  // An idle CAF 0.17 worker polls its queue 500 times with a 50 us sleep
  // between polls before it blocks on its condition variable. A node's
  // actors wake every few milliseconds (one per chunk), so its workers never
  // got past that phase: tens of thousands of wake-ups a second, a third of
  // the provider's CPU time (perf). Idle workers now block right after the
  // short spin; an enqueue from outside the pool wakes them, and they still
  // steal on each wake-up.
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
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
  node_actor root;            ///< the node actor
  node_children children;     ///< its children, for accessors
  std::shared_ptr<std::atomic<bool>> failed = std::make_shared<std::atomic<bool>>(false);
  http_control_actor control_actor; ///< the HTTP control actor: operators' commands go through it
  std::unique_ptr<actor_control> control;
  std::vector<libp2p::multiaddr> addresses;
  std::thread io_thread;
  bool stopped = false;

  // The HTTP control actor first (no new commands), then the node actor,
  // which stops its children in order before it exits.
  void stop_actors() {
    if (!root) return;
    caf::scoped_actor self{*system};
    if (control_actor) {
      self->monitor(control_actor);
      self->send_exit(control_actor, caf::exit_reason::user_shutdown);
      self->receive([](const caf::down_msg&) {});
      control_actor = nullptr;
    }
    self->monitor(root);
    self->send_exit(root, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {});
    root = nullptr;
    children = {};
  }

  void stop_io() {
    if (io_thread.joinable()) {
      if (host) {
        std::promise<void> stopped_host;
        auto done = stopped_host.get_future();
        asio::co_spawn(io, host->stop(), [&stopped_host](std::exception_ptr ep) {
          if (ep) log::error("node", "host_stop_failed", {{"what", describe_exception(ep)}});
          stopped_host.set_value();
        });
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
  auto opened = storage::db::open(cfg.data_dir, cfg.db);
  if (!opened) return opened.error();
  d->db = std::shared_ptr<storage::db>(std::move(*opened));
  // The retention applies across restarts too (a lower setting takes effect now).
  if (cfg.provider.retain_snapshots > 0) {
    auto pruned = storage::snapshot_store(*d->db).prune(cfg.provider.retain_snapshots);
    if (!pruned) return pruned.error();
    for (const auto& plan_id : *pruned)
      log::info("node", "snapshot_pruned", {{"plan_id", plan_id}, {"retain", cfg.provider.retain_snapshots}});
  }

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
  node_actor_config actor_config{d->db, std::move(*key), cfg.provider, cfg.consumer, {}, cfg.writer_proxy};
  actor_config.env.db = d->db;
  actor_config.env.host = d->host.get();
  actor_config.env.io = d->io.get_executor();
  actor_config.env.trust = cfg.trust;
  actor_config.env.config = cfg.consumer.session;
  d->root = spawn_node_actor(*d->system, std::move(actor_config));
  d->root->attach_functor([failed = d->failed](const caf::error& reason) {
    if (reason && reason != caf::exit_reason::user_shutdown) failed->store(true);
  });
  {
    caf::scoped_actor self{*d->system};
    self->request(d->root, 10s, node_children_atom::value)
      .receive([&](node_children& c) { d->children = std::move(c); }, [](caf::error&) {});
  }
  // The provider itself is the handler of /rpp/snapshots (no hop through the root).
  serve_snapshots(*d->host, *d->bridge_, d->children.provider, cfg.provider_timeout);
  node_identity identity{cfg.identity.id().to_string(), {}, std::string(snapstream::version)};
  for (const auto& a : d->addresses) identity.addresses.push_back(a.to_string());
  d->control_actor = spawn_http_control_actor(*d->system, d->root, std::move(identity));
  d->control = std::make_unique<actor_control>(*d->bridge_, d->control_actor,
                                               [host = d->host.get()] { return libp2p_peers(*host); });

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

actor_control& node::control() noexcept { return *impl_->control; }
boost::asio::any_io_executor node::executor() const noexcept { return impl_->io.get_executor(); }
const libp2p::peer_id& node::peer_id() const noexcept { return impl_->config.identity.id(); }
const std::vector<libp2p::multiaddr>& node::addresses() const noexcept { return impl_->addresses; }
caf::actor_system& node::system() noexcept { return *impl_->system; }
node_actor node::root() const noexcept { return impl_->root; }
sync_supervisor_actor node::supervisor() const noexcept { return impl_->children.supervisor; }
provider_actor node::provider() const noexcept { return impl_->children.provider; }
event_bus_actor node::events() const noexcept { return impl_->children.events; }
bool node::failed() const noexcept { return impl_->failed->load(); }
storage::db& node::db() noexcept { return *impl_->db; }

} // namespace snapstream::actors
