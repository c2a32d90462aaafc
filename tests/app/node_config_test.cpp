// The node command's settings from flags and environment, the one settings
// table behind the flags, the config file and the docs, and the strict JSON
// reader behind the config file.
#define BOOST_TEST_MODULE app_units
#include <boost/test/unit_test.hpp>

#include "app/detail/json_file.hpp"
#include "app/detail/settings.hpp"
#include "app/node_config.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/libp2p/identity.hpp"
#include "tests/app/process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace snapstream;
using namespace snapstream::app;

namespace {

result<node_settings> settings(std::vector<std::string_view> words, node_environment env = {}) {
  auto args = parse_arguments(node_command_spec(), words);
  BOOST_REQUIRE(args);
  return node_settings_from(*args, env);
}

const std::vector<std::string_view> minimal{"--data-dir", "d", "--key", "k", "--p2p-listen", "/ip4/127.0.0.1/tcp/0",
                                            "--http-listen", "127.0.0.1:0"};

std::vector<std::string_view> minimal_and(std::initializer_list<std::string_view> extra) {
  auto v = minimal;
  v.insert(v.end(), extra);
  return v;
}

/// The minimal command line without `--flag VALUE` (or a switch `--flag`).
std::vector<std::string> minimal_without(std::string_view flag) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < minimal.size(); ++i) {
    if (minimal[i] == "--" + std::string(flag)) {
      ++i;
      continue;
    }
    out.emplace_back(minimal[i]);
  }
  return out;
}

/// The minimal command line, as strings to add to.
std::vector<std::string> minimal_words() { return minimal_without(""); }

result<node_settings> settings_of(const std::vector<std::string>& words) {
  const std::vector<std::string_view> views(words.begin(), words.end());
  auto args = parse_arguments(node_command_spec(), views);
  BOOST_REQUIRE(args);
  return node_settings_from(*args, {});
}

/// `--check-config`'s output without the token's source (a flag and the file differ there by design).
std::string config_text(const node_settings& s) {
  auto c = effective_config(s).as_object();
  c.erase("token_source");
  return boost::json::serialize(c);
}

/// The problem a message states after its place (`--flag: ` or `file: key: `).
std::string problem_after(const std::string& message, const std::string& place) {
  BOOST_TEST_REQUIRE(message.starts_with(place), message << " does not start with " << place);
  return message.substr(place.size());
}

/// One generated part of docs/operations.md, between its markers.
struct doc_part {
  std::size_t begin = 0; ///< first byte after the begin marker's line
  std::size_t end = 0;   ///< first byte of the end marker
};

std::optional<doc_part> find_part(const std::string& doc, std::string_view name) {
  const std::string begin_marker = "<!-- generated: " + std::string(name) + " ";
  const std::string end_marker = "<!-- end: " + std::string(name) + " -->\n";
  const auto b = doc.find(begin_marker);
  if (b == std::string::npos) return std::nullopt;
  const auto line_end = doc.find('\n', b);
  const auto e = doc.find(end_marker, line_end);
  if (line_end == std::string::npos || e == std::string::npos) return std::nullopt;
  return doc_part{line_end + 1, e};
}

std::filesystem::path operations_md() {
  if (const char* dir = std::getenv("SNAPSTREAM_SOURCE_DIR"); dir != nullptr && *dir != '\0')
    return std::filesystem::path(dir) / "docs" / "operations.md";
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "docs" / "operations.md";
}

} // namespace

BOOST_AUTO_TEST_SUITE(node_config)

