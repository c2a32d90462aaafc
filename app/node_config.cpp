#include "app/node_config.hpp"

#include "app/detail/json_file.hpp"
#include "app/detail/token_file.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/libp2p/yamux.hpp"
#include "protocol/messages/wire.hpp"
#include "protocol/snapshot/page_builder.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <limits>
#include <system_error>
#include <type_traits>

namespace snapstream::app {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string_view to_string(token_source s) noexcept {
  switch (s) {
  case token_source::none: return "none";
  case token_source::config: return "config";
  case token_source::environment: return "RPP_RPC_TOKEN";
  case token_source::token_file: return "token_file";
  }
  return "none";
}

node_environment node_environment::from_process() {
  node_environment env;
  if (const char* t = std::getenv("RPP_RPC_TOKEN"); t != nullptr && *t != '\0') env.rpc_token = t;
  if (const char* l = std::getenv("SNAPSTREAM_LOG"); l != nullptr && *l != '\0') env.log_level = l;
  return env;
}

namespace {

constexpr std::uint64_t max_duration_ms = 86'400'000; // one day
constexpr std::uint64_t max_upload_limit = 1ull << 40;  // bytes per second; 1 TiB/s

constexpr std::array<option_spec, 15> node_options_table{{
  {"data-dir", "DIR", "the node's database directory", false, false, true},
  {"key", "FILE", "the node key file (snapstream keygen): libp2p identity and snapshot signing key", false, false,
   true},
  {"p2p-listen", "MULTIADDR", "libp2p listen address, /ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT", false, true, true},
  {"http-listen", "HOST:PORT", "HTTP control plane address (port 0 picks a free port)", false, false, true},
  {"token-file", "FILE", "file holding the control plane's bearer token", false, false, false},
  {"peer", "MULTIADDR", "a peer to dial by id: /ip4/ADDR/tcp/PORT/p2p/PEER_ID", false, true, false},
  {"trust", "PUBKEY_OR_FILE", "trusted authority: 64-hex Ed25519 key, peer id, or trust file", false, true, false},
  {"threshold", "K", "signatures a light-client update needs (default 1)", false, false, false},
  {"config", "FILE", "JSON config file (keys in docs/operations.md); flags override it", false, false, false},
  {"log-level", "LEVEL", "debug, info, warn or error (default info)", false, false, false},
  {"rlpx-listen", "HOST:PORT", "also listen for devp2p RLPx connections", false, false, false},
  {"no-auto-resume", "", "do not resume unfinished sync sessions at start", false, false, false},
  {"upload-limit", "BYTES/s", "bytes per second of chunk responses this node sends, all peers together, e.g. "
   "50MiB/s (0 = unlimited)", false, false, false},
  {"upload-limit-per-peer", "BYTES/s", "bytes per second of chunk responses to each consumer peer (0 = unlimited)",
   false, false, false},
  {"check-config", "", "print the effective configuration as JSON and exit", false, false, false},
}};

const command_spec node_spec{
  "node",
  "run a node until SIGINT or SIGTERM",
  "Runs a node until SIGINT or SIGTERM: serves snapshots of its state, and\n"
  "those it synced, over libp2p (/rpp/snapshots/1.x), syncs from peers when\n"
  "told to through the HTTP control plane, and logs one line per event to\n"
  "stderr. Prints one line with its peer id, p2p addresses and HTTP address\n"
  "once it listens. The bearer token comes from --token-file, else\n"
  "RPP_RPC_TOKEN, else the config file.\n",
  node_options_table,
  {},
};

// ---- errors ----------------------------------------------------------------

error config_error(std::string_view where, const std::string& what) {
  return error{app_errc::invalid_config, std::string(where) + ": " + what};
}

std::string shown(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

// ---- value checks shared by flags and files ---------------------------------

// The checks below fail with a bare problem text; the caller says where.
error problem(std::string what) { return error{app_errc::invalid_config, std::move(what)}; }

result<libp2p::multiaddr> check_listen_address(std::string_view text) {
  auto a = libp2p::multiaddr::parse(text);
  if (!a) return problem(a.error().message());
  if (a->kind != libp2p::multiaddr::host_kind::ip4 && a->kind != libp2p::multiaddr::host_kind::ip6)
    return problem("'" + std::string(text) + "': a listen address must be /ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT");
  if (a->peer) return problem("'" + std::string(text) + "': a listen address has no /p2p/ part");
  return *a;
}

result<libp2p::multiaddr> check_peer_address(std::string_view text) {
  auto a = libp2p::multiaddr::parse(text);
  if (!a) return problem(a.error().message());
  if (!a->peer) return problem("'" + std::string(text) + "': a peer address must end in /p2p/PEER_ID");
  return *a;
}

result<host_port> check_host_port(std::string_view text) {
  auto hp = parse_host_port(text, "");
  if (!hp) return problem(hp.error().message().substr(2)); // drop the empty "what: "
  return *hp;
}

result<log::level> check_log_level(std::string_view text) {
  log::level l{};
  if (text == "off" || !log::parse_level(text, l))
    return problem("'" + std::string(text) + "' is not a log level (debug, info, warn or error)");
  return l;
}

std::string_view level_name(log::level l) {
  switch (l) {
  case log::level::debug: return "debug";
  case log::level::info: return "info";
  case log::level::warn: return "warn";
  case log::level::error: return "error";
  case log::level::off: return "off";
  }
  return "info";
}

// ---- trust ------------------------------------------------------------------

result<trust_source> parse_trust_object(const json::value& v, std::string_view what) {
  if (!v.is_object()) return config_error(what, "expected an object, got " + shown(v));
  trust_source t;
  bool have_authorities = false;
  for (const auto& kv : v.get_object()) {
    const std::string key(kv.key());
    const std::string where = std::string(what) + "." + key;
    const json::value& x = kv.value();
    if (key == "threshold") {
      if (!x.is_int64() && !x.is_uint64())
        return config_error(where, "expected an integer from 1 to 65535, got " + shown(x));
      const auto n = x.is_uint64() ? x.get_uint64() : static_cast<std::uint64_t>(x.get_int64());
      if ((x.is_int64() && x.get_int64() < 1) || n < 1 || n > 65535)
        return config_error(where, "expected an integer from 1 to 65535, got " + shown(x));
      t.threshold = static_cast<std::uint32_t>(n);
    } else if (key == "authorities") {
      if (!x.is_array()) return config_error(where, "expected an array of keys or peer ids, got " + shown(x));
      have_authorities = true;
      const auto& a = x.get_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string item_where = where + "[" + std::to_string(i) + "]";
        if (!a[i].is_string()) return config_error(item_where, "expected a string, got " + shown(a[i]));
        auto k = parse_authority(std::string_view(a[i].get_string()), item_where);
        if (!k) return k.error();
        t.authorities.push_back(*k);
      }
    } else if (key == "checkpoint") {
      hash256 h{};
      if (!x.is_string() || !from_hex_into(std::string_view(x.get_string()), h))
        return config_error(where, "expected 64 hex characters, got " + shown(x));
      t.checkpoint = h;
    } else if (key == "checkpoint_height") {
      if (!x.is_uint64() && !(x.is_int64() && x.get_int64() >= 0))
        return config_error(where, "expected a non-negative integer, got " + shown(x));
      t.checkpoint_height = x.is_uint64() ? x.get_uint64() : static_cast<std::uint64_t>(x.get_int64());
    } else {
      return config_error(what, "unknown key \"" + key + "\"");
    }
  }
  if (!have_authorities) return config_error(what, "\"authorities\" is missing");
  return t;
}

json::value trust_json(const snapshot::trust_config& t) {
  json::object o;
  o["threshold"] = t.threshold;
  json::array a;
  for (const auto& k : t.authorities) a.emplace_back(to_hex(k));
  o["authorities"] = std::move(a);
  o["checkpoint"] = to_hex(t.checkpoint);
  o["checkpoint_height"] = t.checkpoint_height;
  return o;
}

// ---- the config file's fields -----------------------------------------------

struct read_context {
  std::string file;  // for messages
  fs::path base_dir; // relative paths in the file resolve against it
  node_settings& s;
  std::optional<std::string> token;
  std::optional<fs::path> token_file;
  std::optional<log::level> log_level;
  bool http_listen = false;

