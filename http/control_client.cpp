#include "http/control_client.hpp"

#include "http/detail/control_json.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <utility>

namespace snapstream::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;

struct control_client::impl {
  impl(asio::any_io_executor ex, client_config cfg)
    : executor(std::move(ex)),
      config(std::move(cfg)),
      where(config.host + ":" + std::to_string(config.port)) {}

  asio::any_io_executor executor;
  client_config config;
  std::string where; ///< host:port, for the Host header and messages
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void drop() noexcept {
    if (stream) {
      boost::system::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->close();
      stream.reset();
    }
    buffer.clear();
  }
};

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t response_header_limit = 64 * 1024;

struct raw_response {
  unsigned status = 0;
  std::string body;
};

bool is_http_parse_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category();
}

error transport_error(const control_client::impl& s, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout)
    return error{http_errc::timeout,
                 "no answer from " + s.where + " within " + std::to_string(s.config.timeout.count()) + " ms"};
  if (ec == bhttp::error::body_limit)
    return error{http_errc::response_too_large,
                 "answer from " + s.where + " exceeds " + std::to_string(s.config.response_limit) + " bytes"};
  if (is_http_parse_error(ec) && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
    return error{http_errc::malformed_response, "malformed HTTP answer from " + s.where + ": " + ec.message()};
  return error{http_errc::io_error, "connection to " + s.where + " failed: " + ec.message()};
}

/// A connection that the server closed while it sat idle in our pool fails
/// at once with one of these and no byte of an answer: safe to retry.
bool is_stale_connection(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

std::error_code code_for_status(unsigned status) {
  switch (status) {
    case 400: return http_errc::bad_request;
    case 401: return http_errc::unauthorized;
    case 404: return http_errc::route_not_found;
    case 405: return http_errc::method_not_allowed;
    case 408: return http_errc::request_timeout;
    case 413: return http_errc::payload_too_large;
    case 431: return http_errc::headers_too_large;
    case 500: return actors::control_errc::internal;
    case 502: return actors::control_errc::peer_unreachable;
    case 503: return http_errc::unavailable;
    case 504: return http_errc::backend_timeout;
    default: return http_errc::unexpected_status;
  }
}

/// The typed error of a non-success answer: the code from the error body when
/// it names one, else one derived from the status.
error status_error(const raw_response& r) {
  std::string message = "HTTP " + std::to_string(r.status) + ": ";
  std::error_code code;
  if (auto body = detail::parse_error_body(r.body)) {
    code = detail::from_wire_code(body->code);
    message += body->error;
  } else {
    message += r.body.empty() ? std::string("(no error body)") : detail::clip(r.body, 200);
  }
  if (!code) code = code_for_status(r.status);
  return error{code, std::move(message)};
}

asio::awaitable<result<void>> connect(control_client::impl* s, steady::time_point deadline) {
  s->drop();
  tcp::resolver resolver(s->executor);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(s->config.host, std::to_string(s->config.port), use_tuple);
  if (rec) co_return error{http_errc::connect_failed, "cannot resolve " + s->where + ": " + rec.message()};
  s->stream.emplace(s->executor);
  s->stream->expires_at(deadline);
  auto [cec, ep] = co_await s->stream->async_connect(endpoints, use_tuple);
  if (cec) {
    s->drop();
    if (cec == beast::error::timeout)
      co_return error{http_errc::timeout, "cannot connect to " + s->where + " within " +
                                              std::to_string(s->config.timeout.count()) + " ms"};
    co_return error{http_errc::connect_failed, "cannot connect to " + s->where + ": " + cec.message()};
  }
  boost::system::error_code ignored;
  s->stream->socket().set_option(tcp::no_delay(true), ignored);
  co_return result<void>{};
}

/// Sends one request and reads its answer, on the kept-alive connection when
/// there is one. A connection found stale is replaced once.
asio::awaitable<result<raw_response>> exchange(control_client::impl* s, bhttp::verb verb, std::string target,
                                               std::string body) {
  const auto deadline = steady::now() + s->config.timeout;
  for (int attempt = 0;; ++attempt) {
    const bool reused = s->stream.has_value();
    if (!reused) {
      auto connected = co_await connect(s, deadline);
      if (!connected) co_return connected.error();
    }
    beast::tcp_stream& stream = *s->stream;

    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, s->where);
    req.set(bhttp::field::user_agent, "snapstream");
    req.set(bhttp::field::accept, "application/json, text/plain");
    if (s->config.token && !s->config.token->empty())
      req.set(bhttp::field::authorization, "Bearer " + *s->config.token);
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();

    stream.expires_at(deadline);
    auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
    boost::system::error_code ec = wec;
    bool got_answer_bytes = false;
    if (!ec) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.header_limit(response_header_limit);
      parser.body_limit(s->config.response_limit);
      auto [rec, rn] = co_await bhttp::async_read(stream, s->buffer, parser, use_tuple);
      if (!rec) {
        auto& res = parser.get();
        raw_response out{res.result_int(), std::move(res.body())};
        if (!res.keep_alive()) s->drop();
        else stream.expires_never();
        co_return out;
      }
      ec = rec;
      got_answer_bytes = parser.got_some();
    }
    s->drop();
    if (reused && attempt == 0 && !got_answer_bytes && is_stale_connection(ec)) continue;
    co_return transport_error(*s, ec);
  }
}

} // namespace