BOOST_AUTO_TEST_CASE(flags_fill_the_node_options) {
  const std::string id = "12D3KooWRKNTufrDYFrmkKAoVZPj7sQYvECAxwcbpvgrbBLqrBWe";
  auto s = settings(minimal_and({"--peer", "/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWRKNTufrDYFrmkKAoVZPj7sQYvECAxwcbpvgrbBLqrBWe",
                                 "--trust", id, "--no-auto-resume", "--rlpx-listen", "[::]:30303", "--log-level",
                                 "warn"}));
  BOOST_REQUIRE(s);
  const auto& o = s->options;
  BOOST_TEST(o.data_dir == "d");
  BOOST_TEST(o.key_file == "k");
  BOOST_REQUIRE_EQUAL(o.p2p_listen.size(), 1u);
  BOOST_TEST(o.p2p_listen[0].to_string() == "/ip4/127.0.0.1/tcp/0");
  BOOST_TEST(o.http_host == "127.0.0.1");
  BOOST_TEST(o.http_port == 0u);
  BOOST_REQUIRE_EQUAL(o.peers.size(), 1u);
  BOOST_TEST(o.peers[0].peer->to_string() == id);
  BOOST_REQUIRE_EQUAL(o.trust.authorities.size(), 1u);
  BOOST_TEST(o.trust.authorities[0] == *o.peers[0].peer->public_key());
  BOOST_TEST(o.trust.threshold == 1u);
  BOOST_TEST(!o.consumer.auto_resume);
  BOOST_TEST(*o.rlpx_listen == "[::]:30303");
  BOOST_TEST((s->log_level == log::level::warn));
  BOOST_TEST(!o.http.token);
  BOOST_TEST((s->token_from == token_source::none));
  BOOST_TEST(!s->check_config);
}

BOOST_AUTO_TEST_CASE(upload_limit_flags_take_sizes_per_second) {
  auto s = settings(minimal_and({"--upload-limit", "50MiB/s", "--upload-limit-per-peer", "8MB"}));
  BOOST_REQUIRE(s);
  BOOST_TEST(s->options.provider.upload_limit.bytes_per_second == 50u << 20);
  BOOST_TEST(s->options.provider.upload_limit.per_peer_bytes_per_second == 8'000'000u);
  auto unlimited = settings(minimal_and({"--upload-limit", "0"}));
  BOOST_REQUIRE(unlimited);
  BOOST_TEST(unlimited->options.provider.upload_limit.bytes_per_second == 0u);
  // Without the flags the node sends as fast as it can.
  auto defaults = settings(minimal);
  BOOST_REQUIRE(defaults);
  BOOST_TEST((defaults->options.provider.upload_limit == actors::upload_limits{}));

  auto bad = settings(minimal_and({"--upload-limit", "fast"}));
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().is(app_errc::usage));
  BOOST_TEST(bad.error().message() == "--upload-limit: 'fast' is not a rate (a size per second, e.g. 50MiB/s; 0 = unlimited)");
  auto per_hour = settings(minimal_and({"--upload-limit-per-peer", "5MiB/h"}));
  BOOST_REQUIRE(!per_hour);
  BOOST_TEST(per_hour.error().message() ==
             "--upload-limit-per-peer: '5MiB/h' is not a rate (a size per second, e.g. 50MiB/s; 0 = unlimited)");
  auto huge = settings(minimal_and({"--upload-limit", "2TiB/s"}));
  BOOST_REQUIRE(!huge);
  BOOST_TEST(huge.error().message() == "--upload-limit: 2TiB/s is above 1TiB/s (1099511627776 bytes per second)");
}

BOOST_AUTO_TEST_CASE(swarm_settings_have_their_defaults_and_appear_in_the_effective_config) {
  auto s = settings(minimal);
  BOOST_REQUIRE(s);
  BOOST_TEST(s->options.provider.retain_snapshots == 2u);
  BOOST_TEST(s->options.consumer.retain_snapshots == 2u);
  BOOST_TEST(s->options.consumer.discovery_timeout.count() == 30000);
  BOOST_TEST(s->options.consumer.max_pending_writes == 8u);
  const auto c = effective_config(*s).as_object();
  BOOST_TEST(c.at("retain_snapshots").as_uint64() == 2u);
  BOOST_TEST(c.at("consumer").as_object().at("discovery_timeout_ms").as_uint64() == 30000u);
  BOOST_TEST(c.at("consumer").as_object().at("max_pending_writes").as_uint64() == 8u);
  const auto& limit = c.at("provider").as_object().at("upload_limit").as_object();
  BOOST_TEST(limit.at("bytes_per_second").as_uint64() == 0u);
  BOOST_TEST(limit.at("per_peer_bytes_per_second").as_uint64() == 0u);
}