  [[nodiscard]] error fail(const std::string& path, const std::string& what) const {
    return config_error(file, path + ": " + what);
  }
  [[nodiscard]] fs::path resolve(std::string_view p) const {
    fs::path path(p);
    if (path.is_relative() && !base_dir.empty()) path = base_dir / path;
    return path.lexically_normal();
  }
};

using field_reader = std::function<result<void>(const json::value&, const std::string&, read_context&)>;
using field_writer = std::function<json::value(const node_settings&)>;

struct config_field {
  std::string path;
  field_reader read;
  field_writer write;
};

result<std::uint64_t> read_uint(const json::value& v, const std::string& path, const read_context& c,
                                std::uint64_t min, std::uint64_t max) {
  std::optional<std::uint64_t> n;
  if (v.is_uint64()) n = v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) n = static_cast<std::uint64_t>(v.get_int64());
  if (!n || *n < min || *n > max) {
    return c.fail(path, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                          shown(v));
  }
  return *n;
}

result<std::string> read_string(const json::value& v, const std::string& path, const read_context& c) {
  if (!v.is_string()) return c.fail(path, "expected a string, got " + shown(v));
  if (v.get_string().empty()) return c.fail(path, "expected a non-empty string");
  return std::string(v.get_string());
}

template <class Get>
config_field uint_field(std::string path, Get get, std::uint64_t min, std::uint64_t max) {
  return {std::move(path),
          [get, min, max](const json::value& v, const std::string& p, read_context& c) -> result<void> {
            auto n = read_uint(v, p, c, min, max);
            if (!n) return n.error();
            auto& slot = get(c.s.options);
            slot = static_cast<std::remove_reference_t<decltype(slot)>>(*n);
            return {};
          },
          [get](const node_settings& s) { return json::value(static_cast<std::uint64_t>(get(s.options))); }};
}

template <class Get>
config_field ms_field(std::string path, Get get, std::uint64_t min = 1) {
  return {std::move(path),
          [get, min](const json::value& v, const std::string& p, read_context& c) -> result<void> {
            auto n = read_uint(v, p, c, min, max_duration_ms);
            if (!n) return n.error();
            get(c.s.options) = std::chrono::milliseconds(*n);
            return {};
          },
          [get](const node_settings& s) {
            return json::value(static_cast<std::uint64_t>(get(s.options).count()));
          }};
}

template <class Get>
config_field optional_uint_field(std::string path, Get get, std::uint64_t min, std::uint64_t max) {
  return {std::move(path),
          [get, min, max](const json::value& v, const std::string& p, read_context& c) -> result<void> {
            if (v.is_null()) {
              get(c.s.options).reset();
              return {};
            }
            auto n = read_uint(v, p, c, min, max);
            if (!n) return n.error();
            get(c.s.options) = *n;
            return {};
          },
          [get](const node_settings& s) {
            const auto& o = get(s.options);
            return o ? json::value(static_cast<std::uint64_t>(*o)) : json::value(nullptr);
          }};
}

template <class Get>
config_field bool_field(std::string path, Get get) {
  return {std::move(path),
          [get](const json::value& v, const std::string& p, read_context& c) -> result<void> {
            if (!v.is_bool()) return c.fail(p, "expected true or false, got " + shown(v));
            get(c.s.options) = v.get_bool();
            return {};
          },
          [get](const node_settings& s) { return json::value(get(s.options)); }};
}

template <class Get>
config_field path_field(std::string path, Get get) {
  return {std::move(path),
          [get](const json::value& v, const std::string& p, read_context& c) -> result<void> {
            auto text = read_string(v, p, c);
            if (!text) return text.error();
            get(c.s.options) = c.resolve(*text);
            return {};
          },
          [get](const node_settings& s) { return json::value(get(s.options).string()); }};
}

template <class Check>
result<std::vector<libp2p::multiaddr>> read_addresses(const json::value& v, const std::string& path,
                                                      const read_context& c, Check check, bool allow_single) {
  std::vector<libp2p::multiaddr> out;
  auto one = [&](const json::value& x, const std::string& where) -> result<void> {
    if (!x.is_string()) return c.fail(where, "expected a multiaddr string, got " + shown(x));
    auto a = check(std::string_view(x.get_string()));
    if (!a) return c.fail(where, a.error().message());
    out.push_back(std::move(*a));
    return {};
  };
  if (allow_single && v.is_string()) {
    if (auto ok = one(v, path); !ok) return ok.error();
    return out;
  }
  if (!v.is_array()) return c.fail(path, "expected an array of multiaddr strings, got " + shown(v));
  const auto& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (auto ok = one(a[i], path + "[" + std::to_string(i) + "]"); !ok) return ok.error();
  }
  return out;
}

