#include "http/detail/event_stream.hpp"

#include "http/detail/control_json.hpp"

#include <charconv>

namespace snapstream::http::detail {

void append_event(std::string& out, const actors::node_event& e) {
  out += "id: ";
  out += std::to_string(e.sequence);
  out += "\nevent: ";
  for (char c : e.type) out += (c == '\n' || c == '\r') ? ' ' : c;
  out += '\n';
  // Every line of the payload becomes a `data:` line; CR, LF and CRLF all end a line.
  std::string_view data = e.json;
  for (;;) {
    auto brk = data.find_first_of("\r\n");
    out += "data: ";
    out += data.substr(0, brk);
    out += '\n';
    if (brk == std::string_view::npos) break;
    std::size_t skip = (data[brk] == '\r' && brk + 1 < data.size() && data[brk + 1] == '\n') ? 2 : 1;
    data.remove_prefix(brk + skip);
  }
  out += '\n';
}

void append_heartbeat(std::string& out) { out += ": heartbeat\n\n"; }

result<std::uint64_t> parse_last_event_id(std::string_view value) {
  if (value.empty()) return std::uint64_t{0};
  std::uint64_t id = 0;
  bool digits_only = true;
  for (char ch : value) digits_only = digits_only && ch >= '0' && ch <= '9';
  const char* end = value.data() + value.size();
  if (digits_only) {
    auto [ptr, ec] = std::from_chars(value.data(), end, id);
    if (ec == std::errc() && ptr == end) return id;
  }
  return error{actors::control_errc::invalid_argument, "invalid Last-Event-ID: " + clip(value)};
}

} // namespace snapstream::http::detail
