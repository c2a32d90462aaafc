#define BOOST_TEST_MODULE net_rlpx_interop
#include <boost/test/unit_test.hpp>

// snapstream's RLPx host against @ethereumjs/devp2p 10 (interop/devp2p/peer.mjs):
//  1. ethereumjs (eth/68 + snap/1) dials us and we dial it: Hello and Status succeed both ways;
//  2. it sends GetAccountRange on 0x21 and decodes our AccountRange on 0x22; we send
//     GetAccountRange and decode its scripted AccountRange;
//  3. an ethereumjs peer offering only snap/1 does the same on 0x10/0x11;
//  4. a corrupted frame (bad MAC, bad RLP, unknown code) from one ethereumjs peer drops
//     that peer and leaves another connected one working;
//  5. EIP-2124: ethereumjs peers at hardforks before, at and after our chain config's
//     current fork, dialling us and dialled by us, stay and exchange snap messages,
//     or are dropped with the rule that failed.

#include "node_peer.hpp"
#include "protocol/rlpx/snap_messages.hpp"

#include <string>

using namespace snapstream;
using namespace snapstream::net::rlpx;
using namespace snapstream::net::rlpx::test;
namespace snap = snapstream::rlpx::snap;
namespace json = boost::json;
using wire::p2p::disconnect_reason;

namespace {

hash256 filled(std::uint8_t b) {
  hash256 h;
  h.fill(b);
  return h;
}

// What we serve for GetAccountRange: two accounts and one proof node.
std::optional<byte_buffer> our_accounts(std::uint64_t code, bytes_view request) {
  if (code != snap::get_account_range_code) return std::nullopt;
  auto req = snap::decode_get_account_range(request);
  if (!req) return std::nullopt;
  static const byte_buffer body1{0xc4, 0x01, 0x02, 0x03, 0x04};
  static const byte_buffer body2{0xc1, 0x80};
  static const byte_buffer proof{0xde, 0xad};
  snap::account_range r{req->request_id, {{filled(0x11), body1}, {filled(0x22), body2}}, {proof}};
  return snap::encode(r);
}

std::string layout(const std::vector<wire::shared_capability>& caps) {
  std::string s;
  for (const auto& c : caps) {
    if (!s.empty()) s += ' ';
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s/%llu@0x%02llx", c.name.c_str(), static_cast<unsigned long long>(c.version),
                  static_cast<unsigned long long>(c.offset));
    s += buf;
  }
  return s;
}

// "eth:16+17 snap:33+8" from the script's `connected` event (its own offsets).
std::string js_layout(const json::object& connected) {
  std::string s;
  for (const auto& p : connected.at("protocols").as_array()) {
    const auto& o = p.as_object();
    if (!s.empty()) s += ' ';
    s += std::string(o.at("name").as_string()) + ":" + std::to_string(o.at("offset").as_int64()) + "+" +
         std::to_string(o.at("length").as_int64());
  }
  return s;
}

wire::public_key id_of(const json::object& connected) {
  wire::public_key id{};
  auto r = from_hex_into(std::string(connected.at("localId").as_string()), id);
  BOOST_REQUIRE(r.has_value());
  return id;
}

std::optional<peer_info> find_peer(const host& h, const wire::public_key& id) {
  for (auto& p : h.peers())
    if (p.id == id) return p;
  return std::nullopt;
}