BOOST_AUTO_TEST_CASE(the_environment_gives_the_token_and_a_default_log_level) {
  node_environment env;
  env.rpc_token = "tok-123";
  env.log_level = "debug";
  auto s = settings(minimal, env);
  BOOST_REQUIRE(s);
  BOOST_TEST(*s->options.http.token == "tok-123");
  BOOST_TEST((s->token_from == token_source::environment));
  BOOST_TEST((s->log_level == log::level::debug));
  auto flagged = settings(minimal_and({"--log-level", "error"}), env);
  BOOST_TEST((flagged->log_level == log::level::error));

  env.rpc_token = "two words";
  auto bad = settings(minimal, env);
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().is(app_errc::invalid_config));
  BOOST_TEST(bad.error().message() == "RPP_RPC_TOKEN: the token must be printable ASCII without spaces");
}

BOOST_AUTO_TEST_CASE(missing_settings_are_usage_errors) {
  auto s = settings({"--key", "k", "--p2p-listen", "/ip4/127.0.0.1/tcp/0", "--http-listen", "127.0.0.1:0"});
  BOOST_REQUIRE(!s);
  BOOST_TEST(s.error().is(app_errc::usage));
  BOOST_TEST(s.error().message() == "missing required option --data-dir");
  auto h = settings({"--data-dir", "d", "--key", "k", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"});
  BOOST_TEST(h.error().message() == "missing required option --http-listen");
}

BOOST_AUTO_TEST_CASE(trust_arguments_are_keys_or_peer_ids) {
  auto hex = parse_trust_argument(std::string(64, 'A'));
  BOOST_REQUIRE(hex);
  BOOST_TEST(hex->authorities.size() == 1u);
  BOOST_TEST(hex->authorities[0][0] == 0xaau);
  BOOST_TEST(!hex->threshold);
  auto bad_hex = parse_trust_argument(std::string(63, 'a') + "g");
  BOOST_TEST(bad_hex.error().is(app_errc::usage));
  BOOST_TEST(bad_hex.error().message() == "--trust: '" + std::string(63, 'a') + "g' is not 64 hex characters");
  // A sha2-256 peer id (Qm...) carries no key to trust.
  auto qm = parse_trust_argument("QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN");
  BOOST_REQUIRE(!qm);
  BOOST_TEST(qm.error().message() ==
             "--trust: peer id QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN does not embed an Ed25519 key");
}

BOOST_AUTO_TEST_CASE(network_names_a_builtin_chain_or_a_chain_config_file) {
  // given: the built-in names, and a chain config file beside a config file that names it relatively
  auto mordor = settings(minimal_and({"--network", "mordor"}));
  BOOST_REQUIRE(mordor);
  BOOST_TEST(mordor->options.rlpx_chain.network_id == 7u);
  BOOST_TEST(mordor->options.rlpx_network == "mordor");
  auto by_default = settings(minimal);
  BOOST_TEST(by_default->options.rlpx_chain.name == "mainnet");

  app::test::temp_dir dir;
  dir.write("devnet.json", R"({"name": "devnet", "network_id": 1337,
    "genesis_hash": "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
    "forks": [{"name": "shanghai", "time": 1700000000}]})");
  const std::string config = dir.write("node.json", R"({"rlpx_network": "devnet.json"})");
  auto custom = settings_of([&] {
    auto w = minimal_words();
    w.insert(w.end(), {"--config", config});
    return w;
  }());
  BOOST_REQUIRE_MESSAGE(custom, (custom ? "" : custom.error().message()));
  BOOST_TEST(custom->options.rlpx_chain.name == "devnet");
  BOOST_TEST(custom->options.rlpx_chain.network_id == 1337u);
  BOOST_TEST(custom->options.rlpx_network == dir / "devnet.json");

  // then: a name that is neither, and a file with a bad value, say what is wrong
  auto typo = settings(minimal_and({"--network", "mainet"}));
  BOOST_REQUIRE(!typo);
  BOOST_TEST(typo.error().is(app_errc::usage));
  BOOST_TEST(typo.error().message() ==
             "--network: 'mainet' is neither a built-in network (mainnet, sepolia, classic, mordor) nor a chain "
             "config file");
  const std::string bad = dir.write("bad.json", R"({"name": "x", "network_id": 1,
    "genesis_hash": "25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
    "forks": [{"name": "cancun", "time": -5}]})");
  std::vector<std::string> words = minimal_words();
  words.insert(words.end(), {"--network", bad});
  auto wrong = settings_of(words);
  BOOST_REQUIRE(!wrong);
  BOOST_TEST(wrong.error().message() == "--network: chain config " + bad +
                                          ": key 'forks[0].time': expected an integer from 0 to 2^64-1, got -5");
}

