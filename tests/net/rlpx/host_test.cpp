#define BOOST_TEST_MODULE net_rlpx_host
#include <boost/test/unit_test.hpp>

#include "protocol/rlpx/snap_messages.hpp"
#include "test_support.hpp"

#include <string>

using namespace snapstream;
using namespace snapstream::net::rlpx;
using namespace snapstream::net::rlpx::test;
namespace snap = snapstream::rlpx::snap;
using wire::p2p::disconnect_reason;

namespace {

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

std::optional<peer_info> find_peer(const host& h, const wire::public_key& id) {
  for (auto& p : h.peers())
    if (p.id == id) return p;
  return std::nullopt;
}

hash256 filled(std::uint8_t b) {
  hash256 h;
  h.fill(b);
  return h;
}

// Serves GetAccountRange with two fixed accounts and one proof node.
std::optional<byte_buffer> scripted_provider(std::uint64_t code, bytes_view request) {
  if (code != snap::get_account_range_code) return std::nullopt;
  auto req = snap::decode_get_account_range(request);
  if (!req) return std::nullopt;
  static const byte_buffer body1{0xc4, 0x01, 0x02, 0x03, 0x04};
  static const byte_buffer body2{0xc1, 0x80};
  static const byte_buffer proof{0xde, 0xad};
  snap::account_range r{req->request_id, {{filled(0x11), body1}, {filled(0x22), body2}}, {proof}};
  return snap::encode(r);
}

asio::awaitable<std::unique_ptr<host>> started(asio::any_io_executor ex, host_config cfg) {
  auto h = host::create(ex, std::move(cfg));
  BOOST_REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message()));
  auto ep = (*h)->start();
  BOOST_REQUIRE_MESSAGE(ep.has_value(), (ep ? "" : ep.error().message()));
  co_return std::move(*h);
}

// ------------------------------------------------------------------ bodies

asio::awaitable<void> hello_and_status_both_ways(asio::any_io_executor ex) {
  event_log a_events, b_events;
  auto a_cfg = loopback_config();
  a_cfg.on_event = a_events.sink();
  auto b_cfg = loopback_config();
  b_cfg.on_event = b_events.sink();
  auto a = co_await started(ex, a_cfg);
  auto b = co_await started(ex, b_cfg);

  // Both offer eth/68 and eth/69: the highest wins, and snap/1 moves to 0x22.
  auto dialled = co_await b->dial(a->enode());
  BOOST_REQUIRE_MESSAGE(dialled.has_value(), (dialled ? "" : dialled.error().message()));
  BOOST_TEST(layout(dialled->capabilities) == "eth/69@0x10 snap/1@0x22");
  BOOST_TEST(!dialled->inbound);
  BOOST_TEST(dialled->p2p_version == 5u);

  const std::function<bool()> cond_both = [&] {
    return a_events.count(peer_event_kind::eth_status) == 1 && b_events.count(peer_event_kind::eth_status) == 1;
  };
  const bool both = co_await wait_until(ex, cond_both);
  BOOST_REQUIRE(both);
  auto at_a = find_peer(*a, b->node_id());
  auto at_b = find_peer(*b, a->node_id());
  BOOST_REQUIRE(at_a.has_value() && at_b.has_value());
  BOOST_TEST(at_a->inbound);
  BOOST_TEST(layout(at_a->capabilities) == "eth/69@0x10 snap/1@0x22");
  BOOST_REQUIRE(at_a->eth_status.has_value());
  BOOST_TEST(at_a->eth_status->version == 69u);
  BOOST_TEST(at_a->eth_status->network_id == 1u);
  BOOST_TEST((at_a->eth_status->genesis_hash == a_cfg.eth.chain.genesis_hash));
  // eth/69: no td; we hold no chain, so our range is the genesis alone.
  BOOST_TEST((at_a->eth_status->range == wire::eth::block_range{0, 0, a_cfg.eth.chain.genesis_hash}));
  BOOST_TEST(to_hex(at_b->eth_status->fork.hash) == "07c9462e"); // BPO2, mainnet's newest fork
  BOOST_TEST(at_b->eth_status->fork.next == 0u);
  BOOST_TEST(at_b->client_id == "snapstream/0.1.0");

  // A second connection to the same node is refused locally.
  auto again = co_await b->dial(a->enode());
  BOOST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error().is(host_errc::refused));

  co_await b->shutdown();
  co_await a->shutdown();
  BOOST_TEST(a->peers().empty());
}