json::value addresses_json(const std::vector<libp2p::multiaddr>& list) {
  json::array a;
  for (const auto& m : list) a.emplace_back(m.to_string());
  return a;
}

const std::vector<config_field>& config_fields() {
  static const std::vector<config_field> fields = [] {
    std::vector<config_field> f;
    f.push_back(path_field("data_dir", [](auto& o) -> auto& { return o.data_dir; }));
    f.push_back(path_field("key_file", [](auto& o) -> auto& { return o.key_file; }));
    f.push_back({"p2p_listen",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto list = read_addresses(v, p, c, check_listen_address, true);
                   if (!list) return list.error();
                   if (list->empty()) return c.fail(p, "expected at least one address");
                   c.s.options.p2p_listen = std::move(*list);
                   return {};
                 },
                 [](const node_settings& s) { return addresses_json(s.options.p2p_listen); }});
    f.push_back({"http_listen",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto text = read_string(v, p, c);
                   if (!text) return text.error();
                   auto hp = check_host_port(*text);
                   if (!hp) return c.fail(p, hp.error().message());
                   c.s.options.http_host = (*hp).host;
                   c.s.options.http_port = (*hp).port;
                   c.http_listen = true;
                   return {};
                 },
                 [](const node_settings& s) {
                   return json::value(to_string(host_port{s.options.http_host, s.options.http_port}));
                 }});
    f.push_back({"token",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   if (v.is_null()) {
                     c.token.reset();
                     return {};
                   }
                   if (!v.is_string()) return c.fail(p, "expected a string or null, got " + shown(v));
                   auto t = detail::check_token(std::string(v.get_string()));
                   if (!t) return c.fail(p, t.error().message());
                   c.token = std::move(*t);
                   return {};
                 },
                 [](const node_settings& s) {
                   return s.options.http.token ? json::value("<redacted>") : json::value(nullptr);
                 }});
    f.push_back({"token_file",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   if (v.is_null()) {
                     c.token_file.reset();
                     return {};
                   }
                   auto text = read_string(v, p, c);
                   if (!text) return text.error();
                   c.token_file = c.resolve(*text);
                   return {};
                 },
                 nullptr});
    f.push_back({"peers",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto list = read_addresses(v, p, c, check_peer_address, false);
                   if (!list) return list.error();
                   c.s.options.peers = std::move(*list);
                   return {};
                 },
                 [](const node_settings& s) { return addresses_json(s.options.peers); }});
    f.push_back({"trust",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto t = parse_trust_object(v, c.file + ": " + p);
                   if (!t) return t.error();
                   snapshot::trust_config trust;
                   trust.authorities = std::move(t->authorities);
                   if (t->threshold) trust.threshold = *t->threshold;
                   if (t->checkpoint) trust.checkpoint = *t->checkpoint;
                   if (t->checkpoint_height) trust.checkpoint_height = *t->checkpoint_height;
                   c.s.options.trust = std::move(trust);
                   return {};
                 },
                 [](const node_settings& s) { return trust_json(s.options.trust); }});
    f.push_back({"log_level",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto text = read_string(v, p, c);
                   if (!text) return text.error();
                   auto l = check_log_level(*text);
                   if (!l) return c.fail(p, l.error().message());
                   c.log_level = (*l);
                   return {};
                 },
                 [](const node_settings& s) { return json::value(level_name(s.log_level)); }});
    f.push_back({"rlpx_listen",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   if (v.is_null()) {
                     c.s.options.rlpx_listen.reset();
                     return {};
                   }
                   auto text = read_string(v, p, c);
                   if (!text) return text.error();
                   auto hp = check_host_port(*text);
                   if (!hp) return c.fail(p, hp.error().message());
                   c.s.options.rlpx_listen = to_string((*hp));
                   return {};
                 },
                 [](const node_settings& s) {
                   return s.options.rlpx_listen ? json::value(*s.options.rlpx_listen) : json::value(nullptr);
                 }});
    f.push_back(uint_field("scheduler_threads", [](auto& o) -> auto& { return o.scheduler_threads; }, 0, 1024));
    // One retention for the snapshots this node builds and those it syncs:
    // the provider prunes after a build, a finished sync job after its own.
    f.push_back({"retain_snapshots",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto n = read_uint(v, p, c, 1, 1000);
                   if (!n) return n.error();
                   c.s.options.provider.retain_snapshots = static_cast<std::size_t>(*n);
                   c.s.options.consumer.retain_snapshots = static_cast<std::size_t>(*n);
                   return {};
                 },
                 [](const node_settings& s) {
                   return json::value(static_cast<std::uint64_t>(s.options.provider.retain_snapshots));
                 }});

    // provider
    f.push_back(uint_field("provider.default_chunk_size",
                           [](auto& o) -> auto& { return o.provider.chunk_sizes.default_size; }, 1, 1ull << 30));
    f.push_back(uint_field("provider.min_chunk_size", [](auto& o) -> auto& { return o.provider.chunk_sizes.min_size; },
                           1, 1ull << 30));
    f.push_back(uint_field("provider.max_chunk_size", [](auto& o) -> auto& { return o.provider.chunk_sizes.max_size; },
                           1, 1ull << 30));
    f.push_back(uint_field("provider.max_active_sessions",
                           [](auto& o) -> auto& { return o.provider.sessions.max_active_sessions; }, 1, 1'000'000));
    f.push_back(ms_field("provider.session_idle_expiry_ms",
                         [](auto& o) -> auto& { return o.provider.sessions.idle_expiry; }));
    f.push_back(uint_field("provider.storage_workers", [](auto& o) -> auto& { return o.provider.storage_workers; }, 1,
                           256));
    f.push_back(ms_field("provider.storage_timeout_ms", [](auto& o) -> auto& { return o.provider.storage_timeout; }));
    f.push_back({"provider.page_size",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto n = read_uint(v, p, c, snapshot::min_page_size, snapshot::max_page_size);
                   if (!n) return n.error();
                   if (auto ok = snapshot::check_page_size(*n); !ok)
                     return c.fail(p, "expected a power of two from 4096 to 4194304, got " + shown(v));
                   c.s.options.provider.page_size = static_cast<std::uint32_t>(*n);
                   return {};
                 },
                 [](const node_settings& s) { return json::value(s.options.provider.page_size); }});
    f.push_back(uint_field("provider.breaker.failure_threshold",
                           [](auto& o) -> auto& { return o.provider.breakers.failure_threshold; }, 1, 1'000'000));
    f.push_back(ms_field("provider.breaker.window_ms", [](auto& o) -> auto& { return o.provider.breakers.window; }));
    f.push_back(
      ms_field("provider.breaker.cool_down_ms", [](auto& o) -> auto& { return o.provider.breakers.cool_down; }));
    f.push_back(uint_field("provider.upload_limit.bytes_per_second",
                           [](auto& o) -> auto& { return o.provider.upload_limit.bytes_per_second; }, 0,
                           max_upload_limit));
    f.push_back(uint_field("provider.upload_limit.per_peer_bytes_per_second",
                           [](auto& o) -> auto& { return o.provider.upload_limit.per_peer_bytes_per_second; }, 0,
                           max_upload_limit));

    // consumer
    f.push_back(bool_field("consumer.auto_resume", [](auto& o) -> auto& { return o.consumer.auto_resume; }));
    f.push_back(ms_field("consumer.request_timeout_ms",
                         [](auto& o) -> auto& { return o.consumer.session.request_timeout; }));
    f.push_back(optional_uint_field("consumer.min_chunk_size",
                                    [](auto& o) -> auto& { return o.consumer.session.min_chunk_size; }, 1,
                                    1ull << 30));
    f.push_back(optional_uint_field("consumer.max_chunk_size",
                                    [](auto& o) -> auto& { return o.consumer.session.max_chunk_size; }, 1,
                                    1ull << 30));
    f.push_back({"consumer.protocols",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   if (!v.is_array() || v.get_array().empty())
                     return c.fail(p, "expected a non-empty array of protocol ids, got " + shown(v));
                   std::vector<net::protocol_spec> list;
                   for (std::size_t i = 0; i < v.get_array().size(); ++i) {
                     const auto& x = v.get_array()[i];
                     const std::string where = p + "[" + std::to_string(i) + "]";
                     if (!x.is_string()) return c.fail(where, "expected a string, got " + shown(x));
                     const std::string_view id(x.get_string());
                     std::optional<net::protocol_spec> spec;
                     if (id == messages::protocol_v1_2) spec = net::snapshots_v1_2();
                     if (id == messages::protocol_v1_1) spec = net::snapshots_v1_1();
                     if (id == messages::protocol_v1_0) spec = net::snapshots_v1_0();
                     if (!spec)
                       return c.fail(where, "expected \"/rpp/snapshots/1.2.0\", \"/rpp/snapshots/1.1.0\" or "
                                            "\"/rpp/snapshots/1.0.0\", got " + shown(x));
                     for (const auto& earlier : list)
                       if (earlier.id == spec->id) return c.fail(where, std::string(id) + " is listed twice");
                     list.push_back(std::move(*spec));
                   }
                   c.s.options.consumer.session.protocols = std::move(list);
                   return {};
                 },
                 [](const node_settings& s) {
                   json::array a;
                   for (const auto& spec : s.options.consumer.session.protocols) a.emplace_back(spec.id);
                   return json::value(std::move(a));
                 }});
    f.push_back(uint_field("consumer.restart.max_retries",
                           [](auto& o) -> auto& { return o.consumer.restart.max_retries; }, 0, 1000));
    f.push_back(ms_field("consumer.restart.base_delay_ms",
                         [](auto& o) -> auto& { return o.consumer.restart.base_delay; }));
    f.push_back(ms_field("consumer.restart.max_delay_ms",
                         [](auto& o) -> auto& { return o.consumer.restart.max_delay; }));
    f.push_back(ms_field("consumer.discovery_timeout_ms",
                         [](auto& o) -> auto& { return o.consumer.discovery_timeout; }));
    f.push_back(uint_field("consumer.max_pending_writes",
                           [](auto& o) -> auto& { return o.consumer.max_pending_writes; }, 1, 1024));

    // host (libp2p)
    f.push_back(uint_field("host.max_connections", [](auto& o) -> auto& { return o.host.max_connections; }, 1,
                           1'000'000));
    f.push_back(uint_field("host.max_streams_per_connection",
                           [](auto& o) -> auto& { return o.host.max_streams_per_connection; }, 1, 65536));
    f.push_back(ms_field("host.handshake_timeout_ms", [](auto& o) -> auto& { return o.host.handshake_timeout; }));
    f.push_back(ms_field("host.idle_timeout_ms", [](auto& o) -> auto& { return o.host.idle_timeout; }));
    f.push_back(
      ms_field("host.stream_stall_timeout_ms", [](auto& o) -> auto& { return o.host.stream_stall_timeout; }));
    f.push_back(ms_field("host.inbound_request_timeout_ms",
                         [](auto& o) -> auto& { return o.host.inbound_request_timeout; }));
    f.push_back(uint_field("host.stream_receive_window",
                           [](auto& o) -> auto& { return o.host.stream_receive_window; },
                           libp2p::yamux_initial_window, std::numeric_limits<std::uint32_t>::max()));
    f.push_back(uint_field("host.max_stream_window", [](auto& o) -> auto& { return o.host.max_stream_window; },
                           libp2p::yamux_initial_window, std::numeric_limits<std::uint32_t>::max()));
    f.push_back(uint_field("host.max_connection_window",
                           [](auto& o) -> auto& { return o.host.max_connection_window; },
                           libp2p::yamux_initial_window, 1ull << 40));
    f.push_back(uint_field("host.max_yamux_frame", [](auto& o) -> auto& { return o.host.max_yamux_frame; }, 65536,
                           std::numeric_limits<std::uint32_t>::max()));
    f.push_back(uint_field("host.max_write_buffer", [](auto& o) -> auto& { return o.host.max_write_buffer; }, 65536,
                           1ull << 32));
    f.push_back(ms_field("host.shutdown_grace_ms", [](auto& o) -> auto& { return o.host.shutdown_grace; }, 0));

    // http (control plane)
    f.push_back(uint_field("http.header_limit", [](auto& o) -> auto& { return o.http.header_limit; }, 1024,
                           1u << 20));
    f.push_back(uint_field("http.body_limit", [](auto& o) -> auto& { return o.http.body_limit; }, 1024, 64u << 20));
    f.push_back(ms_field("http.read_timeout_ms", [](auto& o) -> auto& { return o.http.read_timeout; }));
    f.push_back(ms_field("http.idle_timeout_ms", [](auto& o) -> auto& { return o.http.idle_timeout; }));
    f.push_back(ms_field("http.write_timeout_ms", [](auto& o) -> auto& { return o.http.write_timeout; }));
    f.push_back(ms_field("http.backend_timeout_ms", [](auto& o) -> auto& { return o.http.backend_timeout; }));
    f.push_back(ms_field("http.event_poll_ms", [](auto& o) -> auto& { return o.http.event_poll; }));
    f.push_back(uint_field("http.max_connections", [](auto& o) -> auto& { return o.http.max_connections; }, 1,
                           1'000'000));
    f.push_back({"http.saturated_retry_after_s",
                 [](const json::value& v, const std::string& p, read_context& c) -> result<void> {
                   auto n = read_uint(v, p, c, 0, 3600);
                   if (!n) return n.error();
                   c.s.options.http.saturated_retry_after = std::chrono::seconds(*n);
                   return {};
                 },
                 [](const node_settings& s) {
                   return json::value(static_cast<std::uint64_t>(s.options.http.saturated_retry_after.count()));
                 }});
    return f;
  }();
  return fields;
}

