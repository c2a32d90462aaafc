#include "http/http_server.hpp"

#include "http/detail/bearer_auth.hpp"
#include "http/detail/control_json.hpp"
#include "http/detail/event_stream.hpp"
#include "http/detail/prometheus.hpp"
#include "http/detail/router.hpp"
#include "http/detail/ui_assets.hpp"
#include "net/common/deadline.hpp"
#include "protocol/common/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <exception>
#include <list>
#include <utility>
#include <variant>

namespace snapstream::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view json_type = "application/json";
constexpr std::string_view prometheus_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::size_t linger_limit = 1024 * 1024;

/// What a connection is doing, so that `stop` knows how to end it.
enum class conn_phase { idle, reading, handling, writing, streaming };

/// A live connection as `stop` sees it. Lives in the connection's coroutine frame.
struct connection_entry {
  beast::tcp_stream* stream;
  /// Bounds each backend call; `stop` expires it to end waits early.
  asio::steady_timer deadline;
  conn_phase phase = conn_phase::idle;
};

/// One answer, before it becomes a Beast response.
struct reply {
  unsigned status = 200;
  std::string_view content_type = json_type;
  std::string body;
  std::string_view allow;
  std::string_view www_authenticate;
  std::chrono::seconds retry_after{0};
  std::string_view code; ///< wire code of an error, for the log line
  bool page = false;     ///< a dashboard file: sent with its security headers
};

/// The dashboard's security headers: scripts and styles from the node only,
/// nothing inline, no frames, no requests elsewhere.
constexpr std::string_view page_policy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view sv(beast::string_view s) noexcept { return {s.data(), s.size()}; }

} // namespace

struct http_server::impl {
  impl(asio::any_io_executor executor, actors::control_backend& backend, server_config config)
    : strand(asio::make_strand(std::move(executor))),
      backend(backend),
      config(std::move(config)),
      auth(this->config.token),
      acceptor(strand),
      drained(strand),
      backoff(strand) {}