asio::awaitable<void> snap_requests_both_ways(asio::any_io_executor ex) {
  auto a_cfg = loopback_config();
  a_cfg.snap.provider = scripted_provider;
  auto a = co_await started(ex, a_cfg);
  auto b = co_await started(ex, loopback_config());
  auto dialled = co_await b->dial(a->enode());
  BOOST_REQUIRE(dialled.has_value());

  // B asks A, which serves two accounts.
  snap::get_account_range req{0, filled(0xaa), filled(0x00), filled(0xff), 512 * 1024};
  auto reply = co_await b->request_account_range(a->node_id(), req);
  BOOST_REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message()));
  BOOST_REQUIRE_EQUAL(reply->message.accounts.size(), 2u);
  BOOST_TEST((reply->message.accounts[0].hash == filled(0x11)));
  BOOST_TEST(to_hex(reply->message.accounts[0].body) == "c401020304");
  BOOST_TEST(to_hex(reply->message.accounts[1].body) == "c180");
  BOOST_REQUIRE_EQUAL(reply->message.proof.size(), 1u);
  BOOST_TEST(to_hex(reply->message.proof[0]) == "dead");

  // A asks B, which has no state: the empty responses snap.md prescribes.
  auto empty = co_await a->request_account_range(b->node_id(), req);
  BOOST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->message.accounts.empty());
  BOOST_TEST(empty->message.proof.empty());
  snap::get_storage_ranges storage{0, filled(1), {filled(2)}, {}, {}, 1000};
  auto s = co_await a->request_storage_ranges(b->node_id(), storage);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->message.slots.empty());
  snap::get_byte_codes codes{0, {filled(3)}, 1000};
  auto c = co_await a->request_byte_codes(b->node_id(), codes);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->message.codes.empty());
  snap::get_trie_nodes nodes{0, filled(4), {}, 1000};
  auto n = co_await a->request_trie_nodes(b->node_id(), nodes);
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(n->message.nodes.empty());
  BOOST_TEST(n->message.request_id != c->message.request_id);

  // Unknown peers are reported, not waited for.
  const auto stranger = *wire::derive_public_key(*wire::generate_secret_key());
  auto none = co_await a->request_account_range(stranger, req);
  BOOST_REQUIRE(!none.has_value());
  BOOST_TEST(none.error().is(host_errc::peer_not_found));

  co_await b->shutdown();
  co_await a->shutdown();
}

asio::awaitable<void> snap_only_peer_uses_0x10(asio::any_io_executor ex) {
  auto a_cfg = loopback_config();
  a_cfg.snap.provider = scripted_provider;
  auto a = co_await started(ex, a_cfg);
  auto c_cfg = loopback_config();
  c_cfg.eth.enabled = false;
  auto c = co_await started(ex, c_cfg);
  auto dialled = co_await c->dial(a->enode());
  BOOST_REQUIRE(dialled.has_value());
  BOOST_TEST(layout(dialled->capabilities) == "snap/1@0x10");
  const std::function<bool()> cond_seen = [&] { return find_peer(*a, c->node_id()).has_value(); };
  const bool seen = co_await wait_until(ex, cond_seen);
  BOOST_REQUIRE(seen);
  BOOST_TEST(layout(find_peer(*a, c->node_id())->capabilities) == "snap/1@0x10");
  BOOST_TEST(!find_peer(*a, c->node_id())->eth_status.has_value());

  snap::get_account_range req{0, filled(0xaa), filled(0x00), filled(0xff), 4096};
  auto reply = co_await c->request_account_range(a->node_id(), req);
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->message.accounts.size() == 2u);
  auto back = co_await a->request_account_range(c->node_id(), req);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->message.accounts.empty());
  co_await c->shutdown();
  co_await a->shutdown();
}

// A capability that sorts between eth and snap ("mid/1", 2 codes): its handler
// echoes code 0 as code 1 and records whether code 2 (out of range) is refused.
struct mid_probe {
  int echoes = 0;
  std::optional<error> out_of_range;
};

