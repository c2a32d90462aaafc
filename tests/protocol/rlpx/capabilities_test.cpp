#define BOOST_TEST_MODULE rlpx_capabilities
#include <boost/test/unit_test.hpp>

#include "protocol/rlpx/capabilities.hpp"

#include <cstdio>
#include <string>
#include <vector>

using namespace snapstream;
using namespace snapstream::rlpx;

namespace {

capability_spec eth(std::uint64_t v) { return *eth_capability(v); }
capability_spec snap(std::uint64_t v) { return *snap_capability(v); }

capability_table negotiate(const std::vector<capability_spec>& local, const std::vector<capability>& remote) {
  auto t = capability_table::negotiate(local, remote);
  BOOST_REQUIRE_MESSAGE(t.has_value(), (t ? "" : t.error().message()));
  return *t;
}

// "eth/68@0x10+17 snap/1@0x21+8": the whole layout in one comparable string.
std::string layout(const capability_table& t) {
  std::string s;
  for (const auto& c : t.shared()) {
    if (!s.empty()) s += ' ';
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s/%llu@0x%02llx+%llu", c.name.c_str(), static_cast<unsigned long long>(c.version),
                  static_cast<unsigned long long>(c.offset), static_cast<unsigned long long>(c.length));
    s += buf;
  }
  return s;
}

struct where {
  std::string cap;
  std::uint64_t code;
};

where route(const capability_table& t, std::uint64_t wire) {
  auto r = t.route(wire);
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return {t.shared()[r->index].name, r->code};
}

} // namespace

BOOST_AUTO_TEST_CASE(message_counts_follow_the_specs) {
  BOOST_TEST(eth(66).length == 17u);
  BOOST_TEST(eth(67).length == 17u);
  BOOST_TEST(eth(68).length == 17u);
  BOOST_TEST(eth(69).length == 18u);
  BOOST_TEST(snap(1).length == 8u);
  BOOST_TEST(snap(2).length == 10u);
  BOOST_TEST(eth_capability(65).error().message() == "no message count known for eth/65");
}

// The seed's "Complete Wire Protocol Message Map" for eth/68 + snap/1, row by row.
BOOST_AUTO_TEST_CASE(seed_message_map_eth68_and_snap1) {
  const auto t = negotiate({eth(68), snap(1)}, {{"eth", 68}, {"snap", 1}});
  BOOST_TEST(layout(t) == "eth/68@0x10+17 snap/1@0x21+8");
  BOOST_TEST(t.end() == 0x29u);

  // 0x10-0x1a ETH/68: Status .. PooledTransactions
  const char* eth_names[] = {"Status", "NewBlockHashes", "Transactions", "GetBlockHeaders", "BlockHeaders",
                             "GetBlockBodies", "BlockBodies", "NewBlock", "NewPooledTransactionHashes",
                             "GetPooledTransactions", "PooledTransactions"};
  for (std::uint64_t i = 0; i < 11; ++i) {
    BOOST_TEST_CONTEXT(eth_names[i]) {
      const auto w = route(t, 0x10 + i);
      BOOST_TEST(w.cap == "eth");
      BOOST_TEST(w.code == i);
    }
  }
  // 0x1b-0x1e: inside eth's range (relative 0x0b-0x0e, unused in eth/68), so
  // routed to eth, which decides; not a breach at the transport level.
  for (std::uint64_t wire = 0x1b; wire <= 0x1e; ++wire) {
    const auto w = route(t, wire);
    BOOST_TEST(w.cap == "eth");
    BOOST_TEST(w.code == wire - 0x10);
  }
  // 0x1f-0x20 ETH/68: GetReceipts (0x0f), Receipts (0x10)
  BOOST_TEST(route(t, 0x1f).code == 0x0fu);
  BOOST_TEST(route(t, 0x20).code == 0x10u);
  BOOST_TEST(route(t, 0x20).cap == "eth");
  // 0x21-0x28 SNAP/1: GetAccountRange .. TrieNodes
  for (std::uint64_t i = 0; i < 8; ++i) {
    const auto w = route(t, 0x21 + i);
    BOOST_TEST(w.cap == "snap");
    BOOST_TEST(w.code == i);
  }
}

