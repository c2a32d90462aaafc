#define BOOST_TEST_MODULE net_deadline
#include <boost/test/unit_test.hpp>

#include "net/common/deadline.hpp"
#include "tests/net/run_coroutine.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string_view>

using namespace snapstream::net;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using snapstream::net::test::run;
using asio::awaitable;
using asio::use_awaitable;
using socket_type = asio::local::stream_protocol::socket;

namespace {

/// A connected pair of local stream sockets: no network.
struct socket_pair {
  socket_type a;
  socket_type b;
  explicit socket_pair(asio::io_context& io) : a(io), b(io) { asio::local::connect_pair(a, b); }
};

/// How a coroutine raced by `with_deadline` ended, seen from outside.
struct sleeper_log {
  bool ended = false;
  bool aborted = false;
};

/// Sleeps for `d`, then records how its wait ended; returns 7.
awaitable<int> sleep_then_seven(std::chrono::milliseconds d, sleeper_log* log) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  auto [ec] = co_await t.async_wait(asio::as_tuple(use_awaitable));
  log->ended = true;
  log->aborted = ec == asio::error::operation_aborted;
  co_return 7;
}

awaitable<void> sleep_void(std::chrono::milliseconds d, sleeper_log* log) {
  (void)co_await sleep_then_seven(d, log);
}

awaitable<int> throws_at_once() {
  throw std::runtime_error("backend failed");
  co_return 0;
}

// ---------------------------------------------------------------- test bodies

awaitable<void> read_that_finishes_first(socket_pair* p) {
  const std::string_view hello = "hello";
  co_await asio::async_write(p->b, asio::buffer(hello), use_awaitable);
  std::array<char, 16> buf{};
  auto read = p->a.async_read_some(asio::buffer(buf), asio::deferred);
  auto got = co_await with_deadline(std::move(read), deadline_clock::now() + 60s);
  BOOST_REQUIRE(got.has_value());
  auto [ec, n] = *got;
  BOOST_TEST(!ec);
  BOOST_TEST(std::string_view(buf.data(), n) == hello);
}

awaitable<void> read_that_times_out(socket_pair* p) {
  std::array<char, 16> buf{};
  auto read = p->a.async_read_some(asio::buffer(buf), asio::deferred);
  auto got = co_await with_deadline(std::move(read), deadline_clock::now() + 20ms);
  BOOST_TEST(!got.has_value());
  // The read was cancelled and has completed: the next bytes go to the next
  // read, not to a leftover one.
  const std::string_view later = "later";
  co_await asio::async_write(p->b, asio::buffer(later), use_awaitable);
  std::array<char, 5> again{};
  co_await asio::async_read(p->a, asio::buffer(again), use_awaitable);
  BOOST_TEST(std::string_view(again.data(), again.size()) == later);
}

awaitable<void> single_value_operation(bool* timed_out) {
  asio::steady_timer op(co_await asio::this_coro::executor, 1ms);
  auto wait = op.async_wait(asio::deferred);
  std::optional<boost::system::error_code> got = co_await with_deadline(std::move(wait), deadline_clock::now() + 60s);
  *timed_out = !got.has_value();
  if (got) BOOST_TEST(!*got);
}

awaitable<void> coroutine_that_finishes_first(sleeper_log* log) {
  auto got = co_await with_deadline(sleep_then_seven(1ms, log), deadline_clock::now() + 60s);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(*got == 7);
}

awaitable<void> coroutine_that_times_out(sleeper_log* log) {
  auto got = co_await with_deadline(sleep_then_seven(1h, log), deadline_clock::now() + 20ms);
  BOOST_TEST(!got.has_value());
  // Awaited before returning: the loser has already seen its cancellation.
  BOOST_TEST(log->ended);
  BOOST_TEST(log->aborted);
}

