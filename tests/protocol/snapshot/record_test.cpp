#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/snapshot/record.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;
using snapstream::snapshot::test::bytes_of;

BOOST_AUTO_TEST_SUITE(record)

BOOST_AUTO_TEST_CASE(encoding_is_length_prefixed_key_then_value) {
  auto enc = encode_record(as_bytes("ab"), as_bytes("xyz"));
  BOOST_REQUIRE(enc.has_value());
  BOOST_TEST(to_hex(*enc) == "0000000261620000000378797a");
  std::size_t offset = 0;
  auto back = parse_record(*enc, offset);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(offset == enc->size());
  BOOST_TEST(as_chars(back->key) == "ab");
  BOOST_TEST(as_chars(back->value) == "xyz");
  // The views borrow the input.
  BOOST_TEST(back->key.data() == enc->data() + 4);
}

BOOST_AUTO_TEST_CASE(limits_are_enforced_at_their_exact_bounds) {
  const byte_buffer max_key(max_key_size, 0x61);
  const byte_buffer max_value(max_value_size, 0x62);
  BOOST_TEST(encode_record(max_key, max_value).has_value());
  BOOST_TEST(encode_record(as_bytes("k"), {}).has_value());

  auto empty_key = encode_record({}, as_bytes("v"));
  BOOST_REQUIRE(!empty_key);
  BOOST_TEST(empty_key.error().is(snapshot_errc::invalid_record));
  BOOST_TEST(empty_key.error().message() == "key length 0 is outside 1..65536");

  const byte_buffer long_key(max_key_size + 1, 0x61);
  auto too_long = encode_record(long_key, {});
  BOOST_REQUIRE(!too_long);
  BOOST_TEST(too_long.error().message() == "key length 65537 is outside 1..65536");

  const byte_buffer long_value(max_value_size + 1, 0x62);
  auto big = encode_record(as_bytes("k"), long_value);
  BOOST_REQUIRE(!big);
  BOOST_TEST(big.error().message() == "value length 1048577 exceeds 1048576");
}

BOOST_AUTO_TEST_CASE(parse_rejects_truncation_and_bad_lengths_naming_the_offset) {
  struct bad_case {
    std::string hex;
    snapshot_errc code;
    std::string message;
  };
  const bad_case cases[] = {
    {"000000", snapshot_errc::truncated, "record at offset 0: input ends inside the key length"},
    {"0000000161", snapshot_errc::truncated, "record at offset 0: input ends inside the value length"},
    {"0000000261", snapshot_errc::truncated, "record at offset 0: input ends inside the key"},
    {"00000001610000000278", snapshot_errc::truncated, "record at offset 0: input ends inside the value"},
    {"0000000000000000", snapshot_errc::invalid_record, "record at offset 0: key length 0 is outside 1..65536"},
    {"00010001", snapshot_errc::invalid_record, "record at offset 0: key length 65537 is outside 1..65536"},
    {"000000016100100001", snapshot_errc::invalid_record,
     "record at offset 0: value length 1048577 exceeds 1048576"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("input " << c.hex) {
      auto in = from_hex(c.hex);
      BOOST_REQUIRE(in.has_value());
      std::size_t offset = 0;
      auto r = parse_record(*in, offset);
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.error().is(c.code));
      BOOST_TEST(r.error().message() == c.message);
      BOOST_TEST(offset == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(page_parse_requires_exact_input_and_increasing_keys) {
  byte_buffer page;
  append_record(page, as_bytes("a"), as_bytes("1"));
  append_record(page, as_bytes("ab"), as_bytes("2"));
  append_record(page, as_bytes("b"), {});
  std::vector<record_view> out;
  auto n = parse_page(page, out);
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(*n == 3u);
  BOOST_TEST(as_chars(out[1].key) == "ab");
  BOOST_TEST(out[2].value.empty());

  byte_buffer trailing = page;
  trailing.push_back(0);
  out.clear();
  auto t = parse_page(trailing, out);
  BOOST_REQUIRE(!t);
  BOOST_TEST(t.error().is(snapshot_errc::truncated));
  BOOST_TEST(t.error().message() == "record at offset 30: input ends inside the key length");
  BOOST_TEST(out.empty());

  byte_buffer unordered;
  append_record(unordered, as_bytes("b"), {});
  append_record(unordered, as_bytes("a"), {});
  auto u = parse_page(unordered, out);
  BOOST_REQUIRE(!u);
  BOOST_TEST(u.error().is(snapshot_errc::keys_not_increasing));
  BOOST_TEST(u.error().message() == "record 1: key does not exceed the key before it");

  byte_buffer duplicate;
  append_record(duplicate, as_bytes("a"), {});
  append_record(duplicate, as_bytes("a"), as_bytes("x"));
  BOOST_TEST(parse_page(duplicate, out).error().is(snapshot_errc::keys_not_increasing));
}

BOOST_AUTO_TEST_CASE(keys_compare_unsigned_bytewise_with_prefix_first) {
  BOOST_TEST(compare_keys(as_bytes("a"), as_bytes("ab")) < 0);
  BOOST_TEST(compare_keys(as_bytes("b"), as_bytes("ab")) > 0);
  BOOST_TEST(compare_keys(as_bytes("ab"), as_bytes("ab")) == 0);
  const byte_buffer high{0xff};
  const byte_buffer low{0x01};
  BOOST_TEST(compare_keys(high, low) > 0);
}

BOOST_AUTO_TEST_SUITE_END()
