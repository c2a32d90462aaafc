// The `snapstream` binary as an operator runs it: help, usage errors and exit
// codes, keygen, state generate/import/digest, snapshot create, selfcheck,
// and `node --check-config` (config file, flags and environment precedence,
// every kind of config error).
#define BOOST_TEST_MODULE app_cli
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/snapshot/light_client_update.hpp"
#include "protocol/snapshot/record.hpp"
#include "storage/snapshot_store.hpp"
#include "tests/app/process.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <regex>

using namespace snapstream;
using namespace snapstream::app::test;
namespace json = boost::json;

namespace {

const std::string listen_flags_p2p = "/ip4/127.0.0.1/tcp/0";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

/// Asserts a usage failure: exit 2, nothing on stdout, `message` as the first
/// stderr line and the usage right after it.
void check_usage_error(const outcome& r, const std::string& message, const std::string& usage_start) {
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.out.empty());
  const auto lines = lines_of(r.err);
  BOOST_REQUIRE_GE(lines.size(), 2u);
  BOOST_TEST(lines[0] == message);
  BOOST_TEST(lines[1].starts_with(usage_start));
}

/// Asserts a failure: exit 1, exactly one line on stderr.
void check_failure(const outcome& r, const std::string& message) {
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err == message + "\n");
}

std::string make_key(const temp_dir& dir, const std::string& name) {
  auto r = run({"keygen", "--out", dir / name});
  BOOST_REQUIRE_EQUAL(r.code, 0);
  return first_line(r.out);
}

std::string digest_line(const std::string& data_dir) {
  auto r = run({"state", "digest", "--data-dir", data_dir});
  BOOST_REQUIRE_EQUAL(r.code, 0);
  return r.out;
}

/// `node --check-config` with `args`; the parsed JSON output.
json::object check_config(const std::vector<std::string>& args, const env_changes& env = {}) {
  std::vector<std::string> all{"node"};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back("--check-config");
  auto r = run(all, env);
  BOOST_REQUIRE_MESSAGE(r.code == 0, "check-config failed: " + r.err);
  BOOST_TEST(r.err.empty());
  return json::parse(r.out).as_object();
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

} // namespace

// ---- help and usage errors ----

BOOST_AUTO_TEST_CASE(help_lists_every_command) {
  auto r = run({"--help"});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.empty());
  BOOST_TEST(first_line(r.out) == "Usage: snapstream <command> [options]");
  for (const char* line : {"  keygen            write a new node key and print its peer id",
                           "  node              run a node until SIGINT or SIGTERM",
                           "  state generate    fill the state with deterministic pseudo-random records",
                           "  state import      load key/value records from a text file",
                           "  state digest      print the state's record count and digest",
                           "  snapshot create   build a snapshot of the state of a stopped node",
                           "  sync              sync a running node from a peer and show the progress",
                           "  selfcheck         check the codec and the verifier in memory"}) {
    BOOST_TEST(r.out.find(std::string(line) + "\n") != std::string::npos, "missing: " << line);
  }
}

BOOST_AUTO_TEST_CASE(every_command_help_says_what_it_does) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
    {{"keygen", "--help"}, "Usage: snapstream keygen --out FILE [--force]"},
    {{"node", "-h"}, "Usage: snapstream node --data-dir DIR --key FILE --p2p-listen MULTIADDR..."},
    {{"state", "generate", "--help"}, "Usage: snapstream state generate --data-dir DIR --bytes SIZE [--seed N]"},
    {{"state", "import", "--help"}, "Usage: snapstream state import --data-dir DIR FILE"},
    {{"state", "digest", "--help"}, "Usage: snapstream state digest --data-dir DIR"},
    {{"snapshot", "create", "--help"},
     "Usage: snapstream snapshot create --data-dir DIR --key FILE [--page-size SIZE]"},
    {{"sync", "--help"},
     "Usage: snapstream sync --http HOST:PORT [--peer PEER_ID]... [--plan-id ID]"},
    {{"selfcheck", "--help"}, "Usage: snapstream selfcheck [--records N] [--seed N]"},
    {{"state", "--help"}, "Usage: snapstream state <command> [options]"},
    {{"snapshot", "--help"}, "Usage: snapstream snapshot <command> [options]"},
  };
  for (const auto& [args, usage] : cases) {
    auto r = run(args);
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err.empty());
    BOOST_TEST(first_line(r.out) == usage);
    BOOST_TEST((r.out.find("\nOptions:\n") != std::string::npos || args.size() == 2));
  }
  auto node = run({"node", "--help"});
  for (const char* flag : {"--data-dir DIR", "--key FILE", "--p2p-listen MULTIADDR", "--http-listen HOST:PORT",
                           "--token-file FILE", "--peer MULTIADDR", "--trust PUBKEY_OR_FILE", "--config FILE",
                           "--threshold K", "--log-level LEVEL", "--rlpx-listen HOST:PORT", "--no-auto-resume",
                           "--check-config"}) {
    BOOST_TEST(node.out.find("\n  " + std::string(flag)) != std::string::npos, "missing: " << flag);
  }
}