  asio::strand<asio::any_io_executor> strand;
  actors::control_backend& backend;
  const server_config config;
  const detail::bearer_auth auth;
  tcp::acceptor acceptor;
  asio::steady_timer drained; ///< woken when the last coroutine ends during `stop`
  asio::steady_timer backoff; ///< pause after a failed accept (e.g. out of descriptors)
  std::list<connection_entry*> connections;
  std::atomic<std::size_t> live{0}; ///< coroutines started and not finished
  std::size_t open_connections = 0;
  std::atomic<bool> listening{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
  std::atomic<std::uint16_t> port{0};
};

namespace {

using impl_ptr = std::shared_ptr<http_server::impl>;

/// Registers a connection with the server for the lifetime of its coroutine.
class registration {
public:
  registration(http_server::impl& s, connection_entry* e)
    : s_(s), it_(s.connections.insert(s.connections.end(), e)) {
    s_.backend.connections_changed(s_.connections.size());
  }
  ~registration() {
    s_.connections.erase(it_);
    s_.backend.connections_changed(s_.connections.size());
  }
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;

private:
  http_server::impl& s_;
  std::list<connection_entry*>::iterator it_;
};

/// Starts `work` on the server's strand and counts it until it finishes, so
/// that `stop` can wait for it.
void spawn(const impl_ptr& self, asio::awaitable<void> work, const char* what, bool connection) {
  ++self->live;
  if (connection) ++self->open_connections;
  auto done = [self, what, connection](std::exception_ptr ep) {
    if (ep) log::error("http", "coroutine_failed", {{"coroutine", what}, {"what", describe_exception(ep)}});
    if (connection) --self->open_connections;
    if (--self->live == 0) self->drained.cancel();
  };
  asio::co_spawn(self->strand, std::move(work), asio::bind_executor(self->strand, std::move(done)));
}

reply error_reply(const http_server::impl& s, const error& e) {
  const auto answer = detail::answer_of(e.code());
  reply r;
  r.status = answer.status;
  r.code = answer.code;
  r.body = detail::render_error(e.message(), r.code);
  if (answer.retry_after) r.retry_after = s.config.saturated_retry_after;
  return r;
}

reply json_reply(std::string body) {
  reply r;
  r.body = std::move(body);
  return r;
}

reply no_content() {
  reply r;
  r.status = 204;
  r.content_type = {};
  return r;
}

/// Runs a backend call; exceptions become `control_errc::internal` so that
/// `call_backend` always sees a value.
template <class T>
asio::awaitable<result<T>> guarded(asio::awaitable<result<T>> op) {
  try {
    co_return co_await std::move(op);
  } catch (const std::exception& e) {
    co_return error{actors::control_errc::internal, std::string("the node failed: ") + e.what()};
  }
}

/// Awaits a backend call for at most `timeout`. Answers `shutting_down` when
/// the server stops meanwhile and `backend_timeout` when time runs out. The
/// backend call is cancelled (per-operation cancellation) when it loses.
template <class T>
asio::awaitable<result<T>> call_backend(impl_ptr self, connection_entry* entry,
                                        asio::awaitable<result<T>> op, std::chrono::milliseconds timeout) {
  if (self->stopping) co_return error{actors::control_errc::shutting_down, "the node is shutting down"};
  entry->deadline.expires_after(timeout);
  auto outcome = co_await net::with_deadline(guarded(std::move(op)), entry->deadline);
  if (outcome) co_return std::move(*outcome);
  if (self->stopping) co_return error{actors::control_errc::shutting_down, "the node is shutting down"};
  co_return error{http_errc::backend_timeout,
                  "the node did not answer within " + std::to_string(timeout.count()) + " ms"};
}

template <class T, class Render>
asio::awaitable<reply> answer(impl_ptr self, connection_entry* entry, asio::awaitable<result<T>> op,
                              Render render) {
  auto timeout = self->config.backend_timeout;
  auto r = co_await call_backend(self, entry, std::move(op), timeout);
  if (!r) co_return error_reply(*self, r.error());
  co_return json_reply(render(*r));
}

asio::awaitable<reply> answer_void(impl_ptr self, connection_entry* entry, asio::awaitable<result<void>> op) {
  auto timeout = self->config.backend_timeout;
  auto r = co_await call_backend(self, entry, std::move(op), timeout);
  if (!r) co_return error_reply(*self, r.error());
  co_return no_content();
}

/// A file of the dashboard, or 404.
reply dashboard_file(const http_server::impl& s, const std::string& name) {
  const auto* asset = detail::find_ui_asset(name);
  if (asset == nullptr)
    return error_reply(s, error{http_errc::route_not_found, "no dashboard file " + detail::clip(name, 64)});
  reply r;
  r.content_type = asset->content_type;
  r.body = std::string(asset->body);
  r.page = true;
  return r;
}

/// Answers every route but `/events` and the dashboard's files.
asio::awaitable<reply> dispatch(impl_ptr self, connection_entry* entry, detail::route_kind kind,
                                std::uint64_t session, std::string body) {
  auto& b = self->backend;
  switch (kind) {
    case detail::route_kind::healthz: {
      reply r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "ok";
      co_return r;
    }
    case detail::route_kind::metrics: {
      auto op = b.metrics();
      auto m = co_await call_backend(self, entry, std::move(op), self->config.backend_timeout);
      if (!m) co_return error_reply(*self, m.error());
      reply r;
      r.content_type = prometheus_type;
      r.body = detail::render_metrics(*m, m->http);
      co_return r;
    }
    case detail::route_kind::start_session: {
      auto cmd = detail::parse_start_command(body);
      if (!cmd) co_return error_reply(*self, cmd.error());
      auto op = b.start_session(std::move(*cmd));
      co_return co_await answer(self, entry, std::move(op), &detail::render_status);
    }
    case detail::route_kind::get_session: {
      auto op = b.session(session);
      co_return co_await answer(self, entry, std::move(op), &detail::render_status);
    }
    case detail::route_kind::list_sessions: {
      auto op = b.sessions();
      co_return co_await answer(self, entry, std::move(op), &detail::render_statuses);
    }
    case detail::route_kind::cancel_session: {
      auto op = b.cancel_session(session);
      co_return co_await answer_void(self, entry, std::move(op));
    }
    case detail::route_kind::breakers: {
      auto op = b.breakers();
      co_return co_await answer(self, entry, std::move(op), &detail::render_breakers);
    }
    case detail::route_kind::reset_breakers: {
      auto op = b.reset_breakers();
      co_return co_await answer_void(self, entry, std::move(op));
    }
    case detail::route_kind::peers: {
      auto op = b.peers();
      co_return co_await answer(self, entry, std::move(op), &detail::render_peers);
    }
    case detail::route_kind::create_snapshot: {
      auto op = b.create_snapshot();
      co_return co_await answer(self, entry, std::move(op), &detail::render_snapshot);
    }
    case detail::route_kind::node: {
      auto op = b.describe_node();
      co_return co_await answer(self, entry, std::move(op), &detail::render_node);
    }
    case detail::route_kind::events: break;    // streamed by the connection loop
    case detail::route_kind::dashboard: break; // no call to the node
  }
  co_return error_reply(*self, error{actors::control_errc::internal, "unrouted request"});
}

/// Writes `text` as one chunk (HTTP/1.1) or raw (HTTP/1.0, close-delimited).
asio::awaitable<boost::system::error_code> write_events(beast::tcp_stream& stream, const std::string& text,
                                                        bool chunked) {
  if (chunked) {
    auto chunk = bhttp::make_chunk(asio::buffer(text));
    auto [ec, n] = co_await asio::async_write(stream, chunk, use_tuple);
    co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text), use_tuple);
  co_return ec;
}

/// `GET /events`: long-polls the backend for the event stream `stream` and
/// writes what it returns as Server-Sent Events until the client goes away or
/// the server stops; then closes the stream's subscription.
asio::awaitable<void> serve_events(impl_ptr self, connection_entry* entry, unsigned version,
                                   std::uint64_t after, std::uint64_t stream_id) {
  struct subscription {
    actors::control_backend& backend;
    std::uint64_t id;
    ~subscription() { backend.close_event_stream(id); }
  } sub{self->backend, stream_id};
  beast::tcp_stream& stream = *entry->stream;
  const auto& cfg = self->config;
  const bool chunked = version >= 11;
  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, version};
  res.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
  res.keep_alive(false);
  if (chunked) res.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> sr{res};
  entry->phase = conn_phase::writing;
  stream.expires_after(cfg.write_timeout);
  auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, use_tuple);
  if (hec) co_return;

  std::string text;
  bool open = true;
  while (open && !self->stopping) {
    entry->phase = conn_phase::streaming;
    stream.expires_never();
    auto op = self->backend.events_after(sub.id, after, cfg.event_poll);
    auto events = co_await call_backend(self, entry, std::move(op), cfg.event_poll + cfg.backend_timeout);
    if (!events) {
      if (!self->stopping)
        log::warn("http", "event_stream_ended", {{"error", to_string(events.error())}});
      break;
    }
    text.clear();
    for (const auto& e : *events) {
      if (e.sequence <= after) continue; // never repeat or reorder what the client has
      detail::append_event(text, e);
      after = e.sequence;
    }
    if (text.empty()) detail::append_heartbeat(text);
    entry->phase = conn_phase::writing;
    stream.expires_after(cfg.write_timeout);
    auto ec = co_await write_events(stream, text, chunked);
    open = !ec;
  }
  if (open && chunked) {
    entry->phase = conn_phase::writing;
    stream.expires_after(cfg.write_timeout);
    auto last = bhttp::make_chunk_last();
    co_await asio::async_write(stream, last, use_tuple); // best effort: the stream ends either way
  }
}

