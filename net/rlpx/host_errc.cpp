#include "net/rlpx/host_errc.hpp"

namespace snapstream::net::rlpx {

std::string_view to_string(host_errc e) noexcept {
  switch (e) {
    case host_errc::timeout: return "timed out";
    case host_errc::connection_lost: return "connection lost";
    case host_errc::closed: return "peer closed";
    case host_errc::disconnected: return "disconnected by the remote";
    case host_errc::peer_not_found: return "peer not found";
    case host_errc::not_listening: return "not listening";
    case host_errc::shutting_down: return "shutting down";
    case host_errc::dial_failed: return "dial failed";
    case host_errc::refused: return "peer refused";
    case host_errc::invalid_config: return "invalid configuration";
  }
  return "unknown";
}

} // namespace snapstream::net::rlpx
