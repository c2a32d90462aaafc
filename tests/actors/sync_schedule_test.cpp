#define BOOST_TEST_MODULE actors_sync_schedule
#include <boost/test/unit_test.hpp>

#include "actors/sync_schedule.hpp"

#include <set>

using namespace snapstream::actors;
using namespace std::chrono_literals;

namespace {

using clock_type = sync_schedule::clock;

/// Delivers and writes chunk `c` from `peer` after `latency`.
void complete(sync_schedule& s, const std::string& peer, std::uint64_t c, std::chrono::microseconds latency = 1000us) {
  BOOST_REQUIRE(s.delivered(peer, c, 1 << 20, latency));
  s.written(c);
}

/// The order in which a job of `chunks` chunks asks a seed for them while a
/// peer that holds nothing yet is its partial provider: rarest first with
/// the job's tie order `salt` and, when `classes` > 1, its class `rank`.
std::vector<std::uint64_t> seed_picks(std::uint64_t chunks, std::uint64_t salt, std::uint64_t rank = 0,
                                      std::uint64_t classes = 0) {
  sync_schedule s(chunks, {});
  s.shuffle(salt);
  s.set_class(rank, classes);
  s.add_peer("seed");
  s.add_peer("peer");
  s.set_have("peer", std::vector<bool>(chunks, false));
  std::vector<std::uint64_t> got;
  const auto now = clock_type::now();
  while (auto c = s.next("seed", now)) {
    got.push_back(*c);
    complete(s, "seed", *c);
  }
  BOOST_TEST(s.all_written());
  return got;
}

} // namespace

BOOST_AUTO_TEST_CASE(one_provider_fetches_every_chunk_in_index_order) {
  sync_schedule s(6, {});
  s.add_peer("a");
  const auto now = clock_type::now();
  for (std::uint64_t want = 0; want < 6; ++want) {
    auto c = s.next("a", now);
    BOOST_REQUIRE(c.has_value());
    BOOST_TEST(*c == want);
    complete(s, "a", *c);
  }
  BOOST_TEST(!s.next("a", now).has_value());
  BOOST_TEST(s.all_written());
}

BOOST_AUTO_TEST_CASE(already_applied_chunks_are_never_scheduled) {
  sync_schedule s(5, {0, 2, 3});
  s.add_peer("a");
  const auto now = clock_type::now();
  BOOST_TEST(*s.next("a", now) == 1u);
  complete(s, "a", 1);
  BOOST_TEST(*s.next("a", now) == 4u);
  complete(s, "a", 4);
  BOOST_TEST(s.all_written());
}

BOOST_AUTO_TEST_CASE(providers_split_the_snapshot_into_contiguous_lanes) {
  sync_schedule s(100, {});
  for (auto p : {"a", "b", "c", "d"}) s.add_peer(p);
  const auto now = clock_type::now();
  std::set<std::uint64_t> firsts;
  std::map<std::string, std::uint64_t> first;
  for (auto p : {"a", "b", "c", "d"}) {
    auto c = s.next(p, now);
    BOOST_REQUIRE(c.has_value());
    first[p] = *c;
    firsts.insert(*c);
  }
  BOOST_TEST(firsts.size() == 4u); // four different places of the snapshot
  // Each provider continues in order inside its own lane.
  for (auto p : {"a", "b", "c", "d"}) {
    complete(s, p, first[p]);
    BOOST_TEST(*s.next(p, now) == first[p] + 1);
  }
}

BOOST_AUTO_TEST_CASE(a_fast_provider_takes_work_from_a_slow_one_and_every_chunk_is_fetched_once) {
  sync_schedule s(64, {});
  s.add_peer("fast");
  s.add_peer("slow");
  const auto now = clock_type::now();
  std::map<std::string, std::uint64_t> fetched;
  std::multiset<std::uint64_t> seen;
  auto slow = s.next("slow", now); // slow holds one chunk the whole time
  BOOST_REQUIRE(slow.has_value());
  seen.insert(*slow);
  for (;;) {
    auto c = s.next("fast", now);
    if (!c) break;
    seen.insert(*c);
    complete(s, "fast", *c);
    ++fetched["fast"];
  }
  complete(s, "slow", *slow);
  BOOST_TEST(fetched["fast"] == 63u);
  BOOST_TEST(seen.size() == 64u);
  BOOST_TEST(std::set<std::uint64_t>(seen.begin(), seen.end()).size() == 64u); // nothing twice
  BOOST_TEST(s.all_written());
}

