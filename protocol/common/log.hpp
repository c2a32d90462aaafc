#pragma once
/// Structured logging: one line per event, with a level.
///
///   2026-11-22T10:00:00.123Z INFO provider session_served session=7 peer=12D3... bytes=1048576
///
/// Lines go to stderr (or a sink installed by the application). Thread-safe:
/// each line is formatted first and written with one call under a lock.
/// Values containing spaces, quotes or `=` are quoted.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace snapstream::log {

enum class level : std::uint8_t { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// One `key=value` pair of a log line. Numbers and strings convert implicitly.
struct field {
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <class Int>
    requires std::is_integral_v<Int>
  field(std::string_view k, Int v) : key(k), value(std::to_string(v)) {}
  field(std::string_view k, double v);

  std::string_view key;
  std::string value;
};

/// The minimum level written (default `info`; `SNAPSTREAM_LOG=debug|info|warn|error|off`
/// in the environment sets it at start-up).
void set_level(level l) noexcept;
[[nodiscard]] level current_level() noexcept;
[[nodiscard]] bool enabled(level l) noexcept;

/// Parses "debug", "info", "warn", "error", "off".
[[nodiscard]] bool parse_level(std::string_view text, level& out) noexcept;

/// Replaces the output (default: stderr). The sink receives whole lines without
/// the trailing newline. Pass an empty function to restore stderr.
void set_sink(std::function<void(std::string_view)> sink);

/// Writes `ts LEVEL component event k=v ...` when `l` is enabled.
void write(level l, std::string_view component, std::string_view event,
           std::initializer_list<field> fields = {});

inline void debug(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  if (enabled(level::debug)) write(level::debug, c, e, f);
}
inline void info(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  if (enabled(level::info)) write(level::info, c, e, f);
}
inline void warn(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  if (enabled(level::warn)) write(level::warn, c, e, f);
}
inline void error(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  if (enabled(level::error)) write(level::error, c, e, f);
}

} // namespace snapstream::log