bool contains(const std::vector<std::int64_t>& v, std::int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The script's eth Status check passed on its side and it reports ours.
void check_js_status(const std::optional<json::object>& status) {
  BOOST_REQUIRE_MESSAGE(status.has_value(), "ethereumjs never accepted our Status");
  BOOST_TEST(status->at("networkId").as_int64() == 1);
  BOOST_TEST(status->at("genesis").as_string() == "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");
  BOOST_TEST(status->at("forkHash").as_string() == "0x07c9462e"); // ours: BPO2 (loopback_config's clock)
}

// The AccountRange ethereumjs decoded from us.
void check_js_decoded_ours(const std::optional<json::object>& range) {
  BOOST_REQUIRE_MESSAGE(range.has_value(), "ethereumjs did not decode our AccountRange");
  const auto& accounts = range->at("accounts").as_array();
  BOOST_REQUIRE_EQUAL(accounts.size(), 2u);
  BOOST_TEST(accounts[0].as_object().at("hash").as_string() == "0x" + to_hex(filled(0x11)));
  BOOST_TEST(accounts[0].as_object().at("body").as_string() == "0xc401020304");
  BOOST_TEST(accounts[1].as_object().at("hash").as_string() == "0x" + to_hex(filled(0x22)));
  BOOST_TEST(accounts[1].as_object().at("body").as_string() == "0xc180");
  BOOST_REQUIRE_EQUAL(range->at("proof").as_array().size(), 1u);
  BOOST_TEST(range->at("proof").as_array()[0].as_string() == "0xdead");
}

// The AccountRange we decoded from ethereumjs (peer.mjs's scripted reply).
void check_we_decoded_theirs(const result<snap_reply<snap::account_range>>& reply) {
  BOOST_REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message()));
  const auto& m = reply->message;
  BOOST_REQUIRE_EQUAL(m.accounts.size(), 2u);
  BOOST_TEST((m.accounts[0].hash == filled(0x33)));
  BOOST_TEST(to_hex(m.accounts[0].body) == "c50102030405");
  BOOST_TEST((m.accounts[1].hash == filled(0x44)));
  BOOST_TEST(to_hex(m.accounts[1].body) == "c180");
  BOOST_REQUIRE_EQUAL(m.proof.size(), 1u);
  BOOST_TEST(to_hex(m.proof[0]) == "beef");
}

asio::awaitable<std::unique_ptr<host>> started(asio::any_io_executor ex, host_config cfg) {
  auto h = host::create(ex, std::move(cfg));
  BOOST_REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message()));
  auto ep = (*h)->start();
  BOOST_REQUIRE_MESSAGE(ep.has_value(), (ep ? "" : ep.error().message()));
  co_return std::move(*h);
}

const snap::get_account_range any_range{0, filled(0xaa), filled(0x00), filled(0xff), 512 * 1024};

// ------------------------------------------------------------------ bodies

asio::awaitable<void> both_directions_eth_and_snap(asio::any_io_executor ex) {
  event_log ours;
  auto cfg = loopback_config();
  cfg.on_event = ours.sink();
  cfg.snap.provider = our_accounts;
  auto h = co_await started(ex, cfg);

  // (a) ethereumjs dials us.
  node_peer inbound(ex);
  std::vector<std::string> dial_args{"--role", "dial", "--target", h->enode(), "--name", "inbound"};
  inbound.start(dial_args);
  auto connected = co_await inbound.wait_for("connected");
  BOOST_REQUIRE_MESSAGE(connected.has_value(), "ethereumjs did not connect to us");
  BOOST_TEST(js_layout(*connected) == "eth:16+17 snap:33+8");
  BOOST_TEST(connected->at("protocolVersion").as_int64() == 5);
  const auto js_in = id_of(*connected);
  check_js_status(co_await inbound.wait_for("status"));
  const std::function<bool()> status_in = [&] {
    auto p = find_peer(*h, js_in);
    return p && p->eth_status.has_value();
  };
  { const bool ok1 = co_await wait_until(ex, status_in); BOOST_REQUIRE(ok1); }
  const auto info = *find_peer(*h, js_in);
  BOOST_TEST(info.inbound);
  BOOST_TEST(info.client_id == "ethereumjs-devp2p/interop");
  BOOST_TEST(layout(info.capabilities) == "eth/68@0x10 snap/1@0x21");
  BOOST_TEST(info.eth_status->version == 68u);
  BOOST_TEST(info.eth_status->network_id == 1u);
  BOOST_TEST(to_hex(info.eth_status->fork.hash) == "c376cf8b"); // its default hardfork, prague
  BOOST_TEST(info.eth_status->fork.next == 1764798551u);        // which knows Osaka

  // (2) its GetAccountRange went out on 0x21 and it decoded our AccountRange from 0x22.
  check_js_decoded_ours(co_await inbound.wait_for("account_range", "reqId", 7));
  BOOST_TEST(contains(inbound.codes("frame_out"), 0x21));
  BOOST_TEST(contains(inbound.codes("frame_in"), 0x22));
  // Our GetAccountRange, decoded by it (0x21 in), answered with its script (0x22 out).
  auto reply = co_await h->request_account_range(js_in, any_range);
  check_we_decoded_theirs(reply);
  auto served = co_await inbound.wait_for("served", "reqId", static_cast<std::int64_t>(reply->message.request_id));
  BOOST_REQUIRE(served.has_value());
  BOOST_TEST(contains(inbound.codes("frame_in"), 0x21));
  BOOST_TEST(contains(inbound.codes("frame_out"), 0x22));

  // (b) we dial ethereumjs.
  node_peer outbound(ex);
  std::vector<std::string> listen_args{"--role", "listen", "--name", "outbound"};
  outbound.start(listen_args);
  auto listening = co_await outbound.wait_for("listening");
  BOOST_REQUIRE(listening.has_value());
  auto dialled = co_await h->dial(std::string(listening->at("enode").as_string()));
  BOOST_REQUIRE_MESSAGE(dialled.has_value(), (dialled ? "" : dialled.error().message()));
  BOOST_TEST(!dialled->inbound);
  BOOST_TEST(layout(dialled->capabilities) == "eth/68@0x10 snap/1@0x21");
  auto connected_out = co_await outbound.wait_for("connected");
  BOOST_REQUIRE(connected_out.has_value());
  BOOST_TEST(js_layout(*connected_out) == "eth:16+17 snap:33+8");
  check_js_status(co_await outbound.wait_for("status"));
  const auto js_out = dialled->id;
  const std::function<bool()> status_out = [&] {
    auto p = find_peer(*h, js_out);
    return p && p->eth_status.has_value();
  };
  { const bool ok2 = co_await wait_until(ex, status_out); BOOST_REQUIRE(ok2); }
  check_js_decoded_ours(co_await outbound.wait_for("account_range", "reqId", 7));
  auto reply_out = co_await h->request_account_range(js_out, any_range);
  check_we_decoded_theirs(reply_out);
  BOOST_TEST(contains(outbound.codes("frame_out"), 0x21));
  BOOST_TEST(contains(outbound.codes("frame_in"), 0x22));

  // Shutting down tells both "client quitting".
  co_await h->shutdown();
  node_peer* const both[] = {&inbound, &outbound};
  for (auto* js : both) {
    auto removed = co_await js->wait_for("removed");
    BOOST_REQUIRE(removed.has_value());
    BOOST_TEST(removed->at("reason").as_int64() == 0x08);
    BOOST_TEST(!removed->at("disconnectWe").as_bool());
  }
  BOOST_TEST(ours.count(peer_event_kind::eth_status) == 2u);
}

