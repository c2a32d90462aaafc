#include "app/detail/settings.hpp"

#include "app/detail/json_file.hpp"
#include "app/detail/token_file.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/libp2p/yamux.hpp"
#include "protocol/messages/wire.hpp"
#include "protocol/snapshot/page_builder.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <type_traits>

namespace snapstream::app::detail {

namespace json = boost::json;
namespace fs = std::filesystem;

// ---- a source ----------------------------------------------------------------

namespace {

std::string json_shown(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

} // namespace

error setting_source::fail(const std::string& where, const std::string& problem) const {
  if (!flag.empty()) return usage_error("--" + flag + ": " + problem);
  return error{app_errc::invalid_config, file + ": " + where + ": " + problem};
}

std::string setting_source::shown(const json::value& v) const { return flag.empty() ? json_shown(v) : flag_text; }

fs::path setting_source::resolve(std::string_view p) const {
  fs::path path(p);
  if (!flag.empty()) return path;
  if (path.is_relative() && !base_dir.empty()) path = base_dir / path;
  return path.lexically_normal();
}

namespace {

constexpr std::uint64_t max_duration_ms = 86'400'000; // one day
constexpr std::uint64_t max_upload_limit = 1ull << 40;  // bytes per second; 1 TiB/s

// ---- checks of one value, with a bare problem text ------------------------------

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

// ---- reading JSON values --------------------------------------------------------

std::optional<std::uint64_t> as_uint(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

result<std::uint64_t> read_uint(const json::value& v, const std::string& where, const setting_source& c,
                                std::uint64_t min, std::uint64_t max) {
  const auto n = as_uint(v);
  if (!n || *n < min || *n > max) {
    return c.fail(where, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                           ", got " + c.shown(v));
  }
  return *n;
}

result<std::string> read_string(const json::value& v, const std::string& where, const setting_source& c) {
  if (!v.is_string()) return c.fail(where, "expected a string, got " + c.shown(v));
  if (v.get_string().empty()) return c.fail(where, "expected a non-empty string");
  return std::string(v.get_string());
}

template <class Check>
result<std::vector<libp2p::multiaddr>> read_addresses(const json::value& v, const std::string& where,
                                                      const setting_source& c, Check check, bool allow_single) {
  std::vector<libp2p::multiaddr> out;
  auto one = [&](const json::value& x, const std::string& at) -> result<void> {
    if (!x.is_string()) return c.fail(at, "expected a multiaddr string, got " + c.shown(x));
    auto a = check(std::string_view(x.get_string()));
    if (!a) return c.fail(at, a.error().message());
    out.push_back(std::move(*a));
    return {};
  };
  if (allow_single && v.is_string()) {
    if (auto ok = one(v, where); !ok) return ok.error();
    return out;
  }
  if (!v.is_array()) return c.fail(where, "expected an array of multiaddr strings, got " + c.shown(v));
  const auto& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (auto ok = one(a[i], where + "[" + std::to_string(i) + "]"); !ok) return ok.error();
  }
  return out;
}

json::value addresses_json(const std::vector<libp2p::multiaddr>& list) {
  json::array a;
  for (const auto& m : list) a.emplace_back(m.to_string());
  return a;
}

// ---- how the docs write ranges ---------------------------------------------------

// 2^30, 2^32-1, 10^6 for the round limits; other numbers in decimal.
std::string number_doc(std::uint64_t n) {
  for (unsigned k = 30; k < 64; ++k) {
    if (n == 1ull << k) return "2^" + std::to_string(k);
    if (k >= 32 && n == (1ull << k) - 1) return "2^" + std::to_string(k) + "-1";
  }
  std::uint64_t p = 1'000'000;
  for (unsigned k = 6; k <= 18; ++k, p *= 10)
    if (n == p) return "10^" + std::to_string(k);
  return std::to_string(n);
}

enum class unit { count, bytes };

std::string range_doc(unit u, std::uint64_t min, std::uint64_t max) {
  const std::string lo = number_doc(min);
  const std::string hi = number_doc(max);
  if (u == unit::bytes) return "bytes, " + lo + " to " + hi;
  const bool plain = lo == std::to_string(min) && hi == std::to_string(max);
  return "integer " + lo + (plain ? "-" : " to ") + hi;
}

// ---- parsers ---------------------------------------------------------------------

// `Get` maps node_options (const or not) to the field the setting holds.

template <class Get>
setting_parser uint_value(Get get, std::uint64_t min, std::uint64_t max, unit u = unit::count) {
  return {[get, min, max](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto n = read_uint(v, where, c, min, max);
            if (!n) return n.error();
            auto& slot = get(c.settings.options);
            slot = static_cast<std::remove_reference_t<decltype(slot)>>(*n);
            return {};
          },
          [get](const node_settings& s) { return json::value(static_cast<std::uint64_t>(get(s.options))); },
          nullptr,
          flag_form::integer,
          range_doc(u, min, max)};
}

/// Bytes per second, at most 1TiB/s; a flag writes it as a rate ("50MiB/s").
template <class Get>
setting_parser rate_value(Get get) {
  return {[get](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            const auto n = as_uint(v);
            if (!n) {
              return c.fail(where, "expected an integer from 0 to " + std::to_string(max_upload_limit) + ", got " +
                                     c.shown(v));
            }
            if (*n > max_upload_limit) {
              return c.fail(where, c.shown(v) + " is above 1TiB/s (" + std::to_string(max_upload_limit) +
                                     " bytes per second)");
            }
            get(c.settings.options) = *n;
            return {};
          },
          [get](const node_settings& s) { return json::value(get(s.options)); },
          nullptr,
          flag_form::rate,
          range_doc(unit::bytes, 0, max_upload_limit)};
}

template <class Get>
setting_parser ms_value(Get get, std::uint64_t min = 1) {
  return {[get, min](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto n = read_uint(v, where, c, min, max_duration_ms);
            if (!n) return n.error();
            get(c.settings.options) = std::chrono::milliseconds(*n);
            return {};
          },
          [get](const node_settings& s) { return json::value(static_cast<std::uint64_t>(get(s.options).count())); },
          nullptr,
          flag_form::integer,
          min == 0 ? "duration, may be 0" : "duration"};
}

template <class Get>
setting_parser seconds_value(Get get, std::uint64_t min, std::uint64_t max) {
  return {[get, min, max](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto n = read_uint(v, where, c, min, max);
            if (!n) return n.error();
            get(c.settings.options) = std::chrono::seconds(*n);
            return {};
          },
          [get](const node_settings& s) { return json::value(static_cast<std::uint64_t>(get(s.options).count())); },
          nullptr,
          flag_form::integer,
          range_doc(unit::count, min, max)};
}

template <class Get>
setting_parser optional_uint_value(Get get, std::uint64_t min, std::uint64_t max) {
  return {[get, min, max](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            if (v.is_null()) {
              get(c.settings.options).reset();
              return {};
            }
            auto n = read_uint(v, where, c, min, max);
            if (!n) return n.error();
            get(c.settings.options) = *n;
            return {};
          },
          [get](const node_settings& s) {
            const auto& o = get(s.options);
            return o ? json::value(static_cast<std::uint64_t>(*o)) : json::value(nullptr);
          },
          nullptr,
          flag_form::integer,
          range_doc(unit::count, min, max) + " or null"};
}

template <class Get>
setting_parser bool_value(Get get, flag_form form = flag_form::set_true) {
  return {[get](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            if (!v.is_bool()) return c.fail(where, "expected true or false, got " + c.shown(v));
            get(c.settings.options) = v.get_bool();
            return {};
          },
          [get](const node_settings& s) { return json::value(get(s.options)); },
          nullptr,
          form,
          "boolean"};
}

template <class Get>
setting_parser path_value(Get get) {
  return {[get](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto text = read_string(v, where, c);
            if (!text) return text.error();
            get(c.settings.options) = c.resolve(*text);
            return {};
          },
          [get](const node_settings& s) { return json::value(get(s.options).string()); },
          nullptr,
          flag_form::text,
          "string"};
}

setting_parser p2p_listen_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto list = read_addresses(v, where, c, check_listen_address, true);
            if (!list) return list.error();
            if (list->empty()) return c.fail(where, "expected at least one address");
            c.settings.options.p2p_listen = std::move(*list);
            return {};
          },
          [](const node_settings& s) { return addresses_json(s.options.p2p_listen); },
          nullptr,
          flag_form::list,
          "string or array of strings"};
}

