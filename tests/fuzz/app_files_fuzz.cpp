// libFuzzer target for the files an operator hands the node (app/detail and
// the key file reader); the first byte picks:
//   0 parse_json (config and trust files): strict JSON, no repeated key;
//     what parses serializes and parses back to the same value
//   1 the config file (read_config_object over the settings table): the
//     effective configuration it yields reads back to the same configuration
//   2 check_token: an accepted token is unchanged and accepted again
//   3 read_token_file: the token is the file's text without trailing blanks
//     and passes check_token
//   4 the node key file (libp2p::load_identity, a 0600 file): a loaded key
//     writes back the same 68 bytes; `--trust` given the same file says it
//     is a key file, not a trust (parse_trust_argument)
//   5 parse_trust_argument of a text (key, peer id or trust file name)
// Every failure is a typed error with a message; config errors name the file.
//
// Files are written to a private scratch directory; the runner gives the
// fuzzer /dev/null as stdin, since a config may name any path (a chain config
// file) and the node reads it.

#include "fuzz_util.hpp"

#include "app/detail/json_file.hpp"
#include "app/detail/settings.hpp"
#include "app/detail/token_file.hpp"
#include "app/node_config.hpp"
#include "protocol/libp2p/identity.hpp"

#include <boost/json/serialize.hpp>

#include <cmath>

#include <sys/stat.h>
#include <unistd.h>

using namespace snapstream;
using namespace snapstream::app;
using snapstream::fuzz::require;
namespace fs = std::filesystem;

namespace {

const fs::path& scratch() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("snapstream-fuzz-app-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch(), ec);
    });
    return d;
  }();
  return dir;
}

fs::path write_file(std::string_view name, bytes_view bytes, fs::perms mode) {
  const fs::path p = scratch() / std::string(name);
  std::error_code ec;
  fs::remove(p, ec);
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.close();
  fs::permissions(p, mode, ec);
  return p;
}

/// Equal JSON values, numbers compared by value: Boost.JSON 1.81 parses
/// long decimal numbers only to within an ulp or so, so a double that went
/// through text may come back one ulp away.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y || std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!same_json(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& kv : p) {
      const auto* other = q.if_contains(kv.key());
      if (other == nullptr || !same_json(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

/// True when `v` holds a number beyond double's range (parse_json reads a
/// 400-digit integer as infinity, whose serialization does not parse back).
bool has_non_finite(const boost::json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& x : v.get_array())
      if (has_non_finite(x)) return true;
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object())
      if (has_non_finite(kv.value())) return true;
  }
  return false;
}

void fuzz_json(std::string_view text) {
  auto v = app::detail::parse_json(text, "config.json");
  if (!fuzz::ok_or_typed(v, "parse_json")) {
    require(v.error().message().starts_with("config.json: "), "a JSON error names the file");
    return;
  }
  if (has_non_finite(*v)) return;
  const std::string written = boost::json::serialize(*v);
  auto again = app::detail::parse_json(written, "again.json");
  require(again.has_value() && same_json(*again, *v), "JSON serialize -> parse round trip");
  (void)app::detail::pretty_json(*v);
}

/// The effective configuration as a config file would hold it (without the
/// token, which `settings_json` redacts, and its source, nor unset required
/// paths).
boost::json::object readable(const node_settings& s) {
  boost::json::value v = app::detail::settings_json(s);
  require(v.is_object(), "the effective configuration is an object");
  boost::json::object o = v.get_object();
  o.erase("token");
  o.erase("token_source");
  // A required path the file did not set (the flags must) shows as "".
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_string() && it->value().get_string().empty()) it = o.erase(it);
    else ++it;
  }
  return o;
}