asio::awaitable<void> snap_only_peer(asio::any_io_executor ex) {
  auto cfg = loopback_config();
  cfg.snap.provider = our_accounts;
  auto h = co_await started(ex, cfg);
  node_peer js(ex);
  std::vector<std::string> args{"--role", "dial", "--target", h->enode(), "--caps", "snap", "--name", "snaponly"};
  js.start(args);
  auto connected = co_await js.wait_for("connected");
  BOOST_REQUIRE(connected.has_value());
  BOOST_TEST(js_layout(*connected) == "snap:16+8");
  const auto js_id = id_of(*connected);
  const std::function<bool()> listed = [&] { return find_peer(*h, js_id).has_value(); };
  { const bool ok3 = co_await wait_until(ex, listed); BOOST_REQUIRE(ok3); }
  BOOST_TEST(layout(find_peer(*h, js_id)->capabilities) == "snap/1@0x10");
  BOOST_TEST(!find_peer(*h, js_id)->eth_status.has_value());

  check_js_decoded_ours(co_await js.wait_for("account_range", "reqId", 7));
  BOOST_TEST(contains(js.codes("frame_out"), 0x10));
  BOOST_TEST(contains(js.codes("frame_in"), 0x11));
  auto reply = co_await h->request_account_range(js_id, any_range);
  check_we_decoded_theirs(reply);
  auto served = co_await js.wait_for("served", "reqId", static_cast<std::int64_t>(reply->message.request_id));
  BOOST_REQUIRE(served.has_value());
  BOOST_TEST(contains(js.codes("frame_in"), 0x10));
  BOOST_TEST(contains(js.codes("frame_out"), 0x11));
  // Nothing was ever sent on the eth/68 + snap/1 offsets.
  BOOST_TEST(!contains(js.codes("frame_in"), 0x21));
  BOOST_TEST(!contains(js.codes("frame_in"), 0x22));
  co_await h->shutdown();
}

