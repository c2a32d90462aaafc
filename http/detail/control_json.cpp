#include "http/detail/control_json.hpp"

#include "actors/actors_errc.hpp"
#include "http/http_errc.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace snapstream::http {

std::string_view to_string(http_errc e) noexcept {
  switch (e) {
    case http_errc::listen_failed: return "cannot listen";
    case http_errc::connect_failed: return "cannot connect";
    case http_errc::timeout: return "timed out";
    case http_errc::io_error: return "connection failed";
    case http_errc::malformed_response: return "malformed response";
    case http_errc::response_too_large: return "response too large";
    case http_errc::bad_request: return "bad request";
    case http_errc::invalid_json: return "invalid JSON";
    case http_errc::unauthorized: return "unauthorized";
    case http_errc::route_not_found: return "no such route";
    case http_errc::method_not_allowed: return "method not allowed";
    case http_errc::request_timeout: return "request timeout";
    case http_errc::payload_too_large: return "payload too large";
    case http_errc::headers_too_large: return "headers too large";
    case http_errc::too_many_connections: return "too many connections";
    case http_errc::unavailable: return "unavailable";
    case http_errc::backend_timeout: return "backend timeout";
    case http_errc::unexpected_status: return "unexpected status";
  }
  return "unknown";
}

} // namespace snapstream::http

namespace snapstream::http::detail {

namespace json = boost::json;
using actors::control_errc;

namespace {

std::optional<std::uint64_t> as_u64(const json::value& v) noexcept {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

/// `d` rounded to a whole number; 0 when negative or not finite. Rates are
/// shown in whole bytes per second and round trips in whole milliseconds:
/// fractions carry no information there, and integers keep the JSON readable.
std::uint64_t whole(double d) noexcept {
  if (!std::isfinite(d) || d <= 0) return 0;
  if (d >= 1.8e19) return UINT64_MAX;
  return static_cast<std::uint64_t>(std::llround(d));
}

json::object peer_object(const actors::peer_status& p) {
  json::object o;
  o.reserve(10);
  o["peer"] = p.peer;
  o["state"] = p.state;
  o["bytes"] = p.bytes;
  o["chunks"] = p.chunks;
  o["rate"] = whole(p.rate);
  o["rtt_ms"] = whole(p.rtt_ms);
  o["failures"] = p.failures;
  o["backpressure"] = p.backpressure;
  if (p.last_error) o["last_error"] = *p.last_error;
  if (p.last_error_code) o["last_error_code"] = *p.last_error_code;
  return o;
}

json::object status_object(const actors::session_status& s) {
  json::object o;
  o.reserve(20);
  o["session"] = s.session;
  o["peer"] = s.peer;
  o["root"] = s.root;
  if (s.plan_id) o["plan_id"] = *s.plan_id;
  if (s.chunk_size) o["chunk_size"] = *s.chunk_size;
  if (s.total_chunks) o["total_chunks"] = *s.total_chunks;
  if (s.total_updates) o["total_updates"] = *s.total_updates;
  if (s.last_chunk_index) o["last_chunk_index"] = *s.last_chunk_index;
  if (s.last_update_index) o["last_update_index"] = *s.last_update_index;
  if (s.last_update_height) o["last_update_height"] = *s.last_update_height;
  o["verified"] = s.verified;
  o["state"] = actors::to_string(s.state);
  o["bytes_received"] = s.bytes_received;
  o["throughput"] = whole(s.throughput);
  o["retries"] = s.retries;
  // The swarm's keys appear once they say something, like the plan's: a
  // status of rpp's shape stays exactly what it was.
  if (s.chunks_applied != 0 || s.chunk_writes != 0) {
    o["chunks_applied"] = s.chunks_applied;
    o["chunk_writes"] = s.chunk_writes;
  }
  if (s.error) o["error"] = *s.error;
  if (s.error_code) o["error_code"] = *s.error_code;
  if (!s.peers.empty()) {
    json::array peers;
    peers.reserve(s.peers.size());
    for (const auto& p : s.peers) peers.emplace_back(peer_object(p));
    o["peers"] = std::move(peers);
  }
  return o;
}

error invalid(std::string message) {
  return error{control_errc::invalid_argument, std::move(message)};
}

error malformed(std::string message) {
  return error{http_errc::malformed_response, std::move(message)};
}

/// Names every key of `o` outside `allowed`, prefixed with `prefix`; empty when none.
std::string unknown_fields(const json::object& o, std::initializer_list<std::string_view> allowed,
                           std::string_view prefix) {
  std::string names;
  std::size_t count = 0;
  for (const auto& kv : o) {
    bool known = false;
    for (auto a : allowed) known = known || kv.key() == a;
    if (known) continue;
    ++count;
    if (count > 8) continue; // the message names the first few only
    if (!names.empty()) names += ", ";
    names += prefix;
    names += clip(kv.key());
  }
  if (count == 0) return {};
  std::string message = count == 1 ? "unknown field: " : "unknown fields: ";
  message += names;
  if (count > 8) message += ", ...";
  return message;
}

result<std::optional<std::uint64_t>> optional_u64(const json::object& o, std::string_view key,
                                                  std::string_view field) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::uint64_t>{};
  auto v = as_u64(it->value());
  if (!v) return malformed(std::string(field) + " must be a non-negative integer");
  return std::optional<std::uint64_t>{*v};
}

result<std::optional<std::string>> optional_string(const json::object& o, std::string_view key,
                                                   std::string_view field) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) return malformed(std::string(field) + " must be a string");
  return std::optional<std::string>{std::string(it->value().get_string())};
}

