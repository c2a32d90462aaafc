#pragma once
/// Maps a request's method and target to a control-plane route. Pure; no I/O.

#include "protocol/common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::http::detail {

enum class route_kind {
  healthz,         ///< GET /healthz
  metrics,         ///< GET /metrics
  events,          ///< GET /events
  create_snapshot, ///< POST /snapshots
  peers,           ///< GET /p2p/peers
  list_sessions,   ///< GET /p2p/snapshots
  start_session,   ///< POST /p2p/snapshots
  get_session,     ///< GET /p2p/snapshots/{id}
  cancel_session,  ///< DELETE /p2p/snapshots/{id}
  breakers,        ///< GET /p2p/snapshots/breaker
  reset_breakers,  ///< POST /p2p/snapshots/breaker/reset
  node,            ///< GET /node
  dashboard,       ///< GET /, /ui, /ui/ and /ui/{file}: the dashboard's files (no token)
};

/// The outcome of routing one request.
struct route_resolution {
  /// The route, when the path and method match one.
  std::optional<route_kind> kind;
  /// The session id of `get_session` / `cancel_session`.
  std::uint64_t session = 0;
  /// The file of `dashboard` ("index.html" for the page itself).
  std::string asset;
  /// Why no route matched: `http_errc::route_not_found` (404),
  /// `http_errc::method_not_allowed` (405; `allow` lists the methods) or
  /// `control_errc::invalid_argument` (400, a path id that is not a session id).
  std::optional<error> failure;
  /// The `Allow` header value of the path (empty when the path is unknown).
  std::string_view allow;
  /// False only for `/healthz` and the dashboard's files, which answer
  /// without a token (the page asks for it and sends it with its API calls).
  bool needs_auth = true;
};

/// Routes `method` (e.g. "GET") and `target` (origin form, query allowed and
/// ignored; percent-encoded path segments are decoded).
[[nodiscard]] route_resolution resolve_route(std::string_view method, std::string_view target);

} // namespace snapstream::http::detail