BOOST_AUTO_TEST_CASE(help_shows_the_swarm_flags) {
  auto node = run({"node", "--help"});
  BOOST_TEST(node.code == 0);
  for (const char* flag : {"--upload-limit BYTES/s", "--upload-limit-per-peer BYTES/s"})
    BOOST_TEST(node.out.find("\n  " + std::string(flag)) != std::string::npos, "missing: " << flag);
  auto sync = run({"sync", "--help"});
  BOOST_TEST(sync.code == 0);
  for (const char* flag : {"--peer PEER_ID", "--plan-id ID"})
    BOOST_TEST(sync.out.find("\n  " + std::string(flag)) != std::string::npos, "missing: " << flag);
  BOOST_TEST(sync.out.find("[--peer PEER_ID]...") != std::string::npos, sync.out);
}

BOOST_AUTO_TEST_CASE(unknown_command_exits_2_with_the_usage) {
  check_usage_error(run({"frobnicate"}), "snapstream: unknown command 'frobnicate'",
                    "Usage: snapstream <command> [options]");
  check_usage_error(run({}), "snapstream: missing command", "Usage: snapstream <command> [options]");
  check_usage_error(run({"--frob"}), "snapstream: unknown option --frob", "Usage: snapstream <command> [options]");
  check_usage_error(run({"state", "frob"}), "snapstream state: unknown command 'frob'",
                    "Usage: snapstream state <command> [options]");
  check_usage_error(run({"snapshot"}), "snapstream snapshot: missing command",
                    "Usage: snapstream snapshot <command> [options]");
}

BOOST_AUTO_TEST_CASE(wrong_or_missing_flags_exit_2_with_a_one_line_error) {
  temp_dir dir;
  const std::string keygen_usage = "Usage: snapstream keygen --out FILE [--force]";
  check_usage_error(run({"keygen", "--out", dir / "k", "--bogus"}), "snapstream keygen: unknown option --bogus",
                    keygen_usage);
  check_usage_error(run({"keygen"}), "snapstream keygen: missing required option --out", keygen_usage);
  check_usage_error(run({"keygen", "--out"}), "snapstream keygen: option --out needs a value (FILE)", keygen_usage);
  check_usage_error(run({"keygen", "--out", "a", "--out", "b"}), "snapstream keygen: option --out given twice",
                    keygen_usage);
  check_usage_error(run({"keygen", "--force=yes", "--out", "a"}), "snapstream keygen: option --force takes no value",
                    keygen_usage);
  check_usage_error(run({"keygen", "--out", "a", "extra"}), "snapstream keygen: unexpected argument 'extra'",
                    keygen_usage);
  const std::string generate_usage = "Usage: snapstream state generate";
  check_usage_error(run({"state", "generate", "--data-dir", dir / "d"}),
                    "snapstream state generate: missing required option --bytes", generate_usage);
  check_usage_error(run({"state", "generate", "--data-dir", dir / "d", "--bytes", "12XB"}),
                    "snapstream state generate: --bytes: '12XB' is not a size (a number with an optional B, KiB, "
                    "MiB, GiB, TiB, KB, MB, GB or TB)",
                    generate_usage);
  check_usage_error(run({"state", "generate", "--data-dir", dir / "d", "--bytes", "1MiB", "--seed", "-3"}),
                    "snapstream state generate: --seed: '-3' is not a number", generate_usage);
  check_usage_error(run({"state", "import", "--data-dir", dir / "d"}),
                    "snapstream state import: missing argument FILE", "Usage: snapstream state import");
  check_usage_error(run({"snapshot", "create", "--data-dir", dir / "d", "--key", dir / "k", "--page-size", "5000"}),
                    "snapstream snapshot create: --page-size: 5000 is not a power of two from 4KiB to 4MiB",
                    "Usage: snapstream snapshot create");
  check_usage_error(run({"sync", "--http", "localhost", "--peer", "x"}),
                    "snapstream sync: --http: 'localhost' is not HOST:PORT (the port is missing)",
                    "Usage: snapstream sync");
  check_usage_error(run({"sync", "--http", "127.0.0.1:1", "--peer", "nonsense"}),
                    "snapstream sync: --peer: 'nonsense' is not a peer id (peer id \"nonsense\": peer id multihash "
                    "length is not one byte)",
                    "Usage: snapstream sync");
  BOOST_TEST(!std::filesystem::exists(dir / "d"));
}

// ---- keygen ----

