// libFuzzer target for the control plane's JSON bodies
// (http/detail/control_json.cpp); the first byte picks:
//   0 parse_start_command (a POST /p2p/snapshots body, from any client):
//     render_start_command -> parse gives the same command
//   1 parse_status / 2 parse_statuses (client side, from a server):
//     render -> parse -> render is stable
//   3 parse_error_body: render_error -> parse gives the same body
//   4 parse_session_id (a path segment): the number prints as the text
//     without its leading zeros
// Every failure is a typed error whose code maps to an HTTP status.

#include "fuzz_util.hpp"

#include "http/detail/control_json.hpp"

using namespace snapstream;
using namespace snapstream::http::detail;
using snapstream::fuzz::require;

namespace {

bool same(const actors::start_command& a, const actors::start_command& b) {
  if (a.peer != b.peer || a.peers != b.peers || a.plan_id != b.plan_id || a.chunk_size != b.chunk_size) return false;
  if (a.resume.has_value() != b.resume.has_value()) return false;
  if (!a.resume) return true;
  return a.resume->session == b.resume->session && a.resume->plan_id == b.resume->plan_id &&
         a.resume->chunk_index == b.resume->chunk_index && a.resume->update_index == b.resume->update_index;
}

template <class T>
bool typed(const result<T>& r, const char* what) {
  if (!fuzz::ok_or_typed(r, what)) {
    const unsigned status = http_status(r.error().code());
    require(status >= 400 && status < 600, "an error maps to an HTTP error status");
    require(!wire_code(r.error().code()).empty(), "an error has a wire code");
    return false;
  }
  return true;
}

void fuzz_start(std::string_view body) {
  auto cmd = parse_start_command(body);
  if (!typed(cmd, "parse_start_command")) return;
  const std::string text = render_start_command(*cmd);
  auto again = parse_start_command(text);
  require(again.has_value(), "a rendered start command parses");
  require(same(*cmd, *again), "start command round trip");
}

void fuzz_status(std::string_view body) {
  auto s = parse_status(body);
  if (!typed(s, "parse_status")) return;
  const std::string text = render_status(*s);
  auto again = parse_status(text);
  require(again.has_value(), "a rendered status parses");
  require(render_status(*again) == text, "status render -> parse -> render is stable");
}

void fuzz_statuses(std::string_view body) {
  auto s = parse_statuses(body);
  if (!typed(s, "parse_statuses")) return;
  const std::string text = render_statuses(*s);
  auto again = parse_statuses(text);
  require(again.has_value() && again->size() == s->size(), "rendered statuses parse");
  require(render_statuses(*again) == text, "statuses render -> parse -> render is stable");
}

void fuzz_error_body(std::string_view body) {
  auto e = parse_error_body(body);
  if (!e) return;
  auto again = parse_error_body(render_error(e->error, e->code));
  require(again.has_value() && again->error == e->error && again->code == e->code, "error body round trip");
}

void fuzz_session_id(std::string_view text) {
  auto id = parse_session_id(text);
  if (!typed(id, "parse_session_id")) return;
  // Leading zeros are allowed ("007" is session 7).
  const std::size_t digits = text.find_first_not_of('0');
  const std::string_view significant = digits == std::string_view::npos ? "0" : text.substr(digits);
  require(std::to_string(*id) == significant, "a session id is its decimal digits");
}

void write_seeds(fuzz::seed_writer& w) {
  const std::string pid = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
  actors::start_command full;
  full.peer = pid;
  full.peers = {pid, "12D3KooWB"};
  full.plan_id = std::string(64, 'a');
  full.chunk_size = 65536;
  w.write("start-full", 0, render_start_command(full));
  actors::start_command resume;
  resume.resume = actors::start_command::resume_spec{12, std::string("plan"), 7, 0};
  w.write("start-resume", 0, render_start_command(resume));
  w.write("start-nulls", 0, R"({"peer":"p","chunk_size":null,"resume":null})");
  w.write("start-empty", 0, "{}");
  actors::session_status s;
  s.session = 3;
  s.peer = pid;
  s.bytes_received = 1 << 20;
  s.retries = 2;
  const std::string status = render_status(s);
  w.write("status", 1, status);
  w.write("statuses", 2, render_statuses({s, s}));
  w.write("error-body", 3, render_error("invalid snapshot session id: x", "invalid_argument"));
  w.write("session-id", 4, "18446744073709551615");
  w.write("session-id-small", 4, "42");
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::fuzz_one_of(data, size, fuzz_start, fuzz_status, fuzz_statuses, fuzz_error_body, fuzz_session_id);
}
