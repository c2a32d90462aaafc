// Transport benchmark: two libp2p hosts on loopback, each on its own
// io_context and thread.
//
//   bulk     one stream, N MiB written in 1 MiB pieces over Noise + Yamux,
//            timed until the receiver acknowledges the last byte; next to
//            raw TCP loopback moving the same bytes with the same thread
//            layout, in the same run. Reports MiB/s and the ratio.
//   rr       request/response round trips (small JSON-sized bodies), one at
//            a time and 16 in flight, requests per second.
//
// Every figure is the median of the runs, with min and max. Measures only:
// no assertion on timings.
//
//   bench_transport [--mib N] [--runs R] [--requests K]

#include "net/libp2p/host.hpp"
#include "protocol/common/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace snapstream;
using namespace snapstream::net;
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view sink_protocol = "/bench/sink/1";
constexpr std::size_t piece = 1024 * 1024;

struct stats {
  double median = 0, min = 0, max = 0;
};

stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  stats s;
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return s;
}

/// Runs an io_context on its own thread until destroyed.
struct worker {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~worker() {
    guard.reset();
    thread.join();
  }
};

/// Runs `task` on `io` and waits for its result from this thread.
template <class T>
T run_on(asio::io_context& io, awaitable<T> task) {
  return asio::co_spawn(io, std::move(task), asio::use_future).get();
}

// ------------------------------------------------------------------ libp2p

awaitable<void> sink_handler(stream s) {
  std::vector<std::uint8_t> buf(piece);
  std::uint64_t total = 0;
  for (;;) {
    auto n = co_await s.read_some(buf);
    if (!n || *n == 0) break;
    total += *n;
  }
  std::uint8_t ack[8];
  std::memcpy(ack, &total, 8);
  (void)co_await s.write(bytes_view(ack, 8));
  (void)s.close_write();
}

awaitable<result<shared_bytes>> small_handler(libp2p::peer_id, std::string, byte_buffer request) {
  // A response of the same order as a snapshot control message.
  byte_buffer out(request.size() + 60, 'r');
  co_return std::make_shared<const byte_buffer>(std::move(out));
}

awaitable<double> libp2p_bulk(host& client, libp2p::multiaddr server, std::size_t bytes) {
  static const byte_buffer data(piece, 0x5a);
  const std::vector<std::string> protocols{std::string(sink_protocol)};
  const auto start = clock_type::now();
  auto s = co_await client.open_stream(server, protocols, 60s);
  if (!s) {
    std::fprintf(stderr, "open_stream: %s\n", to_string(s.error()).c_str());
    co_return 0.0;
  }
  for (std::size_t sent = 0; sent < bytes; sent += piece) {
    auto w = co_await s->write(data);
    if (!w) {
      std::fprintf(stderr, "write: %s\n", to_string(w.error()).c_str());
      co_return 0.0;
    }
  }
  (void)s->close_write();
  auto ack = co_await s->read_to_end(64);
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::uint64_t got = 0;
  if (!ack || ack->size() != 8) co_return 0.0;
  std::memcpy(&got, ack->data(), 8);
  if (got != bytes) {
    std::fprintf(stderr, "receiver counted %llu of %zu bytes\n", static_cast<unsigned long long>(got), bytes);
    co_return 0.0;
  }
  co_return static_cast<double>(bytes) / (1024.0 * 1024.0) / secs;
}

awaitable<double> rr_sequential(host& client, libp2p::multiaddr server, int count) {
  const std::vector<protocol_spec> protocols = snapshot_protocols();
  const byte_buffer body(120, 'q');
  const auto start = clock_type::now();
  for (int i = 0; i < count; ++i) {
    auto r = co_await client.request(server, protocols, body, 10s);
    if (!r) {
      std::fprintf(stderr, "request: %s\n", to_string(r.error()).c_str());
      co_return 0.0;
    }
  }
  co_return count / std::chrono::duration<double>(clock_type::now() - start).count();
}

awaitable<void> rr_lane(host& client, libp2p::multiaddr server, int count, int& failures) {
  const std::vector<protocol_spec> protocols = snapshot_protocols();
  const byte_buffer body(120, 'q');
  for (int i = 0; i < count; ++i) {
    auto r = co_await client.request(server, protocols, body, 10s);
    if (!r) ++failures;
  }
}

awaitable<double> rr_parallel(host& client, libp2p::multiaddr server, int count, int lanes) {
  const auto ex = co_await asio::this_coro::executor;
  int failures = 0;
  int done = 0;
  asio::steady_timer all(ex, clock_type::time_point::max());
  const auto start = clock_type::now();
  for (int l = 0; l < lanes; ++l) {
    asio::co_spawn(ex, rr_lane(client, server, count / lanes, failures), [&](std::exception_ptr) {
      if (++done == lanes) all.cancel();
    });
  }
  co_await all.async_wait(asio::as_tuple(use_awaitable));
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  if (failures > 0) std::fprintf(stderr, "%d parallel requests failed\n", failures);
  co_return (count / lanes) * lanes / secs;
}

