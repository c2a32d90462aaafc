#pragma once
/// rocksdb::Status -> snapstream::error (the only place the two meet).

#include "storage/errors.hpp"

#include <rocksdb/status.h>

#include <string>

namespace snapstream::storage::detail {

/// Maps a failed status to a `storage_errc`; the message is
/// "<what>: <RocksDB's message>".
[[nodiscard]] error from_status(const rocksdb::Status& s, const std::string& what);

/// Success, or the mapped error.
[[nodiscard]] inline result<void> check(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return {};
  return from_status(s, what);
}

} // namespace snapstream::storage::detail
