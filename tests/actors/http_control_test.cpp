#define BOOST_TEST_MODULE actors_http_control
#include <boost/test/unit_test.hpp>

// The HTTP control actor between a fake node actor and the operator's side:
// each command becomes a message to the node actor, the node's failures
// arrive as control errors, and the actor keeps the event-stream
// subscriptions and the request accounting that GET /metrics shows.

#include "actors/bridge.hpp"
#include "actors/http_control_actor.hpp"
#include "storage/errors.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <thread>

using namespace snapstream;
using namespace snapstream::actors;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// What the fake node saw.
struct node_log {
  std::atomic<int> starts{0};
  std::atomic<std::uint64_t> last_after{0};
};

/// A node actor that knows session 1 only, has two events, a breaker on each
/// side, and a current snapshot (a build finds the state unchanged).
node_actor::behavior_type fake_node(node_actor::pointer, std::shared_ptr<node_log> log) {
  return {
    [log](start_atom, start_command& cmd) -> caf::result<session_status> {
      ++log->starts;
      if (cmd.peer == "busy") return to_caf_error(error{control_errc::saturated, "too many sessions"});
      session_status s;
      s.session = 7;
      s.peer = cmd.peer;
      return s;
    },
    [](status_atom, std::uint64_t id) -> caf::result<session_status> {
      if (id != 1) return to_caf_error(error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)});
      session_status s;
      s.session = 1;
      return s;
    },
    [](list_atom) { return std::vector<session_status>{}; },
    [](cancel_atom, std::uint64_t) {},
    [](fetch_atom, std::uint64_t) {},
    [](consumer_stats_atom) { return consumer_stats{}; },
    [](provider_stats_atom) { return provider_stats{}; },
    [](node_children_atom) { return node_children{}; },
    [](breaker_reset_atom) {},
    [](metrics_atom) {
      metrics_snapshot m;
      m.bytes_served = 42;
      m.breakers = {breaker_status{"consumer", breaker_side::serving, breaker_state::open, 3, 1000ms},
                    breaker_status{"liar", breaker_side::syncing, breaker_state::open, 1, 600000ms}};
      return m;
    },
    [log](events_atom, std::uint64_t after, std::chrono::milliseconds) {
      log->last_after = after;
      std::vector<node_event> out;
      for (std::uint64_t seq = after + 1; seq <= 2; ++seq) out.push_back({seq, "HeadVerified", "{}"});
      return out;
    },
    [](build_snapshot_atom) -> result<storage::snapshot_info> {
      return error{storage::storage_errc::snapshot_exists, "the state has not changed"};
    },
    [](list_snapshots_atom) -> result<std::vector<storage::snapshot_info>> {
      storage::snapshot_info older, newest;
      older.plan_id = "old";
      newest.plan_id = "current";
      newest.height = 9;
      return std::vector<storage::snapshot_info>{older, newest};
    },
  };
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  std::shared_ptr<node_log> log = std::make_shared<node_log>();
  node_actor node = system.spawn(fake_node, log);
  http_control_actor control = spawn_http_control_actor(system, node, node_identity{"12D3KooWnode", {"/ip4/127.0.0.1/tcp/1"}, "9.9.9"});
  caf::scoped_actor self{system};

  ~fixture() {
    self->send_exit(control, caf::exit_reason::user_shutdown);
    self->send_exit(node, caf::exit_reason::user_shutdown);
  }

  template <class T, class... Ts>
  result<T> ask(Ts... xs) {
    result<T> out = error{actors_errc::failed, "no answer"};
    auto on_error = [&](caf::error& e) { out = from_caf_error(e); };
    if constexpr (std::is_void_v<T>) {
      self->request(control, 10s, xs...).receive([&] { out = result<void>{}; }, on_error);
    } else {
      self->request(control, 10s, xs...).receive([&](T& v) { out = std::move(v); }, on_error);
    }
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(a_command_reaches_the_node_actor_and_its_refusal_comes_back_as_a_control_error, fixture) {
  start_command cmd;
  cmd.peer = "12D3KooWprovider";
  auto started = ask<session_status>(start_atom::value, cmd);
  BOOST_REQUIRE(started.has_value());
  BOOST_TEST(started->session == 7u);
  BOOST_TEST(started->peer == "12D3KooWprovider");
  BOOST_TEST(log->starts == 1);

  cmd.peer = "busy";
  auto refused = ask<session_status>(start_atom::value, cmd);
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().is(control_errc::saturated));
  BOOST_TEST(refused.error().message().find("too many sessions") != std::string::npos);

  auto missing = ask<session_status>(status_atom::value, std::uint64_t{5});
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().is(control_errc::not_found));
  BOOST_TEST(ask<session_status>(status_atom::value, std::uint64_t{1}).has_value());
  BOOST_TEST(ask<void>(cancel_atom::value, std::uint64_t{1}).has_value());
}