BOOST_AUTO_TEST_CASE(keygen_writes_a_private_key_and_prints_its_peer_id) {
  temp_dir dir;
  const std::string file = dir / "node.key";
  auto r = run({"keygen", "--out", file});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.empty());
  BOOST_TEST(std::regex_match(r.out, std::regex("12D3KooW[1-9A-HJ-NP-Za-km-z]{44}\n")));
  struct stat st{};
  BOOST_REQUIRE_EQUAL(::stat(file.c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(st.st_size == 68);
  auto id = libp2p::load_identity(file);
  BOOST_REQUIRE(id);
  BOOST_TEST(id->id().to_string() + "\n" == r.out);
}

BOOST_AUTO_TEST_CASE(keygen_refuses_to_overwrite_without_force) {
  temp_dir dir;
  const std::string file = dir / "node.key";
  const std::string first = make_key(dir, "node.key");
  check_failure(run({"keygen", "--out", file}),
                "snapstream keygen: " + file + " already exists (give --force to replace it)");
  BOOST_TEST(libp2p::load_identity(file)->id().to_string() == first);
  auto forced = run({"keygen", "--out", file, "--force"});
  BOOST_TEST(forced.code == 0);
  BOOST_TEST(first_line(forced.out) != first);
  BOOST_TEST(libp2p::load_identity(file)->id().to_string() == first_line(forced.out));
}

// ---- state ----

BOOST_AUTO_TEST_CASE(generated_states_are_deterministic_for_a_seed) {
  temp_dir dir;
  auto a = run({"state", "generate", "--data-dir", dir / "a", "--bytes", "2MiB", "--seed", "5"});
  BOOST_TEST(a.code == 0);
  std::smatch m;
  BOOST_REQUIRE(std::regex_match(a.out, m, std::regex("generated records=(\\d+) bytes=(\\d+) seconds=[0-9.]+\n")));
  const std::string records = m[1];
  BOOST_TEST(std::stoull(m[2]) >= 2u * 1024 * 1024);
  BOOST_TEST(run({"state", "generate", "--data-dir", dir / "b", "--bytes", "2097152", "--seed", "5"}).code == 0);
  BOOST_TEST(run({"state", "generate", "--data-dir", dir / "c", "--bytes", "2MiB", "--seed", "6"}).code == 0);

  const std::string da = digest_line(dir / "a");
  BOOST_TEST(std::regex_match(da, std::regex("records=" + records + " digest=[0-9a-f]{64}\n")));
  BOOST_TEST(digest_line(dir / "a") == da);
  BOOST_TEST(digest_line(dir / "b") == da);
  BOOST_TEST(digest_line(dir / "c") != da);
}

BOOST_AUTO_TEST_CASE(digest_of_a_missing_database_fails) {
  temp_dir dir;
  check_failure(run({"state", "digest", "--data-dir", dir / "none"}),
                "snapstream state digest: no database in " + (dir / "none") +
                  " (generate or import a state first)");
}

BOOST_AUTO_TEST_CASE(import_loads_the_documented_format) {
  temp_dir dir;
  const auto file = dir.write("state.txt", "# three records\r\n"
                                           "0a0b 010203\n"
                                           "\n"
                                           "ff\r\n"
                                           "AA BBcc\n"
                                           "0a0b 0405\n");
  auto r = run({"state", "import", "--data-dir", dir / "d", file});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.empty());
  // 4 records read (the duplicate 0a0b counted twice), 3 stored; bytes count
  // every record read: (8+2+3) + (8+1+0) + (8+1+2) + (8+2+2).
  BOOST_TEST(std::regex_match(r.out, std::regex("imported records=4 bytes=45 seconds=[0-9.]+\n")));

  // The digest is SHA-256 over the canonical encodings in key order.
  byte_buffer canonical;
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
         {"0a0b", "0405"}, {"aa", "bbcc"}, {"ff", ""}}) {
    auto key = from_hex(k);
    auto value = from_hex(v);
    snapshot::append_record(canonical, *key, *value);
  }
  BOOST_TEST(digest_line(dir / "d") == "records=3 digest=" + to_hex(sha256(canonical)) + "\n");
}

BOOST_AUTO_TEST_CASE(import_names_the_malformed_line) {
  temp_dir dir;
  const auto bad_key = dir.write("bad_key.txt", "# header\n0a0b 0102\n0x12 00\n");
  check_failure(run({"state", "import", "--data-dir", dir / "d", bad_key}),
                "snapstream state import: " + bad_key + ": line 3: key: non-hex character at position 1");
  const auto odd_value = dir.write("odd.txt", "01 020\n");
  check_failure(run({"state", "import", "--data-dir", dir / "d", odd_value}),
                "snapstream state import: " + odd_value + ": line 1: value: odd number of hex characters (3)");
  check_failure(run({"state", "import", "--data-dir", dir / "d", dir / "absent.txt"}),
                "snapstream state import: cannot read " + (dir / "absent.txt"));
}

// ---- snapshot create ----

BOOST_AUTO_TEST_CASE(snapshot_create_reports_the_plan) {
  temp_dir dir;
  make_key(dir, "node.key");
  auto g = run({"state", "generate", "--data-dir", dir / "d", "--bytes", "1MiB", "--seed", "9"});
  std::smatch gm;
  BOOST_REQUIRE(std::regex_match(g.out, gm, std::regex("generated records=(\\d+) bytes=(\\d+) seconds=[0-9.]+\n")));

  auto r = run({"snapshot", "create", "--data-dir", dir / "d", "--key", dir / "node.key", "--page-size", "16KiB"});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.empty());
  std::smatch m;
  BOOST_REQUIRE(std::regex_match(
    r.out, m, std::regex("plan_id=([0-9a-f]{64}) height=1 pages=(\\d+) bytes=(\\d+) records=(\\d+)\n")));
  BOOST_TEST(m[3] == gm[2]);
  BOOST_TEST(m[4] == gm[1]);
  // 1 MiB in 16 KiB pages: at least 64 pages.
  BOOST_TEST(std::stoull(m[2]) >= 64u);
  {
    // The snapshot's light-client update is signed by the node key's own Ed25519 key.
    auto d = storage::db::open(dir / "d");
    BOOST_REQUIRE(d);
    storage::snapshot_store store(**d);
    auto bytes = store.read_update(std::string(m[1]), 0);
    BOOST_REQUIRE(bytes);
    auto update = snapshot::decode_update(*bytes);
    BOOST_REQUIRE(update);
    BOOST_REQUIRE_EQUAL(update->signatures.size(), 1u);
    const auto node_key = libp2p::load_identity(dir / "node.key")->public_key();
    BOOST_TEST(update->signatures[0].signer == node_key);
    const auto signed_bytes = snapshot::commitment(*update);
    BOOST_TEST(snapshot::verify_signature(node_key, signed_bytes, update->signatures[0].signature));
    BOOST_TEST(to_hex(update->state_root) == std::string(m[1]));
  }

  check_failure(run({"snapshot", "create", "--data-dir", dir / "d", "--key", dir / "node.key", "--page-size",
                     "16384"}),
                "snapstream snapshot create: build snapshot: a snapshot of state root " + std::string(m[1]) +
                  " exists already");
  const auto more = dir.write("more.txt", "00 00\n");
  BOOST_TEST(run({"state", "import", "--data-dir", dir / "d", more}).code == 0);
  auto second = run({"snapshot", "create", "--data-dir", dir / "d", "--key", dir / "node.key"});
  BOOST_TEST(second.code == 0);
  BOOST_TEST(std::regex_match(second.out, std::regex("plan_id=[0-9a-f]{64} height=2 pages=\\d+ bytes=\\d+ records=" +
                                                     std::to_string(std::stoull(gm[1]) + 1) + "\n")));
}