awaitable<void> void_coroutines(sleeper_log* fast, sleeper_log* slow) {
  const bool first = co_await with_deadline(sleep_void(1ms, fast), deadline_clock::now() + 60s);
  BOOST_TEST(first);
  const bool second = co_await with_deadline(sleep_void(1h, slow), deadline_clock::now() + 20ms);
  BOOST_TEST(!second);
  BOOST_TEST(slow->ended);
}

awaitable<void> winner_exception_is_rethrown() {
  bool threw = false;
  try {
    (void)co_await with_deadline(throws_at_once(), deadline_clock::now() + 60s);
  } catch (const std::runtime_error& e) {
    threw = std::string_view(e.what()) == "backend failed";
  }
  BOOST_TEST(threw);
}

awaitable<void> owner_cuts_the_timer_short(sleeper_log* log) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
  asio::steady_timer trigger(co_await asio::this_coro::executor, 20ms);
  // What a server does at shutdown: another coroutine moves the expiry.
  trigger.async_wait([&timer](boost::system::error_code) { timer.expires_at(deadline_clock::time_point::min()); });
  auto got = co_await with_deadline(sleep_then_seven(1h, log), timer);
  BOOST_TEST(!got.has_value());
  BOOST_TEST(log->ended);
}

awaitable<void> both_ready_at_once() {
  // Both ready at once (the deadline has passed too): either may win, and
  // whichever lost has finished by the time `with_deadline` returns.
  asio::steady_timer op(co_await asio::this_coro::executor, deadline_clock::time_point::min());
  auto wait = op.async_wait(asio::deferred);
  (void)co_await with_deadline(std::move(wait), deadline_clock::time_point::min());
  BOOST_TEST(op.cancel() == 0u); // nothing of the operation is still pending

  sleeper_log log;
  (void)co_await with_deadline(sleep_then_seven(0ms, &log), deadline_clock::time_point::min());
  BOOST_TEST(log.ended);
}

} // namespace

BOOST_AUTO_TEST_CASE(an_operation_that_finishes_first_returns_its_values) {
  asio::io_context io;
  socket_pair p(io);
  run(io, read_that_finishes_first(&p));
}

BOOST_AUTO_TEST_CASE(an_operation_past_its_deadline_is_cancelled_and_awaited) {
  asio::io_context io;
  socket_pair p(io);
  run(io, read_that_times_out(&p));
}

BOOST_AUTO_TEST_CASE(a_single_completion_value_is_returned_as_itself) {
  asio::io_context io;
  bool timed_out = true;
  run(io, single_value_operation(&timed_out));
  BOOST_TEST(!timed_out);
}

BOOST_AUTO_TEST_CASE(a_coroutine_that_finishes_first_returns_its_value) {
  asio::io_context io;
  sleeper_log log;
  run(io, coroutine_that_finishes_first(&log));
  BOOST_TEST(log.ended);
  BOOST_TEST(!log.aborted);
}

BOOST_AUTO_TEST_CASE(a_coroutine_past_its_deadline_is_cancelled_and_awaited) {
  asio::io_context io;
  sleeper_log log;
  run(io, coroutine_that_times_out(&log));
}

BOOST_AUTO_TEST_CASE(a_void_coroutine_reports_whether_it_finished_first) {
  asio::io_context io;
  sleeper_log fast;
  sleeper_log slow;
  run(io, void_coroutines(&fast, &slow));
  BOOST_TEST(fast.ended);
}

BOOST_AUTO_TEST_CASE(an_exception_of_the_winning_coroutine_is_rethrown) {
  asio::io_context io;
  run(io, winner_exception_is_rethrown());
}

BOOST_AUTO_TEST_CASE(the_timer_owner_can_cut_the_operation_short) {
  asio::io_context io;
  sleeper_log log;
  run(io, owner_cuts_the_timer_short(&log));
}

BOOST_AUTO_TEST_CASE(when_both_are_ready_one_wins_and_the_other_is_finished) {
  asio::io_context io;
  run(io, both_ready_at_once());
}
