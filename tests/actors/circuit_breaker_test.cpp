#define BOOST_TEST_MODULE actors_policies
#include <boost/test/unit_test.hpp>

#include "actors/circuit_breaker.hpp"

using namespace snapstream::actors;
using namespace std::chrono_literals;
using clock_type = circuit_breakers::clock;

namespace {
const breaker_config config{.failure_threshold = 3, .window = 10s, .cool_down = 5s};
}

BOOST_AUTO_TEST_CASE(a_peer_under_the_threshold_keeps_being_served) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  b.record_failure("alice", t0);
  b.record_failure("alice", t0 + 1s);
  BOOST_TEST(b.allow("alice", t0 + 2s));
  BOOST_TEST((b.state_of("alice", t0 + 2s) == breaker_state::closed));
}

BOOST_AUTO_TEST_CASE(failures_outside_the_window_do_not_count) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  b.record_failure("alice", t0);
  b.record_failure("alice", t0 + 1s);
  b.record_failure("alice", t0 + 12s); // the first two have left the 10 s window
  BOOST_TEST(b.allow("alice", t0 + 12s));
}

BOOST_AUTO_TEST_CASE(the_threshold_opens_only_that_peers_breaker) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) b.record_failure("mallory", t0 + std::chrono::seconds(i));
  BOOST_TEST(!b.allow("mallory", t0 + 3s));
  BOOST_TEST((b.state_of("mallory", t0 + 3s) == breaker_state::open));
  BOOST_TEST(b.retry_after("mallory", t0 + 3s).count() == 4000); // opened at t0+2s, 5 s cool-down
  BOOST_TEST(b.allow("alice", t0 + 3s));
}

BOOST_AUTO_TEST_CASE(after_the_cool_down_one_trial_passes_and_its_success_closes) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) b.record_failure("bob", t0);
  BOOST_TEST(!b.allow("bob", t0 + 4s));
  BOOST_TEST((b.state_of("bob", t0 + 5s) == breaker_state::half_open));
  BOOST_TEST(b.allow("bob", t0 + 5s));   // the trial
  BOOST_TEST(!b.allow("bob", t0 + 5s));  // only one trial at a time
  b.record_success("bob");
  BOOST_TEST(b.allow("bob", t0 + 6s));
  BOOST_TEST((b.state_of("bob", t0 + 6s) == breaker_state::closed));
}

BOOST_AUTO_TEST_CASE(a_failed_trial_reopens_for_a_full_cool_down) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) b.record_failure("bob", t0);
  BOOST_TEST(b.allow("bob", t0 + 5s));
  b.record_failure("bob", t0 + 6s);
  BOOST_TEST(!b.allow("bob", t0 + 10s));
  BOOST_TEST(b.allow("bob", t0 + 11s));
}

BOOST_AUTO_TEST_CASE(status_lists_each_peer_and_reset_closes_all) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) b.record_failure("mallory", t0);
  b.record_failure("alice", t0);
  auto s = b.status(t0 + 1s);
  BOOST_REQUIRE_EQUAL(s.size(), 2u);
  BOOST_TEST(s[0].peer == "alice");
  BOOST_TEST((s[0].state == breaker_state::closed));
  BOOST_TEST(s[0].recent_failures == 1u);
  BOOST_TEST(s[1].peer == "mallory");
  BOOST_TEST((s[1].state == breaker_state::open));
  BOOST_TEST(s[1].retry_after.count() == 4000);
  b.reset_all();
  BOOST_TEST(b.allow("mallory", t0 + 1s));
  BOOST_TEST(b.status(t0 + 1s).empty());
}

// Peers that failed once and left, and breakers whose peer never came back,
// are not kept forever: a crowd of them stays bounded.
BOOST_AUTO_TEST_CASE(idle_breakers_are_pruned_and_the_map_stays_bounded) {
  circuit_breakers b(config);
  const auto t0 = clock_type::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) b.record_failure("mallory", t0); // open at t0
  for (int i = 0; i < 1000; ++i) b.record_failure("passer-by-" + std::to_string(i), t0 + 1s);
  BOOST_TEST(b.size() == 1001u);
  BOOST_TEST(b.sweep(t0 + 5s) == 0u); // every failure still inside the window
  // A window later the passers-by hold no failure: forgotten. Mallory's open
  // breaker is kept until a window after its cool-down.
  BOOST_TEST(b.sweep(t0 + 12s) == 1000u);
  BOOST_TEST(b.size() == 1u);
  BOOST_TEST((b.state_of("mallory", t0 + 12s) == breaker_state::half_open));
  BOOST_TEST(b.sweep(t0 + 16s) == 1u);
  BOOST_TEST(b.size() == 0u);
  // record_failure sweeps on its own, once a window.
  for (int i = 0; i < 100; ++i) b.record_failure("crowd-" + std::to_string(i), t0 + 20s);
  b.record_failure("late", t0 + 40s);
  BOOST_TEST(b.size() == 1u);
}
