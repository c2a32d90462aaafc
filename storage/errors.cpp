#include "storage/errors.hpp"

namespace snapstream::storage {

std::string_view to_string(storage_errc e) noexcept {
  switch (e) {
    case storage_errc::io_error: return "I/O error";
    case storage_errc::corruption: return "corruption";
    case storage_errc::not_found: return "not found";
    case storage_errc::invalid_argument: return "invalid argument";
    case storage_errc::busy: return "busy";
    case storage_errc::not_supported: return "not supported";
    case storage_errc::aborted: return "aborted";
    case storage_errc::owner_mismatch: return "state owner mismatch";
    case storage_errc::corrupt_record: return "corrupt record";
    case storage_errc::snapshot_exists: return "snapshot exists";
    case storage_errc::height_not_increasing: return "height not increasing";
    case storage_errc::invalid_import: return "invalid import";
    case storage_errc::other: return "storage failure";
    case storage_errc::not_available: return "not available";
    case storage_errc::no_space: return "no space left";
  }
  return "unknown";
}

} // namespace snapstream::storage