BOOST_FIXTURE_TEST_CASE(breakers_are_both_sides_the_node_describes_itself_and_an_unchanged_state_names_the_current_snapshot, fixture) {
  auto breakers = ask<std::vector<breaker_status>>(breakers_atom::value);
  BOOST_REQUIRE(breakers.has_value());
  BOOST_REQUIRE(breakers->size() == 2u);
  BOOST_TEST(breakers->at(0).peer == "consumer");
  BOOST_TEST((breakers->at(1).side == breaker_side::syncing));

  auto described = ask<node_description>(describe_atom::value);
  BOOST_REQUIRE(described.has_value());
  BOOST_TEST(described->peer_id == "12D3KooWnode");
  BOOST_TEST(described->version == "9.9.9");
  BOOST_REQUIRE(described->snapshots.size() == 2u);
  BOOST_TEST(described->snapshots.back().plan_id == "current");

  auto built = ask<snapshot_info>(build_snapshot_atom::value);
  BOOST_REQUIRE(built.has_value());
  BOOST_TEST(built->plan_id == "current");
  BOOST_TEST(built->height == 9u);
}

BOOST_FIXTURE_TEST_CASE(the_actor_keeps_event_streams_and_request_accounting_for_the_metrics, fixture) {
  auto first = ask<std::uint64_t>(subscribe_atom::value);
  auto second = ask<std::uint64_t>(subscribe_atom::value);
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(*first != *second);

  auto events = ask<std::vector<node_event>>(events_atom::value, *first, std::uint64_t{1}, 0ms);
  BOOST_REQUIRE(events.has_value());
  BOOST_REQUIRE(events->size() == 1u);
  BOOST_TEST(events->front().sequence == 2u);
  BOOST_TEST(log->last_after == 1u);

  self->send(control, request_done_atom::value, answered_request{200, 0.002, true});
  self->send(control, request_done_atom::value, answered_request{404, 0.001, true});
  self->send(control, request_done_atom::value, answered_request{200, 0, false});
  self->send(control, connections_atom::value, std::uint64_t{3});
  self->send(control, unsubscribe_atom::value, *second);

  // Sent before the ask from the same sender: CAF keeps their order.
  auto m = ask<metrics_snapshot>(metrics_atom::value);
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(m->bytes_served == 42u); // the node's counters come along
  BOOST_TEST(m->http.by_status().at(200) == 2u);
  BOOST_TEST(m->http.by_status().at(404) == 1u);
  BOOST_TEST(m->http.count() == 2u); // the event stream is not timed
  BOOST_TEST(m->http.connections() == 3u);
  BOOST_TEST(m->http.event_streams() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_node_actor_that_is_gone_answers_shutting_down, fixture) {
  self->send_exit(node, caf::exit_reason::kill);
  auto r = ask<session_status>(status_atom::value, std::uint64_t{1});
  for (int i = 0; i < 100 && r.has_value(); ++i) r = ask<session_status>(status_atom::value, std::uint64_t{1});
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(control_errc::shutting_down));
}

BOOST_FIXTURE_TEST_CASE(actor_control_crosses_the_bridge_and_merges_every_peer_source, fixture) {
  asio::io_context io;
  bridge b{system};
  actor_control ctl(b, control, [] { return std::vector<peer_info>{peer_info{"12D3KooWa", "libp2p", {}, {}, {}}}; });
  ctl.add_peer_source([] { return std::vector<peer_info>{peer_info{"abcd", "rlpx", {}, {}, {}}}; });
  auto work = asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  auto run = [&io](auto op) { return asio::co_spawn(io, std::move(op), asio::use_future).get(); };

  auto peers = run(ctl.peers());
  BOOST_REQUIRE(peers.has_value());
  BOOST_REQUIRE(peers->size() == 2u);
  BOOST_TEST(peers->at(1).transport == "rlpx");
  auto missing = run(ctl.session(5));
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().is(control_errc::not_found));
  auto stream = run(ctl.open_event_stream());
  BOOST_REQUIRE(stream.has_value());
  auto events = run(ctl.events_after(*stream, 0, 0ms));
  BOOST_REQUIRE(events.has_value());
  BOOST_TEST(events->size() == 2u);
  ctl.request_done(201, 0.01, true);
  ctl.close_event_stream(*stream);
  // The accounting is fire-and-forget: wait until the actor has it.
  std::optional<metrics_snapshot> seen;
  for (int i = 0; i < 500; ++i) {
    auto m = run(ctl.metrics());
    BOOST_REQUIRE(m.has_value());
    if (m->http.by_status().count(201) && m->http.event_streams() == 0) {
      seen = std::move(*m);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  BOOST_REQUIRE(seen.has_value());

  work.reset();
  runner.join();
  b.stop();
}