asio::awaitable<void> corrupted_frames_drop_only_the_sender(asio::any_io_executor ex) {
  event_log ours;
  auto cfg = loopback_config();
  cfg.on_event = ours.sink();
  cfg.snap.provider = our_accounts;
  auto h = co_await started(ex, cfg);

  // B: a well-behaved ethereumjs peer that stays connected throughout.
  node_peer b(ex);
  std::vector<std::string> b_args{"--role", "dial", "--target", h->enode(), "--name", "B"};
  b.start(b_args);
  auto b_connected = co_await b.wait_for("connected");
  BOOST_REQUIRE(b_connected.has_value());
  const auto b_id = id_of(*b_connected);
  check_js_status(co_await b.wait_for("status"));
  check_js_decoded_ours(co_await b.wait_for("account_range", "reqId", 7));

  std::int64_t b_next_request = 8;
  const char* const bad_frames[] = {"corrupt-mac", "bad-rlp", "unknown-code"};
  for (const char* bad : bad_frames) {
    BOOST_TEST_CONTEXT(bad) {
      node_peer a(ex);
      std::vector<std::string> a_args{"--role", "dial", "--target", h->enode(), "--name", "A"};
      a.start(a_args);
      auto a_connected = co_await a.wait_for("connected");
      BOOST_REQUIRE(a_connected.has_value());
      const auto a_id = id_of(*a_connected);
      check_js_status(co_await a.wait_for("status"));
      check_js_decoded_ours(co_await a.wait_for("account_range", "reqId", 7));

      a.command(bad);
      auto removed = co_await a.wait_for("removed");
      BOOST_REQUIRE_MESSAGE(removed.has_value(), "ethereumjs peer A was not disconnected");
      BOOST_TEST(removed->at("reason").as_int64() == 0x02); // breach of protocol, sent by us
      BOOST_TEST(!removed->at("disconnectWe").as_bool());
      const std::function<bool()> a_gone = [&] { return !find_peer(*h, a_id).has_value(); };
      { const bool ok4 = co_await wait_until(ex, a_gone); BOOST_REQUIRE(ok4); }
      const auto* dropped = ours.last(peer_event_kind::disconnected);
      BOOST_REQUIRE(dropped != nullptr);
      BOOST_TEST((dropped->peer.id == a_id));
      BOOST_TEST((dropped->reason == disconnect_reason::breach_of_protocol));
      BOOST_TEST(dropped->by_us);

      // B is unharmed: still listed, still served, still serving.
      BOOST_REQUIRE(find_peer(*h, b_id).has_value());
      b.command("request");
      check_js_decoded_ours(co_await b.wait_for("account_range", "reqId", b_next_request++));
      auto reply = co_await h->request_account_range(b_id, any_range);
      check_we_decoded_theirs(reply);
    }
  }
  auto b_removed = co_await b.wait_for("removed", "", 0, 200ms);
  BOOST_TEST(!b_removed.has_value());
  co_await h->shutdown();
}

asio::awaitable<void> keepalive_both_ways(asio::any_io_executor ex) {
  event_log ours;
  auto cfg = loopback_config();
  cfg.on_event = ours.sink();
  cfg.snap.provider = our_accounts;
  cfg.ping_interval = 200ms; // ethereumjs pings every 15 s (fixed); we ping fast
  cfg.pong_timeout = 2000ms;
  auto h = co_await started(ex, cfg);
  node_peer js(ex);
  std::vector<std::string> args{"--role", "dial", "--target", h->enode(), "--name", "keepalive"};
  js.start(args);
  auto connected = co_await js.wait_for("connected");
  BOOST_REQUIRE(connected.has_value());
  const auto js_id = id_of(*connected);
  // It receives our (Snappy-compressed) Pings and answers each; we stay connected.
  for (int i = 0; i < 5; ++i) {
    auto ping = co_await js.wait_for("ping_in");
    BOOST_REQUIRE(ping.has_value());
    js.command("request"); // interleave other traffic with the keep-alive
    check_js_decoded_ours(co_await js.wait_for("account_range", "reqId", 8 + i));
  }
  // Its Ping gets our Pong.
  js.command("ping");
  auto pong = co_await js.wait_for("pong_in");
  BOOST_REQUIRE_MESSAGE(pong.has_value(), "ethereumjs got no Pong from us");
  BOOST_TEST(find_peer(*h, js_id).has_value());
  BOOST_TEST(ours.count(peer_event_kind::disconnected) == 0u);
  auto removed = co_await js.wait_for("removed", "", 0, 100ms);
  BOOST_TEST(!removed.has_value());
  co_await h->shutdown();
}