/// One entry of a status' `peers`; `where` names it in errors ("status.peers[2]").
result<actors::peer_status> peer_from(const json::value& v, const std::string& where) {
  if (!v.is_object()) return malformed(where + " must be a JSON object");
  const auto& o = v.get_object();
  actors::peer_status p;
  auto find = [&o](std::string_view key) -> const json::value* {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
  };
  using std::string_view;
  for (auto [key, out] : {std::pair{string_view("peer"), &p.peer}, std::pair{string_view("state"), &p.state}}) {
    const json::value* x = find(key);
    if (!x || !x->is_string()) return malformed(where + "." + std::string(key) + " must be a string");
    *out = std::string(x->get_string());
  }
  for (auto [key, out] : {std::pair{string_view("bytes"), &p.bytes}, std::pair{string_view("chunks"), &p.chunks},
                          std::pair{string_view("failures"), &p.failures},
                          std::pair{string_view("backpressure"), &p.backpressure}}) {
    const json::value* x = find(key);
    auto n = x ? as_u64(*x) : std::nullopt;
    if (!n) return malformed(where + "." + std::string(key) + " must be a non-negative integer");
    *out = *n;
  }
  for (auto [key, out] : {std::pair{string_view("rate"), &p.rate}, std::pair{string_view("rtt_ms"), &p.rtt_ms}}) {
    const json::value* x = find(key);
    if (!x || !x->is_number()) return malformed(where + "." + std::string(key) + " must be a number");
    *out = x->to_number<double>();
  }
  for (auto [key, out] : {std::pair{string_view("last_error"), &p.last_error},
                          std::pair{string_view("last_error_code"), &p.last_error_code}}) {
    auto r = optional_string(o, key, where + "." + std::string(key));
    if (!r) return r.error();
    *out = std::move(*r);
  }
  return p;
}