// ---- selfcheck ----

BOOST_AUTO_TEST_CASE(selfcheck_passes_and_prints_its_figures) {
  auto r = run({"selfcheck", "--records", "3000"});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.empty());
  const auto lines = lines_of(r.out);
  BOOST_REQUIRE_EQUAL(lines.size(), 5u);
  BOOST_TEST(std::regex_match(lines[0], std::regex("state: records=3000 pages=\\d+ bytes=\\d+ page_size=4096 "
                                                   "root=[0-9a-f]{64}")));
  BOOST_TEST(lines[1] == "codec: 24 messages (6 request and 6 response kinds x 2 encodings) round-tripped");
  BOOST_TEST(lines[3] == "tampering refused: chunk page hash, update signature, update below threshold");
  BOOST_TEST(lines[4].starts_with("selfcheck ok seconds="));
}

// ---- node configuration ----

BOOST_AUTO_TEST_CASE(check_config_prints_the_defaults_of_a_minimal_command_line) {
  temp_dir dir;
  auto c = check_config({"--data-dir", dir / "d", "--key", dir / "k", "--p2p-listen", listen_flags_p2p,
                         "--http-listen", "127.0.0.1:0"});
  BOOST_TEST(str(c["data_dir"]) == dir / "d");
  BOOST_TEST(str(c["key_file"]) == dir / "k");
  BOOST_TEST(json::serialize(c["p2p_listen"]) == R"(["/ip4/127.0.0.1/tcp/0"])");
  BOOST_TEST(str(c["http_listen"]) == "127.0.0.1:0");
  BOOST_TEST(c["token"].is_null());
  BOOST_TEST(str(c["token_source"]) == "none");
  BOOST_TEST(str(c["log_level"]) == "info");
  BOOST_TEST(c["rlpx_listen"].is_null());
  BOOST_TEST(c["consumer"].as_object()["auto_resume"].as_bool() == true);
  BOOST_TEST(c["provider"].as_object()["default_chunk_size"].to_number<std::uint64_t>() == 1048576u);
  BOOST_TEST(c["provider"].as_object()["page_size"].to_number<std::uint64_t>() == 65536u);
  BOOST_TEST(c["http"].as_object()["body_limit"].to_number<std::uint64_t>() == 65536u);
  BOOST_TEST(c["host"].as_object()["max_connections"].to_number<std::uint64_t>() == 128u);
}