// The seed's "Expected Behavior After Fix" rows that are about codes.
BOOST_AUTO_TEST_CASE(seed_expected_behaviour_rows) {
  const auto t = negotiate({eth(68), snap(1)}, {{"eth", 68}, {"snap", 1}});
  // Receive GetAccountRange (0x21): decoded as SNAP GetAccountRange.
  BOOST_TEST(route(t, 0x21).cap == "snap");
  BOOST_TEST(route(t, 0x21).code == 0x00u);
  // Receive AccountRange (0x22): decoded as SNAP AccountRange.
  BOOST_TEST(route(t, 0x22).cap == "snap");
  BOOST_TEST(route(t, 0x22).code == 0x01u);
  // Send GetAccountRange: encoded with code 0x21.
  BOOST_TEST(*t.wire_code("snap", 0x00) == 0x21u);
  // ETH message (0x10) goes to eth.
  BOOST_TEST(route(t, 0x10).cap == "eth");
  BOOST_TEST(route(t, 0x10).code == 0x00u);
  // Wire message 0x00 is the base protocol: the table routes only >= 0x10.
  BOOST_TEST(t.route(0x00).error().is(rlpx_errc::unknown_message_code));
}

// Cases where a hard-coded SnapProtocolOffset = 0x21 is wrong.
BOOST_AUTO_TEST_CASE(eth69_shared_puts_snap_at_0x22) {
  const auto t = negotiate({eth(68), eth(69), snap(1)}, {{"eth", 69}, {"snap", 1}});
  BOOST_TEST(layout(t) == "eth/69@0x10+18 snap/1@0x22+8");
  BOOST_TEST(*t.wire_code("snap", 0x00) == 0x22u);
  BOOST_TEST(route(t, 0x21).cap == "eth"); // BlockRangeUpdate (0x11), not GetAccountRange
  BOOST_TEST(route(t, 0x21).code == 0x11u);
  BOOST_TEST(route(t, 0x29).cap == "snap");
  BOOST_TEST(route(t, 0x29).code == 0x07u);
}

BOOST_AUTO_TEST_CASE(no_eth_shared_puts_snap_at_0x10) {
  const auto t = negotiate({eth(68), snap(1)}, {{"snap", 1}});
  BOOST_TEST(layout(t) == "snap/1@0x10+8");
  BOOST_TEST(*t.wire_code("snap", 0x01) == 0x11u);
  BOOST_TEST(route(t, 0x10).cap == "snap");
  const auto beyond = t.route(0x21);
  BOOST_REQUIRE(!beyond.has_value());
  BOOST_TEST(beyond.error().is(rlpx_errc::unknown_message_code));
  BOOST_TEST(beyond.error().message() == "message code 0x21 is outside every shared capability (0x10-0x17)");
}

BOOST_AUTO_TEST_CASE(a_capability_sorting_between_eth_and_snap_shifts_snap) {
  // A hypothetical "mid/1" with 5 codes: "eth" < "mid" < "snap".
  const capability_spec mid{"mid", 1, 5};
  const auto t = negotiate({snap(1), mid, eth(68)}, {{"snap", 1}, {"eth", 68}, {"mid", 1}});
  BOOST_TEST(layout(t) == "eth/68@0x10+17 mid/1@0x21+5 snap/1@0x26+8");
  BOOST_TEST(route(t, 0x21).cap == "mid");
  BOOST_TEST(*t.wire_code("snap", 0) == 0x26u);
  // With eth/69 shared the same capability starts one code later, and snap two.
  const auto v = negotiate({eth(68), eth(69), mid, snap(1)}, {{"eth", 68}, {"eth", 69}, {"mid", 1}, {"snap", 1}});
  BOOST_TEST(layout(v) == "eth/69@0x10+18 mid/1@0x22+5 snap/1@0x27+8");
  // Names sort byte-wise and case-sensitively: "Zed" < "eth".
  const capability_spec upper{"Zed", 1, 2};
  const auto u = negotiate({eth(68), upper}, {{"eth", 68}, {"Zed", 1}});
  BOOST_TEST(layout(u) == "Zed/1@0x10+2 eth/68@0x12+17");
}

BOOST_AUTO_TEST_CASE(several_versions_of_one_name_the_highest_shared_wins) {
  const std::vector<capability_spec> local{eth(66), eth(67), eth(68), eth(69), snap(1)};
  // Both offer {eth/68, eth/69, snap/1} (what snapstream offers): eth/69, snap at 0x22.
  BOOST_TEST(layout(negotiate({eth(68), eth(69), snap(1)}, {{"snap", 1}, {"eth", 69}, {"eth", 68}})) ==
             "eth/69@0x10+18 snap/1@0x22+8");
  // Both list 66-68: 68 wins; order of either list does not matter.
  BOOST_TEST(layout(negotiate(local, {{"eth", 68}, {"eth", 66}, {"eth", 67}, {"snap", 1}})) ==
             "eth/68@0x10+17 snap/1@0x21+8");
  // The remote's highest (70) is not ours: the highest *shared* one is used.
  BOOST_TEST(layout(negotiate(local, {{"eth", 70}, {"eth", 69}, {"snap", 1}})) == "eth/69@0x10+18 snap/1@0x22+8");
  // Only exact name and version matches count.
  BOOST_TEST(layout(negotiate({eth(68), snap(1)}, {{"eth", 67}, {"ETH", 68}, {"snap", 2}})).empty());
  // A remote listing the same capability twice changes nothing.
  BOOST_TEST(layout(negotiate(local, {{"snap", 1}, {"snap", 1}, {"eth", 67}})) == "eth/67@0x10+17 snap/1@0x21+8");
}