/// Closes after a final response: stop sending, then read and discard what the
/// client still sends (bounded in time and bytes) so that closing does not
/// reset the connection before the client has read the response.
asio::awaitable<void> linger_close(impl_ptr self, connection_entry* entry) {
  beast::tcp_stream& stream = *entry->stream;
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!ec && !self->stopping) {
    entry->phase = conn_phase::reading;
    stream.expires_after(std::min<std::chrono::milliseconds>(self->config.read_timeout, 2s));
    std::array<char, 4096> sink;
    std::size_t total = 0;
    while (total < linger_limit) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
      if (rec) break;
      total += n;
    }
  }
  stream.close();
}

/// The reply to a request that could not be read, or nothing (close silently).
std::optional<reply> read_failure_reply(const http_server::impl& s, const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit)
    return error_reply(s, error{http_errc::headers_too_large,
                                "request header exceeds " + std::to_string(s.config.header_limit) + " bytes"});
  if (ec == bhttp::error::body_limit)
    return error_reply(s, error{http_errc::payload_too_large,
                                "request body exceeds " + std::to_string(s.config.body_limit) + " bytes"});
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    return error_reply(s, error{http_errc::bad_request, "malformed HTTP request: " + ec.message()});
  return std::nullopt; // socket errors, timeouts, cancellation
}

