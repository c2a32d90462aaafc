#define BOOST_TEST_MODULE actors_bridge
#include <boost/test/unit_test.hpp>

#include "actors/bridge.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

using namespace snapstream;
using namespace snapstream::actors;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

using slow_atom = caf::atom_constant<caf::atom("slow")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using void_atom = caf::atom_constant<caf::atom("void")>;
using io_done_atom = caf::atom_constant<caf::atom("iodone")>;

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<int>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf::response_promise)

namespace {

caf::behavior doubler(caf::event_based_actor* self) {
  return {
    [](int x) { return x * 2; },
    [](fail_atom, const std::string& why) -> caf::result<int> {
      return to_caf_error(error{actors_errc::failed, why});
    },
    [self](slow_atom, int ms) {
      auto rp = self->make_response_promise();
      self->delayed_send(self, std::chrono::milliseconds(ms), rp, ms);
      return rp;
    },
    [](caf::response_promise& rp, int ms) { rp.deliver(ms); },
    [](void_atom) {},
  };
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  asio::io_context io;
  bridge b{system};
  caf::actor target = system.spawn(doubler);

  ~fixture() {
    caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
    b.stop();
  }

  template <class T>
  T run(asio::awaitable<T> op) {
    std::optional<T> out;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr ex, T v) {
      failure = ex;
      out.emplace(std::move(v));
    });
    io.run();
    io.restart();
    if (failure) std::rethrow_exception(failure);
    BOOST_REQUIRE(out.has_value());
    return std::move(*out);
  }
};

} // namespace


BOOST_FIXTURE_TEST_CASE(a_reply_resumes_the_coroutine_on_its_own_executor, fixture) {
  auto op = [](bridge& b, caf::actor t, asio::io_context& io) -> asio::awaitable<std::pair<int, bool>> {
    auto r = co_await b.ask<int>(t, 1s, 21);
    co_return std::pair{r.has_value() ? *r : -1, io.get_executor().running_in_this_thread()};
  };
  auto [value, on_executor] = run(op(b, target, io));
  BOOST_TEST(value == 42);
  BOOST_TEST(on_executor);
}

BOOST_FIXTURE_TEST_CASE(an_actors_typed_error_arrives_unchanged, fixture) {
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<result<int>> {
    co_return co_await b.ask<int>(t, 1s, fail_atom::value, std::string("chunk 7: page 3 hash mismatch"));
  };
  auto r = run(op(b, target));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(actors_errc::failed));
  BOOST_TEST(r.error().message() == "chunk 7: page 3 hash mismatch");
}

BOOST_FIXTURE_TEST_CASE(an_empty_reply_completes_a_void_ask, fixture) {
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<result<void>> {
    co_return co_await b.ask<void>(t, 1s, void_atom::value);
  };
  BOOST_TEST(run(op(b, target)).has_value());
}

BOOST_FIXTURE_TEST_CASE(no_reply_within_the_timeout_is_a_timeout_error, fixture) {
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<result<int>> {
    co_return co_await b.ask<int>(t, 50ms, slow_atom::value, 3000);
  };
  auto r = run(op(b, target));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(actors_errc::timeout));
}

BOOST_FIXTURE_TEST_CASE(asking_a_dead_actor_reports_it_unavailable, fixture) {
  auto dead = system.spawn(doubler);
  {
    caf::scoped_actor s{system};
    s->monitor(dead);
    s->send_exit(dead, caf::exit_reason::kill);
    s->receive([](const caf::down_msg&) {});
  }
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<result<int>> {
    co_return co_await b.ask<int>(t, 1s, 1);
  };
  auto r = run(op(b, dead));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(actors_errc::unavailable));
}

BOOST_FIXTURE_TEST_CASE(a_wrong_reply_type_is_an_unexpected_error, fixture) {
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<result<std::string>> {
    co_return co_await b.ask<std::string>(t, 1s, 4);
  };
  auto r = run(op(b, target));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(actors_errc::unexpected));
}

BOOST_FIXTURE_TEST_CASE(cancelling_the_waiter_completes_at_once_and_drops_the_late_reply, fixture) {
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<int> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
    auto slow = b.ask<int>(t, 5s, slow_atom::value, 300);
    auto tick = timer.async_wait(asio::use_awaitable);
    auto winner = co_await (std::move(slow) || std::move(tick));
    // index 1: the timer won and the ask was cancelled.
    co_return static_cast<int>(winner.index());
  };
  BOOST_TEST(run(op(b, target)) == 1);
  // The late reply (after 300 ms) must be dropped without touching the
  // finished coroutine; keep the executor alive to receive it.
  asio::steady_timer wait(io, 500ms);
  wait.async_wait([](boost::system::error_code) {});
  io.run();
  io.restart();
}

BOOST_FIXTURE_TEST_CASE(run_does_not_return_while_a_call_is_pending, fixture) {
  // The only outstanding work is the bridged call: io.run() must wait for it.
  auto op = [](bridge& b, caf::actor t) -> asio::awaitable<result<int>> {
    co_return co_await b.ask<int>(t, 5s, slow_atom::value, 100);
  };
  auto r = run(op(b, target));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 100);
}

BOOST_FIXTURE_TEST_CASE(many_concurrent_asks_each_get_their_own_reply, fixture) {
  constexpr int n = 2000;
  int correct = 0;
  auto one = [](bridge& b, caf::actor t, int i, int& correct) -> asio::awaitable<void> {
    auto r = co_await b.ask<int>(t, 10s, i);
    if (r && *r == 2 * i) ++correct;
  };
  for (int i = 0; i < n; ++i) asio::co_spawn(io, one(b, target, i, correct), asio::detached);
  io.run();
  io.restart();
  BOOST_TEST(correct == n);
}

BOOST_FIXTURE_TEST_CASE(start_io_delivers_a_coroutine_result_to_an_actor, fixture) {
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  auto compute = [](int x) -> asio::awaitable<result<int>> {
    asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
    co_await t.async_wait(asio::use_awaitable);
    co_return x + 1;
  };
  auto failing = []() -> asio::awaitable<result<int>> {
    co_return error{actors_errc::failed, "dial refused"};
  };
  caf::scoped_actor self{system};
  start_io(io.get_executor(), compute(41), caf::actor_cast<caf::actor>(self), io_done_atom::value);
  int value = 0;
  self->receive([&](io_done_atom, result<int>& r) { value = r ? *r : -1; });
  BOOST_TEST(value == 42);
  start_io(io.get_executor(), failing(), caf::actor_cast<caf::actor>(self), io_done_atom::value);
  std::string message;
  self->receive([&](io_done_atom, result<int>& r) { message = r ? "" : r.error().message(); });
  BOOST_TEST(message == "dial refused");
  work.reset();
  io_thread.join();
}
