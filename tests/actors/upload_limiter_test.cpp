#define BOOST_TEST_MODULE actors_upload_limiter
#include <boost/test/unit_test.hpp>

#include "actors/upload_limiter.hpp"

using namespace snapstream::actors;
using namespace std::chrono_literals;
using clock_type = upload_limiter::clock;
using std::chrono::microseconds;

namespace {

const auto t0 = clock_type::time_point{} + 1h;

/// The wait a limiter answers, in microseconds (the limiter rounds up to a
/// whole microsecond; the figures below are exact up to that).
long long us(microseconds wait) { return wait.count(); }

bool about(microseconds wait, std::chrono::nanoseconds expected) {
  const auto diff = std::chrono::duration_cast<std::chrono::nanoseconds>(wait) - expected;
  return diff >= 0ns && diff < 1us + 1ns;
}

} // namespace

BOOST_AUTO_TEST_CASE(zero_rates_are_unlimited) {
  upload_limiter limiter;
  BOOST_TEST(!limiter.limited());
  for (int i = 0; i < 100; ++i) BOOST_TEST(us(limiter.reserve("alice", 16u << 20, t0)) == 0);
  BOOST_TEST(limiter.tracked_peers() == 0u);
}

BOOST_AUTO_TEST_CASE(a_node_rate_spaces_responses_by_their_bytes) {
  // Given 1000 bytes per second, node-wide.
  upload_limiter limiter({.bytes_per_second = 1000, .per_peer_bytes_per_second = 0});
  BOOST_TEST(limiter.limited());
  // The first second's worth goes at once (the bucket starts full).
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0)) == 0);
  // Then each response waits until its bytes are earned, behind those reserved before it.
  BOOST_TEST(about(limiter.reserve("alice", 1000, t0), 1s));
  BOOST_TEST(about(limiter.reserve("alice", 500, t0), 1500ms));
  // Time passing pays the debt back.
  BOOST_TEST(about(limiter.reserve("alice", 100, t0 + 1500ms), 100ms));
  BOOST_TEST(about(limiter.reserve("alice", 100, t0 + 1700ms), 0ms));
}

BOOST_AUTO_TEST_CASE(an_idle_bucket_holds_one_second_of_burst_and_no_more) {
  upload_limiter limiter({.bytes_per_second = 1000, .per_peer_bytes_per_second = 0});
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0)) == 0);
  // Ten idle seconds earn one second's burst, not ten.
  BOOST_TEST(us(limiter.reserve("alice", 600, t0 + 10s)) == 0);
  BOOST_TEST(us(limiter.reserve("alice", 400, t0 + 10s)) == 0);
  BOOST_TEST(about(limiter.reserve("alice", 1, t0 + 10s), 1ms));
}

BOOST_AUTO_TEST_CASE(a_response_larger_than_the_burst_waits_for_the_rest_of_its_bytes) {
  upload_limiter limiter({.bytes_per_second = 1000, .per_peer_bytes_per_second = 0});
  BOOST_TEST(about(limiter.reserve("alice", 3000, t0), 2s));
  BOOST_TEST(about(limiter.reserve("alice", 1000, t0 + 2s), 1s));
}

BOOST_AUTO_TEST_CASE(two_peers_share_the_node_wide_budget) {
  upload_limiter limiter({.bytes_per_second = 1000, .per_peer_bytes_per_second = 0});
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0)) == 0);
  // Bob has not been served yet, but the node's second is spent.
  BOOST_TEST(about(limiter.reserve("bob", 1000, t0), 1s));
  BOOST_TEST(about(limiter.reserve("alice", 1000, t0), 2s));
}

BOOST_AUTO_TEST_CASE(a_per_peer_rate_limits_each_peer_on_its_own) {
  upload_limiter limiter({.bytes_per_second = 0, .per_peer_bytes_per_second = 1000});
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0)) == 0);
  BOOST_TEST(us(limiter.reserve("bob", 1000, t0)) == 0);
  BOOST_TEST(about(limiter.reserve("alice", 1000, t0), 1s));
  BOOST_TEST(about(limiter.reserve("bob", 500, t0), 500ms));
}

BOOST_AUTO_TEST_CASE(the_slower_of_the_two_buckets_sets_the_wait) {
  // Given 1500 bytes per second for the node, 1000 for each peer.
  upload_limiter limiter({.bytes_per_second = 1500, .per_peer_bytes_per_second = 1000});
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0)) == 0);
  // Bob's bucket is full, the node's holds 500: he waits a third of a second.
  BOOST_TEST(about(limiter.reserve("bob", 1000, t0), std::chrono::nanoseconds(333'333'334)));
  // Alice waits a second: her own bucket is empty, and the node's is 500 in
  // debt (her 1000 bytes and the debt take a second at 1500 per second).
  BOOST_TEST(about(limiter.reserve("alice", 1000, t0), 1s));
}

BOOST_AUTO_TEST_CASE(peers_whose_bucket_filled_up_again_are_forgotten) {
  upload_limiter limiter({.bytes_per_second = 0, .per_peer_bytes_per_second = 1000});
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0)) == 0);
  BOOST_TEST(us(limiter.reserve("bob", 1000, t0)) == 0);
  BOOST_TEST(limiter.tracked_peers() == 2u);
  // A second later both buckets are full again: only the peer served now is kept.
  BOOST_TEST(us(limiter.reserve("carol", 10, t0 + 1s)) == 0);
  BOOST_TEST(limiter.tracked_peers() == 1u);
  // A forgotten peer starts with a full bucket, as it would have anyway.
  BOOST_TEST(us(limiter.reserve("alice", 1000, t0 + 1s)) == 0);
}
