// The names of the session states, in a file of their own so that code
// without RocksDB (the control plane's JSON, its fuzz target) links them.

#include "storage/session_store.hpp"

namespace snapstream::storage {

std::string_view to_string(session_state s) noexcept {
  switch (s) {
    case session_state::planning: return "planning";
    case session_state::syncing: return "syncing";
    case session_state::verified: return "verified";
    case session_state::failed: return "failed";
    case session_state::cancelled: return "cancelled";
  }
  return "unknown";
}

} // namespace snapstream::storage