setting_parser peers_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto list = read_addresses(v, where, c, check_peer_address, false);
            if (!list) return list.error();
            c.settings.options.peers = std::move(*list);
            return {};
          },
          [](const node_settings& s) { return addresses_json(s.options.peers); },
          nullptr,
          flag_form::list,
          "array of strings"};
}

setting_parser http_listen_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto text = read_string(v, where, c);
            if (!text) return text.error();
            auto hp = check_host_port(*text);
            if (!hp) return c.fail(where, hp.error().message());
            c.settings.options.http_host = hp->host;
            c.settings.options.http_port = hp->port;
            return {};
          },
          [](const node_settings& s) {
            return json::value(to_string(host_port{s.options.http_host, s.options.http_port}));
          },
          nullptr,
          flag_form::text,
          "string `HOST:PORT`"};
}

setting_parser rlpx_listen_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            if (v.is_null()) {
              c.settings.options.rlpx_listen.reset();
              return {};
            }
            auto text = read_string(v, where, c);
            if (!text) return text.error();
            auto hp = check_host_port(*text);
            if (!hp) return c.fail(where, hp.error().message());
            c.settings.options.rlpx_listen = to_string(*hp);
            return {};
          },
          [](const node_settings& s) {
            return s.options.rlpx_listen ? json::value(*s.options.rlpx_listen) : json::value(nullptr);
          },
          nullptr,
          flag_form::text,
          "string `HOST:PORT` or null"};
}

// A built-in chain's name, or a chain config file (docs/rlpx.md "Chain configs").
setting_parser rlpx_network_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto text = read_string(v, where, c);
            if (!text) return text.error();
            if (const auto* chain = rlpx::eth::find_builtin_chain(*text)) {
              c.settings.options.rlpx_network = *text;
              c.settings.options.rlpx_chain = *chain;
              return {};
            }
            std::string names;
            for (const auto& b : rlpx::eth::builtin_chains()) names.append(names.empty() ? "" : ", ").append(b.name);
            const fs::path file = c.resolve(*text);
            std::error_code ec;
            if (!fs::is_regular_file(file, ec))
              return c.fail(where, "'" + *text + "' is neither a built-in network (" + names +
                                     ") nor a chain config file");
            auto bytes = read_text_file(file, max_json_file_size);
            if (!bytes) return c.fail(where, bytes.error().message());
            auto chain = rlpx::eth::parse_chain_config(*bytes);
            if (!chain) return c.fail(where, "chain config " + file.string() + ": " + chain.error().message());
            c.settings.options.rlpx_network = file.string();
            c.settings.options.rlpx_chain = std::move(*chain);
            return {};
          },
          [](const node_settings& s) { return json::value(s.options.rlpx_network); },
          nullptr,
          flag_form::text,
          "string: a network name or a chain config file"};
}

