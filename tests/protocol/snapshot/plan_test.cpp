#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/snapshot/plan.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

plan sample_plan() {
  plan p;
  p.height = 0x0102030405060708ull;
  p.page_size = 65536;
  p.record_count = 3;
  p.total_bytes = 100;
  p.update_count = 2;
  p.page_hashes = {hash_of("p0"), hash_of("p1")};
  p.state_root = merkle_root(p.page_hashes);
  return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(plan_codec)

BOOST_AUTO_TEST_CASE(encoding_follows_the_spec_layout_byte_for_byte) {
  const plan p = sample_plan();
  const byte_buffer bytes = encode_plan(p);
  BOOST_REQUIRE_EQUAL(bytes.size(), 77u + 64u);
  BOOST_TEST(to_hex(bytes_view(bytes).first(45)) ==
             "5353504c01"          // "SSPL", version 1
             "0102030405060708"    // height
             "00010000"            // page_size
             "0000000000000002"    // page_count
             "0000000000000003"    // record_count
             "0000000000000064"    // total_bytes
             "00000002");          // update_count
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(45, 32)) == to_hex(p.state_root));
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(77, 32)) == to_hex(p.page_hashes[0]));
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(109, 32)) == to_hex(p.page_hashes[1]));
  auto back = decode_plan(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == p));
  BOOST_TEST(check_plan_root(*back));
  BOOST_TEST(plan_id(p) == to_hex(p.state_root));
  BOOST_TEST(plan_id(p).size() == 64u);
}

BOOST_AUTO_TEST_CASE(an_empty_state_plan_round_trips) {
  plan p;
  p.height = 1;
  p.page_size = 4096;
  p.update_count = 1;
  p.state_root = merkle_root({});
  auto back = decode_plan(encode_plan(p));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->page_count() == 0u);
  BOOST_TEST(plan_id(*back) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(every_malformed_field_is_rejected_by_name) {
  const byte_buffer good = encode_plan(sample_plan());
  struct bad_case {
    std::string name;
    std::function<void(byte_buffer&)> mutate;
    snapshot_errc code;
    std::string message;
  };
  const bad_case cases[] = {
    {"short header", [](byte_buffer& b) { b.resize(76); }, snapshot_errc::truncated,
     "plan: 76 bytes, the header needs 77"},
    {"magic", [](byte_buffer& b) { b[0] = 'X'; }, snapshot_errc::bad_magic, "plan: magic is not SSPL"},
    {"version", [](byte_buffer& b) { b[4] = 2; }, snapshot_errc::unsupported_version,
     "plan: format version 2 is not 1"},
    {"page size", [](byte_buffer& b) { store_be32(b.data() + 13, 5000); }, snapshot_errc::invalid_page_size,
     "plan: page size 5000 is not a power of two from 4096 to 4194304"},
    {"missing hash", [](byte_buffer& b) { b.resize(b.size() - 32); }, snapshot_errc::truncated,
     "plan: page_count 2 needs 2 page hashes, the input holds 1"},
    {"partial hash", [](byte_buffer& b) { b.pop_back(); }, snapshot_errc::truncated,
     "plan: page_count 2 needs 2 page hashes, the input holds 1"},
    {"trailing", [](byte_buffer& b) { b.push_back(0); }, snapshot_errc::trailing_bytes,
     "plan: 1 bytes after page hash 2"},
    {"huge page count", [](byte_buffer& b) { store_be64(b.data() + 17, ~0ull); }, snapshot_errc::truncated,
     "plan: page_count 18446744073709551615 needs 18446744073709551615 page hashes, the input holds 2"},
    {"no updates", [](byte_buffer& b) { store_be32(b.data() + 41, 0); }, snapshot_errc::invalid_plan,
     "plan: update_count is 0, at least 1 is required"},
    {"zero bytes", [](byte_buffer& b) { store_be64(b.data() + 33, 0); }, snapshot_errc::invalid_plan,
     "plan: page_count 2 and total_bytes 0 must be zero together"},
    {"zero records", [](byte_buffer& b) { store_be64(b.data() + 25, 0); }, snapshot_errc::invalid_plan,
     "plan: page_count 2 and record_count 0 must be zero together"},
    {"fewer records than pages", [](byte_buffer& b) { store_be64(b.data() + 25, 1); }, snapshot_errc::invalid_plan,
     "plan: record_count 1 is below page_count 2"},
    {"records too small", [](byte_buffer& b) { store_be64(b.data() + 25, 12); }, snapshot_errc::invalid_plan,
     "plan: total_bytes 100 cannot hold record_count 12 records"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      byte_buffer bytes = good;
      c.mutate(bytes);
      auto r = decode_plan(bytes);
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.error().is(c.code));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_plan_whose_hashes_do_not_match_its_root_decodes_but_fails_the_root_check) {
  plan p = sample_plan();
  p.page_hashes[1][0] ^= 1;
  auto back = decode_plan(encode_plan(p));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(!check_plan_root(*back));
}

BOOST_AUTO_TEST_SUITE_END()
