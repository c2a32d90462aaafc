#include "app/command_line.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace snapstream::app {

std::string_view to_string(app_errc e) noexcept {
  switch (e) {
  case app_errc::usage: return "usage";
  case app_errc::invalid_config: return "invalid_config";
  case app_errc::io_error: return "io_error";
  case app_errc::failed: return "failed";
  case app_errc::unavailable: return "unavailable";
  }
  return "unknown";
}

namespace {

const option_spec* find_option(const command_spec& spec, std::string_view name) {
  for (const auto& o : spec.options)
    if (o.name == name) return &o;
  return nullptr;
}

std::string option_words(const option_spec& o) {
  // Appends, not operator+ on temporaries: g++ 12 reports a false -Wrestrict there.
  std::string s;
  s.append("--").append(o.name);
  if (!o.value_name.empty()) s.append(" ").append(o.value_name);
  return s;
}

} // namespace

bool parsed_arguments::has(std::string_view name) const { return options_.find(name) != options_.end(); }

std::optional<std::string> parsed_arguments::value(std::string_view name) const {
  auto it = options_.find(name);
  if (it == options_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> parsed_arguments::values(std::string_view name) const {
  auto it = options_.find(name);
  return it == options_.end() ? std::vector<std::string>{} : it->second;
}

result<parsed_arguments> parse_arguments(const command_spec& spec, std::span<const std::string_view> words) {
  parsed_arguments out;
  // --help wins over every other mistake on the line.
  for (auto w : words) {
    if (w == "--") break;
    if (w == "--help" || w == "-h") {
      out.help_ = true;
      return out;
    }
  }
  bool options_done = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view w = words[i];
    if (options_done || w.size() < 2 || w[0] != '-') {
      out.positionals_.emplace_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      continue;
    }
    if (w[1] != '-') return usage_error("unknown option " + std::string(w));
    std::string_view name = w.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const option_spec* o = find_option(spec, name);
    if (o == nullptr) return usage_error("unknown option --" + std::string(name));
    auto& slot = out.options_[std::string(name)];
    if (!slot.empty() && !o->repeatable) return usage_error("option --" + std::string(name) + " given twice");
    if (o->value_name.empty()) {
      if (inline_value) return usage_error("option --" + std::string(name) + " takes no value");
      slot.emplace_back();
      continue;
    }
    if (inline_value) {
      slot.emplace_back(*inline_value);
      continue;
    }
    if (i + 1 >= words.size() || (words[i + 1].size() >= 2 && words[i + 1].substr(0, 2) == "--")) {
      return usage_error("option --" + std::string(name) + " needs a value (" + std::string(o->value_name) + ")");
    }
    slot.emplace_back(words[++i]);
  }
  for (const auto& o : spec.options) {
    if (o.required && !out.has(o.name)) return usage_error("missing required option --" + std::string(o.name));
  }
  if (out.positionals_.size() < spec.positionals.size()) {
    return usage_error("missing argument " + std::string(spec.positionals[out.positionals_.size()]));
  }
  if (out.positionals_.size() > spec.positionals.size()) {
    return usage_error("unexpected argument '" + out.positionals_[spec.positionals.size()] + "'");
  }
  return out;
}

std::string usage_text(const command_spec& spec) {
  constexpr std::size_t width = 80;
  std::string out = "Usage: snapstream " + std::string(spec.name);
  const std::size_t indent = out.size() + 1;
  std::size_t line_start = 0;
  auto add_word = [&](const std::string& word) {
    if (out.size() - line_start + 1 + word.size() > width) {
      out += '\n';
      line_start = out.size();
      out.append(indent, ' ');
    } else {
      out += ' ';
    }
    out += word;
  };
  for (const auto& o : spec.options) {
    std::string word = option_words(o);
    if (!o.required && !o.required_unless_config) word = "[" + word + "]";
    if (o.repeatable) word += "...";
    add_word(word);
  }
  for (auto p : spec.positionals) add_word(std::string(p));
  out += "\n\n";
  out += spec.description;
  if (!spec.description.empty() && spec.description.back() != '\n') out += '\n';
  out += "\nOptions:\n";
  std::size_t column = 0;
  for (const auto& o : spec.options) column = std::max(column, option_words(o).size());
  column = std::min<std::size_t>(std::max<std::size_t>(column, 10), 26) + 4;
  auto add_option = [&](const std::string& words, const std::string& help) {
    std::string line = "  " + words;
    if (line.size() + 2 > column) {
      out += line + "\n";
      line.clear();
    }
    line.resize(column, ' ');
    // Fill the help text into the column, wrapping at `width`.
    std::size_t pos = 0;
    bool first_word = true;
    while (pos < help.size()) {
      auto end = help.find(' ', pos);
      if (end == std::string::npos) end = help.size();
      const std::string_view word(help.data() + pos, end - pos);
      if (!first_word && line.size() + 1 + word.size() > width) {
        out += line + "\n";
        line.assign(column, ' ');
        first_word = true;
      }
      if (!first_word) line += ' ';
      line += word;
      first_word = false;
      pos = end + 1;
    }
    out += line + "\n";
  };
  for (const auto& o : spec.options) {
    std::string help(o.help);
    if (o.required) help += " (required)";
    if (o.required_unless_config) help += " (required; may come from the config file)";
    if (o.repeatable) help += " (repeatable)";
    add_option(option_words(o), help);
  }
  add_option("-h, --help", "show this help");
  return out;
}

result<std::uint64_t> parse_uint(std::string_view text, std::string_view what, std::uint64_t min, std::uint64_t max) {
  std::uint64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec == std::errc::invalid_argument || p != end) {
    return usage_error(std::string(what) + ": '" + std::string(text) + "' is not a number");
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return usage_error(std::string(what) + ": " + std::string(text) + " is outside " + std::to_string(min) + ".." +
                       std::to_string(max));
  }
  return v;
}

