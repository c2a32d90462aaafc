// delay_relay: a TCP relay that holds every byte for a fixed time in each
// direction. The WAN testbed (bench/wan) puts one in front of every node's
// libp2p listener to give its link a round-trip delay, because this kind of
// kernel has no netem; the kernel's tbf shaper caps the links' bandwidth.
//
//   delay_relay relay --listen HOST:PORT --to HOST:PORT --delay-ms D [--buffer BYTES]
//       Relays every connection accepted at --listen to --to. Bytes read
//       from either side are written to the other side D ms after they were
//       read (a one-way delay, so a round trip through the relay gains 2*D).
//       A side's end of stream is passed on, also D ms later (half-close);
//       a reset or error closes both sides. At most BYTES (default 16 MiB)
//       wait per direction: beyond that the relay stops reading that side, so
//       TCP's backpressure reaches the sender. Prints one line once it
//       listens: "delay_relay listen=HOST:PORT to=HOST:PORT delay_ms=D", and
//       runs until SIGINT or SIGTERM.
//
//   delay_relay measure [--delay-ms D] [--mib N] [--runs R]
//       Measures the relay's own cost on loopback, in one process with the
//       relay on its own thread: one TCP stream's throughput directly and
//       through the relay, and the median round trip of a 64-byte message
//       directly and through the relay. Prints one JSON object; the relay's
//       overhead per round trip is its round trip minus 2*D minus the direct
//       one.
//
// What this model leaves out: the kernel's TCP between the node and the relay
// sees loopback's round trip, not the delayed one, so congestion control
// (slow start, window growth) runs as on a short path; the connection's own
// handshake is not delayed (the relay accepts at once), so opening a
// connection costs one round trip less than on a real path. Everything a
// protocol does once connected, each request and each response, pays the
// full delay. bench/wan/README.md says what that means for the figures.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Waits until woken; a wake-up of a waiter that is not waiting is lost, so a
/// waiter checks its condition before each wait (one thread runs everything).
class event {
public:
  explicit event(const asio::any_io_executor& ex) : timer_(ex) {}
  awaitable<void> wait() {
    timer_.expires_at(clock_type::time_point::max());
    co_await timer_.async_wait(use_tuple);
  }
  void wake() { timer_.cancel(); }

private:
  asio::steady_timer timer_;
};

struct segment {
  clock_type::time_point due;
  std::vector<char> bytes; // empty: the sender's end of stream
};

/// One direction of one relayed connection: what was read from `from` and
/// waits to be written to `to`.
struct direction {
  explicit direction(const asio::any_io_executor& ex) : data(ex), space(ex), due(ex) {}
  std::deque<segment> queue;
  std::size_t queued = 0;
  event data;   // the queue got a segment
  event space;  // the queue shrank
  asio::steady_timer due;
};

struct relay_config {
  tcp::endpoint listen;
  tcp::endpoint to;
  std::chrono::microseconds delay{0};
  std::size_t buffer = 16u << 20;
};

class connection {
public:
  connection(tcp::socket client, const relay_config& cfg)
      : cfg_(cfg), a_(std::move(client)), b_(a_.get_executor()), ab_(a_.get_executor()),
        ba_(a_.get_executor()) {}