class mid_handler final : public capability_handler {
public:
  explicit mid_handler(mid_probe& probe) : probe_(probe) {}
  result<void> on_start(peer_session& peer) override {
    auto refused = peer.send("mid", 2, byte_buffer{0xc0});
    if (!refused) probe_.out_of_range = refused.error();
    return peer.send("mid", 0, byte_buffer{0xc0});
  }
  result<void> on_message(peer_session& peer, std::uint64_t code, bytes_view) override {
    if (code == 0) return peer.send("mid", 1, byte_buffer{0xc0});
    ++probe_.echoes;
    return {};
  }

private:
  mid_probe& probe_;
};

asio::awaitable<void> capability_between_eth_and_snap(asio::any_io_executor ex) {
  mid_probe pa, pb;
  auto a_cfg = loopback_config();
  a_cfg.snap.provider = scripted_provider;
  a_cfg.extra_capabilities.push_back({{"mid", 1, 2}, [&pa] { return std::make_unique<mid_handler>(pa); }});
  auto b_cfg = loopback_config();
  b_cfg.extra_capabilities.push_back({{"mid", 1, 2}, [&pb] { return std::make_unique<mid_handler>(pb); }});
  auto a = co_await started(ex, a_cfg);
  auto b = co_await started(ex, b_cfg);
  auto dialled = co_await b->dial(a->enode());
  BOOST_REQUIRE(dialled.has_value());
  BOOST_TEST(layout(dialled->capabilities) == "eth/69@0x10 mid/1@0x22 snap/1@0x24");
  snap::get_account_range req{0, filled(0xaa), filled(0x00), filled(0xff), 4096};
  auto reply = co_await b->request_account_range(a->node_id(), req);
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->message.accounts.size() == 2u);
  const std::function<bool()> cond_echoed = [&] { return pa.echoes == 1 && pb.echoes == 1; };
  const bool echoed = co_await wait_until(ex, cond_echoed);
  BOOST_TEST(echoed);
  BOOST_REQUIRE(pa.out_of_range.has_value());
  BOOST_TEST(pa.out_of_range->is(wire::rlpx_errc::code_out_of_range));
  BOOST_TEST(pa.out_of_range->message() == "mid/1 has 2 message codes; 2 is out of range");
  co_await b->shutdown();
  co_await a->shutdown();
}

asio::awaitable<void> legacy_auth_is_answered_in_kind(asio::any_io_executor ex) {
  event_log a_events;
  auto a_cfg = loopback_config();
  a_cfg.on_event = a_events.sink();
  auto a = co_await started(ex, a_cfg);
  auto b_cfg = loopback_config();
  b_cfg.dial_format = wire::handshake_format::legacy;
  auto b = co_await started(ex, b_cfg);
  auto dialled = co_await b->dial(a->enode());
  BOOST_REQUIRE_MESSAGE(dialled.has_value(), (dialled ? "" : dialled.error().message()));
  const std::function<bool()> cond_status = [&] { return a_events.count(peer_event_kind::eth_status) == 1; };
  const bool status = co_await wait_until(ex, cond_status);
  BOOST_TEST(status);
  co_await b->shutdown();
  co_await a->shutdown();
}

// A raw peer that completes the handshake and Hello (snap/1 only, so no
// Status is owed) against `a`.
asio::awaitable<std::unique_ptr<raw_peer>> raw_connected(asio::any_io_executor ex, host& a, tcp::endpoint ep) {
  auto r = std::make_unique<raw_peer>(ex);
  { const bool ok1 = co_await r->connect(ep); BOOST_REQUIRE(ok1); }
  { const bool ok2 = co_await r->handshake(a.node_id()); BOOST_REQUIRE(ok2); }
  const std::vector<wire::capability> caps{{"snap", 1}};
  { const bool ok3 = co_await r->send_hello(caps); BOOST_REQUIRE(ok3); }
  auto hello = co_await r->receive(false);
  BOOST_REQUIRE(hello.has_value());
  BOOST_REQUIRE_EQUAL(hello->first, wire::p2p::hello_code);
  co_return r;
}

