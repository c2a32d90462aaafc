#include "actors/control.hpp"

#include <cmath>

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

void control_plane_stats::record(unsigned status, double seconds, bool timed) {
  ++by_status_[status];
  if (!timed) return;
  if (!(seconds >= 0) || std::isinf(seconds)) seconds = 0;
  ++count_;
  sum_ += seconds;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (seconds <= bounds[i]) {
      ++buckets_[i];
      break;
    }
  }
}

session_status status_of(const storage::session_record& r) {
  session_status s;
  s.session = r.session_id;
  s.peer = r.peer;
  s.root = r.plan_id;
  if (!r.plan_id.empty()) {
    s.plan_id = r.plan_id;
    s.chunk_size = r.chunk_size;
    s.total_chunks = r.total_chunks;
    s.total_updates = r.total_updates;
  }
  if (r.next_chunk_index > 0) s.last_chunk_index = r.next_chunk_index - 1;
  if (r.next_update_index > 0) {
    s.last_update_index = r.next_update_index - 1;
    s.last_update_height = r.last_update_height;
  }
  s.state = r.state;
  s.verified = r.state == session_state::verified;
  if (!r.error.empty()) s.error = r.error;
  if (!r.error_code.empty()) s.error_code = r.error_code;
  s.bytes_received = r.bytes_received;
  s.chunks_applied = r.chunks_applied;
  s.chunk_writes = r.chunk_writes;
  return s;
}

} // namespace snapstream::actors
