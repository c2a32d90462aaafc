// A real `snapstream node --rlpx-listen` dialled by @ethereumjs/devp2p peers
// (interop/devp2p/peer.mjs): GET /p2p/peers lists each RLPx peer with the
// capabilities and message-id offsets negotiated with it — eth/68 at 0x10
// (17 ids) and snap/1 at 0x21 (8 ids) for an eth + snap peer, snap/1 at 0x10
// for a snap-only peer — the same ranges ethereumjs computed on its side; and
// a peer that leaves disappears from the list. A node started with
// `--network classic` drops the same (mainnet) peer by its fork id.
#define BOOST_TEST_MODULE e2e_rlpx_peers_interop
#include <boost/test/unit_test.hpp>

#include "tests/app/process.hpp"
#include "tests/e2e/http_call.hpp"
#include "tests/e2e/node_process.hpp"

#include <boost/json.hpp>

#include <regex>
#include <thread>

using namespace snapstream;
using namespace snapstream::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

/// The first JSON event line of `peer`'s stdout named `name`; fails the test
/// after `limit` or when the peer exits first.
json::object wait_for_event(process& peer, const std::string& name, std::chrono::milliseconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto text = peer.out();
    std::size_t start = 0;
    while (start < text.size()) {
      const auto nl = text.find('\n', start);
      if (nl == std::string::npos) break;
      boost::system::error_code ec;
      auto v = json::parse(std::string_view(text).substr(start, nl - start), ec);
      start = nl + 1;
      if (ec || !v.is_object()) continue;
      const auto* event = v.as_object().if_contains("event");
      if (event != nullptr && event->is_string() && event->as_string() == name) return v.as_object();
    }
    const bool exited = peer.poll_exit().has_value();
    BOOST_REQUIRE_MESSAGE(!exited, peer.name() << " exited before event " << name << ":\n" << text);
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                          peer.name() << " sent no event " << name << " within " << limit.count() << " ms:\n" << text);
    std::this_thread::sleep_for(20ms);
  }
}

/// Starts peer.mjs dialling `enode` with `caps` ("eth,snap" or "snap").
std::unique_ptr<process> start_devp2p_peer(const std::filesystem::path& dir, const std::string& name,
                                           const std::string& enode, const std::string& caps) {
  const auto devp2p = source_path("interop/devp2p");
  return std::make_unique<process>(name, dir,
                                    std::vector<std::string>{"node", (devp2p / "peer.mjs").string(), "--role", "dial",
                                                             "--target", enode, "--caps", caps, "--name", name,
                                                             "--limit", "120000"},
                                    env_changes{}, devp2p, /*stdin_pipe=*/true);
}

/// `GET /p2p/peers` as JSON objects keyed by peer id.
std::map<std::string, json::object> peers_of(std::uint16_t port) {
  auto a = http_get(port, "/p2p/peers", std::nullopt);
  BOOST_REQUIRE_MESSAGE(a.status == 200u, a.status << " " << a.body);
  std::map<std::string, json::object> out;
  const auto list = a.json();
  for (const auto& p : list.as_array()) out[std::string(p.at("peer_id").as_string())] = p.as_object();
  return out;
}

/// Polls `GET /p2p/peers` until `done(peers)` holds (limit 30 s).
template <class Done>
std::map<std::string, json::object> wait_for_peers(std::uint16_t port, Done done, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    auto peers = peers_of(port);
    if (done(peers)) return peers;
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                          "GET /p2p/peers never showed " << what << "; last answer: "
                                                         << http_get(port, "/p2p/peers", std::nullopt).body);
    std::this_thread::sleep_for(50ms);
  }
}

struct offset {
  std::string name;
  std::uint64_t version, offset, length;
};

/// The node's `offsets` array of a peer, and ethereumjs' own `protocols` of
/// its `connected` event, both equal `expected`.
void check_offsets(const json::object& listed, const json::object& connected, const std::vector<offset>& expected) {
  const auto& got = listed.at("offsets").as_array();
  const auto& js = connected.at("protocols").as_array();
  BOOST_REQUIRE_EQUAL(got.size(), expected.size());
  BOOST_REQUIRE_EQUAL(js.size(), expected.size());
  json::array protocols;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    BOOST_TEST_CONTEXT(e.name << "/" << e.version) {
      BOOST_TEST(got[i].at("name").as_string() == e.name);
      BOOST_TEST(json::value_to<std::uint64_t>(got[i].at("version")) == e.version);
      BOOST_TEST(json::value_to<std::uint64_t>(got[i].at("offset")) == e.offset);
      BOOST_TEST(json::value_to<std::uint64_t>(got[i].at("length")) == e.length);
      BOOST_TEST(js[i].at("name").as_string() == e.name);
      BOOST_TEST(json::value_to<std::uint64_t>(js[i].at("offset")) == e.offset);
      BOOST_TEST(json::value_to<std::uint64_t>(js[i].at("length")) == e.length);
    }
    protocols.emplace_back(e.name + "/" + std::to_string(e.version));
  }
  BOOST_TEST(json::serialize(listed.at("protocols")) == json::serialize(protocols));
  BOOST_TEST(listed.at("transport").as_string() == "rlpx");
}

} // namespace

