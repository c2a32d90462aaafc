#include "app/detail/open_db.hpp"

#include <system_error>

namespace snapstream::app::detail {

result<std::unique_ptr<storage::db>> open_db(const std::filesystem::path& data_dir, bool create) {
  std::error_code ec;
  if (!create && !std::filesystem::is_directory(data_dir / "db", ec)) {
    return error{app_errc::io_error, "no database in " + data_dir.string() + " (generate or import a state first)"};
  }
  storage::db_options options;
  options.create_if_missing = create;
  auto d = storage::db::open(data_dir, options);
  if (!d) {
    std::string message = "cannot open the database in " + data_dir.string() + ": " + d.error().message();
    if (d.error().message().find("lock") != std::string::npos) message += " (is a node running on it?)";
    return error{app_errc::io_error, std::move(message)};
  }
  return std::move(*d);
}

error storage_failure(const error& e) { return error{app_errc::failed, e.message()}; }

} // namespace snapstream::app::detail