result<std::uint64_t> parse_size(std::string_view text, std::string_view what) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  auto bad = [&] {
    return usage_error(std::string(what) + ": '" + std::string(text) +
                       "' is not a size (a number with an optional B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
  };
  if (digits == 0) return bad();
  std::string suffix;
  for (char c : text.substr(digits)) suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct unit {
    std::string_view name;
    std::uint64_t factor;
  };
  static constexpr std::array<unit, 10> units{{{"", 1},
                                               {"b", 1},
                                               {"kib", 1ull << 10},
                                               {"mib", 1ull << 20},
                                               {"gib", 1ull << 30},
                                               {"tib", 1ull << 40},
                                               {"kb", 1'000},
                                               {"mb", 1'000'000},
                                               {"gb", 1'000'000'000},
                                               {"tb", 1'000'000'000'000}}};
  const auto it = std::find_if(units.begin(), units.end(), [&](const unit& u) { return u.name == suffix; });
  if (it == units.end()) return bad();
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + digits, v);
  (void)p;
  if (ec == std::errc::result_out_of_range || v > UINT64_MAX / it->factor) {
    return usage_error(std::string(what) + ": " + std::string(text) + " does not fit in 64 bits");
  }
  return v * it->factor;
}

result<host_port> parse_host_port(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return usage_error(std::string(what) + ": '" + std::string(text) + "' " + std::string(why));
  };
  host_port hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("is not HOST:PORT ([IPv6]:PORT needs the brackets and a port)");
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (hp.host.find(':') == std::string::npos) return bad("has brackets around a host that is not IPv6");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("is not HOST:PORT (the port is missing)");
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (hp.host.find(':') != std::string::npos) return bad("is not HOST:PORT (write an IPv6 host as [::1]:PORT)");
  }
  if (hp.host.empty()) return bad("is not HOST:PORT (the host is empty)");
  for (char c : hp.host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' || c == '_' ||
                    c == '%';
    if (!ok) return bad("has a character a host name cannot contain");
  }
  std::uint16_t port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || p != port_text.data() + port_text.size())
    return bad("is not HOST:PORT (the port must be a number from 0 to 65535)");
  hp.port = port;
  return hp;
}

std::string to_string(const host_port& hp) {
  if (hp.host.find(':') != std::string::npos) return "[" + hp.host + "]:" + std::to_string(hp.port);
  return hp.host + ":" + std::to_string(hp.port);
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 6> names{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < names.size()) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10.0 ? "%.2f %s" : "%.1f %s", v, names[unit]);
  return buf;
}

} // namespace snapstream::app
