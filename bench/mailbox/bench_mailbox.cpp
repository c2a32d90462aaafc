// CAF mailbox microbenchmark: how many messages per second pass through the
// two hops a snapshot session uses for every request.
//
//   actor_oneway   messages sent to a stateful actor that counts them (the
//                  mailbox alone: enqueue, schedule, dequeue, dispatch).
//   actor_request  request/response round trips to a stateful actor, one in
//                  flight at a time, issued by another actor: the shape of a
//                  session asking the persistence writer, then the next step.
//   bridge_ask     Asio coroutine -> actor -> coroutine round trips through
//                  `actors::bridge::ask`, one in flight (how inbound requests
//                  reach the provider actor).
//   bridge_io      actor -> Asio coroutine -> actor round trips through
//                  `actors::start_io`, one in flight (how a session sends its
//                  request and receives the response).
//
// Prints one JSON object per line (median, min, max of the runs, messages or
// round trips per second). Measures only.
//
//   bench_mailbox [--messages N] [--runs R] [--threads T]

#include "actors/bridge.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<std::uint64_t>)

using namespace snapstream;
namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

using ping_atom = caf::atom_constant<caf::atom("bping")>;
using done_atom = caf::atom_constant<caf::atom("bdone")>;
using go_atom = caf::atom_constant<caf::atom("bgo")>;
using io_atom = caf::atom_constant<caf::atom("bio")>;

struct counter_state {
  std::uint64_t seen = 0;
  std::uint64_t expected = 0;
  caf::actor notify;
  static inline const char* name = "bench.counter";
};

/// Counts pings; tells `notify` when `expected` arrived. Answers requests
/// with the running count (the session-like reply).
caf::behavior counter(caf::stateful_actor<counter_state>* self) {
  return {
    [self](ping_atom, std::uint64_t) {
      if (++self->state.seen == self->state.expected) self->send(self->state.notify, done_atom::value);
    },
    [self](ping_atom, std::uint64_t x, bool) -> std::uint64_t { return x + 1; },
    [self](go_atom, std::uint64_t expected, caf::actor notify) {
      self->state.seen = 0;
      self->state.expected = expected;
      self->state.notify = std::move(notify);
    },
  };
}

struct driver_state {
  std::uint64_t left = 0;
  caf::actor target;
  caf::actor notify;
  asio::any_io_executor io;
  static inline const char* name = "bench.driver";
};

asio::awaitable<result<std::uint64_t>> echo(std::uint64_t x) { co_return x + 1; }

/// Issues `n` sequential requests to the counter (or `n` start_io round
/// trips when `io` is set), then tells `notify`.
caf::behavior driver(caf::stateful_actor<driver_state>* self) {
  auto next = [self] {
    auto& st = self->state;
    if (st.left == 0) {
      self->send(st.notify, done_atom::value);
      return;
    }
    --st.left;
    if (st.io) {
      actors::start_io(st.io, echo(st.left), caf::actor_cast<caf::actor>(self), io_atom::value);
      return;
    }
    self->request(st.target, std::chrono::seconds(10), ping_atom::value, st.left, true)
      .then([self](std::uint64_t) { self->send(self, go_atom::value); });
  };
  return {
    [self, next](go_atom, std::uint64_t n, caf::actor target, caf::actor notify) {
      self->state.left = n;
      self->state.target = std::move(target);
      self->state.notify = std::move(notify);
      next();
    },
    [next](go_atom) { next(); },
    [next](io_atom, result<std::uint64_t>&) { next(); },
  };
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double actor_oneway(caf::actor_system& sys, std::uint64_t n) {
  auto target = sys.spawn(counter);
  caf::scoped_actor self{sys};
  self->send(target, go_atom::value, n, caf::actor_cast<caf::actor>(self));
  const auto t0 = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i) self->send(target, ping_atom::value, i);
  self->receive([](done_atom) {});
  const double secs = seconds_since(t0);
  self->send_exit(target, caf::exit_reason::user_shutdown);
  return static_cast<double>(n) / secs;
}