asio::awaitable<void> bad_input_drops_only_that_peer(asio::any_io_executor ex) {
  event_log a_events;
  auto a_cfg = loopback_config();
  a_cfg.on_event = a_events.sink();
  a_cfg.max_frame_size = 1024;
  a_cfg.snap.provider = scripted_provider;
  auto a = co_await started(ex, a_cfg);
  const auto ep = *a->start();
  auto b = co_await started(ex, loopback_config());
  { auto d14 = co_await b->dial(a->enode()); BOOST_REQUIRE(d14.has_value()); }

  snap::get_account_range req{1, filled(0xaa), filled(0x00), filled(0xff), 4096};
  const auto good_request = snap::encode(req);
  const byte_buffer bad_rlp{0xc3, 0xff, 0xff};
  const byte_buffer big(2000, 0x80);
  const byte_buffer garbage(32, 0x5a);
  const byte_buffer bad_snappy{0x05, 0xff, 0xff};

  struct bad_case {
    const char* name;
    int kind; // 0 garbage bytes (bad MAC), 1 malformed RLP, 2 unknown code, 3 oversize frame, 4 bad Snappy
  };
  const bad_case cases[] = {
    {"bad MAC", 0}, {"malformed RLP", 1}, {"unknown code", 2}, {"oversize frame", 3}, {"bad Snappy", 4}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto r = co_await raw_connected(ex, *a, ep);
      const std::function<bool()> cond_registered = [&] { return find_peer(*a, r->id()).has_value(); };
      const bool registered = co_await wait_until(ex, cond_registered);
      BOOST_REQUIRE(registered);
      bool sent = false;
      switch (c.kind) {
        case 0: sent = co_await r->write(garbage); break;
        case 1: sent = co_await r->send(0x10, bad_rlp, true); break;
        case 2: sent = co_await r->send(0x30, good_request, true); break;
        case 3: sent = co_await r->send(0x10, big, false); break;
        case 4: sent = co_await r->send(0x10, bad_snappy, false); break;
      }
      BOOST_REQUIRE(sent);
      auto reason = co_await r->await_disconnect(true);
      BOOST_REQUIRE(reason.has_value());
      BOOST_TEST(wire::p2p::to_string(*reason) == "breach_of_protocol");
      boost::system::error_code ignored;
      r->socket().close(ignored); // as a peer does on Disconnect
      const std::function<bool()> cond_gone = [&] { return !find_peer(*a, r->id()).has_value(); };
      const bool gone = co_await wait_until(ex, cond_gone);
      BOOST_TEST(gone);
      const auto* e = a_events.last(peer_event_kind::disconnected);
      BOOST_REQUIRE(e != nullptr);
      BOOST_TEST((e->peer.id == r->id()));
      BOOST_TEST(e->by_us);
      BOOST_TEST((e->reason == disconnect_reason::breach_of_protocol));
    }
    // The healthy peer is untouched and still served.
    BOOST_REQUIRE(find_peer(*a, b->node_id()).has_value());
    auto reply = co_await b->request_account_range(a->node_id(), req);
    BOOST_REQUIRE(reply.has_value());
    BOOST_TEST(reply->message.accounts.size() == 2u);
  }
  co_await b->shutdown();
  co_await a->shutdown();
}