BOOST_AUTO_TEST_CASE(a_late_chunk_is_asked_of_an_idle_provider_and_the_late_copy_is_dropped) {
  sync_schedule s(4, {});
  s.add_peer("a");
  s.add_peer("b");
  const auto t0 = clock_type::now();
  auto stuck = s.next("a", t0); // a takes chunk 0 and never answers
  BOOST_REQUIRE(stuck.has_value());
  std::set<std::uint64_t> by_b;
  for (int i = 0; i < 3; ++i) {
    auto c = s.next("b", t0);
    BOOST_REQUIRE(c.has_value());
    by_b.insert(*c);
    complete(s, "b", *c, 10ms); // b: 10 ms per chunk
  }
  BOOST_TEST(!by_b.contains(*stuck));
  // a has been silent for 15 ms: not late yet (twice b's 10 ms is the
  // yardstick while a has no measurement of its own)...
  BOOST_TEST(!s.next("b", t0 + 15ms).has_value());
  // ...at 25 ms it is, and b is asked for a's chunk too.
  auto dup = s.next("b", t0 + 25ms);
  BOOST_REQUIRE(dup.has_value());
  BOOST_TEST(*dup == *stuck);
  BOOST_TEST(s.delivered("b", *dup, 1 << 20, 10ms)); // b's copy is written
  s.written(*dup);
  BOOST_TEST(!s.delivered("a", *stuck, 1 << 20, 30ms)); // a's late copy is dropped
  BOOST_TEST(s.all_written());
}

BOOST_AUTO_TEST_CASE(a_released_provider_gives_its_chunk_back_to_the_others) {
  sync_schedule s(4, {});
  s.add_peer("a");
  s.add_peer("b");
  const auto now = clock_type::now();
  auto ca = s.next("a", now);
  BOOST_REQUIRE(ca.has_value());
  s.remove("a"); // banned
  std::set<std::uint64_t> got;
  while (auto c = s.next("b", now)) {
    got.insert(*c);
    complete(s, "b", *c);
  }
  BOOST_TEST(got.size() == 4u);
  BOOST_TEST(got.contains(*ca));
  BOOST_TEST(s.all_written());
}

BOOST_AUTO_TEST_CASE(a_partial_provider_is_asked_only_for_what_it_holds) {
  sync_schedule s(6, {});
  s.add_peer("p");
  s.set_have("p", {true, false, true, false, false, true});
  const auto now = clock_type::now();
  std::set<std::uint64_t> got;
  while (auto c = s.next("p", now)) {
    got.insert(*c);
    complete(s, "p", *c);
  }
  BOOST_TEST((got == std::set<std::uint64_t>{0, 2, 5}));
  BOOST_TEST(s.partial("p"));
  BOOST_TEST(s.unreachable_chunks());
  s.add_peer("full");
  BOOST_TEST(!s.unreachable_chunks());
}

BOOST_AUTO_TEST_CASE(not_yet_removes_a_chunk_from_a_providers_holdings) {
  sync_schedule s(3, {});
  s.add_peer("p");
  const auto now = clock_type::now();
  auto c = s.next("p", now);
  BOOST_REQUIRE(c.has_value());
  s.lacks("p", *c);
  s.release_chunk("p", *c);
  auto again = s.next("p", now);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(*again != *c);
}

BOOST_AUTO_TEST_CASE(timeouts_follow_the_measured_latency_within_their_bounds) {
  schedule_config cfg;
  cfg.min_timeout = 100ms;
  cfg.max_timeout = 5s;
  cfg.timeout_factor = 4;
  sync_schedule s(10, {}, cfg);
  s.add_peer("a");
  BOOST_TEST(s.timeout("a").count() == 5000); // nothing measured yet
  const auto now = clock_type::now();
  complete(s, "a", *s.next("a", now), 200ms);
  BOOST_TEST(s.timeout("a").count() == 800);
  BOOST_TEST(s.rates("a").latency_ms == 200.0);
  complete(s, "a", *s.next("a", now), 10ms);
  BOOST_TEST(s.timeout("a").count() < 800); // moving average: 0.9 x 200 + 0.1 x 10 = 181 ms
  BOOST_TEST(s.rates("a").latency_ms == 181.0, boost::test_tools::tolerance(0.01));
  s.demote("a");
  BOOST_TEST(s.timeout("a").count() == 5000);
  complete(s, "a", *s.next("a", now), 1ms);
  BOOST_TEST(s.timeout("a").count() == 100); // clamped to the minimum
}