// ------------------------------------------------------------ fork ids (EIP-2124)

// One of our hosts, as a chain config and a clock.
struct our_node {
  const char* name;
  host_config config;
  std::unique_ptr<host> h;
  event_log events;
};

enum class outcome { stays, dropped };

struct fork_case {
  our_node* ours;
  const char* hardfork; // of the ethereumjs peer (mainnet Common)
  outcome expected;
  const char* rule;     // for `dropped`: the text our reason must hold
};

const peer_event* event_for(const event_log& log, peer_event_kind kind, const wire::public_key& id) {
  for (const auto& e : log.events)
    if (e.kind == kind && e.peer.id == id) return &e;
  return nullptr;
}

// One peer, one direction: it stays (Status both ways, snap both ways) or we
// drop it with subprotocol_error and the rule in the reason.
asio::awaitable<void> one_fork_case(asio::any_io_executor ex, fork_case c, bool js_dials) {
  const std::string label = std::string(c.ours->name) + " vs ethereumjs@" + c.hardfork + (js_dials ? " (it dials)" : " (we dial)");
  BOOST_TEST_CONTEXT(label) {
    host& h = *c.ours->h;
    node_peer js(ex);
    std::vector<std::string> args{"--hardfork", c.hardfork, "--name", label};
    if (js_dials) {
      args.insert(args.end(), {"--role", "dial", "--target", h.enode()});
      js.start(args);
    } else {
      args.insert(args.end(), {"--role", "listen"});
      js.start(args);
      auto listening = co_await js.wait_for("listening");
      BOOST_REQUIRE(listening.has_value());
      auto dialled = co_await h.dial(std::string(listening->at("enode").as_string()));
      BOOST_REQUIRE_MESSAGE(dialled.has_value(), (dialled ? "" : dialled.error().message()));
    }
    auto connected = co_await js.wait_for("connected");
    BOOST_REQUIRE(connected.has_value());
    BOOST_TEST(connected->at("hardfork").as_string() == c.hardfork);
    const auto js_id = id_of(*connected);
    if (c.expected == outcome::stays) {
      const std::function<bool()> accepted = [&] {
        auto p = find_peer(h, js_id);
        return p && p->eth_status.has_value();
      };
      const bool ok = co_await wait_until(ex, accepted);
      BOOST_REQUIRE_MESSAGE(ok, "we did not accept its Status");
      BOOST_TEST(to_hex(find_peer(h, js_id)->eth_status->fork.hash) ==
                 std::string(connected->at("forkHash").as_string()).substr(2));
      // It accepted ours, asked us for accounts and decoded them; we ask it.
      auto status = co_await js.wait_for("status");
      BOOST_REQUIRE_MESSAGE(status.has_value(), "ethereumjs did not accept our Status");
      check_js_decoded_ours(co_await js.wait_for("account_range", "reqId", 7));
      auto reply = co_await h.request_account_range(js_id, any_range);
      check_we_decoded_theirs(reply);
      BOOST_TEST(event_for(c.ours->events, peer_event_kind::disconnected, js_id) == nullptr);
    } else {
      const std::function<bool()> gone = [&] {
        return event_for(c.ours->events, peer_event_kind::disconnected, js_id) != nullptr;
      };
      const bool ok = co_await wait_until(ex, gone);
      BOOST_REQUIRE_MESSAGE(ok, "we did not drop it");
      const auto* e = event_for(c.ours->events, peer_event_kind::disconnected, js_id);
      BOOST_TEST(e->by_us);
      BOOST_TEST((e->reason == disconnect_reason::subprotocol_error));
      BOOST_TEST(e->detail.find(c.rule) != std::string::npos, e->detail);
      BOOST_TEST(event_for(c.ours->events, peer_event_kind::eth_status, js_id) == nullptr);
      auto removed = co_await js.wait_for("removed");
      BOOST_TEST(removed.has_value());
    }
  }
}