setting_parser token_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            if (v.is_null()) {
              c.token.reset();
              return {};
            }
            if (!v.is_string()) return c.fail(where, "expected a string or null, got " + c.shown(v));
            auto t = check_token(std::string(v.get_string()));
            if (!t) return c.fail(where, t.error().message());
            c.token = std::move(*t);
            return {};
          },
          [](const node_settings& s) {
            return s.options.http.token ? json::value("<redacted>") : json::value(nullptr);
          },
          nullptr,
          flag_form::text,
          "string or null"};
}

setting_parser token_file_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            if (v.is_null()) {
              c.token_file.reset();
              return {};
            }
            auto text = read_string(v, where, c);
            if (!text) return text.error();
            c.token_file = c.resolve(*text);
            return {};
          },
          nullptr, // the token it holds is shown as "token"
          nullptr,
          flag_form::text,
          "string or null"};
}

error from_trust_error(const error& e, app_errc code) { return error{code, e.message()}; }

setting_parser trust_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto t = snapshot::parse_trust_json(v, c.file + ": " + where);
            if (!t) return from_trust_error(t.error(), app_errc::invalid_config);
            auto trust = snapshot::merge_trust_sources(std::span(&*t, 1));
            if (!trust) return from_trust_error(trust.error(), app_errc::invalid_config);
            c.settings.options.trust = std::move(*trust);
            return {};
          },
          [](const node_settings& s) { return snapshot::trust_json(s.options.trust); },
          // Each value is a key, a peer id or a trust file; together they replace the file's trust.
          [](const std::vector<std::string>& values, setting_source& c) -> result<void> {
            std::vector<snapshot::trust_source> sources;
            for (const auto& v : values) {
              auto t = parse_trust_argument(v);
              if (!t) return t.error();
              sources.push_back(std::move(*t));
            }
            auto trust = snapshot::merge_trust_sources(sources);
            if (!trust) return c.fail("trust", trust.error().message());
            c.settings.options.trust = std::move(*trust);
            c.trust = true;
            return {};
          },
          flag_form::own,
          "object"};
}

// `--threshold` (`trust.threshold`): checked like a trust document's threshold,
// applied over the trust once every source was read.
setting_parser threshold_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto n = read_uint(v, where, c, 1, snapshot::max_trust_threshold);
            if (!n) return n.error();
            c.threshold = static_cast<std::uint32_t>(*n);
            return {};
          },
          nullptr, // shown inside "trust"
          nullptr,
          flag_form::integer,
          range_doc(unit::count, 1, snapshot::max_trust_threshold)};
}

setting_parser log_level_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto text = read_string(v, where, c);
            if (!text) return text.error();
            auto l = check_log_level(*text);
            if (!l) return c.fail(where, l.error().message());
            c.log_level = *l;
            return {};
          },
          [](const node_settings& s) { return json::value(level_name(s.log_level)); },
          nullptr,
          flag_form::text,
          "string"};
}

// One retention for the snapshots this node builds and those it syncs: the
// provider prunes after a build, a finished sync job after its own.
setting_parser retain_snapshots_value() {
  auto p = uint_value([](auto& o) -> auto& { return o.provider.retain_snapshots; }, 1, 1000);
  p.read = [](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
    auto n = read_uint(v, where, c, 1, 1000);
    if (!n) return n.error();
    c.settings.options.provider.retain_snapshots = static_cast<std::size_t>(*n);
    c.settings.options.consumer.retain_snapshots = static_cast<std::size_t>(*n);
    return {};
  };
  return p;
}

setting_parser page_size_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            auto n = read_uint(v, where, c, snapshot::min_page_size, snapshot::max_page_size);
            if (!n) return n.error();
            if (auto ok = snapshot::check_page_size(*n); !ok)
              return c.fail(where, "expected a power of two from 4096 to 4194304, got " + c.shown(v));
            c.settings.options.provider.page_size = static_cast<std::uint32_t>(*n);
            return {};
          },
          [](const node_settings& s) { return json::value(s.options.provider.page_size); },
          nullptr,
          flag_form::integer,
          "power of two " + std::to_string(snapshot::min_page_size) + "-" + std::to_string(snapshot::max_page_size)};
}

setting_parser protocols_value() {
  return {[](const json::value& v, const std::string& where, setting_source& c) -> result<void> {
            if (!v.is_array() || v.get_array().empty())
              return c.fail(where, "expected a non-empty array of protocol ids, got " + c.shown(v));
            std::vector<net::protocol_spec> list;
            for (std::size_t i = 0; i < v.get_array().size(); ++i) {
              const auto& x = v.get_array()[i];
              const std::string at = where + "[" + std::to_string(i) + "]";
              if (!x.is_string()) return c.fail(at, "expected a string, got " + c.shown(x));
              const std::string_view id(x.get_string());
              std::optional<net::protocol_spec> spec;
              if (id == messages::protocol_v1_3) spec = net::snapshots_v1_3();
              if (id == messages::protocol_v1_2) spec = net::snapshots_v1_2();
              if (id == messages::protocol_v1_1) spec = net::snapshots_v1_1();
              if (id == messages::protocol_v1_0) spec = net::snapshots_v1_0();
              if (!spec)
                return c.fail(at, "expected \"/rpp/snapshots/1.3.0\", \"/rpp/snapshots/1.2.0\", \"/rpp/snapshots/1.1.0\" or "
                                  "\"/rpp/snapshots/1.0.0\", got " + c.shown(x));
              for (const auto& earlier : list)
                if (earlier.id == spec->id) return c.fail(at, std::string(id) + " is listed twice");
              list.push_back(std::move(*spec));
            }
            c.settings.options.consumer.session.protocols = std::move(list);
            return {};
          },
          [](const node_settings& s) {
            json::array a;
            for (const auto& spec : s.options.consumer.session.protocols) a.emplace_back(spec.id);
            return json::value(std::move(a));
          },
          nullptr,
          flag_form::list,
          "array of strings"};
}