BOOST_AUTO_TEST_CASE(flags_override_the_config_file_and_env_the_config_token) {
  temp_dir dir;
  const std::string peer_id = make_key(dir, "k");
  const auto config = dir.write("node.json", R"({
    "data_dir": "from-config",
    "key_file": "k",
    "p2p_listen": "/ip4/0.0.0.0/tcp/4001",
    "http_listen": "127.0.0.1:8080",
    "token": "config-token",
    "log_level": "warn",
    "peers": ["/ip4/10.0.0.1/tcp/4001/p2p/)" + peer_id + R"("],
    "provider": {"max_active_sessions": 4, "breaker": {"cool_down_ms": 1500}},
    "consumer": {"auto_resume": true, "restart": {"max_retries": 2}},
    "http": {"body_limit": 4096}
  })");
  // The config alone: paths resolve against the config file's directory.
  auto c = check_config({"--config", config});
  BOOST_TEST(str(c["data_dir"]) == dir / "from-config");
  BOOST_TEST(str(c["key_file"]) == dir / "k");
  BOOST_TEST(json::serialize(c["p2p_listen"]) == R"(["/ip4/0.0.0.0/tcp/4001"])");
  BOOST_TEST(str(c["http_listen"]) == "127.0.0.1:8080");
  BOOST_TEST(str(c["token"]) == "<redacted>");
  BOOST_TEST(str(c["token_source"]) == "config");
  BOOST_TEST(str(c["log_level"]) == "warn");
  BOOST_TEST(c["provider"].as_object()["max_active_sessions"].to_number<std::uint64_t>() == 4u);
  BOOST_TEST(c["provider"].as_object()["breaker"].as_object()["cool_down_ms"].to_number<std::uint64_t>() == 1500u);
  BOOST_TEST(c["consumer"].as_object()["restart"].as_object()["max_retries"].to_number<std::uint64_t>() == 2u);
  BOOST_TEST(c["http"].as_object()["body_limit"].to_number<std::uint64_t>() == 4096u);
  BOOST_TEST(str(c["peers"].as_array()[0]) == "/ip4/10.0.0.1/tcp/4001/p2p/" + peer_id);

  // Flags win over the file; a list flag replaces the file's list.
  auto f = check_config({"--config", config, "--data-dir", "cli-dir", "--p2p-listen", "/ip4/127.0.0.1/tcp/5001",
                         "--p2p-listen", "/ip6/::1/tcp/5002", "--http-listen", "[::1]:9090", "--log-level", "debug",
                         "--no-auto-resume", "--peer", "/ip4/10.0.0.2/tcp/1/p2p/" + peer_id, "--rlpx-listen",
                         "0.0.0.0:30303"});
  BOOST_TEST(str(f["data_dir"]) == "cli-dir");
  BOOST_TEST(json::serialize(f["p2p_listen"]) == R"(["/ip4/127.0.0.1/tcp/5001","/ip6/::1/tcp/5002"])");
  BOOST_TEST(str(f["http_listen"]) == "[::1]:9090");
  BOOST_TEST(str(f["log_level"]) == "debug");
  BOOST_TEST(f["consumer"].as_object()["auto_resume"].as_bool() == false);
  BOOST_TEST(json::serialize(f["peers"]) == "[\"/ip4/10.0.0.2/tcp/1/p2p/" + peer_id + "\"]");
  BOOST_TEST(str(f["rlpx_listen"]) == "0.0.0.0:30303");

  // Token: --token-file > RPP_RPC_TOKEN > config.
  auto e = check_config({"--config", config}, {{"RPP_RPC_TOKEN", "env-token"}});
  BOOST_TEST(str(e["token_source"]) == "RPP_RPC_TOKEN");
  const auto token_file = dir.write("token", "file-token\n");
  auto t = check_config({"--config", config, "--token-file", token_file}, {{"RPP_RPC_TOKEN", "env-token"}});
  BOOST_TEST(str(t["token_source"]) == "token_file");
  BOOST_TEST(str(t["token"]) == "<redacted>");
  // The token itself never appears.
  auto raw = run({"node", "--config", config, "--token-file", token_file, "--check-config"});
  BOOST_TEST(raw.out.find("file-token") == std::string::npos);
  BOOST_TEST(raw.out.find("config-token") == std::string::npos);
  // SNAPSTREAM_LOG applies below the config file and the flag.
  auto l = check_config({"--data-dir", "d", "--key", "k", "--p2p-listen", listen_flags_p2p, "--http-listen",
                         "127.0.0.1:1"},
                        {{"SNAPSTREAM_LOG", "error"}});
  BOOST_TEST(str(l["log_level"]) == "error");
  BOOST_TEST(str(check_config({"--config", config}, {{"SNAPSTREAM_LOG", "error"}})["log_level"]) == "warn");
}

BOOST_AUTO_TEST_CASE(check_config_output_is_itself_a_valid_config) {
  temp_dir dir;
  auto first = check_config({"--data-dir", dir / "d", "--key", dir / "k", "--p2p-listen", listen_flags_p2p,
                             "--http-listen", "127.0.0.1:7000", "--trust", std::string(64, 'a')});
  first.erase("token_source");
  const auto file = dir.write("round.json", json::serialize(first));
  auto second = check_config({"--config", file});
  second.erase("token_source");
  BOOST_TEST(json::serialize(second) == json::serialize(first));
}

BOOST_AUTO_TEST_CASE(trust_accepts_keys_peer_ids_and_files) {
  temp_dir dir;
  const std::string peer_id = make_key(dir, "k");
  const std::string key_hex = to_hex(*libp2p::load_identity(dir / "k")->id().public_key());
  const std::string other(64, 'b');
  const std::vector<std::string> base{"--data-dir", "d", "--key", "k", "--p2p-listen", listen_flags_p2p,
                                      "--http-listen", "127.0.0.1:1"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return check_config(args)["trust"].as_object();
  };
  auto by_id = with({"--trust", peer_id});
  BOOST_TEST(json::serialize(by_id["authorities"]) == "[\"" + key_hex + "\"]");
  BOOST_TEST(by_id["threshold"].to_number<std::uint64_t>() == 1u);

  auto two = with({"--trust", key_hex, "--trust", other, "--threshold", "2"});
  BOOST_TEST(json::serialize(two["authorities"]) == "[\"" + key_hex + "\",\"" + other + "\"]");
  BOOST_TEST(two["threshold"].to_number<std::uint64_t>() == 2u);

  const auto trust_file = dir.write("trust.json", R"({"threshold": 2, "authorities": [")" + peer_id + R"(", ")" +
                                                    other + R"("], "checkpoint": ")" + std::string(64, 'c') +
                                                    R"(", "checkpoint_height": 41})");
  auto file = with({"--trust", trust_file});
  BOOST_TEST(json::serialize(file["authorities"]) == "[\"" + key_hex + "\",\"" + other + "\"]");
  BOOST_TEST(file["threshold"].to_number<std::uint64_t>() == 2u);
  BOOST_TEST(str(file["checkpoint"]) == std::string(64, 'c'));
  BOOST_TEST(file["checkpoint_height"].to_number<std::uint64_t>() == 41u);
}

