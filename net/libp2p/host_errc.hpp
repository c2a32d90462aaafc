#pragma once
/// Error codes of the libp2p host (connections, streams, request/response).
/// Failures of the wire protocols themselves keep their `libp2p_errc` code
/// (for example `peer_id_mismatch` when a dialled peer proves another id).

#include "protocol/common/error.hpp"

namespace snapstream::net {

enum class host_errc {
  stopped = 1,        ///< the host is stopping or stopped
  invalid_argument,   ///< an empty protocol list, a multiaddr without /p2p/ where one is needed, ...
  listen_failed,      ///< bind or listen failed
  dial_failed,        ///< DNS resolution or TCP connect failed
  no_address,         ///< a peer id with neither a connection nor a known address
  connection_limit,   ///< `max_connections` reached
  stream_limit,       ///< the connection's stream limit reached
  handshake_timeout,  ///< connect + upgrade took longer than `handshake_timeout`
  idle_timeout,       ///< a connection had no stream for `idle_timeout`
  stream_stalled,     ///< a read or write made no progress for `stream_stall_timeout`
  timeout,            ///< the caller's request deadline passed
  connection_closed,  ///< the connection under the stream closed (or was never usable)
  stream_reset,       ///< the remote reset the stream
  request_too_large,  ///< a request above the protocol's `max_request_size`
  response_too_large, ///< a response above the protocol's `max_response_size`
  handler_failed,     ///< the local request handler failed (the stream was reset)
  io_error,           ///< a socket error
  connection_limit_per_ip, ///< `max_connections_per_ip` reached for the remote's address
};

[[nodiscard]] constexpr const char* category_name(host_errc) noexcept { return "snapstream.net.libp2p"; }
[[nodiscard]] std::string_view to_string(host_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(host_errc e) noexcept { return make_enum_error_code(e); }

/// Shorthand: an `error` of code `e` with message `what`.
[[nodiscard]] inline error make_error(host_errc e, std::string what) {
  return error(make_error_code(e), std::move(what));
}

} // namespace snapstream::net

template <>
struct std::is_error_code_enum<snapstream::net::host_errc> : std::true_type {};
