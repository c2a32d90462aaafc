#pragma once
/// A client of a node's HTTP control plane (used by `snapstream sync`).
///
/// Each call sends one request and returns the decoded answer or a typed
/// error: the node's own answers keep their `actors::control_errc` (e.g.
/// `not_found`, `resume_rejected` with the node's message naming the chunk);
/// HTTP-level refusals and transport failures carry an `http_errc`
/// (`unauthorized`, `connect_failed`, `timeout`, ...). Every error message
/// starts with the HTTP status when there was one ("HTTP 404: ...").
///
/// The client keeps one keep-alive connection and reconnects when the server
/// has closed it. Not thread-safe, and one call at a time: await each call
/// before starting the next; the client must outlive the calls it started.

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
#include <vector>

namespace snapstream::http {

struct client_config {
  /// The node's control-plane address: an IP literal or a host name.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  /// Sent as `Authorization: Bearer <token>` when set and non-empty.
  std::optional<std::string> token;
  /// Time for one call: connecting, sending and receiving the whole answer.
  /// (A host name's lookup by the system resolver is not bounded by it.)
  std::chrono::milliseconds timeout{10'000};
  /// Largest answer body accepted, bytes (larger: `http_errc::response_too_large`).
  std::size_t response_limit = 16 * 1024 * 1024;
};

class control_client {
public:
  control_client(boost::asio::any_io_executor executor, client_config config);
  ~control_client();
  control_client(const control_client&) = delete;
  control_client& operator=(const control_client&) = delete;

  /// `POST /p2p/snapshots`: starts (or resumes) a session; the initial status.
  [[nodiscard]] boost::asio::awaitable<result<actors::session_status>> start_session(actors::start_command cmd);
  /// `GET /p2p/snapshots/{id}`.
  [[nodiscard]] boost::asio::awaitable<result<actors::session_status>> session(std::uint64_t id);
  /// `GET /p2p/snapshots`.
  [[nodiscard]] boost::asio::awaitable<result<std::vector<actors::session_status>>> sessions();
  /// `DELETE /p2p/snapshots/{id}`.
  [[nodiscard]] boost::asio::awaitable<result<void>> cancel(std::uint64_t id);
  /// `GET /metrics`: the Prometheus text as sent.
  [[nodiscard]] boost::asio::awaitable<result<std::string>> metrics_text();
  /// `GET /healthz`: succeeds when the node answers `ok`.
  [[nodiscard]] boost::asio::awaitable<result<void>> health();

  /// Closes the kept-alive connection (the next call opens a new one).
  void close() noexcept;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace snapstream::http