BOOST_AUTO_TEST_CASE(config_file_errors_name_the_file_and_key) {
  temp_dir dir;
  const std::string peer_id = make_key(dir, "k");
  const std::vector<std::string> base{"--data-dir", "d", "--key", "k", "--p2p-listen", listen_flags_p2p,
                                      "--http-listen", "127.0.0.1:1", "--check-config"};
  auto expect = [&](const std::string& text, const std::string& message) {
    const auto file = dir.write("bad.json", text);
    std::vector<std::string> args{"node", "--config", file};
    args.insert(args.end(), base.begin(), base.end());
    check_failure(run(args), "snapstream node: " + file + ": " + message);
  };
  expect(R"({"provider": {"chunk_sise": 1}})", "unknown key \"provider.chunk_sise\"");
  expect(R"({"datadir": "x"})", "unknown key \"datadir\"");
  expect(R"({"data_dir": 5})", "data_dir: expected a string, got 5");
  expect(R"({"provider": {"max_active_sessions": "many"}})",
         "provider.max_active_sessions: expected an integer from 1 to 1000000, got \"many\"");
  expect(R"({"consumer": {"auto_resume": "yes"}})", "consumer.auto_resume: expected true or false, got \"yes\"");
  expect(R"({"host": 3})", "host: expected an object, got 3");
  expect(R"({"p2p_listen": ["/ip4/1.2.3.4/udp/5"]})",
         "p2p_listen[0]: multiaddr \"/ip4/1.2.3.4/udp/5\": unsupported transport \"udp\" (only tcp)");
  expect(R"({"peers": ["/ip4/1.2.3.4/tcp/5"]})", "peers[0]: '/ip4/1.2.3.4/tcp/5': a peer address must end in /p2p/PEER_ID");
  expect(R"({"trust": {"authorities": ["zz"]}})",
         "trust.authorities[0]: 'zz' is neither a 64-hex Ed25519 public key nor a peer id (peer id \"zz\": peer id "
         "multihash declares 35 digest bytes but has 0)");
  expect(R"({"trust": {"threshold": 2, "authorities": [")" + peer_id + R"("]}})",
         "trust: threshold 2 is outside 1..1");
  expect(R"({"trust": {"authorities": [], "quorum": 1}})", "trust: unknown key \"quorum\"");
  expect("{\"data_dir\": \"a\",\n \"data_dir\": \"b\"}", "line 2 column 11: key \"data_dir\" appears twice in one object");
  expect(R"({"data_dir": "a",})", "line 1 column 18: syntax error");
  expect("[1]", "the top level must be a JSON object");
  expect(R"({"provider": {"page_size": 5000}})",
         "provider.page_size: expected a power of two from 4096 to 4194304, got 5000");
  expect(R"({"provider": {"min_chunk_size": 9000000}})",
         "provider: chunk sizes must satisfy min_chunk_size <= default_chunk_size <= max_chunk_size, got 9000000, "
         "1048576, 8388608");
  expect(R"({"token": "a b"})", "token: the token must be printable ASCII without spaces");
  expect(R"({"token": "x", "token_file": "y"})", "give \"token\" or \"token_file\", not both");
  expect(R"({"log_level": "loud"})", "log_level: 'loud' is not a log level (debug, info, warn or error)");
  expect(R"({"consumer": {"protocols": ["/rpp/snapshots/2.0.0"]}})",
         "consumer.protocols[0]: expected \"/rpp/snapshots/1.3.0\", \"/rpp/snapshots/1.2.0\", \"/rpp/snapshots/1.1.0\" or "
         "\"/rpp/snapshots/1.0.0\", got \"/rpp/snapshots/2.0.0\"");
  expect(R"({"provider": {"breaker": {"window_ms": -1}}})",
         "provider.breaker.window_ms: expected an integer from 1 to 86400000, got -1");

  check_failure(run({"node", "--config", dir / "absent.json", "--check-config"}),
                "snapstream node: cannot read " + (dir / "absent.json") + ": No such file or directory");
  const auto bad_trust = dir.write("trust.json", R"({"threshold": 1})");
  std::vector<std::string> args{"node", "--trust", bad_trust};
  args.insert(args.end(), base.begin(), base.end());
  check_failure(run(args), "snapstream node: " + bad_trust + ": \"authorities\" is missing");
}

