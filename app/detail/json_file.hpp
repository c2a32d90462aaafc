#pragma once
/// Strict JSON for the operator's files (config, trust) and pretty output.

#include "app/app_errc.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace snapstream::app::detail {

/// Largest config or trust file read, bytes.
inline constexpr std::size_t max_json_file_size = 1 << 20;

/// Parses standard JSON (no comments, no trailing commas) and refuses an
/// object that holds a key twice. Errors (`invalid_config`) read
/// `<what>: line L column C: <problem>`.
[[nodiscard]] result<boost::json::value> parse_json(std::string_view text, std::string_view what);

/// Reads a file (at most `max_json_file_size` bytes; `io_error` when it
/// cannot be read) and parses it with `parse_json`, naming the file.
[[nodiscard]] result<boost::json::value> read_json_file(const std::filesystem::path& file);

/// Reads a whole small text file (at most `max_bytes`); `io_error` naming the
/// file otherwise.
[[nodiscard]] result<std::string> read_text_file(const std::filesystem::path& file, std::size_t max_bytes);

/// `v` as JSON text indented by two spaces per level, keys in their stored
/// order, ending with a newline.
[[nodiscard]] std::string pretty_json(const boost::json::value& v);

} // namespace snapstream::app::detail
