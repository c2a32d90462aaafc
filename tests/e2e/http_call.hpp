#pragma once
// One HTTP/1.1 exchange with a node's control plane over loopback, the way an
// operator's tool makes it: a fresh connection, `Connection: close`, the whole
// answer read to EOF and parsed with Beast's parser. Blocking, with socket
// timeouts, so a stuck node fails the test instead of hanging it.

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace snapstream::e2e {

struct http_answer {
  unsigned status = 0;
  std::map<std::string, std::string> headers; ///< names in lower case
  std::string body;

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  /// The body parsed as JSON (fails the test when it is not).
  [[nodiscard]] boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    BOOST_REQUIRE_MESSAGE(!ec, "answer body is not JSON (" << ec.message() << "): " << body);
    return v;
  }
  /// `{"error": ..., "code": ...}` of an error answer.
  [[nodiscard]] std::pair<std::string, std::string> error() const {
    const auto v = json();
    BOOST_REQUIRE_MESSAGE(v.is_object() && v.as_object().contains("error") && v.as_object().contains("code"),
                          "not an error body: " << body);
    return {std::string(v.at("error").as_string()), std::string(v.at("code").as_string())};
  }
};

struct http_request {
  std::string method = "GET";
  std::string target = "/";
  std::optional<std::string> token;  ///< sent as `Authorization: Bearer <token>`
  std::optional<std::string> body;   ///< sent with Content-Length and Content-Type: application/json
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

/// Sends `req` to 127.0.0.1:`port` and returns the answer. Connection errors
/// and timeouts (30 s per socket operation) fail the test.
inline http_answer http_call(std::uint16_t port, const http_request& req) {
  std::string wire = req.method + " " + req.target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                     "\r\nConnection: close\r\n";
  if (req.token) wire += "Authorization: Bearer " + *req.token + "\r\n";
  for (const auto& [name, value] : req.extra_headers) wire += name + ": " + value + "\r\n";
  if (req.body)
    wire += "Content-Type: application/json\r\nContent-Length: " + std::to_string(req.body->size()) + "\r\n\r\n" +
            *req.body;
  else
    wire += "\r\n";

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_fd{fd};
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE_MESSAGE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
                        "cannot connect to 127.0.0.1:" << port << " for " << req.method << " " << req.target);
  for (std::size_t sent = 0; sent < wire.size();) {
    const auto n = ::send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    BOOST_REQUIRE_MESSAGE(n > 0, "send failed for " << req.method << " " << req.target);
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    BOOST_REQUIRE_MESSAGE(n >= 0, "no answer within 30 s (or a read error) for " << req.method << " " << req.target);
    if (n == 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
    BOOST_REQUIRE_MESSAGE(raw.size() <= (64u << 20), "answer above 64 MiB");
  }

  namespace http = boost::beast::http;
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(64u << 20);
  if (req.method == "HEAD") parser.skip(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < raw.size() && !parser.is_done()) {
    const auto n = parser.put(boost::asio::buffer(raw.data() + used, raw.size() - used), ec);
    if (ec == http::error::need_more) break;
    BOOST_REQUIRE_MESSAGE(!ec, "malformed HTTP answer (" << ec.message() << "): " << raw);
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    BOOST_REQUIRE_MESSAGE(!ec, "truncated HTTP answer (" << ec.message() << "): " << raw);
  }
  const auto& msg = parser.get();
  http_answer out;
  out.status = msg.result_int();
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = msg.body();
  return out;
}

/// Shorthands.
inline http_answer http_get(std::uint16_t port, const std::string& target, std::optional<std::string> token) {
  return http_call(port, {"GET", target, std::move(token), std::nullopt, {}});
}
inline http_answer http_post(std::uint16_t port, const std::string& target, std::optional<std::string> token,
                             std::string body) {
  return http_call(port, {"POST", target, std::move(token), std::move(body), {}});
}
inline http_answer http_delete(std::uint16_t port, const std::string& target, std::optional<std::string> token) {
  return http_call(port, {"DELETE", target, std::move(token), std::nullopt, {}});
}

/// `GET /p2p/snapshots/{id}`, which must answer 200.
inline boost::json::object session_status(std::uint16_t port, const std::string& token, std::uint64_t id) {
  auto a = http_get(port, "/p2p/snapshots/" + std::to_string(id), token);
  BOOST_REQUIRE_MESSAGE(a.status == 200, "GET session " << id << ": " << a.status << " " << a.body);
  return a.json().as_object();
}

inline std::string state_of(const boost::json::object& s) { return std::string(s.at("state").as_string()); }

/// Polls a session until it is `want` (failing the test if it ends otherwise
/// or is not there within 120 s).
inline boost::json::object wait_state(std::uint16_t port, const std::string& token, std::uint64_t id,
                                      const std::string& want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    auto s = session_status(port, token, id);
    const auto state = state_of(s);
    if (state == want) return s;
    BOOST_REQUIRE_MESSAGE(state != "verified" && state != "failed" && state != "cancelled",
                          "session " << id << " is " << state << ", not " << want << ": " << boost::json::serialize(s));
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                          "session " << id << " not " << want << " within 120 s: " << boost::json::serialize(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace snapstream::e2e