constexpr std::array<std::string_view, 7> config_sections{"provider",         "provider.breaker",
                                                          "provider.upload_limit", "consumer",
                                                          "consumer.restart", "host", "http"};

const config_field* find_field(std::string_view path) {
  for (const auto& f : config_fields())
    if (f.path == path) return &f;
  return nullptr;
}

result<void> read_object(const json::object& obj, const std::string& prefix, read_context& c) {
  for (const auto& kv : obj) {
    const std::string path = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    if (const config_field* f = find_field(path)) {
      if (auto ok = f->read(kv.value(), path, c); !ok) return ok;
      continue;
    }
    if (std::find(config_sections.begin(), config_sections.end(), path) != config_sections.end()) {
      if (!kv.value().is_object()) return c.fail(path, "expected an object, got " + shown(kv.value()));
      if (auto ok = read_object(kv.value().get_object(), path, c); !ok) return ok;
      continue;
    }
    return config_error(c.file, "unknown key \"" + path + "\"");
  }
  return {};
}

// Relations between keys that each passed their own check.
result<void> check_relations(const node_options& o, const std::string& file) {
  const auto& cs = o.provider.chunk_sizes;
  if (cs.min_size > cs.default_size || cs.default_size > cs.max_size) {
    return config_error(file, "provider: chunk sizes must satisfy min_chunk_size <= default_chunk_size <= "
                              "max_chunk_size, got " + std::to_string(cs.min_size) + ", " +
                                std::to_string(cs.default_size) + ", " + std::to_string(cs.max_size));
  }
  const auto& s = o.consumer.session;
  if (s.min_chunk_size && s.max_chunk_size && *s.min_chunk_size > *s.max_chunk_size) {
    return config_error(file, "consumer: min_chunk_size " + std::to_string(*s.min_chunk_size) +
                                " exceeds max_chunk_size " + std::to_string(*s.max_chunk_size));
  }
  if (o.consumer.restart.base_delay > o.consumer.restart.max_delay) {
    return config_error(file, "consumer.restart: base_delay_ms " + std::to_string(o.consumer.restart.base_delay.count()) +
                                " exceeds max_delay_ms " + std::to_string(o.consumer.restart.max_delay.count()));
  }
  if (o.host.stream_receive_window > o.host.max_stream_window) {
    return config_error(file, "host: stream_receive_window " + std::to_string(o.host.stream_receive_window) +
                                " exceeds max_stream_window " + std::to_string(o.host.max_stream_window));
  }
  return {};
}