BOOST_AUTO_TEST_CASE(an_origin_starts_the_first_lane_inside_the_snapshot_and_the_chunks_before_it_come_last) {
  sync_schedule s(10, {});
  s.set_origin(6);
  s.add_peer("a");
  const auto now = clock_type::now();
  std::vector<std::uint64_t> order;
  while (auto c = s.next("a", now)) {
    order.push_back(*c);
    complete(s, "a", *c);
  }
  BOOST_TEST((order == std::vector<std::uint64_t>{6, 7, 8, 9, 0, 1, 2, 3, 4, 5}));
  BOOST_TEST(s.all_written());
}

BOOST_AUTO_TEST_CASE(with_a_partial_provider_every_provider_takes_the_rarest_chunk_it_holds) {
  // A seed holding everything, and two peers still syncing: "p1" holds
  // 0, 1 and 2, "p2" holds 1, 2 and 3; nobody but the seed holds 4 and 5.
  sync_schedule s(6, {});
  s.add_peer("seed");
  s.add_peer("p1");
  s.add_peer("p2");
  s.set_have("p1", {true, true, true, false, false, false});
  s.set_have("p2", {false, true, true, true, false, false});
  BOOST_TEST(s.holders(0) == 1u);
  BOOST_TEST(s.holders(1) == 2u);
  BOOST_TEST(s.holders(4) == 0u);
  const auto now = clock_type::now();
  // The seed sends what only it has ...
  const std::set<std::uint64_t> only_seed{4, 5};
  const auto first = s.next("seed", now);
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(only_seed.count(*first) == 1u);
  // ... each peer what fewer others hold ...
  BOOST_TEST(*s.next("p1", now) == 0u);
  BOOST_TEST(*s.next("p2", now) == 3u);
  const auto second = s.next("seed", now);
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(only_seed.count(*second) == 1u);
  BOOST_TEST(*second != *first);
  // ... and what is held twice comes last, from whoever is free.
  const auto third = s.next("seed", now);
  BOOST_REQUIRE(third.has_value());
  BOOST_TEST((*third == 1u || *third == 2u));
  BOOST_TEST(*s.next("p1", now) == 3u - *third);
  BOOST_TEST(!s.next("p2", now).has_value());
}

BOOST_AUTO_TEST_CASE(holdings_are_counted_as_they_grow_shrink_and_leave) {
  sync_schedule s(4, {});
  s.add_peer("p");
  s.add_peer("q");
  s.set_have("p", {true, true, false, false});
  s.set_have("q", {true, false, false, false});
  BOOST_TEST(s.holders(0) == 2u);
  s.set_have("p", {true, true, true, false}); // p fetched chunk 2
  BOOST_TEST(s.holders(1) == 1u);
  BOOST_TEST(s.holders(2) == 1u);
  s.lacks("p", 1); // "not yet" after all
  BOOST_TEST(s.holders(1) == 0u);
  s.remove("q");
  BOOST_TEST(s.holders(0) == 1u);
  s.set_have("p", {}); // p holds the whole snapshot now: a full provider
  BOOST_TEST(s.holders(0) == 0u);
  BOOST_TEST(s.holders(2) == 0u);
  BOOST_TEST(!s.partial("p"));
}

BOOST_AUTO_TEST_CASE(equally_rare_chunks_come_in_an_order_of_each_jobs_own) {
  // Two nodes syncing from the same seed and one peer that holds nothing
  // yet: every chunk is equally rare, and each node's seed session should
  // ask for different chunks, not walk them from 0 in step.
  const auto a = seed_picks(64, 1), b = seed_picks(64, 2);
  BOOST_TEST(a.size() == 64u);
  BOOST_TEST((a == seed_picks(64, 1))); // the same job, the same order
  BOOST_TEST((std::vector<std::uint64_t>(a.begin(), a.begin() + 8) !=
              std::vector<std::uint64_t>(b.begin(), b.begin() + 8)));
  std::vector<std::uint64_t> in_index_order(64);
  for (std::uint64_t c = 0; c < 64; ++c) in_index_order[c] = c;
  BOOST_TEST((a != in_index_order));
}

BOOST_AUTO_TEST_CASE(name_ahead_names_what_next_will_give_a_lane_owner_and_nothing_once_a_partial_provider_joins) {
  sync_schedule s(4, {});
  s.shuffle(1); // an order in which chunk 2 comes before chunk 3
  s.add_peer("a");
  const auto now = clock_type::now();
  BOOST_TEST(!s.name_ahead("a").has_value()); // no lane before its first chunk
  for (std::uint64_t c = 0; c < 2; ++c) {
    BOOST_TEST(*s.next("a", now) == c);
    BOOST_TEST(*s.name_ahead("a") == c + 1); // what the session asks ahead, and next agrees
    complete(s, "a", c);
  }
  BOOST_TEST(!s.name_ahead("nobody").has_value());
  // "a"'s session asked ahead for chunk 2 when a partial provider joins:
  // the partial one is not given chunk 2, and "a" still is.
  s.add_peer("p");
  s.set_have("p", {true, true, true, true});
  BOOST_TEST(*s.next("p", now) == 3u);
  BOOST_TEST(*s.next("a", now) == 2u);
  // From now on nothing is named ahead: a partial provider may take any chunk.
  BOOST_TEST(!s.name_ahead("a").has_value());
  BOOST_TEST(!s.name_ahead("p").has_value());
}

