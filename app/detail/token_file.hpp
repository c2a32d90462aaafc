#pragma once
/// The control plane's bearer token, as an operator supplies it.

#include "app/app_errc.hpp"

#include <filesystem>
#include <string>

namespace snapstream::app::detail {

/// Checks a token: 1 to 1024 printable ASCII characters without spaces (it
/// travels in an HTTP header). `invalid_config` with the bare problem otherwise.
[[nodiscard]] result<std::string> check_token(std::string token);

/// Reads a token file: its contents without trailing spaces and line ends,
/// checked by `check_token`; `io_error` when unreadable or over 4 KiB.
[[nodiscard]] result<std::string> read_token_file(const std::filesystem::path& file);

} // namespace snapstream::app::detail
