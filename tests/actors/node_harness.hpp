#pragma once
// Two (or more) real nodes in one process, over loopback libp2p, for the
// consumer-runtime tests.

#include "actors/atoms.hpp"
#include "actors/node.hpp"
#include "actors/provider_actor.hpp"
#include "actors/sync_supervisor.hpp"
#include "storage/served_store.hpp"
#include "storage/state_loader.hpp"
#include "tests/storage/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <deque>
#include <functional>
#include <thread>

namespace snapstream::storage {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& os, session_state s) { return os << to_string(s); }
} // namespace snapstream::storage

namespace snapstream::actors::test {

using namespace std::chrono_literals;
namespace asio = boost::asio;

using hold_atom = caf::atom_constant<caf::atom("hold")>;
using release_atom = caf::atom_constant<caf::atom("release")>;

/// A provider storage worker (it implements `storage_worker_actor`) that
/// runs tasks at once while open, and holds them while closed (`hold_atom`)
/// until `release_atom` reopens it.
using gate_worker_actor = storage_worker_actor::extend<caf::reacts_to<hold_atom>, caf::reacts_to<release_atom>>;

inline gate_worker_actor::behavior_type gate_worker(gate_worker_actor::pointer self) {
  struct gate {
    bool closed = false;
    std::deque<std::pair<storage_task, caf::typed_response_promise<result<storage_task_output>>>> held;
  };
  auto g = std::make_shared<gate>();
  return {
    [self, g](storage_task& task) -> caf::result<result<storage_task_output>> {
      if (!g->closed) return task();
      auto rp = self->make_response_promise<result<storage_task_output>>();
      g->held.emplace_back(std::move(task), rp);
      return rp;
    },
    [g](hold_atom) { g->closed = true; },
    [g](release_atom) {
      g->closed = false;
      while (!g->held.empty()) {
        auto [task, rp] = std::move(g->held.front());
        g->held.pop_front();
        rp.deliver(task());
      }
    },
  };
}

/// Runs `op` on the node's I/O executor and waits for its result.
template <class T>
T run_on(node& n, asio::awaitable<T> op) {
  return asio::co_spawn(n.executor(), std::move(op), asio::use_future).get();
}

/// Polls `probe` until it returns true or `limit` passes.
inline bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return probe();
}

inline libp2p::multiaddr loopback(std::uint16_t port = 0) {
  return *libp2p::multiaddr::parse("/ip4/127.0.0.1/tcp/" + std::to_string(port));
}

inline node_config base_config(const std::filesystem::path& dir, const libp2p::identity& id) {
  node_config c;
  c.data_dir = dir;
  c.identity = id;
  c.listen = {loopback()};
  c.scheduler_threads = 2;
  c.consumer.restart = {.max_retries = 20, .base_delay = 50ms, .max_delay = 500ms};
  c.consumer.session.request_timeout = 20s;
  return c;
}

/// The trust a consumer needs for snapshots signed by `provider`.
inline snapshot::trust_config trusting(const libp2p::identity& provider) {
  snapshot::trust_config t;
  t.authorities = {provider.public_key()};
  t.threshold = 1;
  return t;
}

inline session_status status(node& n, std::uint64_t id) {
  auto r = run_on(n, n.control().session(id));
  BOOST_REQUIRE_MESSAGE(r.has_value(), "no status for session " << id << ": " << (r ? "" : r.error().message()));
  return *r;
}

inline std::vector<node_event> events(node& n) {
  auto r = run_on(n, n.control().events_after(0, 0, 0ms));
  BOOST_REQUIRE(r.has_value());
  return *r;
}

inline std::size_t count_events(node& n, const std::string& type, const std::string& needle = "") {
  std::size_t count = 0;
  for (const auto& e : events(n))
    if (e.type == type && e.json.find(needle) != std::string::npos) ++count;
  return count;
}

