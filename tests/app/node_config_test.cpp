// The node command's settings from flags and environment (no files), and the
// strict JSON reader behind the config file.
#define BOOST_TEST_MODULE app_units
#include <boost/test/unit_test.hpp>

#include "app/detail/json_file.hpp"
#include "app/node_config.hpp"

#include <boost/json/serialize.hpp>

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