// Flags the command reads itself, or that only say what to do.
setting_parser config_flag() { return {nullptr, nullptr, nullptr, flag_form::none, ""}; }

setting_parser check_config_flag() {
  return {[](const json::value& v, const std::string&, setting_source& c) -> result<void> {
            c.settings.check_config = v.as_bool();
            return {};
          },
          nullptr,
          nullptr,
          flag_form::set_true,
          ""};
}

// ---- the table -------------------------------------------------------------------

// One function per section of the config file, each adding its rows in order.

void add_top_level(std::vector<setting>& t) {
  // The four required settings come first: `--help` shows them first.
  t.push_back({.key = "data_dir",
               .flag = "data-dir",
               .value_name = "DIR",
               .required = true,
               .help = "the node's database directory; its RocksDB lives in DIR/db (created when missing)",
               .parser = path_value([](auto& o) -> auto& { return o.data_dir; })});
  t.push_back({.key = "key_file",
               .flag = "key",
               .value_name = "FILE",
               .required = true,
               .help = "the node key file (snapstream keygen): libp2p identity and snapshot signing key",
               .parser = path_value([](auto& o) -> auto& { return o.key_file; })});
  t.push_back({.key = "p2p_listen",
               .flag = "p2p-listen",
               .value_name = "MULTIADDR",
               .required = true,
               .repeatable = true,
               .help = "libp2p listen address, /ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT (no /dns, no /p2p); port 0 "
                       "picks a free port",
               .default_note = "non-empty",
               .parser = p2p_listen_value()});
  t.push_back({.key = "http_listen",
               .flag = "http-listen",
               .value_name = "HOST:PORT",
               .required = true,
               .help = "HTTP control plane address (port 0 picks a free port)",
               .parser = http_listen_value()});
  t.push_back({.flag = "config",
               .value_name = "FILE",
               .help = "JSON config file (keys in docs/operations.md); flags override it",
               .parser = config_flag()});
  t.push_back({.key = "token",
               .doc = "the bearer token (not together with `token_file`)",
               .parser = token_value()});
  t.push_back({.key = "token_file",
               .flag = "token-file",
               .value_name = "FILE",
               .help = "file holding the control plane's bearer token (its contents without trailing spaces and "
                       "line ends)",
               .doc = "a file holding the token",
               .default_doc = "null",
               .parser = token_file_value()});
  t.push_back({.key = "peers",
               .flag = "peer",
               .value_name = "MULTIADDR",
               .repeatable = true,
               .help = "a peer to dial by id: /ip4/ADDR/tcp/PORT/p2p/PEER_ID (also /ip6, /dns4, /dns6)",
               .parser = peers_value()});
  t.push_back({.key = "trust",
               .flag = "trust",
               .value_name = "PUBKEY_OR_FILE",
               .repeatable = true,
               .help = "trusted authority: a peer id, a 64-hex Ed25519 key, or a trust file",
               .doc = "as a trust file: `threshold`, `authorities`, `checkpoint`, `checkpoint_height` (see "
                      "[Trust](#trust))",
               .default_doc = "no authority",
               .parser = trust_value()});
  t.push_back({.key = "trust.threshold",
               .flag = "threshold",
               .value_name = "K",
               .help = "signatures a light-client update needs, 1 to the number of authorities (default 1)",
               .parser = threshold_value()});
  t.push_back({.key = "log_level",
               .flag = "log-level",
               .value_name = "LEVEL",
               .help = "debug, info, warn or error (default info)",
               .doc = "`debug`, `info`, `warn`, `error`",
               .parser = log_level_value()});
  t.push_back({.key = "rlpx_listen",
               .flag = "rlpx-listen",
               .value_name = "HOST:PORT",
               .help = "also listen for devp2p RLPx connections",
               .default_note = "off",
               .parser = rlpx_listen_value()});
  t.push_back({.key = "rlpx_network",
               .flag = "network",
               .value_name = "NETWORK",
               .help = "the chain RLPx peers must share: mainnet, sepolia, classic, mordor, or a chain config file",
               .doc = "`mainnet`, `sepolia`, `classic`, `mordor`, or the path of a chain config file (see "
                      "[rlpx.md](rlpx.md#4b-chain-configs)): network id, genesis and fork schedule of the eth Status "
                      "we send and accept",
               .parser = rlpx_network_value()});
  t.push_back({.key = "scheduler_threads",
               .doc = "CAF worker threads; 0 = one per core",
               .parser = uint_value([](auto& o) -> auto& { return o.scheduler_threads; }, 0, 1024)});
  t.push_back({.key = "min_free_disk_bytes",
               .doc = "free space the data directory's file system keeps: a write that would leave less fails with "
                      "`no_space` (a sync fails, resumable once space is freed; the node stays up); 0 = no check",
               .parser = uint_value([](auto& o) -> auto& { return o.min_free_disk_bytes; }, 0, 1ull << 50,
                                    unit::bytes)});
  t.push_back({.key = "retain_snapshots",
               .doc = "complete snapshots the node keeps servable, built and synced ones together; a build, and a "
                      "finished sync, prune the older ones (partial snapshots, still being synced, are kept)",
               .parser = retain_snapshots_value()});
}