void fuzz_config(std::string_view text) {
  auto v = app::detail::parse_json(text, "node.json");
  if (!v || !v->is_object()) return;
  node_settings s;
  app::detail::setting_source file{.settings = s};
  file.file = (scratch() / "node.json").string();
  file.base_dir = scratch();
  auto ok = app::detail::read_config_object(v->get_object(), file);
  if (!fuzz::ok_or_typed(ok, "read_config_object")) {
    require(ok.error().message().starts_with(file.file), "a config error names the file");
    return;
  }
  // The round trip needs every required setting: the flags may give them,
  // and an unset one shows as an empty value the file may not hold.
  for (const auto& setting : app::detail::node_settings_table()) {
    if (setting.required && !setting.key.empty() &&
        std::find(file.given.begin(), file.given.end(), setting.key) == file.given.end())
      return;
  }
  const boost::json::object first = readable(s);
  node_settings s2;
  app::detail::setting_source file2{.settings = s2};
  file2.file = file.file;
  file2.base_dir = scratch();
  auto again = app::detail::read_config_object(first, file2);
  if (!again) {
    std::fprintf(stderr, "effective config %s refused: %s\n", boost::json::serialize(first).c_str(),
                 again.error().message().c_str());
  }
  require(again.has_value(), "the effective configuration reads back");
  require(same_json(boost::json::value(readable(s2)), boost::json::value(first)),
          "config -> effective config -> config is stable");
}

void fuzz_token(std::string_view text) {
  auto t = app::detail::check_token(std::string(text));
  if (!fuzz::ok_or_typed(t, "check_token")) return;
  require(*t == text, "an accepted token is unchanged");
}

void fuzz_token_file(bytes_view bytes) {
  const fs::path p = write_file("token", bytes, fs::perms::owner_read | fs::perms::owner_write);
  auto t = app::detail::read_token_file(p);
  if (!fuzz::ok_or_typed(t, "read_token_file")) return;
  require(app::detail::check_token(*t).has_value(), "a token read from a file passes check_token");
  require(as_chars(bytes).starts_with(*t), "the token is the file's leading text");
}

void fuzz_key_file(bytes_view bytes) {
  const fs::path p = write_file("node.key", bytes, fs::perms::owner_read | fs::perms::owner_write);
  auto id = libp2p::load_identity(p.string());
  if (fuzz::ok_or_typed(id, "load_identity")) {
    require(std::ranges::equal(id->private_key_protobuf(), bytes), "a loaded key file writes back the same bytes");
  }
  auto t = parse_trust_argument(p.string());
  if (fuzz::ok_or_typed(t, "parse_trust_argument")) {
    require(!t->authorities.empty(), "a trust file has authorities");
    require(!id.has_value(), "a key file is not taken as a trust file");
  }
}

void fuzz_trust_argument(std::string_view text) {
  // Only names inside the scratch directory: a text is a path when it is not
  // a key or a peer id.
  if (text.find('/') != std::string_view::npos || text.find('\0') != std::string_view::npos) return;
  auto t = parse_trust_argument(text);
  if (!fuzz::ok_or_typed(t, "parse_trust_argument")) return;
  require(t->authorities.size() == 1, "a key or peer id names one authority");
}

void write_seeds(fuzz::seed_writer& w) {
  w.write("json", 0, R"({"a": [1, 2.5, "x", null, true], "b": {"c": {}}})");
  w.write("json-duplicate", 0, R"({"a": 1, "a": 2})");
  // A config file as docs/operations.md shows one, and the effective
  // configuration of an empty one.
  node_settings defaults;
  w.write("config-defaults", 1, boost::json::serialize(readable(defaults)));
  w.write("config", 1,
          R"({"data_dir": "data", "key_file": "node.key", "http_listen": "127.0.0.1:0", "p2p_listen": ["/ip4/127.0.0.1/tcp/0"], "token": "secret-token",)"
          R"( "trust": {"authorities": ["12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"], "threshold": 1},)"
          R"( "log_level": "debug", "provider": {}, "consumer": {}})");
  w.write("token", 2, "very-secret-token");
  w.write("token-file", 3, "very-secret-token\n");
  const auto rfc = *libp2p::identity::from_seed(
      fuzz::unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  w.write("key-file", 4, rfc.private_key_protobuf());
  w.write("trust-file", 4,
          R"({"authorities": ["d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"], "threshold": 1})");
  w.write("trust-hex", 5, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  w.write("trust-peer-id", 5, rfc.id().to_string());
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::fuzz_one_of(data, size, fuzz_json, fuzz_config, fuzz_token, fuzz_token_file, fuzz_key_file, fuzz_trust_argument);
}
