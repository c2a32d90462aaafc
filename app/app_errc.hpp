#pragma once
/// Error codes of the `snapstream` executable. `usage` errors are the
/// operator's command line (exit code 2, the command's usage follows the
/// message); every other error exits with code 1.

#include "protocol/common/error.hpp"

namespace snapstream::app {

enum class app_errc {
  usage = 1,      ///< unknown command or option, a missing or malformed option value
  invalid_config, ///< a config file or trust file that does not follow its format
  io_error,       ///< a file that cannot be read or written
  failed,         ///< the command ran and did not succeed (a sync that failed, a self-check mismatch)
  unavailable,    ///< a feature this build does not include
};

[[nodiscard]] constexpr const char* category_name(app_errc) noexcept { return "snapstream.app"; }
[[nodiscard]] std::string_view to_string(app_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(app_errc e) noexcept { return make_enum_error_code(e); }

} // namespace snapstream::app

template <>
struct std::is_error_code_enum<snapstream::app::app_errc> : std::true_type {};

namespace snapstream::app {

/// A usage error with `message`.
[[nodiscard]] inline error usage_error(std::string message) { return error{app_errc::usage, std::move(message)}; }

} // namespace snapstream::app