bhttp::response<bhttp::string_body> to_response(reply& r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
  if (!r.allow.empty()) res.set(bhttp::field::allow, r.allow);
  if (!r.www_authenticate.empty()) res.set(bhttp::field::www_authenticate, r.www_authenticate);
  if (r.retry_after.count() > 0) res.set(bhttp::field::retry_after, std::to_string(r.retry_after.count()));
  res.set(bhttp::field::cache_control, "no-store");
  if (r.page) {
    res.set("Content-Security-Policy", page_policy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
  }
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

void log_request(std::string_view method, std::string_view target, const reply& r, steady::time_point started,
                 const std::string& remote) {
  const double ms = std::chrono::duration<double, std::milli>(steady::now() - started).count();
  if (r.code.empty()) {
    log::info("http", "request",
              {{"method", method}, {"path", detail::clip(target, 256)}, {"status", r.status},
               {"duration_ms", ms}, {"remote", remote}});
  } else {
    log::info("http", "request",
              {{"method", method}, {"path", detail::clip(target, 256)}, {"status", r.status},
               {"duration_ms", ms}, {"remote", remote}, {"code", r.code}});
  }
}

reply unauthorized(const http_server::impl& s, detail::auth_outcome outcome) {
  const bool missing = outcome == detail::auth_outcome::missing;
  reply r = error_reply(s, error{http_errc::unauthorized, missing ? "missing bearer token" : "invalid bearer token"});
  r.www_authenticate = missing ? "Bearer realm=\"snapstream\"" : "Bearer realm=\"snapstream\", error=\"invalid_token\"";
  return r;
}

/// Reads one request into `parser` (answering `Expect: 100-continue`).
asio::awaitable<boost::system::error_code> read_request(impl_ptr self, connection_entry& entry,
                                                       beast::flat_buffer& buffer,
                                                       bhttp::request_parser<bhttp::string_body>& parser) {
  const auto& cfg = self->config;
  beast::tcp_stream& stream = *entry.stream;
  entry.phase = conn_phase::reading;
  stream.expires_after(cfg.read_timeout);
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(cfg.header_limit, UINT32_MAX)));
  parser.body_limit(cfg.body_limit);
  auto [ec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
  if (ec || parser.is_done()) co_return ec;
  if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
    entry.phase = conn_phase::writing;
    static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(interim), use_tuple);
    if (cec) co_return cec;
    entry.phase = conn_phase::reading;
  }
  auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  co_return bec;
}