control_client::control_client(asio::any_io_executor executor, client_config config)
  : impl_(std::make_unique<impl>(std::move(executor), std::move(config))) {}

control_client::~control_client() { impl_->drop(); }

void control_client::close() noexcept { impl_->drop(); }

asio::awaitable<result<actors::session_status>> control_client::start_session(actors::start_command cmd) {
  auto body = detail::render_start_command(cmd);
  auto op = exchange(impl_.get(), bhttp::verb::post, "/p2p/snapshots", std::move(body));
  auto r = co_await std::move(op);
  if (!r) co_return r.error();
  if (r->status != 200) co_return status_error(*r);
  co_return detail::parse_status(r->body);
}

asio::awaitable<result<actors::session_status>> control_client::session(std::uint64_t id) {
  auto op = exchange(impl_.get(), bhttp::verb::get, "/p2p/snapshots/" + std::to_string(id), std::string());
  auto r = co_await std::move(op);
  if (!r) co_return r.error();
  if (r->status != 200) co_return status_error(*r);
  co_return detail::parse_status(r->body);
}

asio::awaitable<result<std::vector<actors::session_status>>> control_client::sessions() {
  auto op = exchange(impl_.get(), bhttp::verb::get, "/p2p/snapshots", std::string());
  auto r = co_await std::move(op);
  if (!r) co_return r.error();
  if (r->status != 200) co_return status_error(*r);
  co_return detail::parse_statuses(r->body);
}

asio::awaitable<result<void>> control_client::cancel(std::uint64_t id) {
  auto op = exchange(impl_.get(), bhttp::verb::delete_, "/p2p/snapshots/" + std::to_string(id), std::string());
  auto r = co_await std::move(op);
  if (!r) co_return r.error();
  if (r->status / 100 != 2) co_return status_error(*r);
  co_return result<void>{};
}

asio::awaitable<result<std::string>> control_client::metrics_text() {
  auto op = exchange(impl_.get(), bhttp::verb::get, "/metrics", std::string());
  auto r = co_await std::move(op);
  if (!r) co_return r.error();
  if (r->status != 200) co_return status_error(*r);
  co_return std::move(r->body);
}

asio::awaitable<result<void>> control_client::health() {
  auto op = exchange(impl_.get(), bhttp::verb::get, "/healthz", std::string());
  auto r = co_await std::move(op);
  if (!r) co_return r.error();
  if (r->status != 200) co_return status_error(*r);
  if (r->body != "ok")
    co_return error{http_errc::malformed_response, "health answer is not \"ok\": " + detail::clip(r->body)};
  co_return result<void>{};
}

} // namespace snapstream::http