asio::awaitable<void> stalled_handshakes_and_silent_peers_are_dropped(asio::any_io_executor ex) {
  auto a_cfg = loopback_config();
  a_cfg.handshake_timeout = 300ms;
  a_cfg.ping_interval = 100ms;
  a_cfg.pong_timeout = 300ms;
  a_cfg.eth.status_timeout = 300ms;
  auto a = co_await started(ex, a_cfg);
  const auto ep = *a->start();

  // 1. Connects and says nothing: closed (no keys, so no Disconnect possible).
  raw_peer silent(ex);
  { const bool ok4 = co_await silent.connect(ep); BOOST_REQUIRE(ok4); }
  { const bool ok5 = co_await silent.closed_by_remote(); BOOST_TEST(ok5); }

  // 2. Handshakes but never sends Hello: Disconnect(ping_timeout) after A's Hello.
  raw_peer no_hello(ex);
  { const bool ok6 = co_await no_hello.connect(ep); BOOST_REQUIRE(ok6); }
  { const bool ok7 = co_await no_hello.handshake(a->node_id()); BOOST_REQUIRE(ok7); }
  auto r2 = co_await no_hello.await_disconnect(false);
  BOOST_REQUIRE(r2.has_value());
  BOOST_TEST((*r2 == disconnect_reason::ping_timeout));

  // 3. Hello'd but never answers Ping: Disconnect(ping_timeout).
  auto deaf = co_await raw_connected(ex, *a, ep);
  auto r3 = co_await deaf->await_disconnect(true);
  BOOST_REQUIRE(r3.has_value());
  BOOST_TEST((*r3 == disconnect_reason::ping_timeout));

  // 4. Offers eth/68 but never sends Status: Disconnect(ping_timeout), as ethereumjs does.
  const std::vector<wire::capability> eth_only{{"eth", 68}};
  raw_peer no_status(ex);
  { const bool ok8 = co_await no_status.connect(ep); BOOST_REQUIRE(ok8); }
  { const bool ok9 = co_await no_status.handshake(a->node_id()); BOOST_REQUIRE(ok9); }
  { const bool ok10 = co_await no_status.send_hello(eth_only); BOOST_REQUIRE(ok10); }
  auto r4 = co_await no_status.await_disconnect(true);
  BOOST_REQUIRE(r4.has_value());
  BOOST_TEST((*r4 == disconnect_reason::ping_timeout));

  // 5. A Hello whose node id is not the handshake's key: unexpected identity.
  raw_peer impostor(ex);
  { const bool ok11 = co_await impostor.connect(ep); BOOST_REQUIRE(ok11); }
  { const bool ok12 = co_await impostor.handshake(a->node_id()); BOOST_REQUIRE(ok12); }
  wire::p2p::hello forged;
  forged.client_id = "impostor";
  forged.capabilities = {{"snap", 1}};
  forged.node_id = *wire::derive_public_key(*wire::generate_secret_key());
  { const bool ok13 = co_await impostor.send(wire::p2p::hello_code, wire::p2p::encode(forged), false); BOOST_REQUIRE(ok13); }
  auto r5 = co_await impostor.await_disconnect(false);
  BOOST_REQUIRE(r5.has_value());
  BOOST_TEST((*r5 == disconnect_reason::unexpected_identity));

  // A peer that answers pings (another host) stays through many ping rounds.
  auto b = co_await started(ex, loopback_config());
  { auto d15 = co_await b->dial(a->enode()); BOOST_REQUIRE(d15.has_value()); }
  co_await sleep_for(ex, 1000ms);
  BOOST_TEST(find_peer(*a, b->node_id()).has_value());
  co_await b->shutdown();
  co_await a->shutdown();
}

asio::awaitable<void> status_mismatch_is_a_subprotocol_error(asio::any_io_executor ex) {
  event_log a_events, b_events;
  auto a_cfg = loopback_config();
  a_cfg.on_event = a_events.sink();
  auto a = co_await started(ex, a_cfg);
  auto b_cfg = loopback_config();
  b_cfg.eth.chain.network_id = 5;
  b_cfg.on_event = b_events.sink();
  auto b = co_await started(ex, b_cfg);
  { auto d16 = co_await b->dial(a->enode()); BOOST_REQUIRE(d16.has_value()); }
  const std::function<bool()> cond_dropped = [&] {
    return a_events.count(peer_event_kind::disconnected) == 1 && b_events.count(peer_event_kind::disconnected) == 1;
  };
  const bool dropped = co_await wait_until(ex, cond_dropped);
  BOOST_REQUIRE(dropped);
  // Both validate, so either may speak first; each side's reason is subprotocol_error.
  BOOST_TEST((a_events.last(peer_event_kind::disconnected)->reason == disconnect_reason::subprotocol_error));
  BOOST_TEST((b_events.last(peer_event_kind::disconnected)->reason == disconnect_reason::subprotocol_error));
  BOOST_TEST(a_events.count(peer_event_kind::eth_status) == 0u);
  co_await b->shutdown();
  co_await a->shutdown();
}

