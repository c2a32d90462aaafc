#pragma once
/// Error codes of the storage layer. A RocksDB failure becomes one of these
/// with RocksDB's own message appended; `rocksdb::Status` never leaves storage/.

#include "protocol/common/error.hpp"

namespace snapstream::storage {

enum class storage_errc {
  io_error = 1,        ///< the file system failed (RocksDB IOError, or a directory operation)
  corruption,          ///< RocksDB found corrupt files
  not_found,           ///< no such key, snapshot, or session
  invalid_argument,    ///< a caller's value outside its contract (sizes, indices, a bad plan id)
  busy,                ///< RocksDB was busy, timed out, or asked to try again
  not_supported,       ///< an operation this RocksDB build does not support
  aborted,             ///< shutdown in progress, or an incomplete operation
  owner_mismatch,      ///< the state holds records of another plan (or local records)
  corrupt_record,      ///< one of our stored records does not decode
  snapshot_exists,     ///< a snapshot of this exact state root is already stored
  height_not_increasing, ///< a snapshot height not above the provider's last one
  invalid_import,      ///< an import file that does not follow the format
  other,               ///< any other RocksDB failure
  not_available,       ///< "not yet": a chunk of a snapshot still being synced whose pages are not all applied
  no_space,            ///< the data directory's file system is (nearly) full: a write would pass `db_options::min_free_bytes`
};

[[nodiscard]] constexpr const char* category_name(storage_errc) noexcept { return "snapstream.storage"; }
[[nodiscard]] std::string_view to_string(storage_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(storage_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream::storage

template <>
struct std::is_error_code_enum<snapstream::storage::storage_errc> : std::true_type {};
