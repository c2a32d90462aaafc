#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "protocol/snapshot/record.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

struct collected {
  std::vector<byte_buffer> pages;
  std::vector<hash256> hashes;
  std::vector<byte_buffer> first_keys;
  std::vector<std::uint64_t> counts;
  std::vector<std::uint64_t> indices;
};

page_builder make_builder(std::uint32_t page_size, collected& c) {
  auto b = page_builder::create(page_size, [&c](const closed_page& p) -> result<void> {
    c.pages.push_back(to_buffer(p.bytes));
    c.hashes.push_back(p.hash);
    c.first_keys.push_back(to_buffer(p.first_key));
    c.counts.push_back(p.record_count);
    c.indices.push_back(p.index);
    return {};
  });
  BOOST_REQUIRE(b.has_value());
  return std::move(*b);
}

// A record whose encoding takes exactly `size` bytes (key of one byte).
byte_buffer value_for(std::size_t size) { return byte_buffer(size - 9, 0x5a); }

} // namespace

BOOST_AUTO_TEST_SUITE(page_cutting)

BOOST_AUTO_TEST_CASE(empty_state_has_no_pages) {
  collected c;
  auto b = make_builder(4096, c);
  BOOST_REQUIRE(b.finish().has_value());
  BOOST_TEST(c.pages.empty());
  BOOST_TEST(b.page_count() == 0u);
  BOOST_TEST(b.total_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(records_that_fill_a_page_exactly_share_it) {
  collected c;
  auto b = make_builder(4096, c);
  BOOST_REQUIRE(b.push(as_bytes("a"), value_for(2048)).has_value());
  BOOST_REQUIRE(b.push(as_bytes("b"), value_for(2048)).has_value());
  BOOST_TEST(c.pages.empty()); // still open: exactly page_size is allowed
  BOOST_REQUIRE(b.push(as_bytes("c"), value_for(9)).has_value());
  BOOST_REQUIRE_EQUAL(c.pages.size(), 1u);
  BOOST_TEST(c.pages[0].size() == 4096u);
  BOOST_TEST(c.counts[0] == 2u);
  BOOST_REQUIRE(b.finish().has_value());
  BOOST_REQUIRE_EQUAL(c.pages.size(), 2u);
  BOOST_TEST(c.pages[1].size() == 9u);
  BOOST_TEST(as_chars(c.first_keys[1]) == "c");
  BOOST_TEST(b.total_bytes() == 4105u);
  BOOST_TEST(b.record_count() == 3u);
}

BOOST_AUTO_TEST_CASE(one_byte_over_the_page_size_starts_a_new_page) {
  collected c;
  auto b = make_builder(4096, c);
  BOOST_REQUIRE(b.push(as_bytes("a"), value_for(2048)).has_value());
  BOOST_REQUIRE(b.push(as_bytes("b"), value_for(2049)).has_value());
  BOOST_REQUIRE(b.finish().has_value());
  BOOST_REQUIRE_EQUAL(c.pages.size(), 2u);
  BOOST_TEST(c.pages[0].size() == 2048u);
  BOOST_TEST(c.pages[1].size() == 2049u);
}

BOOST_AUTO_TEST_CASE(a_record_larger_than_the_page_gets_a_page_of_its_own) {
  collected c;
  auto b = make_builder(4096, c);
  BOOST_REQUIRE(b.push(as_bytes("a"), value_for(100)).has_value());
  BOOST_REQUIRE(b.push(as_bytes("b"), value_for(5000)).has_value());
  BOOST_REQUIRE(b.push(as_bytes("c"), value_for(100)).has_value());
  BOOST_REQUIRE(b.finish().has_value());
  BOOST_REQUIRE_EQUAL(c.pages.size(), 3u);
  BOOST_TEST(c.pages[0].size() == 100u);
  BOOST_TEST(c.pages[1].size() == 5000u);
  BOOST_TEST(c.pages[2].size() == 100u);
  BOOST_TEST(as_chars(c.first_keys[1]) == "b");

  // Also when it is the very first record.
  collected d;
  auto e = make_builder(4096, d);
  BOOST_REQUIRE(e.push(as_bytes("a"), value_for(5000)).has_value());
  BOOST_REQUIRE(e.finish().has_value());
  BOOST_REQUIRE_EQUAL(d.pages.size(), 1u);
  BOOST_TEST(d.pages[0].size() == 5000u);
}

BOOST_AUTO_TEST_CASE(pages_match_the_canonical_rule_on_random_states) {
  for (std::uint32_t page_size : {4096u, 8192u, 65536u}) {
    const auto records = make_records(2000, page_size, 3000);
    collected c;
    auto b = make_builder(page_size, c);
    for (const auto& [k, v] : records) BOOST_REQUIRE(b.push(k, v).has_value());
    BOOST_REQUIRE(b.finish().has_value());

    // The rule of docs/protocol.md 3.2, written out directly.
    std::vector<byte_buffer> expected;
    byte_buffer current;
    for (const auto& [k, v] : records) {
      const auto size = encoded_record_size(k.size(), v.size());
      if (!current.empty() && current.size() + size > page_size) expected.push_back(std::exchange(current, {}));
      append_record(current, k, v);
    }
    if (!current.empty()) expected.push_back(current);

    BOOST_TEST_CONTEXT("page size " << page_size) {
      BOOST_REQUIRE_EQUAL(c.pages.size(), expected.size());
      std::uint64_t total_records = 0;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        BOOST_REQUIRE(c.pages[i] == expected[i]);
        BOOST_TEST(c.indices[i] == i);
        BOOST_TEST(c.hashes[i] == page_hash(expected[i]));
        std::vector<record_view> parsed;
        BOOST_REQUIRE(parse_page(c.pages[i], parsed).has_value());
        BOOST_TEST(c.counts[i] == parsed.size());
        BOOST_TEST(to_buffer(parsed.front().key) == c.first_keys[i]);
        total_records += parsed.size();
      }
      BOOST_TEST(total_records == records.size());
      BOOST_TEST(b.record_count() == records.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(keys_out_of_order_are_refused_and_leave_the_builder_usable) {
  collected c;
  auto b = make_builder(4096, c);
  BOOST_REQUIRE(b.push(as_bytes("m"), as_bytes("1")).has_value());
  auto same = b.push(as_bytes("m"), as_bytes("2"));
  BOOST_REQUIRE(!same);
  BOOST_TEST(same.error().is(snapshot_errc::keys_not_increasing));
  BOOST_TEST(same.error().message() == "record 1: key does not exceed the key before it");
  auto lower = b.push(as_bytes("a"), {});
  BOOST_REQUIRE(!lower);
  BOOST_TEST(lower.error().is(snapshot_errc::keys_not_increasing));
  auto invalid = b.push({}, {});
  BOOST_REQUIRE(!invalid);
  BOOST_TEST(invalid.error().message() == "record 1: key length 0 is outside 1..65536");
  BOOST_REQUIRE(b.push(as_bytes("n"), as_bytes("3")).has_value());
  BOOST_REQUIRE(b.finish().has_value());
  BOOST_REQUIRE_EQUAL(c.pages.size(), 1u);
  BOOST_TEST(c.counts[0] == 2u);
  auto late = b.push(as_bytes("z"), {});
  BOOST_REQUIRE(!late);
  BOOST_TEST(late.error().is(snapshot_errc::builder_finished));
}

BOOST_AUTO_TEST_CASE(page_sizes_outside_the_allowed_powers_of_two_are_refused) {
  for (std::uint32_t bad : {0u, 2048u, 3000u, 65535u, 8u << 20}) {
    auto b = page_builder::create(bad, {});
    BOOST_REQUIRE(!b);
    BOOST_TEST(b.error().is(snapshot_errc::invalid_page_size));
  }
  BOOST_TEST(page_builder::create(4096, {}).has_value());
  BOOST_TEST(page_builder::create(4u << 20, {}).has_value());
  BOOST_TEST(check_page_size(3000).error().message() == "page size 3000 is not a power of two from 4096 to 4194304");
}

BOOST_AUTO_TEST_CASE(a_sink_error_stops_the_build_and_is_returned) {
  auto b = page_builder::create(4096, [](const closed_page& p) -> result<void> {
    return error{snapshot_errc::invalid_plan, "sink refused page " + std::to_string(p.index)};
  });
  BOOST_REQUIRE(b.has_value());
  BOOST_REQUIRE(b->push(as_bytes("a"), value_for(4000)).has_value());
  auto r = b->push(as_bytes("b"), value_for(4000));
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().message() == "sink refused page 0");
  BOOST_TEST(b->push(as_bytes("c"), {}).error().is(snapshot_errc::builder_finished));
}

BOOST_AUTO_TEST_SUITE_END()