// ------------------------------------------------------------------ raw TCP

awaitable<void> tcp_sink(asio::ip::tcp::acceptor& acceptor, std::size_t bytes) {
  auto socket = co_await acceptor.async_accept(use_awaitable);
  std::vector<std::uint8_t> buf(256 * 1024);
  std::size_t total = 0;
  while (total < bytes) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(use_awaitable));
    if (ec) break;
    total += n;
  }
  std::uint8_t ack[8];
  std::memcpy(ack, &total, 8);
  co_await asio::async_write(socket, asio::buffer(ack), use_awaitable);
}

awaitable<double> tcp_bulk(asio::ip::tcp::endpoint ep, std::size_t bytes) {
  static const byte_buffer data(piece, 0x5a);
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  const auto start = clock_type::now();
  co_await socket.async_connect(ep, use_awaitable);
  socket.set_option(asio::ip::tcp::no_delay(true));
  for (std::size_t sent = 0; sent < bytes; sent += piece) {
    co_await asio::async_write(socket, asio::buffer(data), use_awaitable);
  }
  std::uint8_t ack[8];
  co_await asio::async_read(socket, asio::buffer(ack), use_awaitable);
  co_return static_cast<double>(bytes) / (1024.0 * 1024.0) /
      std::chrono::duration<double>(clock_type::now() - start).count();
}

awaitable<void> stop_host(host& h) { co_await h.stop(); }

awaitable<result<libp2p::multiaddr>> listen_on_loopback(host& h) {
  co_return h.listen(*libp2p::multiaddr::parse("/ip4/127.0.0.1/tcp/0"));
}

} // namespace

int main(int argc, char** argv) {
  std::size_t mib = 512;
  int runs = 5;
  int requests = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--mib") mib = std::stoul(argv[i + 1]);
    else if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    else if (flag == "--requests") requests = std::stoi(argv[i + 1]);
  }
  snapstream::log::set_level(snapstream::log::level::warn);
  const std::size_t bytes = mib * 1024 * 1024;

  worker server_thread, client_thread;
  host server(server_thread.io.get_executor(), libp2p::identity::generate());
  host client(client_thread.io.get_executor(), libp2p::identity::generate());
  server.set_stream_handler(std::string(sink_protocol), sink_handler);
  server.set_request_handler(snapshot_protocols(), small_handler);
  auto listened = run_on(server_thread.io, listen_on_loopback(server));
  if (!listened) {
    std::fprintf(stderr, "listen: %s\n", to_string(listened.error()).c_str());
    return 1;
  }
  const libp2p::multiaddr addr = *listened;

  std::vector<double> tcp_rates, p2p_rates, ratios, seq_rates, par_rates;
  // Warm-up: connection, windows, allocator.
  (void)run_on(client_thread.io, libp2p_bulk(client, addr, 64 * 1024 * 1024));
  for (int r = 0; r < runs; ++r) {
    asio::ip::tcp::acceptor acceptor(server_thread.io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto ep = acceptor.local_endpoint();
    auto sink = asio::co_spawn(server_thread.io, tcp_sink(acceptor, bytes), asio::use_future);
    const double tcp = run_on(client_thread.io, tcp_bulk(ep, bytes));
    sink.get();
    const double p2p = run_on(client_thread.io, libp2p_bulk(client, addr, bytes));
    tcp_rates.push_back(tcp);
    p2p_rates.push_back(p2p);
    ratios.push_back(p2p / tcp);
  }
  (void)run_on(client_thread.io, rr_sequential(client, addr, 200)); // warm-up
  for (int r = 0; r < runs; ++r) {
    seq_rates.push_back(run_on(client_thread.io, rr_sequential(client, addr, requests)));
    par_rates.push_back(run_on(client_thread.io, rr_parallel(client, addr, requests * 4, 16)));
  }

  const auto print = [](const char* name, const char* unit, const stats& s) {
    const char* fmt = std::string_view(unit) == "x" ? "%-44s median %10.3f  min %10.3f  max %10.3f  %s\n"
                                                    : "%-44s median %10.1f  min %10.1f  max %10.1f  %s\n";
    std::printf(fmt, name, s.median, s.min, s.max, unit);
  };
  std::printf("bench_transport: %zu MiB per bulk run, %d runs, %d sequential requests per run\n", mib, runs, requests);
  print("raw TCP loopback, one connection", "MiB/s", summarize(tcp_rates));
  print("libp2p Noise+Yamux, one stream", "MiB/s", summarize(p2p_rates));
  print("ratio libp2p / raw TCP", "x", summarize(ratios));
  print("request/response, sequential", "req/s", summarize(seq_rates));
  print("request/response, 16 in flight", "req/s", summarize(par_rates));

  run_on(client_thread.io, stop_host(client));
  run_on(server_thread.io, stop_host(server));
  return 0;
}