void add_provider(std::vector<setting>& t) {
  t.push_back({.key = "provider.default_chunk_size",
               .doc = "chunk size when the consumer proposes none",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.chunk_sizes.default_size; }, 1,
                                    1ull << 30)});
  t.push_back({.key = "provider.min_chunk_size",
               .doc = "smallest chunk size granted",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.chunk_sizes.min_size; }, 1, 1ull << 30)});
  t.push_back({.key = "provider.max_chunk_size",
               .doc = "largest chunk size granted (also capped by the protocol's response size); `min <= default <= "
                      "max`",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.chunk_sizes.max_size; }, 1, 1ull << 30)});
  t.push_back({.key = "provider.max_active_sessions",
               .doc = "sessions served at once; more are refused as saturated",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.sessions.max_active_sessions; }, 1,
                                    1'000'000)});
  t.push_back({.key = "provider.session_idle_expiry_ms",
               .doc = "a session without requests for this long stops counting against the cap (it can still "
                      "resume)",
               .parser = ms_value([](auto& o) -> auto& { return o.provider.sessions.idle_expiry; })});
  t.push_back({.key = "provider.max_active_sessions_per_peer",
               .doc = "sessions one consumer peer may have active at once, so one peer cannot take every place; more "
                      "are refused as saturated",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.sessions.max_active_per_peer; }, 1,
                                    1'000'000)});
  t.push_back({.key = "provider.max_session_records_per_peer",
               .doc = "unfinished session records (each a synced write, kept for resume) one consumer peer may "
                      "hold; a new session beyond it is refused as saturated",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.sessions.max_records_per_peer; }, 1,
                                    1'000'000)});
  t.push_back({.key = "provider.session_record_expiry_ms",
               .doc = "a session without requests for this long is forgotten and its record erased (a later resume "
                      "of it is refused as not found)",
               .parser = ms_value([](auto& o) -> auto& { return o.provider.sessions.record_expiry; })});
  t.push_back({.key = "provider.storage_workers",
               .doc = "threads that read and write storage for the provider",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.storage_workers; }, 1, 256)});
  t.push_back({.key = "provider.storage_timeout_ms",
               .doc = "longest a storage task may take before the request is answered with an error",
               .parser = ms_value([](auto& o) -> auto& { return o.provider.storage_timeout; })});
  t.push_back({.key = "provider.page_size",
               .doc = "page size of the snapshots this node builds (`POST /snapshots`)",
               .parser = page_size_value()});
  t.push_back({.key = "provider.breaker.failure_threshold",
               .doc = "failures of one peer inside the window that open its breaker",
               .parser = uint_value([](auto& o) -> auto& { return o.provider.breakers.failure_threshold; }, 1,
                                    1'000'000)});
  t.push_back({.key = "provider.breaker.window_ms",
               .doc = "the sliding window",
               .parser = ms_value([](auto& o) -> auto& { return o.provider.breakers.window; })});
  t.push_back({.key = "provider.breaker.cool_down_ms",
               .doc = "how long an open breaker refuses the peer before one trial request",
               .parser = ms_value([](auto& o) -> auto& { return o.provider.breakers.cool_down; })});
  t.push_back({.key = "provider.upload_limit.bytes_per_second",
               .flag = "upload-limit",
               .value_name = "BYTES/s",
               .help = "bytes per second of chunk responses this node sends, all peers together, e.g. 50MiB/s, at "
                       "most 1TiB/s (0 = unlimited)",
               .doc = "as `--upload-limit`: chunk response bytes per second, as written on the wire, all peers "
                      "together; an idle node may send one second's worth at once",
               .default_note = "unlimited",
               .parser = rate_value([](auto& o) -> auto& { return o.provider.upload_limit.bytes_per_second; })});
  t.push_back({.key = "provider.upload_limit.per_peer_bytes_per_second",
               .flag = "upload-limit-per-peer",
               .value_name = "BYTES/s",
               .help = "bytes per second of chunk responses to each consumer peer (0 = unlimited)",
               .doc = "as `--upload-limit-per-peer`; keep a chunk well under a few seconds' worth, or a consumer's "
                      "request times out",
               .default_note = "unlimited",
               .parser = rate_value(
                 [](auto& o) -> auto& { return o.provider.upload_limit.per_peer_bytes_per_second; })});
}