BOOST_AUTO_TEST_CASE(a_setting_set_by_flag_or_by_file_gives_the_same_config) {
  // given: for every setting with both a flag and a key, the same value written both ways
  app::test::temp_dir dir;
  const std::string a = libp2p::identity::generate().id().to_string();
  const std::string b(64, 'b');
  const std::string token_file = dir.write("token", "secret-token\n");
  struct both_ways {
    std::vector<std::string> flag_words;
    std::string file_json;
  };
  const std::map<std::string_view, both_ways> cases{
    {"data-dir", {{"--data-dir", dir / "data"}, R"({"data_dir": ")" + (dir / "data") + R"("})"}},
    {"key", {{"--key", dir / "node.key"}, R"({"key_file": ")" + (dir / "node.key") + R"("})"}},
    {"p2p-listen",
     {{"--p2p-listen", "/ip4/10.0.0.1/tcp/1", "--p2p-listen", "/ip6/::1/tcp/2"},
      R"({"p2p_listen": ["/ip4/10.0.0.1/tcp/1", "/ip6/::1/tcp/2"]})"}},
    {"http-listen", {{"--http-listen", "[::1]:7001"}, R"({"http_listen": "[::1]:7001"})"}},
    {"token-file", {{"--token-file", token_file}, R"({"token_file": ")" + token_file + R"("})"}},
    {"peer", {{"--peer", "/dns4/example.org/tcp/4001/p2p/" + a}, R"({"peers": ["/dns4/example.org/tcp/4001/p2p/)" + a + R"("]})"}},
    {"trust", {{"--trust", a, "--trust", b}, R"({"trust": {"authorities": [")" + a + R"(", ")" + b + R"("]}})"}},
    {"threshold",
     {{"--trust", a, "--trust", b, "--threshold", "2"},
      R"({"trust": {"authorities": [")" + a + R"(", ")" + b + R"("], "threshold": 2}})"}},
    {"log-level", {{"--log-level", "debug"}, R"({"log_level": "debug"})"}},
    {"rlpx-listen", {{"--rlpx-listen", "0.0.0.0:30303"}, R"({"rlpx_listen": "0.0.0.0:30303"})"}},
    {"network", {{"--network", "classic"}, R"({"rlpx_network": "classic"})"}},
    {"upload-limit",
     {{"--upload-limit", "50MiB/s"}, R"({"provider": {"upload_limit": {"bytes_per_second": 52428800}}})"}},
    {"upload-limit-per-peer",
     {{"--upload-limit-per-peer", "8MB"}, R"({"provider": {"upload_limit": {"per_peer_bytes_per_second": 8000000}}})"}},
    {"no-auto-resume", {{"--no-auto-resume"}, R"({"consumer": {"auto_resume": false}})"}},
  };
  std::set<std::string_view> covered;
  for (const auto& s : app::detail::node_settings_table()) {
    if (s.flag.empty() || s.key.empty()) continue;
    covered.insert(s.flag);
    const auto it = cases.find(s.flag);
    BOOST_TEST_REQUIRE((it != cases.end()), "no case for --" << s.flag << ": add one");
    // when: it is given by its flag, or by the config file
    auto flag_words = minimal_without(s.flag);
    flag_words.insert(flag_words.end(), it->second.flag_words.begin(), it->second.flag_words.end());
    auto by_flag = settings_of(flag_words);
    auto file_words = minimal_without(s.flag);
    file_words.push_back("--config");
    file_words.push_back(dir.write("node.json", it->second.file_json));
    auto by_file = settings_of(file_words);
    // then: both give the same configuration, different from the defaults
    BOOST_TEST_REQUIRE(by_flag.has_value(), "--" << s.flag << ": " << by_flag.error().message());
    BOOST_TEST_REQUIRE(by_file.has_value(), s.key << ": " << by_file.error().message());
    BOOST_TEST(config_text(*by_flag) == config_text(*by_file), "--" << s.flag);
    BOOST_TEST(config_text(*by_flag) != config_text(*settings(minimal)), "--" << s.flag << " changed nothing");
  }
  BOOST_TEST(covered.size() == cases.size());
}

