#pragma once
/// The operator control plane: an HTTP/1.1 server (Boost.Beast on C++20
/// coroutines) that turns requests into calls on an `actors::control_backend`
/// and renders the answers as JSON, Server-Sent Events and Prometheus text.
/// The routes, bodies and status codes are documented in docs/http.md.
///
/// Every coroutine the server starts runs on one strand of the executor it is
/// given; the backend's calls are awaited from that strand. The server bounds
/// everything a client controls: header and body sizes, the time to send a
/// request, the idle time between keep-alive requests, the time a backend call
/// may take, and the number of open connections.

#include "actors/control.hpp"
#include "http/http_errc.hpp"
#include "protocol/common/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::http {

/// Limits and timeouts of the control plane. The defaults suit an operator
/// API on a trusted network segment.
struct server_config {
  /// Bearer token every route but `/healthz` requires; none (or empty) = no auth.
  std::optional<std::string> token;
  /// Largest request header block (request line + fields), bytes. Larger: 431.
  std::size_t header_limit = 8 * 1024;
  /// Largest request body, bytes. Larger: 413.
  std::size_t body_limit = 64 * 1024;
  /// Time to receive one request's header and body once its first byte came;
  /// a slower client (slowloris) has its connection closed.
  std::chrono::milliseconds read_timeout{10'000};
  /// Time a connection may wait for the first byte of its next request
  /// (also for the first request after accept).
  std::chrono::milliseconds idle_timeout{30'000};
  /// Time to send one response (or one event-stream write).
  std::chrono::milliseconds write_timeout{10'000};
  /// Time one backend call may take before the request is answered 504.
  std::chrono::milliseconds backend_timeout{15'000};
  /// Longest wait of one `events_after` long poll; when it brings nothing, a
  /// heartbeat comment is written, so this is also the heartbeat interval.
  std::chrono::milliseconds event_poll{15'000};
  /// Open connections at most (event streams included). Beyond it a new
  /// connection gets 503 with `Retry-After: 1` and is closed.
  std::size_t max_connections = 128;
  /// `Retry-After` seconds sent with 503 `saturated`.
  std::chrono::seconds saturated_retry_after{5};
};

/// An HTTP control-plane server. Lifecycle: construct, `listen` once,
/// `co_await stop()`, destroy. `stop` must complete before the backend or the
/// executor's `io_context` goes away; if the `io_context` is destroyed first,
/// the server's coroutine frames are destroyed with it and nothing dangles.
/// The object itself is not thread-safe: call `listen` and `stop` from one
/// thread at a time.
class http_server {
public:
  /// The backend must outlive the server's coroutines (until `stop` completes).
  http_server(boost::asio::any_io_executor executor, actors::control_backend& backend,
              server_config config = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds `host:port` (an IP literal, or a name resolved once, first address
  /// wins; port 0 picks a free port) and starts accepting. Returns the bound
  /// port. Fails with `http_errc::listen_failed` naming the address, or when
  /// already listening or stopped.
  [[nodiscard]] result<std::uint16_t> listen(std::string_view host, std::uint16_t port);

  /// The bound port (0 before `listen`).
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// Graceful stop: closes the acceptor; closes idle connections and those
  /// still receiving a request; requests waiting on the backend are answered
  /// 503 `shutting_down`; responses being written finish (within the write
  /// timeout); event streams end with their final chunk. Completes when every
  /// coroutine the server started has finished. Idempotent; may be awaited
  /// from any executor.
  [[nodiscard]] boost::asio::awaitable<void> stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace snapstream::http