void add_consumer(std::vector<setting>& t) {
  t.push_back({.key = "consumer.auto_resume",
               .flag = "no-auto-resume",
               .help = "do not resume unfinished sync sessions at start",
               .doc = "resume unfinished sessions when the node starts",
               .parser = bool_value([](auto& o) -> auto& { return o.consumer.auto_resume; }, flag_form::set_false)});
  t.push_back({.key = "consumer.request_timeout_ms",
               .doc = "longest wait for one response, dial included",
               .parser = ms_value([](auto& o) -> auto& { return o.consumer.session.request_timeout; })});
  t.push_back({.key = "consumer.min_chunk_size",
               .doc = "the consumer's lower chunk size bound sent with the plan request",
               .parser = optional_uint_value([](auto& o) -> auto& { return o.consumer.session.min_chunk_size; }, 1,
                                             1ull << 30)});
  t.push_back({.key = "consumer.max_chunk_size",
               .doc = "the upper bound; `min <= max`",
               .parser = optional_uint_value([](auto& o) -> auto& { return o.consumer.session.max_chunk_size; }, 1,
                                             1ull << 30)});
  t.push_back({.key = "consumer.protocols",
               .doc = "protocols offered, in preference order; each once (a provider that speaks only 1.1.0 or 1.0.0 "
                      "offers just its latest complete snapshot; 1.3.0 saves the base64 third and one round trip "
                      "per chunk, docs/protocol.md 2.8)",
               .parser = protocols_value()});
  t.push_back({.key = "consumer.discovery_timeout_ms",
               .doc = "how long a session without a plan keeps asking its providers (given none: the node's known "
                      "and connected peers) for offers before it fails with what it was offered",
               .parser = ms_value([](auto& o) -> auto& { return o.consumer.discovery_timeout; })});
  t.push_back({.key = "consumer.max_pending_writes",
               .doc = "verified chunks of one session waiting for their write, at most (each provider adds at most "
                      "two)",
               .parser = uint_value([](auto& o) -> auto& { return o.consumer.max_pending_writes; }, 1, 1024)});
  t.push_back({.key = "consumer.restart.max_retries",
               .doc = "automatic retries of a provider within a session after a transient failure (the count starts "
                      "over each time it delivers something), and of a session resumed at start",
               .parser = uint_value([](auto& o) -> auto& { return o.consumer.restart.max_retries; }, 0, 1000)});
  t.push_back({.key = "consumer.restart.base_delay_ms",
               .doc = "backoff base: retry n waits a random time in [base·2^n/2, base·2^n]",
               .parser = ms_value([](auto& o) -> auto& { return o.consumer.restart.base_delay; })});
  t.push_back({.key = "consumer.restart.max_delay_ms",
               .doc = "backoff cap; `base_delay_ms <= max_delay_ms`",
               .parser = ms_value([](auto& o) -> auto& { return o.consumer.restart.max_delay; })});
}

void add_host(std::vector<setting>& t) {
  t.push_back({.key = "host.max_connections",
               .doc = "connections open at once; more inbound are closed after accept",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_connections; }, 1, 1'000'000)});
  t.push_back({.key = "host.max_connections_per_ip",
               .doc = "inbound connections from one IPv4 address or IPv6 /56, loopback included; more are closed "
                      "after accept",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_connections_per_ip; }, 1, 1'000'000)});
  t.push_back({.key = "host.max_streams_per_connection",
               .doc = "Yamux streams per connection",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_streams_per_connection; }, 1, 65536)});
  t.push_back({.key = "host.handshake_timeout_ms",
               .doc = "TCP connect plus the whole upgrade",
               .parser = ms_value([](auto& o) -> auto& { return o.host.handshake_timeout; })});
  t.push_back({.key = "host.idle_timeout_ms",
               .doc = "a connection without streams for this long is closed",
               .parser = ms_value([](auto& o) -> auto& { return o.host.idle_timeout; })});
  t.push_back({.key = "host.stream_stall_timeout_ms",
               .doc = "a stream read or write without progress for this long resets the stream",
               .parser = ms_value([](auto& o) -> auto& { return o.host.stream_stall_timeout; })});
  t.push_back({.key = "host.inbound_request_timeout_ms",
               .doc = "time an inbound request gets, handler included",
               .parser = ms_value([](auto& o) -> auto& { return o.host.inbound_request_timeout; })});
  t.push_back({.key = "host.stream_receive_window",
               .doc = "receive window of a generic stream reader; at most `max_stream_window`",
               .parser = uint_value([](auto& o) -> auto& { return o.host.stream_receive_window; },
                                    libp2p::yamux_initial_window, std::numeric_limits<std::uint32_t>::max(),
                                    unit::bytes)});
  t.push_back({.key = "host.max_stream_window",
               .doc = "largest receive window of one stream",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_stream_window; },
                                    libp2p::yamux_initial_window, std::numeric_limits<std::uint32_t>::max(),
                                    unit::bytes)});
  t.push_back({.key = "host.max_connection_window",
               .doc = "receive window beyond the initial 256 KiB summed over a connection's streams",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_connection_window; },
                                    libp2p::yamux_initial_window, 1ull << 40, unit::bytes)});
  t.push_back({.key = "host.max_yamux_frame",
               .doc = "largest Yamux data frame accepted",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_yamux_frame; }, 65536,
                                    std::numeric_limits<std::uint32_t>::max(), unit::bytes)});
  t.push_back({.key = "host.max_write_buffer",
               .doc = "unsent bytes queued per connection before writers wait",
               .parser = uint_value([](auto& o) -> auto& { return o.host.max_write_buffer; }, 65536, 1ull << 32,
                                    unit::bytes)});
  t.push_back({.key = "host.shutdown_grace_ms",
               .doc = "how long stopping lets connections flush their GoAway",
               .parser = ms_value([](auto& o) -> auto& { return o.host.shutdown_grace; }, 0)});
}

