#include "app/detail/json_file.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>
#include <vector>

namespace snapstream::app::detail {

namespace {

namespace json = boost::json;

// Builds a value like boost::json::parser does, and also refuses a repeated
// key (Boost.JSON would silently keep the last one).
struct strict_handler {
  static constexpr std::size_t max_array_size = 1u << 16;
  static constexpr std::size_t max_object_size = 1u << 16;
  static constexpr std::size_t max_string_size = 1u << 16;
  static constexpr std::size_t max_key_size = 1u << 10;

  json::value_stack st;
  std::vector<std::set<std::string, std::less<>>> keys; // per open object
  std::string key;                                      // key being read
  std::string problem;                                  // set when the handler refused

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code&) {
    keys.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key.append(s.data(), s.size());
    if (!keys.back().insert(key).second) {
      problem = "key \"" + key + "\" appears twice in one object";
      ec = std::make_error_code(std::errc::invalid_argument);
      return false;
    }
    key.clear();
    st.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

std::string position(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + " column " + std::to_string(column);
}

void pretty(const json::value& v, std::string& out, std::size_t depth) {
  const std::string pad((depth + 1) * 2, ' ');
  const std::string close_pad(depth * 2, ' ');
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& kv : o) {
      out += pad;
      out += json::serialize(json::string_view(kv.key()));
      out += ": ";
      pretty(kv.value(), out, depth + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    out += close_pad + "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      out += pad;
      pretty(a[i], out, depth + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    out += close_pad + "]";
  } else {
    out += json::serialize(v);
  }
}

} // namespace

result<json::value> parse_json(std::string_view text, std::string_view what) {
  json::basic_parser<strict_handler> parser(json::parse_options{});
  parser.handler().st.reset();
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    const std::string problem = parser.handler().problem.empty() ? ec.message() : parser.handler().problem;
    return error{app_errc::invalid_config, std::string(what) + ": " + position(text, used) + ": " + problem};
  }
  const auto rest = text.substr(used);
  const auto junk = rest.find_first_not_of(" \t\r\n");
  if (junk != std::string_view::npos) {
    return error{app_errc::invalid_config,
                 std::string(what) + ": " + position(text, used + junk) + ": text after the JSON value"};
  }
  return parser.handler().st.release();
}

result<std::string> read_text_file(const std::filesystem::path& file, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return error{app_errc::io_error, "cannot read " + file.string() + ": " + std::strerror(errno)};
  std::string text;
  std::vector<char> block(64 * 1024);
  for (;;) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    text.append(block.data(), got);
    if (text.size() > max_bytes) {
      return error{app_errc::io_error,
                   file.string() + " is larger than " + std::to_string(max_bytes) + " bytes"};
    }
    if (got < block.size()) break;
  }
  if (in.bad()) return error{app_errc::io_error, "cannot read " + file.string()};
  return text;
}

result<json::value> read_json_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) return error{app_errc::io_error, "cannot read " + file.string() + ": it is a directory"};
  auto text = read_text_file(file, max_json_file_size);
  if (!text) return text.error();
  return parse_json(*text, file.string());
}

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(v, out, 0);
  out += '\n';
  return out;
}

} // namespace snapstream::app::detail