/// Routes one request and answers it; `GET /events` streams here and
/// answers nothing more (`streamed`).
asio::awaitable<reply> handle_request(impl_ptr self, connection_entry& entry,
                                      bhttp::request<bhttp::string_body>& req, steady::time_point started,
                                      const std::string& remote, bool& streamed) {
  const std::string_view method = sv(req.method_string());
  const std::string_view target = sv(req.target());
  auto route = detail::resolve_route(method, target);
  auto outcome = route.needs_auth ? self->auth.check(sv(req[bhttp::field::authorization]))
                                  : detail::auth_outcome::accepted;
  if (outcome != detail::auth_outcome::accepted) co_return unauthorized(*self, outcome);
  if (route.failure) {
    auto rep = error_reply(*self, *route.failure);
    rep.allow = route.allow;
    co_return rep;
  }
  if (*route.kind == detail::route_kind::dashboard) co_return dashboard_file(*self, route.asset);
  if (*route.kind != detail::route_kind::events)
    co_return co_await dispatch(self, &entry, *route.kind, route.session, std::move(req.body()));

  auto after = detail::parse_last_event_id(sv(req["Last-Event-ID"]));
  if (!after) co_return error_reply(*self, after.error());
  // The HTTP control actor keeps the stream's subscription (and counts it).
  auto stream_id = co_await call_backend(self, &entry, self->backend.open_event_stream(),
                                         self->config.backend_timeout);
  if (!stream_id) co_return error_reply(*self, stream_id.error());
  reply rep;
  log_request(method, target, rep, started, remote);
  co_await serve_events(self, &entry, req.version(), *after, *stream_id);
  self->backend.request_done(200, 0, false);
  streamed = true;
  co_return rep;
}

