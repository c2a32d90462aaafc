#pragma once
/// Error codes of the RLPx host (net/rlpx): what can go wrong around the wire
/// formats, which keep their own `snapstream::rlpx::rlpx_errc`.

#include "protocol/common/error.hpp"

namespace snapstream::net::rlpx {

enum class host_errc {
  timeout = 1,      ///< a handshake, Status exchange or request took longer than its bound
  connection_lost,  ///< the TCP connection failed or was closed under us
  closed,           ///< the peer is closing or closed; nothing more can be sent
  disconnected,     ///< the remote sent Disconnect (the message gives the reason)
  peer_not_found,   ///< no connected peer with that node id
  not_listening,    ///< the listener is disabled or could not be opened
  shutting_down,    ///< the host is shutting down
  dial_failed,      ///< the dial target could not be resolved or reached
  refused,          ///< the peer was refused (self, duplicate, too many peers, nothing shared)
  invalid_config,   ///< the host configuration cannot work
};

[[nodiscard]] constexpr const char* category_name(host_errc) noexcept { return "snapstream.net.rlpx"; }
[[nodiscard]] std::string_view to_string(host_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(host_errc e) noexcept { return make_enum_error_code(e); }
[[nodiscard]] inline error make_error(host_errc e, std::string message) {
  return error(make_error_code(e), std::move(message));
}

} // namespace snapstream::net::rlpx

template <>
struct std::is_error_code_enum<snapstream::net::rlpx::host_errc> : std::true_type {};