BOOST_AUTO_TEST_CASE(check_config_reads_the_swarm_settings_and_flags_override_the_limits) {
  temp_dir dir;
  const auto config = dir.write("swarm.json", R"({
    "data_dir": "d", "key_file": "k", "p2p_listen": "/ip4/127.0.0.1/tcp/0", "http_listen": "127.0.0.1:1",
    "retain_snapshots": 3,
    "provider": {"upload_limit": {"bytes_per_second": 1048576, "per_peer_bytes_per_second": 65536}},
    "consumer": {"discovery_timeout_ms": 5000, "max_pending_writes": 4}
  })");
  auto c = check_config({"--config", config});
  BOOST_TEST(c["retain_snapshots"].to_number<std::uint64_t>() == 3u);
  auto limit = c["provider"].as_object()["upload_limit"].as_object();
  BOOST_TEST(limit["bytes_per_second"].to_number<std::uint64_t>() == 1048576u);
  BOOST_TEST(limit["per_peer_bytes_per_second"].to_number<std::uint64_t>() == 65536u);
  BOOST_TEST(c["consumer"].as_object()["discovery_timeout_ms"].to_number<std::uint64_t>() == 5000u);
  BOOST_TEST(c["consumer"].as_object()["max_pending_writes"].to_number<std::uint64_t>() == 4u);

  auto f = check_config({"--config", config, "--upload-limit", "100MB/s", "--upload-limit-per-peer=0"});
  limit = f["provider"].as_object()["upload_limit"].as_object();
  BOOST_TEST(limit["bytes_per_second"].to_number<std::uint64_t>() == 100'000'000u);
  BOOST_TEST(limit["per_peer_bytes_per_second"].to_number<std::uint64_t>() == 0u);

  // The defaults, from a command line alone.
  auto d = check_config({"--data-dir", "d", "--key", "k", "--p2p-listen", listen_flags_p2p, "--http-listen",
                         "127.0.0.1:1"});
  BOOST_TEST(d["retain_snapshots"].to_number<std::uint64_t>() == 2u);
  BOOST_TEST(d["consumer"].as_object()["discovery_timeout_ms"].to_number<std::uint64_t>() == 30000u);
  BOOST_TEST(d["consumer"].as_object()["max_pending_writes"].to_number<std::uint64_t>() == 8u);
  BOOST_TEST(json::serialize(d["provider"].as_object()["upload_limit"]) ==
             R"({"bytes_per_second":0,"per_peer_bytes_per_second":0})");
}

BOOST_AUTO_TEST_CASE(swarm_config_errors_name_the_key) {
  temp_dir dir;
  const std::vector<std::string> base{"--data-dir", "d", "--key", "k", "--p2p-listen", listen_flags_p2p,
                                      "--http-listen", "127.0.0.1:1", "--check-config"};
  auto expect = [&](const std::string& text, const std::string& message) {
    const auto file = dir.write("bad.json", text);
    std::vector<std::string> args{"node", "--config", file};
    args.insert(args.end(), base.begin(), base.end());
    check_failure(run(args), "snapstream node: " + file + ": " + message);
  };
  expect(R"({"retain_snapshots": 0})", "retain_snapshots: expected an integer from 1 to 1000, got 0");
  expect(R"({"retain_snapshots": "all"})", "retain_snapshots: expected an integer from 1 to 1000, got \"all\"");
  expect(R"({"consumer": {"max_pending_writes": 0}})",
         "consumer.max_pending_writes: expected an integer from 1 to 1024, got 0");
  expect(R"({"consumer": {"discovery_timeout_ms": 0}})",
         "consumer.discovery_timeout_ms: expected an integer from 1 to 86400000, got 0");
  expect(R"({"consumer": {"discovery_timeout": 5}})", "unknown key \"consumer.discovery_timeout\"");
  expect(R"({"provider": {"upload_limit": 5}})", "provider.upload_limit: expected an object, got 5");
  expect(R"({"provider": {"upload_limit": {"bytes_per_second": -1}}})",
         "provider.upload_limit.bytes_per_second: expected an integer from 0 to 1099511627776, got -1");
  expect(R"({"provider": {"upload_limit": {"per_peer_bytes_per_second": "1MiB"}}})",
         "provider.upload_limit.per_peer_bytes_per_second: expected an integer from 0 to 1099511627776, got \"1MiB\"");
  expect(R"({"provider": {"upload_limit": {"burst": 1}}})", "unknown key \"provider.upload_limit.burst\"");
}

BOOST_AUTO_TEST_CASE(bad_swarm_flags_exit_2) {
  const std::string node_usage = "Usage: snapstream node --data-dir DIR";
  const std::vector<std::string> node{"node", "--data-dir", "d", "--key", "k", "--http-listen", "127.0.0.1:1",
                                      "--p2p-listen", listen_flags_p2p, "--check-config"};
  auto with = [&](std::vector<std::string> base, std::vector<std::string> extra) {
    base.insert(base.end(), extra.begin(), extra.end());
    return run(base);
  };
  check_usage_error(with(node, {"--upload-limit", "lots"}),
                    "snapstream node: --upload-limit: 'lots' is not a rate (a size per second, e.g. 50MiB/s; 0 = "
                    "unlimited)",
                    node_usage);
  check_usage_error(with(node, {"--upload-limit-per-peer"}),
                    "snapstream node: option --upload-limit-per-peer needs a value (BYTES/s)", node_usage);
  check_usage_error(with(node, {"--upload-limit", "1MiB", "--upload-limit", "2MiB"}),
                    "snapstream node: option --upload-limit given twice", node_usage);

  const std::string sync_usage = "Usage: snapstream sync";
  const std::string a = libp2p::identity::generate().id().to_string();
  const std::string b = libp2p::identity::generate().id().to_string();
  const std::vector<std::string> sync{"sync", "--http", "127.0.0.1:1"};
  check_usage_error(with(sync, {"--plan-id", "abc"}), "snapstream sync: --plan-id: 'abc' is not 64 hex characters",
                    sync_usage);
  check_usage_error(with(sync, {"--plan-id", std::string(63, 'a') + "g"}),
                    "snapstream sync: --plan-id: '" + std::string(63, 'a') + "g' is not 64 hex characters",
                    sync_usage);
  check_usage_error(with(sync, {"--peer", a, "--peer", "nonsense"}),
                    "snapstream sync: --peer: 'nonsense' is not a peer id (peer id \"nonsense\": peer id multihash "
                    "length is not one byte)",
                    sync_usage);
  check_usage_error(with(sync, {"--peer", a, "--peer", b, "--resume", "3"}),
                    "snapstream sync: --resume: give at most one --peer (a resumed session keeps its providers)",
                    sync_usage);
  check_usage_error(with(sync, {"--plan-id", std::string(64, 'a'), "--resume", "3"}),
                    "snapstream sync: --plan-id: a resumed session keeps its snapshot (leave out --plan-id)",
                    sync_usage);
}