/// Writes one answer; true when the connection stays open for the next request.
asio::awaitable<bool> write_reply(impl_ptr self, connection_entry& entry, reply& rep, unsigned version,
                                  bool keep_alive) {
  auto res = to_response(rep, version, keep_alive);
  entry.phase = conn_phase::writing;
  entry.stream->expires_after(self->config.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(*entry.stream, res, use_tuple);
  if (ec) co_return false;
  if (keep_alive) co_return true;
  co_await linger_close(self, &entry);
  co_return false;
}

/// One connection: reads requests one after the other (pipelined requests wait
/// in the buffer and are answered in order) until the client closes, a limit
/// is hit, or the server stops. Each request is read (`read_request`),
/// handled (`handle_request`), counted and written (`write_reply`).
asio::awaitable<void> serve_connection(impl_ptr self, tcp::socket socket) {
  const auto& cfg = self->config;
  boost::system::error_code ignored;
  std::string remote;
  if (auto ep = socket.remote_endpoint(ignored); !ignored)
    remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  socket.set_option(tcp::no_delay(true), ignored);
  beast::tcp_stream stream(std::move(socket));
  connection_entry entry{&stream, asio::steady_timer(self->strand)};
  registration reg(*self, &entry);
  beast::flat_buffer buffer;
  const auto seconds_since = [](steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
  };

  while (!self->stopping) {
    if (buffer.size() == 0) {
      entry.phase = conn_phase::idle;
      stream.expires_after(cfg.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec) break; // closed by the client, idle timeout, or stop
      buffer.commit(n);
    }
    const auto started = steady::now();
    bhttp::request_parser<bhttp::string_body> parser;
    if (auto ec = co_await read_request(self, entry, buffer, parser)) {
      if (ec == beast::error::timeout)
        log::info("http", "connection_closed", {{"reason", "request_timeout"}, {"remote", remote}});
      auto failure = read_failure_reply(*self, ec);
      if (!failure) break;
      self->backend.request_done(failure->status, seconds_since(started), true);
      log_request("-", "-", *failure, started, remote);
      co_await write_reply(self, entry, *failure, 11, false);
      break;
    }

    auto& req = parser.get();
    stream.expires_never();
    entry.phase = conn_phase::handling;
    bool streamed = false;
    reply rep = co_await handle_request(self, entry, req, started, remote, streamed);
    if (streamed) break;

    const bool keep_alive = req.keep_alive() && !self->stopping;
    // Counted before the write, so that a client that has read this answer
    // sees it in the next /metrics.
    self->backend.request_done(rep.status, seconds_since(started), true);
    log_request(sv(req.method_string()), sv(req.target()), rep, started, remote);
    if (!co_await write_reply(self, entry, rep, req.version(), keep_alive)) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
}

/// Answers a connection beyond the cap with 503 without starting a coroutine:
/// one non-blocking write of a short canned response, then close.
void refuse(tcp::socket& socket) {
  static const std::string canned = [] {
    std::string body = detail::render_error("too many connections", "too_many_connections");
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
           "Connection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(canned), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

asio::awaitable<void> accept_loop(impl_ptr self) {
  while (!self->stopping) {
    auto [ec, socket] = co_await self->acceptor.async_accept(use_tuple);
    if (self->stopping) break;
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      log::warn("http", "accept_failed", {{"error", ec.message()}});
      self->backoff.expires_after(50ms);
      co_await self->backoff.async_wait(use_tuple);
      continue;
    }
    if (self->open_connections >= self->config.max_connections) {
      log::warn("http", "connection_refused",
                {{"reason", "too_many_connections"}, {"limit", self->config.max_connections}});
      self->backend.request_done(503, 0, false);
      refuse(socket);
      continue;
    }
    spawn(self, serve_connection(self, std::move(socket)), "http_connection", true);
  }
}

asio::awaitable<void> stop_on_strand(impl_ptr self) {
  if (!self->stopping.exchange(true)) {
    boost::system::error_code ec;
    self->acceptor.close(ec);
    self->backoff.cancel();
    for (auto* c : self->connections) {
      // An expired deadline ends a pending backend call now and any later one at once.
      c->deadline.expires_at(steady::time_point::min());
      if (c->phase == conn_phase::idle || c->phase == conn_phase::reading) {
        c->stream->socket().shutdown(tcp::socket::shutdown_receive, ec);
        c->stream->cancel();
      }
    }
  }
  while (self->live > 0) {
    self->drained.expires_at(steady::time_point::max());
    co_await self->drained.async_wait(use_tuple);
  }
  if (!self->stopped.exchange(true)) log::info("http", "stopped");
}

} // namespace

http_server::http_server(asio::any_io_executor executor, actors::control_backend& backend, server_config config)
  : impl_(std::make_shared<impl>(std::move(executor), backend, std::move(config))) {}

http_server::~http_server() {
  if (impl_->listening && !impl_->stopped)
    log::error("http", "destroyed_while_running", {{"port", impl_->port.load()}});
}

std::uint16_t http_server::port() const noexcept { return impl_->port; }

result<std::uint16_t> http_server::listen(std::string_view host, std::uint16_t port) {
  auto& s = *impl_;
  const std::string where = std::string(host) + ":" + std::to_string(port);
  if (s.listening || s.stopping)
    return error{http_errc::listen_failed, "cannot listen on " + where + ": already listening or stopped"};
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(s.strand);
    auto found = resolver.resolve(std::string(host), std::to_string(port), ec);
    if (ec || found.empty())
      return error{http_errc::listen_failed, "cannot resolve " + where + ": " + ec.message()};
    endpoint = found.begin()->endpoint();
  }
  auto fail = [&where](const char* step, const boost::system::error_code& e) {
    return error{http_errc::listen_failed, std::string("cannot ") + step + " " + where + ": " + e.message()};
  };
  s.acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for", ec);
  s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on", ec);
  s.acceptor.bind(endpoint, ec);
  if (ec) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    return fail("bind", ec);
  }
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    return fail("listen on", ec);
  }
  auto local = s.acceptor.local_endpoint(ec);
  s.port = local.port();
  s.listening = true;
  spawn(impl_, accept_loop(impl_), "http_accept", false);
  log::info("http", "listening",
            {{"address", local.address().to_string()}, {"port", s.port.load()}, {"auth", s.auth.enabled()},
             {"max_connections", s.config.max_connections}});
  return s.port.load();
}

asio::awaitable<void> http_server::stop() {
  auto self = impl_;
  co_await asio::co_spawn(self->strand, stop_on_strand(self), asio::use_awaitable);
}

} // namespace snapstream::http