inline provider_stats stats_of_provider(node& n) {
  caf::scoped_actor self{n.system()};
  provider_stats out;
  self->request(n.provider(), 10s, provider_stats_atom::value)
    .receive([&](provider_stats& s) { out = s; }, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  return out;
}

/// The provider's durable record of a consumer's session.
inline std::optional<storage::served_record> served(node& provider, std::uint64_t id, const libp2p::identity& consumer) {
  auto r = storage::served_store(provider.db()).load(id, consumer.id().to_string());
  BOOST_REQUIRE(r.has_value());
  return *r;
}

/// Asks a running session to take one step (manual stepping).
inline result<void> fetch(node& n, std::uint64_t id) {
  caf::scoped_actor self{n.system()};
  result<void> out;
  self->request(n.supervisor(), 30s, fetch_atom::value, id)
    .receive([&]() { out = {}; }, [&](caf::error& e) { out = from_caf_error(e); });
  return out;
}

/// A provider node with a generated state and one snapshot of it.
struct provider_node {
  storage::test::temp_dir dir;
  libp2p::identity id = libp2p::identity::generate();
  gate_worker_actor gate; // set when started with a gate
  std::unique_ptr<node> n;
  snapshot_info snapshot;
  std::uint16_t port = 0;

  void start(std::uint64_t state_bytes, bool gated = false, provider_config provider = {},
             std::uint32_t page_size = 16384) {
    auto c = base_config(dir.path(), id);
    if (port != 0) c.listen = {loopback(port)};
    provider.page_size = page_size;
    provider.chunk_sizes.min_size = page_size;
    c.provider = provider;
    if (gated) {
      // The gate runs in a system of its own that outlives the node's.
      gate_system = std::make_unique<caf::actor_system>(gate_config);
      gate = gate_system->spawn(gate_worker);
      c.provider.workers = gate;
    }
    auto started = node::start(std::move(c));
    BOOST_REQUIRE_MESSAGE(started.has_value(), "provider start: " << (started ? "" : started.error().message()));
    n = std::move(*started);
    port = n->addresses().front().port;
    if (state_bytes > 0) {
      BOOST_REQUIRE(storage::generate_state(n->db(), state_bytes, 7).has_value());
      auto built = run_on(*n, n->control().create_snapshot());
      BOOST_REQUIRE_MESSAGE(built.has_value(), "snapshot: " << (built ? "" : built.error().message()));
      snapshot = *built;
    }
  }

  /// Stops and starts the node on the same identity, data and port. A held
  /// gate is dropped first: its requests die with the old node.
  void restart() {
    drop_gate();
    n->stop();
    n.reset();
    start(0);
  }

  /// Stops the node, lets `edit` change its database while it is down, and
  /// starts it again on the same identity, data and port.
  void restart_editing(const std::function<void(storage::db&)>& edit) {
    drop_gate();
    n->stop();
    n.reset();
    {
      auto opened = storage::db::open(dir.path());
      BOOST_REQUIRE_MESSAGE(opened.has_value(), "reopen: " << (opened ? "" : opened.error().message()));
      edit(**opened);
    }
    start(0);
  }

  void drop_gate() {
    // A task the gate still holds keeps the provider actor alive, which must
    // not outlive the node's actor system: the gate goes first.
    if (!gate) return;
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    gate = nullptr;
    gate_system.reset();
  }

  libp2p::multiaddr address() const { return n->addresses().front(); }

  void hold() { caf::anon_send(gate, hold_atom::value); }
  void release() { caf::anon_send(gate, release_atom::value); }

  ~provider_node() {
    drop_gate();
    if (n) n->stop();
  }

  caf::actor_system_config gate_config;
  std::unique_ptr<caf::actor_system> gate_system;
};

/// A consumer node that knows where the provider listens.
struct consumer_node {
  storage::test::temp_dir dir;
  libp2p::identity id = libp2p::identity::generate();
  std::unique_ptr<node> n;

  /// Fetches once the session takes it (retrying while a step is in flight).
  void fetch_when_idle(std::uint64_t session) {
    bool taken = eventually([&] {
      auto r = fetch(*n, session);
      BOOST_REQUIRE_MESSAGE(r || r.error().is(session_errc::backpressure), r.error().message());
      return r.has_value();
    });
    BOOST_REQUIRE(taken);
  }

  void start(const libp2p::multiaddr& provider, snapshot::trust_config trust, bool auto_advance = true,
             bool auto_resume = true) {
    auto c = base_config(dir.path(), id);
    c.peers = {provider};
    c.trust = std::move(trust);
    c.consumer.session.auto_advance = auto_advance;
    c.consumer.auto_resume = auto_resume;
    auto started = node::start(std::move(c));
    BOOST_REQUIRE_MESSAGE(started.has_value(), "consumer start: " << (started ? "" : started.error().message()));
    n = std::move(*started);
  }

  void stop() {
    n->stop();
    n.reset();
  }

  result<session_status> sync(const std::string& provider_id, std::optional<std::uint64_t> chunk_size = 65536) {
    start_command cmd;
    cmd.peer = provider_id;
    cmd.chunk_size = chunk_size;
    return run_on(*n, n->control().start_session(std::move(cmd)));
  }

  result<session_status> resume(const std::string& provider_id, std::uint64_t session,
                                std::optional<std::uint64_t> chunk = {}, std::optional<std::uint64_t> update = {}) {
    start_command cmd;
    cmd.peer = provider_id;
    cmd.resume = start_command::resume_spec{session, std::nullopt, chunk, update};
    return run_on(*n, n->control().start_session(std::move(cmd)));
  }

  bool reaches(std::uint64_t session, session_state state, std::chrono::milliseconds limit = 60s) {
    return eventually(
      [&] {
        auto r = run_on(*n, n->control().session(session));
        return r && r->state == state;
      },
      limit);
  }

  ~consumer_node() {
    if (n) n->stop();
  }
};

} // namespace snapstream::actors::test