double actor_request(caf::actor_system& sys, std::uint64_t n) {
  auto target = sys.spawn(counter);
  auto d = sys.spawn(driver);
  caf::scoped_actor self{sys};
  const auto t0 = clock_type::now();
  self->send(d, go_atom::value, n, target, caf::actor_cast<caf::actor>(self));
  self->receive([](done_atom) {});
  const double secs = seconds_since(t0);
  self->send_exit(d, caf::exit_reason::user_shutdown);
  self->send_exit(target, caf::exit_reason::user_shutdown);
  return static_cast<double>(n) / secs;
}

caf::behavior io_driver(caf::stateful_actor<driver_state>* self, asio::any_io_executor io) {
  self->state.io = std::move(io);
  return driver(self);
}

double bridge_io(caf::actor_system& sys, std::uint64_t n, asio::any_io_executor io) {
  auto d = sys.spawn(io_driver, io);
  caf::scoped_actor self{sys};
  const auto t0 = clock_type::now();
  self->send(d, go_atom::value, n, caf::actor{}, caf::actor_cast<caf::actor>(self));
  self->receive([](done_atom) {});
  const double secs = seconds_since(t0);
  self->send_exit(d, caf::exit_reason::user_shutdown);
  return static_cast<double>(n) / secs;
}

asio::awaitable<double> ask_loop(actors::bridge& b, caf::actor target, std::uint64_t n) {
  const auto t0 = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    auto r = co_await b.ask<std::uint64_t>(target, std::chrono::milliseconds(10'000), ping_atom::value, i, true);
    if (!r) {
      std::fprintf(stderr, "bridge ask failed: %s\n", r.error().message().c_str());
      co_return 0.0;
    }
  }
  co_return static_cast<double>(n) / seconds_since(t0);
}

double bridge_ask(caf::actor_system& sys, actors::bridge& b, asio::io_context& io, std::uint64_t n) {
  auto target = sys.spawn(counter);
  const double rate = asio::co_spawn(io, ask_loop(b, target, n), asio::use_future).get();
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
  return rate;
}

void print(const char* name, const char* unit, std::vector<double> v) {
  const auto runs = v;
  std::sort(v.begin(), v.end());
  const double median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  std::string list;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i > 0) list += ',';
    list += std::to_string(runs[i]);
  }
  std::printf("{\"figure\":\"%s\",\"unit\":\"%s\",\"median\":%.1f,\"min\":%.1f,\"max\":%.1f,\"runs\":[%s]}\n", name,
              unit, median, v.front(), v.back(), list.c_str());
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  std::uint64_t messages = 200'000;
  int runs = 5;
  std::size_t threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--messages") messages = std::stoull(argv[i + 1]);
    else if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    else if (flag == "--threads") threads = std::stoul(argv[i + 1]);
  }
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", threads);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  std::vector<double> oneway, request, ask, io_rt;
  {
    caf::actor_system sys{cfg};
    asio::io_context io{1};
    auto guard = asio::make_work_guard(io);
    std::thread io_thread([&] { io.run(); });
    {
      actors::bridge b{sys};
      // Warm-up: thread pools, allocator caches.
      actor_oneway(sys, messages / 10);
      actor_request(sys, messages / 20);
      bridge_ask(sys, b, io, messages / 20);
      bridge_io(sys, messages / 20, io.get_executor());
      for (int r = 0; r < runs; ++r) {
        oneway.push_back(actor_oneway(sys, messages));
        request.push_back(actor_request(sys, messages / 4));
        ask.push_back(bridge_ask(sys, b, io, messages / 4));
        io_rt.push_back(bridge_io(sys, messages / 4, io.get_executor()));
      }
      b.stop();
    }
    guard.reset();
    io_thread.join();
  }
  print("actor_oneway", "messages/s", oneway);
  print("actor_request", "round trips/s", request);
  print("bridge_ask", "round trips/s", ask);
  print("bridge_io", "round trips/s", io_rt);
  return 0;
}
