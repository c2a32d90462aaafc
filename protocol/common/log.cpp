#include "protocol/common/log.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace snapstream::log {

namespace {

level initial_level() noexcept {
  level l = level::info;
  if (const char* env = std::getenv("SNAPSTREAM_LOG")) (void)parse_level(env, l);
  return l;
}

std::atomic<level>& level_ref() noexcept {
  static std::atomic<level> l{initial_level()};
  return l;
}

struct sink_state {
  std::mutex mutex;
  std::function<void(std::string_view)> sink;
};

sink_state& sink_ref() {
  static sink_state s;
  return s;
}

const char* level_name(level l) noexcept {
  switch (l) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    case level::error: return "ERROR";
    case level::off: return "OFF";
  }
  return "?";
}

bool needs_quotes(std::string_view v) noexcept {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t' || c == '\\') return true;
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
}

void append_timestamp(std::string& out) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto secs = time_point_cast<seconds>(now);
  const auto ms = duration_cast<milliseconds>(now - secs).count();
  const std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out += buf;
}

} // namespace

field::field(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

void set_level(level l) noexcept { level_ref().store(l, std::memory_order_relaxed); }
level current_level() noexcept { return level_ref().load(std::memory_order_relaxed); }
bool enabled(level l) noexcept { return l != level::off && l >= current_level(); }

bool parse_level(std::string_view text, level& out) noexcept {
  if (text == "debug") out = level::debug;
  else if (text == "info") out = level::info;
  else if (text == "warn") out = level::warn;
  else if (text == "error") out = level::error;
  else if (text == "off") out = level::off;
  else return false;
  return true;
}

void set_sink(std::function<void(std::string_view)> sink) {
  auto& s = sink_ref();
  std::lock_guard lock(s.mutex);
  s.sink = std::move(sink);
}

void write(level l, std::string_view component, std::string_view event,
           std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  std::string line;
  line.reserve(128);
  append_timestamp(line);
  line += ' ';
  line += level_name(l);
  line += ' ';
  line += component;
  line += ' ';
  line += event;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  auto& s = sink_ref();
  std::lock_guard lock(s.mutex);
  if (s.sink) {
    s.sink(line);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

} // namespace snapstream::log
