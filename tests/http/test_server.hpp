#pragma once
/// Test scaffolding: a control-plane server on 127.0.0.1 (ephemeral port) over
/// a `fake_backend`, running on its own thread; and `raw_client`, a blocking
/// POSIX socket client with poll() timeouts that sends exact bytes and parses
/// answers with Beast's parser, for the byte-level cases.

#include "http/http_server.hpp"
#include "tests/http/fake_backend.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

namespace snapstream::http::test {

using namespace std::chrono_literals;

/// The server with short timeouts suited to tests.
inline server_config test_config() {
  server_config c;
  c.token = "s3cret-token";
  c.read_timeout = 5s;
  c.idle_timeout = 5s;
  c.write_timeout = 5s;
  c.backend_timeout = 5s;
  c.event_poll = 200ms;
  return c;
}

/// A running server. Destruction stops it gracefully and joins its thread.
class test_server {
public:
  explicit test_server(server_config config = test_config())
    : server_(io_.get_executor(), backend_, std::move(config)) {
    auto bound = server_.listen("127.0.0.1", 0);
    if (!bound) throw std::runtime_error("listen failed: " + bound.error().message());
    port_ = *bound;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~test_server() { stop(); }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  /// Stops the server; true when every coroutine ended within 20 s.
  bool stop() {
    if (!thread_.joinable()) return stopped_cleanly_;
    auto done = boost::asio::co_spawn(io_, server_.stop(), boost::asio::use_future);
    stopped_cleanly_ = done.wait_for(20s) == std::future_status::ready;
    if (!stopped_cleanly_) io_.stop();
    thread_.join();
    return stopped_cleanly_;
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] fake_backend& backend() { return backend_; }
  [[nodiscard]] boost::asio::io_context& io() { return io_; }

private:
  boost::asio::io_context io_;
  fake_backend backend_;
  http_server server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  bool stopped_cleanly_ = false;
};

/// One parsed answer. Header names are lower-cased.
struct response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool keep_alive = false;

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  [[nodiscard]] bool has_header(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
};

/// A blocking client over a raw TCP socket; every wait is bounded by poll().
class raw_client {
public:
  using parser_type = boost::beast::http::response_parser<boost::beast::http::string_body>;

  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~raw_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  /// Sends all of `data`; false when the peer has closed or reset.
  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one complete answer; throws on timeout or when the connection ends first.
  response read_response(std::chrono::milliseconds timeout = 5s) {
    parser_type parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    feed_until(parser, deadline, [&parser] { return parser.is_done(); });
    if (!parser.is_done()) throw std::runtime_error("no complete response");
    return to_response(parser);
  }

  /// Starts reading a streamed answer (event stream): returns once the header is in.
  response read_stream_header(std::chrono::milliseconds timeout = 5s) {
    stream_.emplace();
    stream_->eager(true);
    stream_->body_limit(64 * 1024 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    feed_until(*stream_, deadline, [this] { return stream_->is_header_done(); });
    if (!stream_->is_header_done()) throw std::runtime_error("no response header");
    return to_response(*stream_);
  }

  /// Reads the stream until its body contains `needle`; true when it does.
  bool read_stream_until(std::string_view needle, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    feed_until(*stream_, deadline, [this, needle] {
      return stream_->get().body().find(needle) != std::string::npos || stream_->is_done();
    });
    return stream_->get().body().find(needle) != std::string::npos;
  }

  /// Reads until the streamed answer is complete (final chunk); true when it is.
  bool read_stream_end(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    feed_until(*stream_, deadline, [this] { return stream_->is_done(); });
    return stream_->is_done();
  }

  [[nodiscard]] const std::string& stream_body() const { return stream_->get().body(); }

  [[nodiscard]] int native_handle() const { return fd_; }

  /// Waits until the server closes the connection (EOF or reset), discarding
  /// anything it sends; false when it is still open after `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!fill(deadline)) return false;
      pending_.clear();
    }
    return true;
  }

  /// True when the connection is still open and silent for `quiet`.
  bool still_open(std::chrono::milliseconds quiet) {
    return !fill(std::chrono::steady_clock::now() + quiet) && !eof_;
  }

private:
  template <class Parser, class Done>
  void feed_until(Parser& parser, std::chrono::steady_clock::time_point deadline, Done done) {
    for (;;) {
      while (!pending_.empty() && !parser.is_done()) {
        boost::beast::error_code ec;
        std::size_t used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec == boost::beast::http::error::need_more) break;
        if (ec) throw std::runtime_error("unparsable response: " + ec.message());
        if (used == 0) break;
      }
      if (done()) return;
      if (eof_) {
        boost::beast::error_code ec;
        parser.put_eof(ec);
        return;
      }
      if (!fill(deadline)) return;
    }
  }

  /// Reads what arrives before `deadline` into `pending_`; false on timeout.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        return true;
      }
      pending_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
  }

  template <class Parser>
  static response to_response(Parser& parser) {
    response r;
    auto& msg = parser.get();
    r.status = msg.result_int();
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = msg.body();
    r.keep_alive = msg.keep_alive();
    return r;
  }

  int fd_ = -1;
  std::string pending_;
  bool eof_ = false;
  std::optional<parser_type> stream_;
};

/// `METHOD target` with the test token (or none), and an optional body.
inline std::string request(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view token = "s3cret-token", std::string_view extra_headers = {}) {
  std::string r;
  r += method;
  r += ' ';
  r += target;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) {
    r += "Authorization: Bearer ";
    r += token;
    r += "\r\n";
  }
  r += extra_headers;
  if (!body.empty() || method == "POST") {
    r += "Content-Type: application/json\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\n";
  }
  r += "\r\n";
  r += body;
  return r;
}

/// One request on a fresh connection; its answer.
inline response round_trip(std::uint16_t port, const std::string& req) {
  raw_client c(port);
  c.send(req);
  return c.read_response();
}

} // namespace snapstream::http::test
