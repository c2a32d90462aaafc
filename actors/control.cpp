#include "actors/control.hpp"

namespace snapstream::actors {

std::string_view to_string(control_errc e) noexcept {
  switch (e) {
    case control_errc::invalid_argument: return "invalid argument";
    case control_errc::not_found: return "not found";
    case control_errc::resume_rejected: return "resume rejected";
    case control_errc::peer_unreachable: return "peer unreachable";
    case control_errc::saturated: return "saturated";
    case control_errc::shutting_down: return "shutting down";
    case control_errc::internal: return "internal error";
  }
  return "unknown";
}

const char* to_string(session_state s) noexcept {
  switch (s) {
    case session_state::planning: return "planning";
    case session_state::syncing: return "syncing";
    case session_state::verified: return "verified";
    case session_state::failed: return "failed";
    case session_state::cancelled: return "cancelled";
  }
  return "unknown";
}

} // namespace snapstream::actors