BOOST_AUTO_TEST_CASE(bad_node_flags_exit_2) {
  const std::string node_usage = "Usage: snapstream node --data-dir DIR";
  const std::vector<std::string> base{"node", "--data-dir", "d", "--key", "k", "--http-listen", "127.0.0.1:1",
                                      "--check-config"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  check_usage_error(with({}), "snapstream node: missing required option --p2p-listen", node_usage);
  check_usage_error(with({"--p2p-listen", "/ip4/1.2.3.4/udp/5"}),
                    "snapstream node: --p2p-listen: multiaddr \"/ip4/1.2.3.4/udp/5\": unsupported transport \"udp\" "
                    "(only tcp)",
                    node_usage);
  check_usage_error(with({"--p2p-listen", "/dns4/example.org/tcp/1"}),
                    "snapstream node: --p2p-listen: '/dns4/example.org/tcp/1': a listen address must be "
                    "/ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT",
                    node_usage);
  check_usage_error(with({"--p2p-listen", listen_flags_p2p, "--trust", "abc"}),
                    "snapstream node: --trust: 'abc' is not a 64-hex Ed25519 public key, a peer id, or an existing "
                    "trust file",
                    node_usage);
  check_usage_error(with({"--p2p-listen", listen_flags_p2p, "--threshold", "2"}),
                    "snapstream node: --threshold: there is no authority to count (give --trust)", node_usage);
  check_usage_error(with({"--p2p-listen", listen_flags_p2p, "--trust", std::string(64, 'a'), "--threshold", "2"}),
                    "snapstream node: trust: threshold 2 is outside 1..1", node_usage);
  check_usage_error(with({"--p2p-listen", listen_flags_p2p, "--http-listen", "127.0.0.1:99999"}),
                    "snapstream node: option --http-listen given twice", node_usage);
  check_usage_error(run({"node", "--data-dir", "d", "--key", "k", "--p2p-listen", listen_flags_p2p, "--http-listen",
                         "127.0.0.1:99999"}),
                    "snapstream node: --http-listen: '127.0.0.1:99999' is not HOST:PORT (the port must be a number "
                    "from 0 to 65535)",
                    node_usage);
}

#if SNAPSTREAM_HAVE_NODE_RUNTIME
BOOST_AUTO_TEST_CASE(trust_given_the_provider_key_file_says_to_give_its_peer_id) {
  // given: the provider's key file, as a new user might pass it to --trust
  temp_dir dir;
  const std::string provider = make_key(dir, "provider.key");
  // when: the consumer is started with it
  auto r = run({"node", "--data-dir", dir / "d", "--key", dir / "k", "--p2p-listen", listen_flags_p2p,
                "--http-listen", "127.0.0.1:0", "--trust", dir / "provider.key", "--check-config"});
  // then: a usage error that says what the file is and what --trust takes
  check_usage_error(r,
                    "snapstream node: --trust: " + (dir / "provider.key") +
                      " looks like a node key file (snapstream keygen), not a trust file; --trust wants a peer id "
                      "(12D3KooW...), a 64-hex Ed25519 public key or a trust file (JSON): to trust this key, give "
                      "--trust " + provider,
                    "Usage: snapstream node --data-dir DIR");
  // and the peer id it names works
  auto c = check_config({"--data-dir", dir / "d", "--key", dir / "k", "--p2p-listen", listen_flags_p2p,
                         "--http-listen", "127.0.0.1:0", "--trust", provider});
  BOOST_TEST(c["trust"].as_object()["authorities"].as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(node_prints_its_startup_line_and_stops_on_sigterm) {
  temp_dir dir;
  const std::string peer_id = make_key(dir, "k");
  child node({"node", "--data-dir", dir / "d", "--key", dir / "k", "--p2p-listen", listen_flags_p2p,
              "--http-listen", "127.0.0.1:0"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (node.out_so_far().find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    node.pump(std::chrono::milliseconds(100));
  }
  const std::string line = first_line(node.out_so_far());
  BOOST_TEST(std::regex_match(line, std::regex("node peer_id=" + peer_id + " p2p=/ip4/127\\.0\\.0\\.1/tcp/[1-9][0-9]*/p2p/" +
                                               peer_id + " http=127\\.0\\.0\\.1:[1-9][0-9]*")),
             line);
  node.signal(SIGTERM);
  auto r = node.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 0);
}
#else
BOOST_AUTO_TEST_CASE(node_without_a_runtime_says_so) {
  temp_dir dir;
  check_failure(run({"node", "--data-dir", dir / "d", "--key", dir / "k", "--p2p-listen", listen_flags_p2p,
                     "--http-listen", "127.0.0.1:0"}),
                "snapstream node: this build has no node runtime (app/node_runtime.cpp was missing when it was "
                "configured)");
}
#endif
