#include "net/libp2p/host_errc.hpp"

namespace snapstream::net {

std::string_view to_string(host_errc e) noexcept {
  switch (e) {
    case host_errc::stopped: return "host stopped";
    case host_errc::invalid_argument: return "invalid argument";
    case host_errc::listen_failed: return "listen failed";
    case host_errc::dial_failed: return "dial failed";
    case host_errc::no_address: return "no address for peer";
    case host_errc::connection_limit: return "connection limit reached";
    case host_errc::stream_limit: return "stream limit reached";
    case host_errc::handshake_timeout: return "handshake timeout";
    case host_errc::idle_timeout: return "idle timeout";
    case host_errc::stream_stalled: return "stream stalled";
    case host_errc::timeout: return "request timeout";
    case host_errc::connection_closed: return "connection closed";
    case host_errc::stream_reset: return "stream reset";
    case host_errc::request_too_large: return "request too large";
    case host_errc::response_too_large: return "response too large";
    case host_errc::handler_failed: return "request handler failed";
    case host_errc::io_error: return "i/o error";
    case host_errc::connection_limit_per_ip: return "connection limit per address reached";
  }
  return "unknown";
}

} // namespace snapstream::net
