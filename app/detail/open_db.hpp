#pragma once
/// Opening a node's database for the offline commands (state, snapshot).

#include "app/app_errc.hpp"
#include "storage/db.hpp"

#include <filesystem>
#include <memory>

namespace snapstream::app::detail {

/// Opens `<data_dir>/db`. With `create` false, a data directory without a
/// database is an `io_error` ("no database in DIR"). A database another
/// process holds (a running node) is an `io_error` that says so.
[[nodiscard]] result<std::unique_ptr<storage::db>> open_db(const std::filesystem::path& data_dir, bool create);

/// "<what>: <storage message>" as an `app_errc::failed` error.
[[nodiscard]] error storage_failure(const error& e);

} // namespace snapstream::app::detail