// The shared set decides where snap/1 starts: eth/69 has one code more than
// eth/68, so snap moves from 0x21 to 0x22; without a shared eth it is at 0x10.
asio::awaitable<void> eth_versions_move_snap(asio::any_io_executor ex) {
  struct row {
    std::vector<std::uint64_t> a, b;
    const char* layout;
  };
  const row rows[] = {
    {{68}, {68, 69}, "eth/68@0x10 snap/1@0x21"},
    {{68, 69}, {69}, "eth/69@0x10 snap/1@0x22"},
    {{69, 68}, {68, 69}, "eth/69@0x10 snap/1@0x22"},
    {{68}, {69}, "snap/1@0x10"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.layout) {
      event_log b_events;
      auto a_cfg = loopback_config();
      a_cfg.eth.versions = r.a;
      a_cfg.snap.provider = scripted_provider;
      auto b_cfg = loopback_config();
      b_cfg.eth.versions = r.b;
      b_cfg.on_event = b_events.sink();
      auto a = co_await started(ex, a_cfg);
      auto b = co_await started(ex, b_cfg);
      auto dialled = co_await b->dial(a->enode());
      BOOST_REQUIRE_MESSAGE(dialled.has_value(), (dialled ? "" : dialled.error().message()));
      BOOST_TEST(layout(dialled->capabilities) == r.layout);
      // snap works at that offset, and the eth Status (when shared) went through.
      snap::get_account_range req{0, filled(0xaa), filled(0x00), filled(0xff), 4096};
      auto reply = co_await b->request_account_range(a->node_id(), req);
      BOOST_REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message()));
      BOOST_TEST(reply->message.accounts.size() == 2u);
      if (std::string_view(r.layout).starts_with("eth")) {
        const std::function<bool()> cond_status = [&] { return b_events.count(peer_event_kind::eth_status) == 1; };
        const bool status = co_await wait_until(ex, cond_status);
        BOOST_TEST(status);
      }
      co_await b->shutdown();
      co_await a->shutdown();
    }
  }
  // A version without a Status layout here is refused at creation.
  auto bad = loopback_config();
  bad.eth.versions = {68, 70};
  auto h = host::create(ex, bad);
  BOOST_REQUIRE(!h.has_value());
  BOOST_TEST(h.error().message() == "eth version 70 unsupported (the Status layouts of 66-69 are implemented)");
}

// Ethereum Classic shares mainnet's network id and genesis: only the fork id
// (EIP-2124 rule 4) tells the two apart, and each side drops the other saying so.
// A node a fork behind that knows the next one is kept (rule 2).
asio::awaitable<void> fork_ids_decide_who_stays(asio::any_io_executor ex) {
  struct pairing {
    const char* what;
    std::function<void(host_config&)> setup_b;
    bool dropped;
  };
  const pairing pairings[] = {
    {"B on Ethereum Classic", [](host_config& c) { c.eth.chain = *wire::eth::find_builtin_chain("classic"); }, true},
    // B still at Prague (its clock, say) announces Osaka next: A keeps it (rule 2), B keeps A (rule 3).
    {"B at Prague", [](host_config& c) { c.eth.head_time = mainnet_prague_era; }, false},
  };
  for (const auto& p : pairings) {
    BOOST_TEST_CONTEXT(p.what) {
      event_log a_events, b_events;
      auto a_cfg = loopback_config();
      a_cfg.on_event = a_events.sink();
      auto b_cfg = loopback_config();
      p.setup_b(b_cfg);
      b_cfg.on_event = b_events.sink();
      auto a = co_await started(ex, a_cfg);
      auto b = co_await started(ex, b_cfg);
      { auto d = co_await b->dial(a->enode()); BOOST_REQUIRE(d.has_value()); }
      const auto kind = p.dropped ? peer_event_kind::disconnected : peer_event_kind::eth_status;
      const std::function<bool()> cond_both = [&] { return a_events.count(kind) == 1 && b_events.count(kind) == 1; };
      const bool both = co_await wait_until(ex, cond_both);
      BOOST_REQUIRE(both);
      if (p.dropped) {
        for (const auto* log : {&a_events, &b_events}) {
          const auto* e = log->last(peer_event_kind::disconnected);
          BOOST_TEST((e->reason == disconnect_reason::subprotocol_error));
          BOOST_TEST(e->by_us);
          BOOST_TEST(e->detail.find("rejected: EIP-2124 rule 4: fork hash") != std::string::npos, e->detail);
        }
        BOOST_TEST(a_events.count(peer_event_kind::eth_status) == 0u);
      } else {
        auto at_a = find_peer(*a, b->node_id());
        BOOST_REQUIRE(at_a.has_value());
        BOOST_TEST(to_hex(at_a->eth_status->fork.hash) == "c376cf8b");
        BOOST_TEST(at_a->eth_status->fork.next == 1764798551u);
        BOOST_TEST(a_events.count(peer_event_kind::disconnected) == 0u);
      }
      co_await b->shutdown();
      co_await a->shutdown();
    }
  }
}