error flag_error(std::string_view flag, const std::string& what) {
  return usage_error("--" + std::string(flag) + ": " + what);
}

/// An upload limit flag: a size with an optional "/s" ("50MiB/s", "50MiB",
/// "0"), at most `max_upload_limit`.
result<std::uint64_t> parse_upload_limit(std::string_view text, std::string_view flag) {
  const std::string what = "--" + std::string(flag);
  std::string_view size = text;
  if (size.size() > 2 && (size.ends_with("/s") || size.ends_with("/S"))) size.remove_suffix(2);
  auto n = parse_size(size, what);
  if (!n) return usage_error(what + ": '" + std::string(text) +
                             "' is not a rate (a size per second, e.g. 50MiB/s; 0 = unlimited)");
  if (*n > max_upload_limit)
    return usage_error(what + ": " + std::string(text) + " is above 1TiB/s (" + std::to_string(max_upload_limit) +
                       " bytes per second)");
  return *n;
}

} // namespace

const command_spec& node_command_spec() { return node_spec; }

result<snapshot::ed25519_public_key> parse_authority(std::string_view text, std::string_view what) {
  snapshot::ed25519_public_key key{};
  if (text.size() == 64) {
    if (from_hex_into(text, key)) return key;
    return config_error(what, "'" + std::string(text) + "' is not 64 hex characters");
  }
  auto id = libp2p::peer_id::parse(text);
  if (!id) {
    return config_error(what, "'" + std::string(text) + "' is neither a 64-hex Ed25519 public key nor a peer id (" +
                                id.error().message() + ")");
  }
  auto pk = id->public_key();
  if (!pk) return config_error(what, "peer id " + std::string(text) + " does not embed an Ed25519 key");
  std::copy(pk->begin(), pk->end(), key.begin());
  return key;
}

