#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/snapshot/chunk_ledger.hpp"

#include <algorithm>
#include <numeric>
#include <random>

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

const built_snapshot& sample() {
  static const built_snapshot s = build_snapshot(make_records(800, 7, 200), 4096, {key_from(3)});
  return s;
}

std::shared_ptr<const plan> shared_plan() { return std::make_shared<const plan>(sample().p); }

verified_chunk verified(std::uint64_t index, std::uint64_t ppc, byte_buffer& bytes) {
  bytes = chunk_of(sample(), index, ppc);
  auto v = verify_chunk(sample().p, index, ppc, bytes);
  BOOST_REQUIRE_MESSAGE(v.has_value(), v.error().message());
  return *v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chunk_ledgers)

BOOST_AUTO_TEST_CASE(chunks_applied_in_any_order_add_up_to_the_plans_totals) {
  const std::uint64_t ppc = 3;
  chunk_ledger ledger(shared_plan(), ppc);
  const auto n = ledger.chunk_count();
  BOOST_REQUIRE_GT(n, 4u);
  std::vector<std::uint64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
  for (std::size_t i = 0; i < order.size(); ++i) {
    byte_buffer bytes;
    auto c = verified(order[i], ppc, bytes);
    BOOST_TEST(!ledger.complete());
    BOOST_REQUIRE_MESSAGE(ledger.mark(c).has_value(), "chunk " << order[i]);
    BOOST_TEST(ledger.applied(order[i]));
    BOOST_TEST(ledger.applied_count() == i + 1);
  }
  BOOST_TEST(ledger.complete());
  BOOST_TEST(ledger.contiguous() == n);
  BOOST_TEST(ledger.page_bytes() == sample().p.total_bytes);
  BOOST_TEST(ledger.records() == sample().p.record_count);
  BOOST_TEST(ledger.check_totals().has_value());
}

BOOST_AUTO_TEST_CASE(the_contiguous_prefix_grows_only_when_the_gap_closes) {
  chunk_ledger ledger(shared_plan(), 4);
  byte_buffer b0, b1, b2;
  BOOST_REQUIRE(ledger.mark(verified(2, 4, b2)).has_value());
  BOOST_TEST(ledger.contiguous() == 0u);
  BOOST_REQUIRE(ledger.mark(verified(0, 4, b0)).has_value());
  BOOST_TEST(ledger.contiguous() == 1u);
  BOOST_REQUIRE(ledger.mark(verified(1, 4, b1)).has_value());
  BOOST_TEST(ledger.contiguous() == 3u);
}

BOOST_AUTO_TEST_CASE(a_chunk_applied_twice_or_out_of_range_is_refused) {
  chunk_ledger ledger(shared_plan(), 4);
  byte_buffer b;
  auto c = verified(1, 4, b);
  BOOST_REQUIRE(ledger.mark(c).has_value());
  auto twice = ledger.mark(c);
  BOOST_REQUIRE(!twice.has_value());
  BOOST_TEST(twice.error().is(verify_errc::unexpected_artefact));
  BOOST_TEST(twice.error().message() == "chunk 1: already applied");
  BOOST_TEST(ledger.applied_count() == 1u);
  c.chunk_index = ledger.chunk_count();
  BOOST_TEST(ledger.mark(c).error().is(verify_errc::unexpected_artefact));
}

BOOST_AUTO_TEST_CASE(totals_that_differ_from_the_plan_are_caught_after_the_last_chunk) {
  auto lying = std::make_shared<plan>(sample().p);
  lying->record_count += 1; // the header is not covered by the root
  chunk_ledger ledger(lying, 1000);
  BOOST_REQUIRE_EQUAL(ledger.chunk_count(), 1u);
  byte_buffer bytes = chunk_of(sample(), 0, 1000);
  auto c = verify_chunk(*lying, 0, 1000, bytes);
  BOOST_REQUIRE(c.has_value());
  auto marked = ledger.mark(*c);
  BOOST_REQUIRE(!marked.has_value());
  BOOST_TEST(marked.error().is(verify_errc::totals_mismatch));
  BOOST_TEST(marked.error().message().find("records in total, the plan says") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_restored_ledger_continues_where_the_durable_one_stopped) {
  const std::uint64_t ppc = 5;
  chunk_ledger first(shared_plan(), ppc);
  byte_buffer b3, b0;
  BOOST_REQUIRE(first.mark(verified(3, ppc, b3)).has_value());
  BOOST_REQUIRE(first.mark(verified(0, ppc, b0)).has_value());
  const std::vector<std::uint64_t> applied{3, 0};
  auto restored = chunk_ledger::restore(shared_plan(), ppc, applied, first.page_bytes(), first.records());
  BOOST_REQUIRE(restored.has_value());
  BOOST_TEST(restored->applied(0));
  BOOST_TEST(restored->applied(3));
  BOOST_TEST(!restored->applied(1));
  BOOST_TEST(restored->contiguous() == 1u);
  BOOST_TEST(restored->page_bytes() == first.page_bytes());
  const std::vector<std::uint64_t> twice{3, 3};
  BOOST_TEST(!chunk_ledger::restore(shared_plan(), ppc, twice, 0, 0).has_value());
  const std::vector<std::uint64_t> beyond{first.chunk_count()};
  BOOST_TEST(!chunk_ledger::restore(shared_plan(), ppc, beyond, 0, 0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
