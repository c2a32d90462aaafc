#pragma once
/// Error codes of the HTTP control plane: the server's own failures (listen)
/// and what a `control_client` call can fail with besides the node's own
/// `actors::control_errc` answers.

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
  bad_request,           ///< 400: the request was not valid HTTP
  invalid_json,          ///< 400: the body is not JSON
  unauthorized,          ///< 401: missing or wrong bearer token
  route_not_found,       ///< 404: no such route
  method_not_allowed,    ///< 405: the route exists, the method does not
  request_timeout,       ///< 408: the request was not received in time
  payload_too_large,     ///< 413: the body exceeds the server's limit
  headers_too_large,     ///< 431: the header block exceeds the server's limit
  too_many_connections,  ///< 503: the server's connection cap is reached
  unavailable,           ///< 503: the node's runtime is not reachable
  backend_timeout,       ///< 504: the node did not answer within the per-request timeout
  unexpected_status,     ///< client: an HTTP status this API never returns
};

[[nodiscard]] constexpr const char* category_name(http_errc) noexcept { return "snapstream.http"; }
[[nodiscard]] std::string_view to_string(http_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(http_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream::http

template <>
struct std::is_error_code_enum<snapstream::http::http_errc> : std::true_type {};
