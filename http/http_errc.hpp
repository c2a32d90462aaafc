#pragma once
/// Error codes of the HTTP control plane: the server's own failures (listen)
/// and what a `control_client` call can fail with besides the node's own
/// `actors::control_errc` answers.

#include "actors/actors_errc.hpp"
#include "protocol/common/error.hpp"

#include <string_view>

namespace snapstream::http {

enum class http_errc {
  listen_failed = 1,     ///< the server could not resolve, bind or listen on its address
  connect_failed,        ///< client: the address did not resolve or the connection was refused
  timeout,               ///< client: no complete answer within the configured timeout
  io_error,              ///< client: the connection broke during a request
  malformed_response,    ///< client: the answer is not HTTP, or its body is not what the route returns
  response_too_large,    ///< client: the answer exceeds the client's response limit
  bad_request,           ///< the request was not valid HTTP
  invalid_json,          ///< the body is not JSON
  unauthorized,          ///< missing or wrong bearer token
  route_not_found,       ///< no such route
  method_not_allowed,    ///< the route exists, the method does not
  request_timeout,       ///< the request was not received in time
  payload_too_large,     ///< the body exceeds the server's limit
  headers_too_large,     ///< the header block exceeds the server's limit
  too_many_connections,  ///< the server's connection cap is reached
  unavailable,           ///< the node's runtime is not reachable
  backend_timeout,       ///< the node did not answer within the per-request timeout
  unexpected_status,     ///< client: an HTTP status this API never returns
};

/// How the server answers each of its errors. The client's own failures and
/// `listen_failed` never reach a client: they have no code (status 500).
[[nodiscard]] constexpr actors::error_answer answer_of(http_errc e) noexcept {
  switch (e) {
    case http_errc::bad_request: return {400, "bad_request"};
    case http_errc::invalid_json: return {400, "invalid_json"};
    case http_errc::unauthorized: return {401, "unauthorized"};
    case http_errc::route_not_found: return {404, "route_not_found"};
    case http_errc::method_not_allowed: return {405, "method_not_allowed"};
    case http_errc::request_timeout: return {408, "request_timeout"};
    case http_errc::payload_too_large: return {413, "payload_too_large"};
    case http_errc::headers_too_large: return {431, "headers_too_large"};
    case http_errc::too_many_connections: return {503, "too_many_connections"};
    case http_errc::unavailable: return {503, "unavailable", true};
    case http_errc::backend_timeout: return {504, "backend_timeout"};
    case http_errc::listen_failed:
    case http_errc::connect_failed:
    case http_errc::timeout:
    case http_errc::io_error:
    case http_errc::malformed_response:
    case http_errc::response_too_large:
    case http_errc::unexpected_status: return {500, {}};
  }
  return {};
}

[[nodiscard]] constexpr const char* category_name(http_errc) noexcept { return "snapstream.http"; }
[[nodiscard]] std::string_view to_string(http_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(http_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream::http

template <>
struct std::is_error_code_enum<snapstream::http::http_errc> : std::true_type {};