BOOST_AUTO_TEST_CASE(codes_outside_every_range_are_a_breach) {
  const auto t = negotiate({eth(68), snap(1)}, {{"eth", 68}, {"snap", 1}});
  for (std::uint64_t wire : {0x29ull, 0x30ull, 0xffull, 0xffffffffffffffffull}) {
    auto r = t.route(wire);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().is(rlpx_errc::unknown_message_code));
  }
  const capability_table none;
  BOOST_TEST(none.route(0x10).error().message() == "message code 0x10 is outside every shared capability (none shared)");
}

BOOST_AUTO_TEST_CASE(sending_a_code_beyond_the_capability_is_refused) {
  const auto t = negotiate({eth(68), snap(1)}, {{"eth", 68}, {"snap", 1}});
  BOOST_TEST(*t.wire_code("snap", 7) == 0x28u);
  auto over = t.wire_code("snap", 8);
  BOOST_REQUIRE(!over.has_value());
  BOOST_TEST(over.error().is(rlpx_errc::code_out_of_range));
  BOOST_TEST(over.error().message() == "snap/1 has 8 message codes; 8 is out of range");
  BOOST_TEST(t.wire_code("eth", 17).error().is(rlpx_errc::code_out_of_range));
  auto missing = t.wire_code("les", 0);
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().is(rlpx_errc::capability_not_shared));
  BOOST_TEST(missing.error().message() == "les is not shared with this peer");
}

BOOST_AUTO_TEST_CASE(malformed_local_capabilities_are_rejected) {
  const std::vector<capability> remote{{"eth", 68}};
  auto check = [&](std::vector<capability_spec> local, const char* message) {
    auto t = capability_table::negotiate(local, remote);
    BOOST_REQUIRE(!t.has_value());
    BOOST_TEST(t.error().is(rlpx_errc::invalid_capability));
    BOOST_TEST(t.error().message() == message);
  };
  check({{"", 1, 3}}, "local capability /1: name must have 1 to 8 characters");
  check({{"ninechars", 1, 3}}, "local capability ninechars/1: name must have 1 to 8 characters");
  check({{"sn p", 1, 3}}, "local capability sn p/1: name must be printable ASCII");
  check({{"eth", 68, 0}}, "local capability eth/68: message count must be 1 to 65535");
  check({eth(68), eth(68)}, "local capability eth/68: listed twice");
}

BOOST_AUTO_TEST_CASE(handlers_registered_in_any_order_receive_their_codes) {
  const auto t = negotiate({eth(68), snap(1)}, {{"eth", 68}, {"snap", 1}});
  // The same two handlers, registered eth-first and snap-first.
  for (bool snap_first : {false, true}) {
    BOOST_TEST_CONTEXT("snap registered first: " << snap_first) {
      capability_router<std::string> router;
      if (snap_first) {
        router.add("snap", "snap-handler");
        router.add("eth", "eth-handler");
      } else {
        router.add("eth", "eth-handler");
        router.add("snap", "snap-handler");
      }
      router.add("les", "unused-handler"); // registered but not shared: harmless
      BOOST_REQUIRE(router.bind(t).has_value());
      auto get_account_range = router.route(0x21);
      BOOST_REQUIRE(get_account_range.has_value());
      BOOST_TEST(*get_account_range->first == "snap-handler");
      BOOST_TEST(get_account_range->second.code == 0u);
      auto status = router.route(0x10);
      BOOST_REQUIRE(status.has_value());
      BOOST_TEST(*status->first == "eth-handler");
      auto receipts = router.route(0x20);
      BOOST_TEST(*receipts->first == "eth-handler");
      BOOST_TEST(receipts->second.code == 0x10u);
      BOOST_TEST(router.route(0x29).error().is(rlpx_errc::unknown_message_code));
    }
  }
  // A shared capability without a handler cannot be bound.
  capability_router<int> partial;
  partial.add("eth", 1);
  auto b = partial.bind(t);
  BOOST_REQUIRE(!b.has_value());
  BOOST_TEST(b.error().message() == "no handler registered for snap/1");
}