result<actors::session_status> status_from(const json::value& v) {
  if (!v.is_object()) return malformed("status must be a JSON object");
  const auto& o = v.get_object();
  actors::session_status s;

  auto required = [&o](std::string_view key) -> const json::value* {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
  };
  const json::value* session = required("session");
  const json::value* peer = required("peer");
  const json::value* root = required("root");
  const json::value* verified = required("verified");
  const json::value* state = required("state");
  const json::value* bytes = required("bytes_received");
  const json::value* throughput = required("throughput");
  const json::value* retries = required("retries");
  if (!session || !as_u64(*session)) return malformed("status.session must be a non-negative integer");
  if (!peer || !peer->is_string()) return malformed("status.peer must be a string");
  if (!root || !root->is_string()) return malformed("status.root must be a string");
  if (!verified || !verified->is_bool()) return malformed("status.verified must be a boolean");
  if (!state || !state->is_string()) return malformed("status.state must be a string");
  if (!bytes || !as_u64(*bytes)) return malformed("status.bytes_received must be a non-negative integer");
  if (!throughput || !throughput->is_number()) return malformed("status.throughput must be a number");
  if (!retries || !as_u64(*retries) || *as_u64(*retries) > UINT32_MAX)
    return malformed("status.retries must be a non-negative 32-bit integer");

  s.session = *as_u64(*session);
  s.peer = std::string(peer->get_string());
  s.root = std::string(root->get_string());
  s.verified = verified->get_bool();
  bool state_known = false;
  for (auto st : {actors::session_state::planning, actors::session_state::syncing,
                  actors::session_state::verified, actors::session_state::failed,
                  actors::session_state::cancelled}) {
    if (state->get_string() == actors::to_string(st)) {
      s.state = st;
      state_known = true;
    }
  }
  if (!state_known) return malformed("status.state is unknown: " + clip(state->get_string()));
  s.bytes_received = *as_u64(*bytes);
  s.throughput = throughput->to_number<double>();
  s.retries = static_cast<std::uint32_t>(*as_u64(*retries));

  struct opt_u64 {
    std::string_view key;
    std::optional<std::uint64_t>* out;
  };
  const std::array<opt_u64, 6> numbers{{{"chunk_size", &s.chunk_size},
                                        {"total_chunks", &s.total_chunks},
                                        {"total_updates", &s.total_updates},
                                        {"last_chunk_index", &s.last_chunk_index},
                                        {"last_update_index", &s.last_update_index},
                                        {"last_update_height", &s.last_update_height}}};
  for (const auto& n : numbers) {
    auto r = optional_u64(o, n.key, std::string("status.") + std::string(n.key));
    if (!r) return r.error();
    *n.out = *r;
  }
  struct opt_str {
    std::string_view key;
    std::optional<std::string>* out;
  };
  const std::array<opt_str, 3> strings{
      {{"plan_id", &s.plan_id}, {"error", &s.error}, {"error_code", &s.error_code}}};
  for (const auto& n : strings) {
    auto r = optional_string(o, n.key, n.key);
    if (!r) return r.error();
    *n.out = std::move(*r);
  }

  // The swarm's keys; absent from an older node's status (then 0 and none).
  for (auto [key, out] : {std::pair{std::string_view("chunks_applied"), &s.chunks_applied},
                          std::pair{std::string_view("chunk_writes"), &s.chunk_writes}}) {
    auto r = optional_u64(o, key, "status." + std::string(key));
    if (!r) return r.error();
    *out = r->value_or(0);
  }
  if (auto it = o.find("peers"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) return malformed("status.peers must be an array");
    const auto& a = it->value().get_array();
    s.peers.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto p = peer_from(a[i], "status.peers[" + std::to_string(i) + "]");
      if (!p) return p.error();
      s.peers.push_back(std::move(*p));
    }
  }
  return s;
}

result<json::value> parse_json(std::string_view body, std::error_code on_error, std::string_view what) {
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, json::storage_ptr(), options);
  if (ec) return error{on_error, std::string(what) + ": " + ec.message()};
  return v;
}

} // namespace

std::string clip(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::string out(text.substr(0, limit));
  out += "...";
  return out;
}

std::string render_status(const actors::session_status& s) {
  return json::serialize(status_object(s));
}

std::string render_statuses(const std::vector<actors::session_status>& list) {
  json::array a;
  a.reserve(list.size());
  for (const auto& s : list) a.emplace_back(status_object(s));
  return json::serialize(a);
}

std::string render_breakers(const std::vector<actors::breaker_status>& list) {
  json::array a;
  a.reserve(list.size());
  for (const auto& b : list) {
    json::object o;
    o["peer"] = b.peer;
    o["side"] = actors::to_string(b.side);
    o["state"] = actors::to_string(b.state);
    o["recent_failures"] = b.recent_failures;
    o["retry_after_ms"] = static_cast<std::int64_t>(b.retry_after.count());
    a.emplace_back(std::move(o));
  }
  return json::serialize(a);
}

std::string render_peers(const std::vector<actors::peer_info>& list) {
  json::array a;
  a.reserve(list.size());
  for (const auto& p : list) {
    json::object o;
    o["peer_id"] = p.peer_id;
    o["transport"] = p.transport;
    json::array addresses;
    for (const auto& s : p.addresses) addresses.emplace_back(s);
    o["addresses"] = std::move(addresses);
    json::array protocols;
    for (const auto& s : p.protocols) protocols.emplace_back(s);
    o["protocols"] = std::move(protocols);
    json::array offsets;
    for (const auto& c : p.offsets) {
      json::object co;
      co["name"] = c.name;
      co["version"] = c.version;
      co["offset"] = c.offset;
      co["length"] = c.length;
      offsets.emplace_back(std::move(co));
    }
    o["offsets"] = std::move(offsets);
    a.emplace_back(std::move(o));
  }
  return json::serialize(a);
}