  /// Dials the far side, then relays both ways; `self` keeps the connection
  /// alive (each of its four loops holds it too).
  static awaitable<void> run(std::shared_ptr<connection> self) {
    connection& c = *self;
    auto [ec] = co_await c.b_.async_connect(c.cfg_.to, use_tuple);
    if (ec) {
      c.close();
      co_return;
    }
    c.a_.set_option(tcp::no_delay(true), ec);
    c.b_.set_option(tcp::no_delay(true), ec);
    auto ex = c.a_.get_executor();
    asio::co_spawn(ex, c.read_side(c.a_, c.ab_, self), asio::detached);
    asio::co_spawn(ex, c.write_side(c.b_, c.ab_, self), asio::detached);
    asio::co_spawn(ex, c.read_side(c.b_, c.ba_, self), asio::detached);
    asio::co_spawn(ex, c.write_side(c.a_, c.ba_, self), asio::detached);
  }

private:
  awaitable<void> read_side(tcp::socket& from, direction& d, std::shared_ptr<connection>) {
    std::vector<char> buf(256 * 1024);
    for (;;) {
      while (!closed_ && d.queued >= cfg_.buffer) co_await d.space.wait();
      if (closed_) co_return;
      auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), use_tuple);
      if (closed_) co_return;
      if (ec && ec != asio::error::eof) {
        close(); // a reset or error: both sides go, as a broken path would
        co_return;
      }
      segment s{clock_type::now() + cfg_.delay, {}};
      if (!ec) s.bytes.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      d.queued += s.bytes.size();
      d.queue.push_back(std::move(s));
      d.data.wake();
      if (ec) co_return; // end of stream, queued as an empty segment
    }
  }

  awaitable<void> write_side(tcp::socket& to, direction& d, std::shared_ptr<connection>) {
    for (;;) {
      while (!closed_ && d.queue.empty()) co_await d.data.wait();
      if (closed_) co_return;
      if (clock_type::now() < d.queue.front().due) {
        d.due.expires_at(d.queue.front().due);
        co_await d.due.async_wait(use_tuple);
        if (closed_) co_return;
      }
      segment& s = d.queue.front();
      if (s.bytes.empty()) {
        boost::system::error_code ec;
        to.shutdown(tcp::socket::shutdown_send, ec);
        if (++half_closed_ == 2) close();
        co_return;
      }
      auto [ec, n] = co_await asio::async_write(to, asio::buffer(s.bytes), use_tuple);
      if (ec || closed_) {
        close();
        co_return;
      }
      d.queued -= s.bytes.size();
      d.queue.pop_front();
      d.space.wake();
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    a_.close(ec);
    b_.close(ec);
    for (direction* d : {&ab_, &ba_}) {
      d->data.wake();
      d->space.wake();
      d->due.cancel();
    }
  }

  const relay_config& cfg_;
  tcp::socket a_; // accepted
  tcp::socket b_; // dialled
  direction ab_;  // a -> b
  direction ba_;  // b -> a
  bool closed_ = false;
  int half_closed_ = 0;
};

awaitable<void> accept_loop(tcp::acceptor& acceptor, const relay_config& cfg) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue; // e.g. EMFILE: the next accept may succeed
    }
    auto c = std::make_shared<connection>(std::move(socket), cfg);
    asio::co_spawn(acceptor.get_executor(), connection::run(std::move(c)), asio::detached);
  }
}

tcp::endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
  auto host = text.substr(0, colon);
  auto port = std::stoul(text.substr(colon + 1));
  if (port > 65535) throw std::invalid_argument("port out of range in '" + text + "'");
  return {asio::ip::make_address(host), static_cast<unsigned short>(port)};
}

std::string to_string(const tcp::endpoint& e) { return e.address().to_string() + ":" + std::to_string(e.port()); }

/// A relay on its own io_context; `port()` is where it listens.
class relay_server {
public:
  explicit relay_server(relay_config cfg) : cfg_(std::move(cfg)), acceptor_(io_) {
    acceptor_.open(cfg_.listen.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(cfg_.listen);
    acceptor_.listen(1024);
    asio::co_spawn(io_, accept_loop(acceptor_, cfg_), asio::detached);
  }
  tcp::endpoint local() const { return acceptor_.local_endpoint(); }
  asio::io_context& io() { return io_; }
  void stop() {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      io_.stop();
    });
  }

private:
  relay_config cfg_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
};

// ---- measure

/// The far end for `measure`: 'T' then bytes until EOF, answered with the
/// count (8 bytes, little endian); 'E' then an echo of everything.
awaitable<void> far_end(tcp::socket s) {
  boost::system::error_code ec;
  s.set_option(tcp::no_delay(true), ec);
  char mode = 0;
  auto [e1, n1] = co_await asio::async_read(s, asio::buffer(&mode, 1), use_tuple);
  if (e1) co_return;
  std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  for (;;) {
    auto [e, n] = co_await s.async_read_some(asio::buffer(buf), use_tuple);
    if (e) break;
    total += n;
    if (mode == 'E') {
      auto [we, wn] = co_await asio::async_write(s, asio::buffer(buf.data(), n), use_tuple);
      if (we) co_return;
    }
  }
  if (mode == 'T') {
    std::array<unsigned char, 8> out{};
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<unsigned char>(total >> (8 * i));
    co_await asio::async_write(s, asio::buffer(out), use_tuple);
  }
}