BOOST_AUTO_TEST_CASE(a_range_is_enforced_with_the_same_message_by_flag_and_by_file) {
  // given: out-of-range values of every numeric setting that has a flag
  app::test::temp_dir dir;
  const std::string a(64, 'a');
  struct out_of_range {
    std::string flag_value;
    std::string file_json;
  };
  const std::multimap<std::string_view, out_of_range> cases{
    {"threshold", {"0", R"({"trust": {"authorities": [")" + a + R"("], "threshold": 0}})"}},
    {"threshold", {"65536", R"({"trust": {"authorities": [")" + a + R"("], "threshold": 65536}})"}},
    {"upload-limit", {"1099511627777", R"({"provider": {"upload_limit": {"bytes_per_second": 1099511627777}}})"}},
    {"upload-limit-per-peer",
     {"1099511627777", R"({"provider": {"upload_limit": {"per_peer_bytes_per_second": 1099511627777}}})"}},
  };
  for (const auto& s : app::detail::node_settings_table()) {
    const auto form = s.parser.form;
    if (s.flag.empty() || s.key.empty() || (form != app::detail::flag_form::integer && form != app::detail::flag_form::rate))
      continue;
    const auto [first, last] = cases.equal_range(s.flag);
    BOOST_TEST_REQUIRE((first != last), "no out-of-range case for --" << s.flag << ": add one");
    for (auto it = first; it != last; ++it) {
      // when: the value is given by flag, and by file
      auto flag_words = minimal_words();
      flag_words.insert(flag_words.end(), {"--trust", a, "--" + std::string(s.flag), it->second.flag_value});
      auto by_flag = settings_of(flag_words);
      auto file_words = minimal_words();
      const std::string file = dir.write("range.json", it->second.file_json);
      file_words.insert(file_words.end(), {"--config", file});
      auto by_file = settings_of(file_words);
      // then: both refuse it, with the same words after the place they name
      BOOST_TEST_REQUIRE(!by_flag.has_value());
      BOOST_TEST_REQUIRE(!by_file.has_value());
      BOOST_TEST(by_flag.error().is(app_errc::usage));
      BOOST_TEST(by_file.error().is(app_errc::invalid_config));
      const auto flag_problem = problem_after(by_flag.error().message(), "--" + std::string(s.flag) + ": ");
      const auto file_problem = problem_after(by_file.error().message(), file + ": " + std::string(s.key) + ": ");
      BOOST_TEST(flag_problem == file_problem);
    }
  }
  auto low = settings(minimal_and({"--trust", std::string(64, 'a'), "--threshold", "0"}));
  BOOST_TEST(low.error().message() == "--threshold: expected an integer from 1 to 65535, got 0");
  auto high = settings(minimal_and({"--upload-limit", "1099511627777"}));
  BOOST_TEST(high.error().message() == "--upload-limit: 1099511627777 is above 1TiB/s (1099511627776 bytes per second)");
}

BOOST_AUTO_TEST_CASE(flags_follow_the_table_and_required_settings_come_from_either_source) {
  // given: the table and the node command's options
  const auto& spec = node_command_spec();
  std::vector<std::string_view> from_table;
  for (const auto& s : app::detail::node_settings_table())
    if (!s.flag.empty()) from_table.push_back(s.flag);
  std::vector<std::string_view> options;
  for (const auto& o : spec.options) options.push_back(o.name);
  // then: one option per setting with a flag, in table order, the four required ones first
  BOOST_TEST(options == from_table, boost::test_tools::per_element());
  BOOST_TEST(usage_text(spec).starts_with(
    "Usage: snapstream node --data-dir DIR --key FILE --p2p-listen MULTIADDR...\n"
    "                       --http-listen HOST:PORT [--config FILE]"));
  // and a required setting given by neither is named by its flag
  auto s = settings({"--data-dir", "d", "--key", "k", "--http-listen", "127.0.0.1:0"});
  BOOST_TEST(s.error().message() == "missing required option --p2p-listen");
}