void add_http(std::vector<setting>& t) {
  t.push_back({.key = "http.header_limit",
               .doc = "largest request header block (larger: 431)",
               .parser = uint_value([](auto& o) -> auto& { return o.http.header_limit; }, 1024, 1u << 20,
                                    unit::bytes)});
  t.push_back({.key = "http.body_limit",
               .doc = "largest request body (larger: 413)",
               .parser = uint_value([](auto& o) -> auto& { return o.http.body_limit; }, 1024, 64u << 20,
                                    unit::bytes)});
  t.push_back({.key = "http.read_timeout_ms",
               .doc = "time to receive one request once its first byte came",
               .parser = ms_value([](auto& o) -> auto& { return o.http.read_timeout; })});
  t.push_back({.key = "http.idle_timeout_ms",
               .doc = "time a connection may wait for its next request",
               .parser = ms_value([](auto& o) -> auto& { return o.http.idle_timeout; })});
  t.push_back({.key = "http.write_timeout_ms",
               .doc = "time to send one response",
               .parser = ms_value([](auto& o) -> auto& { return o.http.write_timeout; })});
  t.push_back({.key = "http.backend_timeout_ms",
               .doc = "time the node may take to answer (then 504)",
               .parser = ms_value([](auto& o) -> auto& { return o.http.backend_timeout; })});
  t.push_back({.key = "http.event_poll_ms",
               .doc = "`GET /events` long-poll and heartbeat interval",
               .parser = ms_value([](auto& o) -> auto& { return o.http.event_poll; })});
  t.push_back({.key = "http.max_connections",
               .doc = "open connections; more get 503",
               .parser = uint_value([](auto& o) -> auto& { return o.http.max_connections; }, 1, 1'000'000)});
  t.push_back({.key = "http.saturated_retry_after_s",
               .doc = "`Retry-After` seconds of a 503 `saturated`",
               .parser = seconds_value([](auto& o) -> auto& { return o.http.saturated_retry_after; }, 0, 3600)});
}

std::vector<setting> make_table() {
  std::vector<setting> t;
  add_top_level(t);
  add_provider(t);
  add_consumer(t);
  add_host(t);
  add_http(t);
  t.push_back({.flag = "check-config",
               .help = "print the effective configuration as JSON and exit, starting nothing",
               .parser = check_config_flag()});
  return t;
}

// The setting whose key is `key`, or null.
const setting* find_key(std::string_view key) {
  for (const auto& s : node_settings_table())
    if (!s.key.empty() && s.key == key) return &s;
  return nullptr;
}

// A section is a proper prefix of a key ("provider", "provider.breaker") that
// is not itself a setting ("trust" is: `trust.threshold` lives inside it).
bool is_section(std::string_view path) {
  if (find_key(path) != nullptr) return false;
  for (const auto& s : node_settings_table())
    if (s.key.size() > path.size() && s.key.starts_with(path) && s.key[path.size()] == '.') return true;
  return false;
}

