#include "storage/detail/status.hpp"

namespace snapstream::storage::detail {

error from_status(const rocksdb::Status& s, const std::string& what) {
  storage_errc code = storage_errc::other;
  switch (s.code()) {
    case rocksdb::Status::kNotFound: code = storage_errc::not_found; break;
    case rocksdb::Status::kCorruption: code = storage_errc::corruption; break;
    case rocksdb::Status::kNotSupported: code = storage_errc::not_supported; break;
    case rocksdb::Status::kInvalidArgument: code = storage_errc::invalid_argument; break;
    case rocksdb::Status::kIOError: code = s.IsNoSpace() ? storage_errc::no_space : storage_errc::io_error; break;
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain: code = storage_errc::busy; break;
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
    case rocksdb::Status::kAborted: code = storage_errc::aborted; break;
    default: code = storage_errc::other; break;
  }
  return error{code, what + ": " + s.ToString()};
}

} // namespace snapstream::storage::detail