namespace {

json::object snapshot_object(const actors::snapshot_info& info) {
  json::object o;
  o["plan_id"] = info.plan_id;
  o["height"] = info.height;
  o["page_count"] = info.page_count;
  o["record_count"] = info.record_count;
  o["total_bytes"] = info.total_bytes;
  o["update_count"] = info.update_count;
  return o;
}

} // namespace

std::string render_snapshot(const actors::snapshot_info& info) { return json::serialize(snapshot_object(info)); }

std::string render_node(const actors::node_description& d) {
  json::object o;
  o["peer_id"] = d.peer_id;
  json::array addresses;
  for (const auto& a : d.addresses) addresses.emplace_back(a);
  o["addresses"] = std::move(addresses);
  o["version"] = d.version;
  o["uptime_s"] = d.uptime_s;
  json::array snapshots;
  for (const auto& s : d.snapshots) snapshots.emplace_back(snapshot_object(s));
  o["snapshots"] = std::move(snapshots);
  return json::serialize(o);
}

std::string render_error(std::string_view message, std::string_view code) {
  json::object o;
  o["error"] = message;
  o["code"] = code;
  return json::serialize(o);
}

std::string render_start_command(const actors::start_command& cmd) {
  json::object o;
  if (!cmd.peer.empty()) o["peer"] = cmd.peer;
  if (!cmd.peers.empty()) {
    json::array peers;
    for (const auto& p : cmd.peers) peers.emplace_back(p);
    o["peers"] = std::move(peers);
  }
  if (cmd.plan_id) o["plan_id"] = *cmd.plan_id;
  if (cmd.chunk_size) o["chunk_size"] = *cmd.chunk_size;
  if (cmd.resume) {
    json::object r;
    r["session"] = cmd.resume->session;
    if (cmd.resume->plan_id) r["plan_id"] = *cmd.resume->plan_id;
    if (cmd.resume->chunk_index) r["chunk_index"] = *cmd.resume->chunk_index;
    if (cmd.resume->update_index) r["update_index"] = *cmd.resume->update_index;
    o["resume"] = std::move(r);
  }
  return json::serialize(o);
}