// A key inside another setting's value: read and shown by that setting.
bool is_nested(std::string_view key) {
  for (auto dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.', dot + 1))
    if (find_key(key.substr(0, dot)) != nullptr) return true;
  return false;
}

result<void> read_object(const json::object& obj, const std::string& prefix, setting_source& c) {
  for (const auto& kv : obj) {
    const std::string path = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    if (const setting* s = find_key(path); s != nullptr && s->parser.read) {
      if (auto ok = s->parser.read(kv.value(), path, c); !ok) return ok;
      c.given.push_back(s->key);
      continue;
    }
    if (is_section(path)) {
      if (!kv.value().is_object()) return c.fail(path, "expected an object, got " + c.shown(kv.value()));
      if (auto ok = read_object(kv.value().get_object(), path, c); !ok) return ok;
      continue;
    }
    return error{app_errc::invalid_config, c.file + ": unknown key \"" + path + "\""};
  }
  return {};
}

// A flag's words as the JSON value its parser reads.
result<json::value> flag_value(const setting& s, const std::vector<std::string>& words, setting_source& c) {
  const std::string& text = words.back();
  switch (s.parser.form) {
  case flag_form::text: return json::value(json::string(text));
  case flag_form::list: {
    json::array a;
    for (const auto& w : words) a.emplace_back(json::string(w));
    return json::value(std::move(a));
  }
  case flag_form::integer: {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return c.fail("", "'" + text + "' is not a number");
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    (void)p;
    // Beyond 64 bits: the parser's range check says what it takes.
    if (ec != std::errc{}) return json::value(json::string(text));
    return json::value(n);
  }
  case flag_form::rate: {
    std::string_view size = text;
    if (size.size() > 2 && (size.ends_with("/s") || size.ends_with("/S"))) size.remove_suffix(2);
    auto n = parse_size(size, "--" + std::string(s.flag));
    if (!n) return c.fail("", "'" + text + "' is not a rate (a size per second, e.g. 50MiB/s; 0 = unlimited)");
    return json::value(*n);
  }
  case flag_form::set_false: return json::value(false);
  case flag_form::set_true: return json::value(true);
  case flag_form::own:
  case flag_form::none: break;
  }
  return json::value(nullptr);
}

std::vector<option_spec> make_flags() {
  std::vector<option_spec> out;
  for (const auto& s : node_settings_table()) {
    if (s.flag.empty()) continue;
    // The required settings may come from the config file instead.
    out.push_back({s.flag, s.value_name, s.help, false, s.repeatable, s.required});
  }
  return out;
}

// ---- the docs -------------------------------------------------------------------

// Appends, not operator+ on temporaries: g++ 12 reports a false -Wrestrict there.
std::string md_code(std::string_view text) {
  std::string s;
  s.append("`").append(text).append("`");
  return s;
}

std::string default_doc(const setting& s) {
  if (s.required) {
    return "— (required" + (s.default_note.empty() ? std::string() : ", " + std::string(s.default_note)) + ")";
  }
  if (!s.default_doc.empty()) return std::string(s.default_doc);
  const json::value v = s.parser.write(node_settings{});
  std::string text;
  if (v.is_string()) {
    text = md_code(std::string_view(v.get_string()));
  } else if (v.is_array()) {
    std::string items;
    for (const auto& x : v.get_array()) items += (items.empty() ? "" : ", ") + json::serialize(x);
    text = md_code("[" + items + "]");
  } else {
    text = json::serialize(v);
  }
  if (!s.default_note.empty()) text += " (" + std::string(s.default_note) + ")";
  return text;
}

std::string flags_markdown() {
  std::string out = "| option | config key | |\n|---|---|---|\n";
  for (const auto& s : node_settings_table()) {
    if (s.flag.empty()) continue;
    std::string option = "--" + std::string(s.flag);
    if (!s.value_name.empty()) option += " " + std::string(s.value_name);
    std::string key;
    if (!s.key.empty()) {
      key = std::string(s.key);
      if (s.parser.form == flag_form::set_false) key += ": false";
      key = md_code(key);
    }
    std::string marks;
    if (s.required) marks = "required";
    if (s.repeatable) marks += marks.empty() ? "repeatable" : ", repeatable";
    out += "| " + md_code(option) + " | " + (key.empty() ? "" : key + " ") + "| " +
           (marks.empty() ? "" : marks + "; ") + std::string(s.help) + " |\n";
  }
  return out;
}

struct key_group {
  std::string_view section; ///< "" for the top level
  std::string_view heading;
};

constexpr std::array<key_group, 5> key_groups{{
  {"", "Top level"},
  {"provider", "`provider` — serving snapshots"},
  {"consumer", "`consumer` — syncing from peers"},
  {"host", "`host` — the libp2p transport ([transport.md](transport.md))"},
  {"http", "`http` — the control plane ([http.md](http.md#limits-and-timeouts))"},
}};

std::string keys_markdown() {
  std::string out;
  for (const auto& g : key_groups) {
    if (!out.empty()) out += "\n";
    out += "#### " + std::string(g.heading) + "\n\n| key | type | default | |\n|---|---|---|---|\n";
    for (const auto& s : node_settings_table()) {
      if (s.key.empty() || is_nested(s.key)) continue;
      std::string_view key = s.key;
      const auto dot = key.find('.');
      const std::string_view section = dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
      if (section != g.section) continue;
      if (!section.empty()) key.remove_prefix(dot + 1);
      const std::string doc = !s.doc.empty() ? std::string(s.doc) : "as " + md_code("--" + std::string(s.flag));
      out += "| " + md_code(key) + " | " + s.parser.type + " | " + default_doc(s) + " | " + doc + " |\n";
    }
  }
  return out;
}

std::string usage_markdown() {
  const std::string usage = usage_text(node_command_spec());
  return "```\n" + usage.substr(0, usage.find("\n\n") + 1) + "```\n";
}

constexpr std::array<std::string_view, 3> reference_parts{"node-usage", "node-flags", "node-keys"};

} // namespace

const std::vector<setting>& node_settings_table() {
  static const std::vector<setting> table = make_table();
  return table;
}

std::span<const option_spec> node_flags() {
  static const std::vector<option_spec> flags = make_flags();
  return flags;
}

result<void> read_config_object(const json::object& top, setting_source& file) { return read_object(top, "", file); }

result<void> read_flags(const parsed_arguments& args, setting_source& flags) {
  for (const auto& s : node_settings_table()) {
    if (s.flag.empty() || !args.has(s.flag)) continue;
    const auto words = args.values(s.flag);
    flags.flag = std::string(s.flag);
    flags.flag_text = words.back();
    result<void> ok;
    if (s.parser.form == flag_form::own) {
      ok = s.parser.read_flag(words, flags);
    } else if (s.parser.read) {
      auto v = flag_value(s, words, flags);
      if (!v) return v.error();
      ok = s.parser.read(*v, std::string(s.key), flags);
    } else {
      continue; // read by the command itself
    }
    if (!ok) return ok;
    flags.given.push_back(s.key.empty() ? s.flag : s.key);
  }
  flags.flag.clear();
  flags.flag_text.clear();
  return {};
}

json::value settings_json(const node_settings& s) {
  json::object root;
  for (const auto& f : node_settings_table()) {
    if (f.key.empty() || !f.parser.write) continue;
    json::object* at = &root;
    std::string_view path = f.key;
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      auto& slot = (*at)[std::string(path.substr(0, dot))];
      if (!slot.is_object()) slot = json::object{};
      at = &slot.get_object();
      path.remove_prefix(dot + 1);
    }
    (*at)[std::string(path)] = f.parser.write(s);
    if (f.key == "token") root["token_source"] = to_string(s.token_from);
  }
  return root;
}

std::span<const std::string_view> settings_reference_parts() { return reference_parts; }

std::string settings_reference(std::string_view part) {
  if (part == "node-usage") return usage_markdown();
  if (part == "node-flags") return flags_markdown();
  if (part == "node-keys") return keys_markdown();
  return {};
}

} // namespace snapstream::app::detail