// eth/69's BlockRangeUpdate: a valid one updates the peer's Status; one with
// earliest above latest, or one before Status, is a breach of protocol.
asio::awaitable<void> block_range_updates_are_checked(asio::any_io_executor ex) {
  auto a_cfg = loopback_config();
  auto a = co_await started(ex, a_cfg);
  const auto ep = *a->start();
  auto forks = wire::eth::fork_filter::create(a_cfg.eth.chain);
  BOOST_REQUIRE(forks.has_value());
  wire::eth::status theirs;
  theirs.version = 69;
  theirs.network_id = 1;
  theirs.genesis_hash = a_cfg.eth.chain.genesis_hash;
  theirs.fork = forks->id({forks->last_block_fork(), mainnet_bpo2_era});
  theirs.range = {100, 200, filled(0x20)};
  const std::vector<wire::capability> eth69{{"eth", 69}};

  for (const bool before_status : {false, true}) {
    const char* const what = before_status ? "update before Status" : "updates after Status";
    BOOST_TEST_CONTEXT(what) {
      raw_peer r(ex);
      { const bool ok = co_await r.connect(ep); BOOST_REQUIRE(ok); }
      { const bool ok = co_await r.handshake(a->node_id()); BOOST_REQUIRE(ok); }
      { const bool ok = co_await r.send_hello(eth69); BOOST_REQUIRE(ok); }
      auto hello = co_await r.receive(false);
      BOOST_REQUIRE(hello.has_value());
      auto status = co_await r.receive(true); // A's Status, eth/69 at 0x10
      BOOST_REQUIRE(status.has_value());
      BOOST_REQUIRE_EQUAL(status->first, 0x10u);
      auto ours = wire::eth::decode_status(status->second, 69);
      BOOST_REQUIRE_MESSAGE(ours.has_value(), (ours ? "" : ours.error().message()));
      BOOST_TEST((ours->range == wire::eth::block_range{0, 0, a_cfg.eth.chain.genesis_hash}));
      const std::uint64_t range_update = 0x10 + wire::eth::block_range_update_code;
      if (before_status) {
        { const bool ok = co_await r.send(range_update, wire::eth::encode(theirs.range), true); BOOST_REQUIRE(ok); }
      } else {
        { const bool ok = co_await r.send(0x10, wire::eth::encode(theirs), true); BOOST_REQUIRE(ok); }
        const wire::eth::block_range newer{100, 232, filled(0x21)};
        { const bool ok = co_await r.send(range_update, wire::eth::encode(newer), true); BOOST_REQUIRE(ok); }
        const std::function<bool()> cond_updated = [&] {
          auto p = find_peer(*a, r.id());
          return p && p->eth_status && p->eth_status->range == newer;
        };
        const bool updated = co_await wait_until(ex, cond_updated);
        BOOST_REQUIRE(updated);
        const wire::eth::block_range backwards{300, 232, filled(0x21)};
        { const bool ok = co_await r.send(range_update, wire::eth::encode(backwards), true); BOOST_REQUIRE(ok); }
      }
      auto reason = co_await r.await_disconnect(true);
      BOOST_REQUIRE(reason.has_value());
      BOOST_TEST((*reason == disconnect_reason::breach_of_protocol));
    }
  }
  co_await a->shutdown();
}

asio::awaitable<void> shutdown_says_client_quitting(asio::any_io_executor ex) {
  event_log b_events;
  auto a = co_await started(ex, loopback_config());
  auto b_cfg = loopback_config();
  b_cfg.on_event = b_events.sink();
  auto b = co_await started(ex, b_cfg);
  { auto d17 = co_await b->dial(a->enode()); BOOST_REQUIRE(d17.has_value()); }
  co_await a->shutdown();
  BOOST_TEST(a->peers().empty());
  const std::function<bool()> cond_seen = [&] { return b_events.count(peer_event_kind::disconnected) == 1; };
  const bool seen = co_await wait_until(ex, cond_seen);
  BOOST_REQUIRE(seen);
  const auto* e = b_events.last(peer_event_kind::disconnected);
  BOOST_TEST((e->reason == disconnect_reason::client_quitting));
  BOOST_TEST(!e->by_us);
  auto late = co_await a->dial(b->enode());
  BOOST_REQUIRE(!late.has_value());
  BOOST_TEST(late.error().is(host_errc::shutting_down));
  co_await b->shutdown();
}