result<trust_source> parse_trust_argument(std::string_view text) {
  if (text.size() == 64 || text.starts_with("12D3KooW")) {
    auto k = parse_authority(text, "--trust");
    if (!k) return usage_error(k.error().message());
    trust_source t;
    t.authorities.push_back(*k);
    return t;
  }
  std::error_code ec;
  if (!fs::exists(fs::path(text), ec)) {
    auto k = parse_authority(text, "--trust");
    if (k) {
      trust_source t;
      t.authorities.push_back(*k);
      return t;
    }
    if (libp2p::peer_id::parse(text)) return usage_error(k.error().message());
    return usage_error("--trust: '" + std::string(text) +
                       "' is not a 64-hex Ed25519 public key, a peer id, or an existing trust file");
  }
  auto doc = detail::read_json_file(fs::path(text));
  if (!doc) return doc.error();
  auto t = parse_trust_object(*doc, std::string(text));
  if (!t) return t.error();
  if (t->authorities.empty()) return config_error(text, "\"authorities\" is empty");
  return t;
}

result<node_settings> node_settings_from(const parsed_arguments& args, const node_environment& env) {
  node_settings s;
  read_context c{"", {}, s, {}, {}, {}, false};

  // 1. the config file
  if (auto file = args.value("config")) {
    auto doc = detail::read_json_file(*file);
    if (!doc) return doc.error();
    c.file = *file;
    c.base_dir = fs::path(*file).parent_path();
    if (!doc->is_object()) return config_error(*file, "the top level must be a JSON object");
    if (auto ok = read_object(doc->get_object(), "", c); !ok) return ok.error();
    if (c.token && c.token_file) return config_error(*file, "give \"token\" or \"token_file\", not both");
    if (auto ok = check_relations(s.options, *file); !ok) return ok.error();
  }

  // 2. flags
  if (auto v = args.value("data-dir")) {
    if (v->empty()) return flag_error("data-dir", "the path is empty");
    s.options.data_dir = *v;
  }
  if (auto v = args.value("key")) {
    if (v->empty()) return flag_error("key", "the path is empty");
    s.options.key_file = *v;
  }
  if (args.has("p2p-listen")) {
    s.options.p2p_listen.clear();
    for (const auto& v : args.values("p2p-listen")) {
      auto a = check_listen_address(v);
      if (!a) return flag_error("p2p-listen", a.error().message());
      s.options.p2p_listen.push_back(std::move(*a));
    }
  }
  if (auto v = args.value("http-listen")) {
    auto hp = check_host_port(*v);
    if (!hp) return flag_error("http-listen", hp.error().message());
    s.options.http_host = (*hp).host;
    s.options.http_port = (*hp).port;
    c.http_listen = true;
  }
  if (args.has("peer")) {
    s.options.peers.clear();
    for (const auto& v : args.values("peer")) {
      auto a = check_peer_address(v);
      if (!a) return flag_error("peer", a.error().message());
      s.options.peers.push_back(std::move(*a));
    }
  }
  const bool trust_flags = args.has("trust") || args.has("threshold");
  if (args.has("trust")) {
    snapshot::trust_config trust;
    std::optional<std::uint32_t> threshold;
    std::optional<hash256> checkpoint;
    std::optional<std::uint64_t> checkpoint_height;
    for (const auto& v : args.values("trust")) {
      auto t = parse_trust_argument(v);
      if (!t) return t.error();
      trust.authorities.insert(trust.authorities.end(), t->authorities.begin(), t->authorities.end());
      auto merge = [&](auto& into, const auto& from, std::string_view key) -> result<void> {
        if (!from) return {};
        if (into && *into != *from) return flag_error("trust", "two trust files give different \"" + std::string(key) + "\"");
        into = from;
        return {};
      };
      if (auto ok = merge(threshold, t->threshold, "threshold"); !ok) return ok.error();
      if (auto ok = merge(checkpoint, t->checkpoint, "checkpoint"); !ok) return ok.error();
      if (auto ok = merge(checkpoint_height, t->checkpoint_height, "checkpoint_height"); !ok) return ok.error();
    }
    if (threshold) trust.threshold = *threshold;
    if (checkpoint) trust.checkpoint = *checkpoint;
    if (checkpoint_height) trust.checkpoint_height = *checkpoint_height;
    s.options.trust = std::move(trust);
  }
  if (auto v = args.value("threshold")) {
    auto k = parse_uint(*v, "--threshold", 1, 65535);
    if (!k) return k.error();
    if (s.options.trust.authorities.empty())
      return flag_error("threshold", "there is no authority to count (give --trust)");
    s.options.trust.threshold = static_cast<std::uint32_t>(*k);
  }
  if (!s.options.trust.authorities.empty()) {
    if (auto ok = snapshot::check_trust(s.options.trust); !ok) {
      if (trust_flags) return usage_error(ok.error().message());
      return config_error(c.file, ok.error().message());
    }
  }
  if (auto v = args.value("rlpx-listen")) {
    auto hp = check_host_port(*v);
    if (!hp) return flag_error("rlpx-listen", hp.error().message());
    s.options.rlpx_listen = to_string((*hp));
  }
  if (args.has("no-auto-resume")) s.options.consumer.auto_resume = false;
  if (auto v = args.value("upload-limit")) {
    auto n = parse_upload_limit(*v, "upload-limit");
    if (!n) return n.error();
    s.options.provider.upload_limit.bytes_per_second = *n;
  }
  if (auto v = args.value("upload-limit-per-peer")) {
    auto n = parse_upload_limit(*v, "upload-limit-per-peer");
    if (!n) return n.error();
    s.options.provider.upload_limit.per_peer_bytes_per_second = *n;
  }
  s.check_config = args.has("check-config");

  // 3. log level: flag > config > SNAPSTREAM_LOG > info
  if (auto v = args.value("log-level")) {
    auto l = check_log_level(*v);
    if (!l) return flag_error("log-level", l.error().message());
    s.log_level = (*l);
  } else if (c.log_level) {
    s.log_level = *c.log_level;
  } else if (env.log_level) {
    log::level l{};
    if (log::parse_level(*env.log_level, l)) s.log_level = l;
  }

  // 4. token: --token-file > RPP_RPC_TOKEN > config
  if (auto v = args.value("token-file")) {
    auto t = detail::read_token_file(*v);
    if (!t) return t.error();
    s.options.http.token = std::move(*t);
    s.token_from = token_source::token_file;
  } else if (env.rpc_token) {
    auto t = detail::check_token(*env.rpc_token);
    if (!t) return problem("RPP_RPC_TOKEN: " + t.error().message());
    s.options.http.token = std::move(*t);
    s.token_from = token_source::environment;
  } else if (c.token) {
    s.options.http.token = *c.token;
    s.token_from = token_source::config;
  } else if (c.token_file) {
    auto t = detail::read_token_file(*c.token_file);
    if (!t) return t.error();
    s.options.http.token = std::move(*t);
    s.token_from = token_source::config;
  }

  // 5. required settings
  if (s.options.data_dir.empty()) return usage_error("missing required option --data-dir");
  if (s.options.key_file.empty()) return usage_error("missing required option --key");
  if (s.options.p2p_listen.empty()) return usage_error("missing required option --p2p-listen");
  if (!c.http_listen) return usage_error("missing required option --http-listen");
  return s;
}

json::value effective_config(const node_settings& s) {
  json::object root;
  for (const auto& f : config_fields()) {
    if (!f.write) continue;
    json::object* at = &root;
    std::string_view path = f.path;
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      const std::string section(path.substr(0, dot));
      auto& slot = (*at)[section];
      if (!slot.is_object()) slot = json::object{};
      at = &slot.get_object();
      path.remove_prefix(dot + 1);
    }
    (*at)[std::string(path)] = f.write(s);
    if (f.path == "token") root["token_source"] = to_string(s.token_from);
  }
  return root;
}

} // namespace snapstream::app