// Runs every case in both directions at once (each its own ethereumjs process).
asio::awaitable<void> fork_id_matrix(asio::any_io_executor ex) {
  auto make = [](const char* name, const char* chain, std::uint64_t head_time) {
    our_node n{name, loopback_config(), nullptr, {}};
    n.config.eth.chain = *wire::eth::find_builtin_chain(chain);
    n.config.eth.head_time = head_time;
    n.config.snap.provider = our_accounts;
    return n;
  };
  // Mainnet today (BPO2, no fork scheduled), and as a node saw it in June 2025 (Prague, Osaka next).
  our_node today = make("mainnet@bpo2", "mainnet", mainnet_bpo2_era);
  our_node june = make("mainnet@prague", "mainnet", mainnet_prague_era);
  // Ethereum Classic: mainnet's network id and genesis, another fork history.
  our_node classic = make("classic", "classic", mainnet_bpo2_era);
  // A node whose software stops at Prague (no Osaka), running today.
  our_node outdated = make("mainnet-without-osaka", "mainnet", mainnet_bpo2_era);
  auto& forks = outdated.config.eth.chain.forks;
  forks.erase(std::find_if(forks.begin(), forks.end(), [](const auto& f) { return f.name == "osaka"; }), forks.end());
  our_node* const nodes[] = {&today, &june, &classic, &outdated};
  for (auto* n : nodes) {
    n->config.on_event = n->events.sink();
    n->h = co_await started(ex, n->config);
  }

  const fork_case cases[] = {
    // Before our fork: syncing peers that know what comes next (rule 2), by block and by timestamp.
    {&today, "london", outcome::stays, ""},
    {&today, "cancun", outcome::stays, ""},
    {&today, "bpo1", outcome::stays, ""},
    // At it (rule 1).
    {&today, "bpo2", outcome::stays, ""},
    {&june, "prague", outcome::stays, ""},
    // After it: we are the one behind (rule 3).
    {&june, "osaka", outcome::stays, ""},
    {&june, "bpo2", outcome::stays, ""},
    // ethereumjs at Paris announces the Merge block (15537394) as its next fork,
    // where EIP-2124 wants Shanghai's time: stale by rule 2.
    {&today, "paris", outcome::dropped, "EIP-2124 rule 2"},
    // Classic sees mainnet's Cancun as a fork it never had.
    {&classic, "cancun", outcome::dropped, "EIP-2124 rule 4"},
    // The remote expects Osaka at a time already past here, and we never forked: rule 1a.
    {&outdated, "prague", outcome::dropped, "EIP-2124 rule 1a"},
  };
  // A few at a time: each ethereumjs process spends ~0.7 s of CPU starting,
  // and this machine has two cores.
  std::size_t running = 0;
  std::exception_ptr failure;
  const std::function<bool()> has_room = [&] { return running < 4; };
  for (const auto& c : cases) {
    for (const bool js_dials : {true, false}) {
      { const bool room = co_await wait_until(ex, has_room, 50000ms); BOOST_REQUIRE(room); }
      ++running;
      asio::co_spawn(ex, one_fork_case(ex, c, js_dials), [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
        --running;
      });
    }
  }
  const std::function<bool()> all_done = [&] { return running == 0; };
  const bool done = co_await wait_until(ex, all_done, 50000ms);
  BOOST_REQUIRE_MESSAGE(done, running << " fork-id cases did not finish");
  if (failure) std::rethrow_exception(failure);
  for (auto* n : nodes) co_await n->h->shutdown();
}

struct npm_fixture {
  npm_fixture() { ensure_npm_dependencies(); }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(npm_fixture);

BOOST_AUTO_TEST_CASE(ethereumjs_dials_us_and_we_dial_it_status_and_snap_on_0x21_0x22) {
  run_coroutine_test(both_directions_eth_and_snap);
}
BOOST_AUTO_TEST_CASE(an_ethereumjs_peer_with_only_snap_uses_0x10_and_0x11) { run_coroutine_test(snap_only_peer); }
BOOST_AUTO_TEST_CASE(keep_alive_pings_are_answered_both_ways) { run_coroutine_test(keepalive_both_ways); }
BOOST_AUTO_TEST_CASE(ethereumjs_peers_before_at_and_after_our_fork_stay_or_are_dropped_by_eip2124_rule) {
  run_coroutine_test(fork_id_matrix, 90s);
}
BOOST_AUTO_TEST_CASE(a_corrupted_frame_drops_that_ethereumjs_peer_and_not_another) {
  run_coroutine_test(corrupted_frames_drop_only_the_sender);
}
