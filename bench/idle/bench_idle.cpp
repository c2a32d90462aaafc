// Helpers for bench/run's "memory of idle sessions" figures. They only create
// load; bench/run reads the nodes' resident memory around them.
//
//   bench_idle plan --peer MULTIADDR --sessions N [--first-id K] [--parallel P]
//       Opens N sessions on a provider node: one `plan` request each
//       (/rpp/snapshots/1.1.0, 1 MiB chunks), then nothing, so the provider
//       holds N planned, idle inbound sessions. Prints one JSON line.
//
//   bench_idle hole --listen MULTIADDR
//       A peer that accepts /rpp/snapshots requests and never answers them
//       (until it is stopped with SIGTERM or SIGINT). Prints its address with
//       /p2p/<id> on the first line of stdout. A consumer node pointed at it
//       holds sessions that wait for their plan: idle session actors.

#include "net/libp2p/host.hpp"
#include "net/libp2p/host_errc.hpp"
#include "protocol/common/log.hpp"
#include "protocol/messages/encoder.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

using namespace snapstream;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct flood {
  net::host* host = nullptr;
  libp2p::multiaddr peer;
  std::uint64_t next_id = 0;
  std::uint64_t last_id = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::string first_error;
  int workers = 0; // plan workers still running
};

asio::awaitable<void> plan_worker(std::shared_ptr<flood> f) {
  while (f->next_id <= f->last_id) {
    const std::uint64_t id = f->next_id++;
    messages::snapshots_request request{id, messages::plan_request{1u << 20, std::nullopt, std::nullopt}};
    byte_buffer body;
    messages::encode(request, messages::byte_encoding::base64, body);
    net::peer_target target = f->peer;
    std::vector<net::protocol_spec> protocols{net::snapshots_v1_1()};
    auto r = co_await f->host->request(std::move(target), std::move(protocols), std::move(body), 60s);
    if (r && r->body.size() > 20 && std::string_view(reinterpret_cast<const char*>(r->body.data()), 15) ==
                                       std::string_view("{\"type\":\"plan\",")) {
      ++f->ok;
    } else {
      ++f->failed;
      if (f->first_error.empty())
        f->first_error = r ? std::string(reinterpret_cast<const char*>(r->body.data()), std::min<std::size_t>(r->body.size(), 200))
                           : r.error().message();
    }
  }
  // The last worker stops the host, so that io.run() returns now rather than
  // when the idle connection times out.
  if (--f->workers == 0) co_await f->host->stop();
}

int run_plan(const std::map<std::string, std::string>& flags) {
  auto peer = libp2p::multiaddr::parse(flags.at("peer"));
  if (!peer) {
    std::fprintf(stderr, "bench_idle: --peer: %s\n", peer.error().message().c_str());
    return 2;
  }
  const std::uint64_t sessions = std::stoull(flags.at("sessions"));
  const std::uint64_t first = flags.contains("first-id") ? std::stoull(flags.at("first-id")) : 1'000'000;
  const int parallel = flags.contains("parallel") ? std::stoi(flags.at("parallel")) : 8;
  asio::io_context io{1};
  net::host_config cfg;
  cfg.max_streams_per_connection = 4096;
  net::host host(io.get_executor(), libp2p::identity::generate(), cfg);
  auto f = std::make_shared<flood>();
  f->host = &host;
  f->peer = *peer;
  f->next_id = first;
  f->last_id = first + sessions - 1;
  const auto t0 = std::chrono::steady_clock::now();
  f->workers = parallel;
  for (int i = 0; i < parallel; ++i)
    asio::co_spawn(io, plan_worker(f), [](std::exception_ptr e) {
      if (e) std::fprintf(stderr, "bench_idle: plan worker threw\n");
    });
  io.run();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"planned\":%llu,\"failed\":%llu,\"seconds\":%.3f,\"first_error\":\"%s\"}\n",
              static_cast<unsigned long long>(f->ok), static_cast<unsigned long long>(f->failed), secs,
              f->first_error.substr(0, f->first_error.find('"')).c_str());
  return f->failed == 0 ? 0 : 1;
}

asio::awaitable<result<shared_bytes>> never_answer(libp2p::peer_id, std::string, byte_buffer) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
  (void)co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return error{net::host_errc::timeout, "never answered"};
}

int run_hole(const std::map<std::string, std::string>& flags) {
  auto listen = libp2p::multiaddr::parse(flags.at("listen"));
  if (!listen) {
    std::fprintf(stderr, "bench_idle: --listen: %s\n", listen.error().message().c_str());
    return 2;
  }
  asio::io_context io{1};
  net::host_config cfg;
  cfg.max_streams_per_connection = 4096;
  cfg.inbound_request_timeout = std::chrono::hours(1);
  cfg.stream_stall_timeout = std::chrono::hours(1);
  net::host host(io.get_executor(), libp2p::identity::generate(), cfg);
  host.set_request_handler(net::snapshot_protocols(), never_answer);
  auto bound = host.listen(*listen);
  if (!bound) {
    std::fprintf(stderr, "bench_idle: listen: %s\n", bound.error().message().c_str());
    return 1;
  }
  std::printf("%s\n", bound->to_string().c_str());
  std::fflush(stdout);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    asio::co_spawn(io, host.stop(), [&io](std::exception_ptr) { io.stop(); });
  });
  io.run();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_idle plan|hole --flag value...\n");
    return 2;
  }
  log::set_level(log::level::warn);
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) flags[std::string(argv[i]).substr(2)] = argv[i + 1];
  const std::string mode = argv[1];
  try {
    if (mode == "plan") return run_plan(flags);
    if (mode == "hole") return run_hole(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_idle: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "bench_idle: unknown mode %s\n", mode.c_str());
  return 2;
}