BOOST_AUTO_TEST_CASE(a_chunk_named_ahead_is_still_given_to_its_provider_once_rarest_first_takes_over) {
  sync_schedule s(6, {});
  s.shuffle(0); // rarest first would take 3, 5, 4 and only then 2
  s.add_peer("a");
  const auto now = clock_type::now();
  BOOST_TEST(*s.next("a", now) == 0u);
  complete(s, "a", 0);
  BOOST_TEST(*s.next("a", now) == 1u);
  BOOST_TEST(*s.name_ahead("a") == 2u); // "a"'s session asks for chunk 2 now
  complete(s, "a", 1);
  s.add_peer("p");
  s.set_have("p", std::vector<bool>(6, false)); // a peer that holds nothing yet
  // Chunk 2 is on its way: "a" is given it, not what is rarest by now.
  BOOST_TEST(*s.next("a", now) == 2u);
  BOOST_TEST(*s.next("a", now) == 3u);
}

BOOST_AUTO_TEST_CASE(a_stuck_provider_does_not_keep_the_chunk_it_named_ahead) {
  sync_schedule s(4, {});
  s.shuffle(1); // an order in which chunk 2 comes before chunk 3
  s.add_peer("a");
  const auto t0 = clock_type::now();
  complete(s, "a", *s.next("a", t0)); // chunk 0 in 1 ms
  BOOST_TEST(*s.next("a", t0) == 1u);
  BOOST_TEST(*s.name_ahead("a") == 2u);
  s.add_peer("p");
  s.set_have("p", {true, true, true, true});
  // While chunk 1 is on time, chunk 2 stays "a"'s ...
  BOOST_TEST(*s.next("p", t0) == 3u);
  s.release_chunk("p", 3);
  // ... once it is a minute late, "a" is stuck and chunk 2 goes to whoever is free.
  BOOST_TEST(*s.next("p", t0 + 1min) == 2u);
}

BOOST_AUTO_TEST_CASE(nodes_of_different_ranks_ask_a_common_seed_for_different_chunks_first) {
  // Three nodes sync at once from one seed and from each other, none of
  // them holding anything yet. The 12 chunks fall into 3 classes, [0, 4),
  // [4, 8) and [8, 12); each node takes its own class from the seed first,
  // then the next one.
  for (std::uint64_t rank = 0; rank < 3; ++rank) {
    const auto got = seed_picks(12, 11 + rank, rank, 3);
    BOOST_REQUIRE(got.size() == 12u);
    for (std::size_t i = 0; i < got.size(); ++i)
      BOOST_TEST(got[i] / 4 == (rank + i / 4) % 3, "rank " << rank << ", pick " << i << ": chunk " << got[i]);
  }
  // Before any peer offers chunks, the lane starts at the node's class.
  sync_schedule lane(12, {});
  lane.set_class(1, 3);
  lane.add_peer("seed");
  BOOST_TEST(*lane.next("seed", clock_type::now()) == 4u);
  // Rarity still comes first: a chunk another node holds waits, whatever its class.
  sync_schedule s(6, {});
  s.set_class(0, 3); // classes [0, 2), [2, 4), [4, 6)
  s.add_peer("seed");
  s.add_peer("other");
  s.set_have("other", {true, false, false, true, false, false});
  const auto now = clock_type::now();
  BOOST_TEST(*s.next("seed", now) == 1u);
}

BOOST_AUTO_TEST_CASE(a_lane_split_leaves_its_owner_the_chunk_it_asked_ahead) {
  sync_schedule s(2, {});
  s.add_peer("a");
  s.add_peer("b");
  const auto t0 = clock_type::now();
  BOOST_TEST(*s.next("a", t0) == 0u);
  BOOST_TEST(*s.name_ahead("a") == 1u); // "a"'s session asks for chunk 1 as chunk 0 arrives
  // "b" runs dry: "a"'s lane has nothing left but the chunk on its way.
  BOOST_TEST(!s.next("b", t0).has_value());
  // Once "a" is stuck (chunk 0 a minute late), "b" takes chunk 1 after all.
  BOOST_TEST(*s.next("b", t0 + 1min) == 1u);
}