BOOST_AUTO_TEST_CASE(the_docs_tables_are_the_settings_table) {
  // given: docs/operations.md
  const auto path = operations_md();
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read " << path.string());
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  const bool update = std::getenv("SNAPSTREAM_UPDATE_DOCS") != nullptr;
  for (const auto part : app::detail::settings_reference_parts()) {
    // when: the part is rendered from the table
    const std::string rendered = app::detail::settings_reference(part);
    const auto at = find_part(doc, part);
    BOOST_TEST_REQUIRE(at.has_value(), "docs/operations.md has no markers for " << part);
    const std::string written = doc.substr(at->begin, at->end - at->begin);
    if (update && written != rendered) {
      doc.replace(at->begin, at->end - at->begin, rendered);
      continue;
    }
    // then: the document holds exactly that (SNAPSTREAM_UPDATE_DOCS=1 rewrites it)
    BOOST_TEST(written == rendered, part << " in " << path.string() << " differs from the settings table; run "
                                         "SNAPSTREAM_UPDATE_DOCS=1 test_app_units to rewrite it");
  }
  if (update) std::ofstream(path, std::ios::binary) << doc;
  // and every table row is one line without a stray column separator
  const std::string keys = app::detail::settings_reference("node-keys");
  for (const auto& s : app::detail::node_settings_table()) {
    BOOST_TEST(s.help.find('|') == std::string_view::npos, s.flag);
    BOOST_TEST(s.doc.find('|') == std::string_view::npos, s.key);
  }
  BOOST_TEST(keys.find("| `discovery_timeout_ms` | duration | 30000 |") != std::string::npos);
  BOOST_TEST(keys.find("| `bytes_per_second` |") == std::string::npos); // keys are relative to their section
  BOOST_TEST(keys.find("| `upload_limit.bytes_per_second` | bytes, 0 to 2^40 | 0 (unlimited) |") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trust_given_a_node_key_file_says_what_it_is_and_what_trust_wants) {
  // given: a node key file, as `snapstream keygen` writes it
  app::test::temp_dir dir;
  const auto id = libp2p::identity::generate();
  const auto key = id.private_key_protobuf();
  const std::string file = dir.write("provider.key", std::string(reinterpret_cast<const char*>(key.data()), key.size()));
  // when: it is given to --trust
  auto t = parse_trust_argument(file);
  // then: a usage error that names the file's kind, what --trust takes, and the peer id to give instead
  BOOST_REQUIRE(!t);
  BOOST_TEST(t.error().is(app_errc::usage));
  BOOST_TEST(t.error().message() ==
             "--trust: " + file + " looks like a node key file (snapstream keygen), not a trust file; --trust wants a "
             "peer id (12D3KooW...), a 64-hex Ed25519 public key or a trust file (JSON): to trust this key, give "
             "--trust " + id.id().to_string());
  // and other binary data is no trust file either
  const std::string blob = dir.write("blob.bin", std::string("\x00\x01\x02 data", 8));
  auto b = parse_trust_argument(blob);
  BOOST_REQUIRE(!b);
  BOOST_TEST(b.error().is(app_errc::usage));
  BOOST_TEST(b.error().message() == "--trust: " + blob + " is not a trust file (it holds binary data, not JSON); "
                                    "--trust wants a peer id (12D3KooW...), a 64-hex Ed25519 public key or a trust "
                                    "file (JSON)");
  // while a text file that is not JSON still gets the JSON reader's error
  const std::string text = dir.write("notes.txt", "hello");
  auto n = parse_trust_argument(text);
  BOOST_REQUIRE(!n);
  BOOST_TEST(n.error().is(app_errc::invalid_config));
  BOOST_TEST(n.error().message() == text + ": line 1 column 1: syntax error");
}

BOOST_AUTO_TEST_CASE(trust_documents_parse_and_merge_next_to_the_trust_config) {
  // given: two trust sources
  const std::string a(64, 'a');
  const std::string b(64, 'b');
  auto first = snapshot::parse_trust_json(boost::json::parse(R"({"authorities": [")" + a + R"("], "threshold": 1})"),
                                          "one.json");
  auto second = snapshot::parse_trust_json(boost::json::parse(R"({"authorities": [")" + b + R"("], "threshold": 2})"),
                                           "two.json");
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(second);
  // when: they are merged
  std::array sources{*first, *second};
  auto merged = snapshot::merge_trust_sources(sources);
  // then: two different thresholds are refused; without them the authorities add up
  BOOST_REQUIRE(!merged);
  BOOST_TEST(merged.error().is(snapshot::snapshot_errc::invalid_trust));
  BOOST_TEST(merged.error().message() == "two trust files give different \"threshold\"");
  sources[1].threshold.reset();
  auto added = snapshot::merge_trust_sources(sources);
  BOOST_REQUIRE(added);
  BOOST_TEST(added->authorities.size() == 2u);
  BOOST_TEST(added->threshold == 1u);
  BOOST_TEST(boost::json::serialize(snapshot::trust_json(*added)).starts_with(R"({"threshold":1,"authorities":[")" + a));
  auto unknown = snapshot::parse_trust_json(boost::json::parse(R"({"authorities": [], "quorum": 1})"), "t.json");
  BOOST_TEST(unknown.error().message() == "t.json: unknown key \"quorum\"");
}

BOOST_AUTO_TEST_CASE(effective_config_redacts_the_token) {
  node_environment env;
  env.rpc_token = "very-secret";
  auto s = settings(minimal, env);
  BOOST_REQUIRE(s);
  const std::string text = boost::json::serialize(effective_config(*s));
  BOOST_TEST(text.find("very-secret") == std::string::npos);
  BOOST_TEST(text.find(R"("token":"<redacted>","token_source":"RPP_RPC_TOKEN")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(strict_json_refuses_repeated_keys_and_says_where) {
  auto ok = app::detail::parse_json(R"({"a": {"b": 1, "c": [true, null]}, "d": "x"})", "f.json");
  BOOST_REQUIRE(ok);
  BOOST_TEST(boost::json::serialize(*ok) == R"({"a":{"b":1,"c":[true,null]},"d":"x"})");
  // The same key in different objects is fine.
  BOOST_TEST(app::detail::parse_json(R"({"a": {"x": 1}, "b": {"x": 2}})", "f.json").has_value());
  auto dup = app::detail::parse_json("{\n  \"a\": {\"x\": 1,\n \"x\": 2}}", "f.json");
  BOOST_REQUIRE(!dup);
  BOOST_TEST(dup.error().is(app_errc::invalid_config));
  BOOST_TEST(dup.error().message() == "f.json: line 3 column 4: key \"x\" appears twice in one object");
  BOOST_TEST(app::detail::parse_json("{} x", "f.json").error().message() == "f.json: line 1 column 4: text after the JSON value");
  BOOST_TEST(app::detail::parse_json("{\"a\": ", "f.json").error().message() == "f.json: line 1 column 7: incomplete JSON");
  BOOST_TEST(app::detail::parse_json("// c\n{}", "f.json").error().message() == "f.json: line 1 column 1: syntax error");
}

BOOST_AUTO_TEST_CASE(pretty_json_indents_two_spaces) {
  auto v = app::detail::parse_json(R"({"a": {"b": 1, "c": [true, "x"]}, "e": {}, "f": []})", "f.json");
  BOOST_REQUIRE(v);
  BOOST_TEST(app::detail::pretty_json(*v) == "{\n"
                                        "  \"a\": {\n"
                                        "    \"b\": 1,\n"
                                        "    \"c\": [\n"
                                        "      true,\n"
                                        "      \"x\"\n"
                                        "    ]\n"
                                        "  },\n"
                                        "  \"e\": {},\n"
                                        "  \"f\": []\n"
                                        "}\n");
}

BOOST_AUTO_TEST_SUITE_END()