result<actors::start_command> parse_start_command(std::string_view body) {
  auto parsed = parse_json(body, http_errc::invalid_json, "malformed JSON body");
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return invalid("request body must be a JSON object");
  const auto& o = parsed->get_object();
  if (auto unknown = unknown_fields(o, {"peer", "peers", "plan_id", "chunk_size", "resume"}, ""); !unknown.empty())
    return invalid(std::move(unknown));

  // Neither `peer` nor `peers`: the node discovers the providers.
  actors::start_command cmd;
  if (auto it = o.find("peer"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_string()) return invalid("peer must be a string");
    // An empty `start_command::peer` means "none given": refuse it here
    // rather than let a typo start a discovery.
    if (it->value().get_string().empty()) return invalid("peer must not be empty");
    cmd.peer = std::string(it->value().get_string());
  }
  if (auto it = o.find("peers"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) return invalid("peers must be an array of strings");
    for (const auto& p : it->value().get_array()) {
      if (!p.is_string()) return invalid("peers must be an array of strings");
      cmd.peers.emplace_back(p.get_string());
    }
  }
  if (auto it = o.find("plan_id"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_string()) return invalid("plan_id must be a string");
    cmd.plan_id = std::string(it->value().get_string());
  }

  if (auto it = o.find("chunk_size"); it != o.end() && !it->value().is_null()) {
    auto size = as_u64(it->value());
    if (!size) return invalid("chunk_size must be a non-negative integer");
    if (*size == 0) return invalid("chunk_size must be greater than zero");
    cmd.chunk_size = *size;
  }

  if (auto it = o.find("resume"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return invalid("resume must be an object");
    const auto& r = it->value().get_object();
    if (auto unknown = unknown_fields(r, {"session", "plan_id", "chunk_index", "update_index"}, "resume.");
        !unknown.empty())
      return invalid(std::move(unknown));
    auto session = r.find("session");
    if (session == r.end()) return invalid("missing field: resume.session");
    auto id = as_u64(session->value());
    if (!id) return invalid("invalid snapshot session id: " + clip(json::serialize(session->value())));
    actors::start_command::resume_spec spec;
    spec.session = *id;
    if (auto plan = r.find("plan_id"); plan != r.end() && !plan->value().is_null()) {
      if (!plan->value().is_string()) return invalid("resume.plan_id must be a string");
      spec.plan_id = std::string(plan->value().get_string());
    }
    for (auto [key, out] : {std::pair{std::string_view("chunk_index"), &spec.chunk_index},
                            std::pair{std::string_view("update_index"), &spec.update_index}}) {
      auto it2 = r.find(key);
      if (it2 == r.end() || it2->value().is_null()) continue;
      auto index = as_u64(it2->value());
      if (!index) return invalid("resume." + std::string(key) + " must be a non-negative integer");
      *out = *index;
    }
    cmd.resume = std::move(spec);
    // A resumed job keeps its snapshot and its providers (`peer` may name the
    // one whose session resumes at the given offsets).
    if (cmd.plan_id) return invalid("plan_id cannot be given with resume (use resume.plan_id)");
    if (!cmd.peers.empty()) return invalid("peers cannot be given with resume (a resumed session keeps its providers)");
  }
  return cmd;
}

result<actors::session_status> parse_status(std::string_view body) {
  auto parsed = parse_json(body, http_errc::malformed_response, "status is not JSON");
  if (!parsed) return parsed.error();
  return status_from(*parsed);
}

result<std::vector<actors::session_status>> parse_statuses(std::string_view body) {
  auto parsed = parse_json(body, http_errc::malformed_response, "session list is not JSON");
  if (!parsed) return parsed.error();
  if (!parsed->is_array()) return malformed("session list must be a JSON array");
  std::vector<actors::session_status> out;
  out.reserve(parsed->get_array().size());
  for (const auto& v : parsed->get_array()) {
    auto s = status_from(v);
    if (!s) return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

std::optional<error_body> parse_error_body(std::string_view body) {
  auto parsed = parse_json(body, http_errc::malformed_response, "error body");
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const auto& o = parsed->get_object();
  auto e = o.find("error");
  auto c = o.find("code");
  if (e == o.end() || !e->value().is_string()) return std::nullopt;
  error_body out;
  out.error = std::string(e->value().get_string());
  if (c != o.end() && c->value().is_string()) out.code = std::string(c->value().get_string());
  return out;
}

result<std::uint64_t> parse_session_id(std::string_view text) {
  std::uint64_t id = 0;
  bool digits_only = !text.empty();
  for (char ch : text) digits_only = digits_only && ch >= '0' && ch <= '9';
  const char* end = text.data() + text.size();
  if (digits_only) {
    auto [ptr, ec] = std::from_chars(text.data(), end, id);
    if (ec == std::errc() && ptr == end) return id;
  }
  return invalid("invalid snapshot session id: " + clip(text));
}

actors::error_answer answer_of(const std::error_code& code) noexcept {
  using actors::actors_errc;
  const auto in = [&code](auto e) { return code.category() == make_error_code(e).category(); };
  actors::error_answer answer;
  if (in(control_errc::internal)) answer = actors::answer_of(static_cast<control_errc>(code.value()));
  else if (in(http_errc::bad_request)) answer = http::answer_of(static_cast<http_errc>(code.value()));
  else if (in(actors_errc::failed)) answer = actors::answer_of(static_cast<actors_errc>(code.value()));
  if (answer.code.empty()) answer = {};
  return answer;
}

std::string_view wire_code(const std::error_code& code) noexcept { return answer_of(code).code; }

std::error_code from_wire_code(std::string_view code) noexcept {
  // The node's own answers first: "internal" and "shutting_down" are theirs.
  for (int v = 1; v <= static_cast<int>(control_errc::internal); ++v)
    if (actors::answer_of(static_cast<control_errc>(v)).code == code) return static_cast<control_errc>(v);
  for (int v = 1; v <= static_cast<int>(http_errc::unexpected_status); ++v)
    if (http::answer_of(static_cast<http_errc>(v)).code == code) return static_cast<http_errc>(v);
  return {};
}

unsigned http_status(const std::error_code& code) noexcept { return answer_of(code).status; }

} // namespace snapstream::http::detail