awaitable<void> far_end_accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, s] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), far_end(std::move(s)), asio::detached);
  }
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double throughput_mib_s(const tcp::endpoint& to, std::size_t mib) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(to);
  s.set_option(tcp::no_delay(true));
  std::vector<char> block(1 << 20, 'x');
  block[0] = 'T';
  const auto t0 = clock_type::now();
  asio::write(s, asio::buffer(block));
  block[0] = 'x';
  for (std::size_t i = 1; i < mib; ++i) asio::write(s, asio::buffer(block));
  s.shutdown(tcp::socket::shutdown_send);
  std::array<unsigned char, 8> in{};
  asio::read(s, asio::buffer(in));
  const double secs = seconds_since(t0);
  std::uint64_t got = 0;
  for (int i = 0; i < 8; ++i) got |= static_cast<std::uint64_t>(in[static_cast<std::size_t>(i)]) << (8 * i);
  if (got != (mib << 20) - 1) throw std::runtime_error("the far end counted " + std::to_string(got) + " bytes");
  return static_cast<double>(mib) / secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double rtt_us(const tcp::endpoint& to, int pings) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(to);
  s.set_option(tcp::no_delay(true));
  char mode = 'E';
  asio::write(s, asio::buffer(&mode, 1));
  std::array<char, 64> msg{};
  std::vector<double> rtts;
  for (int i = 0; i < pings; ++i) {
    const auto t0 = clock_type::now();
    asio::write(s, asio::buffer(msg));
    asio::read(s, asio::buffer(msg));
    rtts.push_back(seconds_since(t0) * 1e6);
  }
  return median(rtts);
}

int measure(double delay_ms, std::size_t mib, int runs) {
  asio::io_context far_io;
  tcp::acceptor far(far_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(far_io, far_end_accept(far), asio::detached);
  std::thread far_thread([&] { far_io.run(); });

  relay_config cfg;
  cfg.listen = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  cfg.to = far.local_endpoint();
  cfg.delay = std::chrono::microseconds(static_cast<std::int64_t>(delay_ms * 1000));
  relay_server relay(cfg);
  std::thread relay_thread([&] { relay.io().run(); });

  std::vector<double> direct, relayed;
  for (int r = 0; r < runs; ++r) {
    direct.push_back(throughput_mib_s(far.local_endpoint(), mib));
    relayed.push_back(throughput_mib_s(relay.local(), mib));
  }
  const int pings = delay_ms > 0 ? 25 : 500;
  const double direct_rtt = rtt_us(far.local_endpoint(), pings);
  const double relay_rtt = rtt_us(relay.local(), pings);

  relay.stop();
  asio::post(far_io, [&] {
    far.close();
    far_io.stop();
  });
  relay_thread.join();
  far_thread.join();

  std::printf("{\"delay_ms\": %.3f, \"mib\": %zu, \"runs\": %d, \"direct_mib_per_s\": %.1f, "
              "\"relay_mib_per_s\": %.1f, \"direct_rtt_us\": %.1f, \"relay_rtt_us\": %.1f, "
              "\"relay_overhead_us\": %.1f}\n",
              delay_ms, mib, runs, median(direct), median(relayed), direct_rtt, relay_rtt,
              relay_rtt - 2 * delay_ms * 1000 - direct_rtt);
  return 0;
}

int usage(const char* why) {
  std::cerr << "delay_relay: " << why << "\n"
            << "usage: delay_relay relay --listen HOST:PORT --to HOST:PORT --delay-ms D [--buffer BYTES]\n"
            << "       delay_relay measure [--delay-ms D] [--mib N] [--runs R]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("a mode is required");
  const std::string mode = argv[1];
  std::optional<std::string> listen, to;
  double delay_ms = 0;
  std::size_t buffer = 16u << 20, mib = 256;
  int runs = 3;
  try {
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
      const std::string v = argv[++i];
      if (a == "--listen") listen = v;
      else if (a == "--to") to = v;
      else if (a == "--delay-ms") delay_ms = std::stod(v);
      else if (a == "--buffer") buffer = std::stoull(v);
      else if (a == "--mib") mib = std::stoull(v);
      else if (a == "--runs") runs = std::stoi(v);
      else return usage(("unknown option " + a).c_str());
    }
    if (delay_ms < 0 || delay_ms > 10000) return usage("--delay-ms must be 0 to 10000");
    if (buffer < 65536) return usage("--buffer must be at least 65536");
    if (mib < 1 || runs < 1) return usage("--mib and --runs must be positive");
    if (mode == "measure") return measure(delay_ms, mib, runs);
    if (mode != "relay") return usage(("unknown mode " + mode).c_str());
    if (!listen || !to) return usage("relay needs --listen and --to");

    relay_config cfg;
    cfg.listen = parse_endpoint(*listen);
    cfg.to = parse_endpoint(*to);
    cfg.delay = std::chrono::microseconds(static_cast<std::int64_t>(delay_ms * 1000));
    cfg.buffer = buffer;
    relay_server relay(cfg);
    asio::signal_set signals(relay.io(), SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { relay.stop(); });
    std::cout << "delay_relay listen=" << to_string(relay.local()) << " to=" << to_string(cfg.to)
              << " delay_ms=" << delay_ms << std::endl;
    relay.io().run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "delay_relay: " << e.what() << "\n";
    return 1;
  }
}