BOOST_AUTO_TEST_CASE(rlpx_peers_are_listed_with_their_negotiated_capability_offsets) {
  // Given a node listening for RLPx on a free loopback port.
  app::test::temp_dir dir;
  BOOST_REQUIRE(app::test::run({"keygen", "--out", dir / "node.key"}).code == 0);
  node_process node("node", dir.path(),
                    {"--data-dir", dir / "node", "--key", dir / "node.key", "--rlpx-listen", "127.0.0.1:0"});
  const auto port = node.http_port();
  const auto m = node.proc().wait_for_output(
    std::regex("INFO rlpx listening enode=(enode://[0-9a-f]{128}@127\\.0\\.0\\.1:([0-9]+))"), /*in_log=*/true);
  const std::string enode = m[1].str();
  BOOST_TEST(m[2].str() != "0");
  BOOST_TEST(peers_of(port).empty());
  ensure_npm_packages(source_path("interop/devp2p"), "@ethereumjs/devp2p/package.json");

  // When an eth/68 + snap/1 peer connects ...
  auto full = start_devp2p_peer(dir.path(), "devp2p-eth-snap", enode, "eth,snap");
  const auto full_connected = wait_for_event(*full, "connected");
  wait_for_event(*full, "status");        // the eth Status exchange passed both ways
  wait_for_event(*full, "account_range"); // our AccountRange came back on its snap range
  const std::string full_id(full_connected.at("localId").as_string());

  // ... then it is listed with eth/68 at 0x10 (17 ids) and snap/1 at 0x21 (8 ids).
  auto peers = wait_for_peers(port, [&](const auto& p) { return p.contains(full_id); }, "the eth + snap peer");
  BOOST_TEST(peers.size() == 1u);
  check_offsets(peers.at(full_id), full_connected, {{"eth", 68, 0x10, 17}, {"snap", 1, 0x21, 8}});
  const auto& addresses = peers.at(full_id).at("addresses").as_array();
  BOOST_REQUIRE_EQUAL(addresses.size(), 1u);
  BOOST_TEST(std::regex_match(std::string(addresses[0].as_string()), std::regex("127\\.0\\.0\\.1:[1-9][0-9]*")));

  // When a snap-only peer connects too, then its snap/1 starts at 0x10.
  auto snap_only = start_devp2p_peer(dir.path(), "devp2p-snap", enode, "snap");
  const auto snap_connected = wait_for_event(*snap_only, "connected");
  wait_for_event(*snap_only, "account_range");
  const std::string snap_id(snap_connected.at("localId").as_string());
  peers = wait_for_peers(port, [&](const auto& p) { return p.contains(snap_id); }, "the snap-only peer");
  BOOST_TEST(peers.size() == 2u);
  check_offsets(peers.at(snap_id), snap_connected, {{"snap", 1, 0x10, 8}});
  check_offsets(peers.at(full_id), full_connected, {{"eth", 68, 0x10, 17}, {"snap", 1, 0x21, 8}});

  // When the eth + snap peer leaves, then only the snap-only peer is listed.
  full->close_stdin();
  BOOST_TEST(full->wait(30s) == 0);
  peers = wait_for_peers(port, [&](const auto& p) { return !p.contains(full_id); }, "the eth + snap peer gone");
  BOOST_TEST(peers.size() == 1u);
  BOOST_TEST(peers.contains(snap_id));

  snap_only->close_stdin();
  BOOST_TEST(snap_only->wait(30s) == 0);
  node.stop_cleanly();
}

BOOST_AUTO_TEST_CASE(a_node_on_ethereum_classic_drops_a_mainnet_peer_naming_the_fork_rule) {
  // Given a node told it is on Ethereum Classic (mainnet's network id and genesis, another fork history).
  app::test::temp_dir dir;
  BOOST_REQUIRE(app::test::run({"keygen", "--out", dir / "node.key"}).code == 0);
  node_process node("node", dir.path(),
                    {"--data-dir", dir / "node", "--key", dir / "node.key", "--rlpx-listen", "127.0.0.1:0",
                     "--network", "classic"});
  const auto m = node.proc().wait_for_output(
    std::regex("INFO rlpx listening enode=(enode://[0-9a-f]{128}@127\\.0\\.0\\.1:[0-9]+) network=classic"),
    /*in_log=*/true);
  ensure_npm_packages(source_path("interop/devp2p"), "@ethereumjs/devp2p/package.json");

  // When an ethereumjs mainnet peer (at Prague) dials it ...
  auto peer = start_devp2p_peer(dir.path(), "devp2p-mainnet", m[1].str(), "eth,snap");
  wait_for_event(*peer, "connected");
  // ... then the node drops it by EIP-2124's rule 4, and says so.
  node.proc().wait_for_output(
    std::regex("peer_dropped .*reason=subprotocol_error detail=\"eth Status: fork id c376cf8b/1764798551 rejected: "
               "EIP-2124 rule 4"),
    /*in_log=*/true);
  wait_for_event(*peer, "removed");
  BOOST_TEST(peers_of(node.http_port()).empty());
  peer->close_stdin();
  peer->wait(30s);
  node.stop_cleanly();
}