asio::awaitable<void> destroyed_host_calls_nothing_back(asio::any_io_executor ex) {
  // A's callbacks record into storage that outlives A, so the test can check
  // that none fires once A is destroyed without shutdown().
  auto a_events = std::make_shared<std::vector<peer_event_kind>>();
  auto served = std::make_shared<int>(0);
  event_log b_events;
  auto a_cfg = loopback_config();
  a_cfg.on_event = [a_events](const peer_event& e) { a_events->push_back(e.kind); };
  a_cfg.snap.provider = [served](std::uint64_t code, bytes_view request) {
    ++*served;
    return scripted_provider(code, request);
  };
  auto a = co_await started(ex, a_cfg);
  auto b_cfg = loopback_config();
  b_cfg.on_event = b_events.sink();
  auto b = co_await started(ex, b_cfg);
  { auto d = co_await b->dial(a->enode()); BOOST_REQUIRE(d.has_value()); }
  const std::function<bool()> status_seen = [&] { return a_events->size() >= 2; };
  { const bool ok = co_await wait_until(ex, status_seen); BOOST_REQUIRE(ok); }
  const auto a_id = a->node_id();
  const std::size_t before = a_events->size();
  const int served_before = *served;

  a.reset(); // no shutdown(): the connection is abandoned
  const std::function<bool()> b_dropped = [&] { return b_events.count(peer_event_kind::disconnected) == 1; };
  { const bool ok = co_await wait_until(ex, b_dropped); BOOST_REQUIRE(ok); }
  snap::get_account_range req{0, filled(0xaa), filled(0x00), filled(0xff), 4096};
  auto late = co_await b->request_account_range(a_id, req);
  BOOST_TEST(!late.has_value());
  co_await sleep_for(ex, 200ms);
  BOOST_TEST(a_events->size() == before);
  BOOST_TEST(*served == served_before);
  co_await b->shutdown();
}

} // namespace

BOOST_AUTO_TEST_CASE(destroying_a_host_without_shutdown_calls_nothing_back) {
  run_coroutine_test(destroyed_host_calls_nothing_back);
}
BOOST_AUTO_TEST_CASE(two_hosts_exchange_hello_and_eth_status_both_ways) { run_coroutine_test(hello_and_status_both_ways); }
BOOST_AUTO_TEST_CASE(snap_requests_get_provider_data_or_the_empty_response) { run_coroutine_test(snap_requests_both_ways); }
BOOST_AUTO_TEST_CASE(a_snap_only_peer_speaks_snap_from_0x10) { run_coroutine_test(snap_only_peer_uses_0x10); }
BOOST_AUTO_TEST_CASE(a_capability_between_eth_and_snap_moves_snap_and_bounds_codes) {
  run_coroutine_test(capability_between_eth_and_snap);
}
BOOST_AUTO_TEST_CASE(a_legacy_auth_is_answered_with_a_legacy_ack) { run_coroutine_test(legacy_auth_is_answered_in_kind); }
BOOST_AUTO_TEST_CASE(bad_mac_bad_rlp_unknown_code_and_oversize_frames_drop_only_that_peer) {
  run_coroutine_test(bad_input_drops_only_that_peer);
}
BOOST_AUTO_TEST_CASE(stalled_handshakes_silent_and_lying_peers_are_dropped) {
  run_coroutine_test(stalled_handshakes_and_silent_peers_are_dropped);
}
BOOST_AUTO_TEST_CASE(an_eth_status_for_another_network_is_a_subprotocol_error) {
  run_coroutine_test(status_mismatch_is_a_subprotocol_error);
}
BOOST_AUTO_TEST_CASE(the_shared_eth_version_decides_where_snap_starts) { run_coroutine_test(eth_versions_move_snap); }
BOOST_AUTO_TEST_CASE(fork_ids_keep_compatible_nodes_and_drop_another_chain_naming_the_rule) {
  run_coroutine_test(fork_ids_decide_who_stays);
}
BOOST_AUTO_TEST_CASE(eth69_block_range_updates_are_recorded_and_checked) {
  run_coroutine_test(block_range_updates_are_checked);
}
BOOST_AUTO_TEST_CASE(shutdown_disconnects_peers_with_client_quitting) { run_coroutine_test(shutdown_says_client_quitting); }
