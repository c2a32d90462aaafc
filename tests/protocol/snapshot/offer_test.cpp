#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/snapshot/offer.hpp"

#include <functional>
#include <limits>

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

ed25519_public_key signer(std::uint8_t fill) {
  ed25519_public_key k;
  k.fill(fill);
  return k;
}

offer complete_offer() {
  offer o;
  o.state_root = hash_of("root a");
  o.height = 0x0102030405060708ull;
  o.page_size = 65536;
  o.page_count = 3;
  o.total_bytes = 100;
  o.update_count = 2;
  o.signers = {signer(0xaa)};
  return o;
}

// Holds pages 0, 2 and 9 of 10: bitmap 0b00000101, 0b00000010.
offer partial_offer() {
  offer o;
  o.state_root = hash_of("root b");
  o.height = 7;
  o.page_size = 4096;
  o.page_count = 10;
  o.total_bytes = 40000;
  o.update_count = 1;
  o.complete = false;
  o.pages = {0x05, 0x02};
  return o;
}

std::vector<offer> sample() { return {complete_offer(), partial_offer()}; }

// Offsets in the encoding of `sample()`.
constexpr std::size_t first_offer_at = offers_header_size;
constexpr std::size_t second_offer_at = first_offer_at + offer_header_size + 32 + 1;

} // namespace

BOOST_AUTO_TEST_SUITE(offer_list)

BOOST_AUTO_TEST_CASE(encoding_follows_the_spec_layout_byte_for_byte) {
  const auto offers = sample();
  const byte_buffer bytes = encode_offers(offers);
  BOOST_REQUIRE_EQUAL(bytes.size(), 6u + (65 + 32 + 1) + (65 + 1 + 2));
  BOOST_TEST(to_hex(bytes_view(bytes).first(6)) == "53534f460102"); // "SSOF", version 1, 2 offers
  const bytes_view a = bytes_view(bytes).subspan(first_offer_at);
  BOOST_TEST(to_hex(a.first(32)) == to_hex(offers[0].state_root));
  BOOST_TEST(to_hex(a.subspan(32, 33)) ==
             "0102030405060708"   // height
             "00010000"           // page_size
             "0000000000000003"   // page_count
             "0000000000000064"   // total_bytes
             "00000002"           // update_count
             "01");               // signer_count
  BOOST_TEST(to_hex(a.subspan(65, 32)) == std::string(64, 'a'));
  BOOST_TEST(to_hex(a.subspan(97, 1)) == "01"); // flags: complete, no bitmap
  const bytes_view b = bytes_view(bytes).subspan(second_offer_at);
  BOOST_TEST(to_hex(b.subspan(32, 33)) ==
             "0000000000000007" "00001000" "000000000000000a" "0000000000009c40" "00000001" "00");
  BOOST_TEST(to_hex(b.subspan(65)) == "00" "0502"); // flags: partial, then the bitmap

  auto back = decode_offers(bytes);
  BOOST_REQUIRE_MESSAGE(back.has_value(), back.error().message());
  BOOST_TEST((*back == offers));
}

BOOST_AUTO_TEST_CASE(the_example_of_the_specification_encodes_exactly) {
  // docs/protocol.md section 3.6.
  offer a;
  a.state_root.fill(0x11);
  a.height = 100;
  a.page_size = 65536;
  a.page_count = 3;
  a.total_bytes = 100;
  a.update_count = 2;
  a.signers = {signer(0xaa)};
  offer b;
  b.state_root.fill(0x22);
  b.height = 7;
  b.page_size = 4096;
  b.page_count = 10;
  b.total_bytes = 40000;
  b.update_count = 1;
  b.complete = false;
  b.pages = {0x05, 0x02};
  const std::vector<offer> offers{a, b};
  const byte_buffer bytes = encode_offers(offers);
  BOOST_TEST(to_hex(bytes) ==
             "53534f460102"
             "1111111111111111111111111111111111111111111111111111111111111111"
             "0000000000000064" "00010000" "0000000000000003" "0000000000000064" "00000002"
             "01" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "01"
             "2222222222222222222222222222222222222222222222222222222222222222"
             "0000000000000007" "00001000" "000000000000000a" "0000000000009c40" "00000001"
             "00" "00" "0502");
  auto back = decode_offers(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == offers));
  BOOST_TEST(!(*back)[1].has_pages(0, 3));
  BOOST_TEST((*back)[1].pages_held() == 3u);
}

BOOST_AUTO_TEST_CASE(edge_lists_round_trip) {
  // No offers.
  const byte_buffer none = encode_offers({});
  BOOST_TEST(to_hex(none) == "53534f460100");
  auto n = decode_offers(none);
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(n->empty());

  // The most offers, the most signers, empty snapshots complete and partial,
  // and bitmaps of whole and partial bytes.
  std::vector<offer> many(max_offers, complete_offer());
  many[0].signers.clear();
  many[1].signers.clear();
  for (std::size_t i = 0; i < max_offer_signers; ++i) many[1].signers.push_back(signer(static_cast<std::uint8_t>(i)));
  many[2].page_count = 0;
  many[2].total_bytes = 0;
  many[3] = partial_offer();
  many[3].page_count = 0;
  many[3].pages.clear();
  many[4] = partial_offer();
  many[4].page_count = 16;
  many[4].pages = {0xff, 0x00};
  many[5] = partial_offer();
  many[5].page_count = 1;
  many[5].pages = {0x01};
  many[6].page_size = 4194304;
  many[7].height = std::numeric_limits<std::uint64_t>::max();
  const byte_buffer bytes = encode_offers(many);
  auto back = decode_offers(bytes);
  BOOST_REQUIRE_MESSAGE(back.has_value(), back.error().message());
  BOOST_TEST((*back == many));
}

BOOST_AUTO_TEST_CASE(every_malformed_field_is_rejected_by_name) {
  const byte_buffer good = encode_offers(sample());
  const std::size_t b = second_offer_at;
  struct bad_case {
    std::string name;
    std::function<void(byte_buffer&)> mutate;
    snapshot_errc code;
    std::string message;
  };
  const auto cut_at = [](std::size_t size) { return [size](byte_buffer& x) { x.resize(size); }; };
  const bad_case cases[] = {
    {"empty", cut_at(0), snapshot_errc::truncated, "offers: 0 bytes, the header needs 6"},
    {"short header", cut_at(5), snapshot_errc::truncated, "offers: 5 bytes, the header needs 6"},
    {"magic", [](byte_buffer& x) { x[3] = 'L'; }, snapshot_errc::bad_magic, "offers: magic is not SSOF"},
    {"version", [](byte_buffer& x) { x[4] = 2; }, snapshot_errc::unsupported_version,
     "offers: format version 2 is not 1"},
    {"too many offers", [](byte_buffer& x) { x[5] = 17; }, snapshot_errc::invalid_offer,
     "offers: offer count 17 is above the maximum of 16"},
    {"count 255", [](byte_buffer& x) { x[5] = 255; }, snapshot_errc::invalid_offer,
     "offers: offer count 255 is above the maximum of 16"},
    {"no offer after the header", cut_at(6), snapshot_errc::truncated,
     "offers: offer 0: truncated at state_root: 0 bytes remain, the fields need 65"},
    {"inside state_root", cut_at(6 + 31), snapshot_errc::truncated,
     "offers: offer 0: truncated at state_root: 31 bytes remain, the fields need 65"},
    {"inside height", cut_at(6 + 32), snapshot_errc::truncated,
     "offers: offer 0: truncated at height: 32 bytes remain, the fields need 65"},
    {"inside page_size", cut_at(6 + 43), snapshot_errc::truncated,
     "offers: offer 0: truncated at page_size: 43 bytes remain, the fields need 65"},
    {"inside page_count", cut_at(6 + 44), snapshot_errc::truncated,
     "offers: offer 0: truncated at page_count: 44 bytes remain, the fields need 65"},
    {"inside total_bytes", cut_at(6 + 59), snapshot_errc::truncated,
     "offers: offer 0: truncated at total_bytes: 59 bytes remain, the fields need 65"},
    {"inside update_count", cut_at(6 + 60), snapshot_errc::truncated,
     "offers: offer 0: truncated at update_count: 60 bytes remain, the fields need 65"},
    {"before signer_count", cut_at(6 + 64), snapshot_errc::truncated,
     "offers: offer 0: truncated at signer_count: 64 bytes remain, the fields need 65"},
    {"page size", [](byte_buffer& x) { store_be32(x.data() + 6 + 40, 5000); }, snapshot_errc::invalid_page_size,
     "offers: offer 0: page size 5000 is not a power of two from 4096 to 4194304"},
    {"page size too large", [](byte_buffer& x) { store_be32(x.data() + 6 + 40, 8388608); },
     snapshot_errc::invalid_page_size,
     "offers: offer 0: page size 8388608 is not a power of two from 4096 to 4194304"},
    {"inside a signer", cut_at(6 + 65 + 31), snapshot_errc::truncated,
     "offers: offer 0: truncated at signers: signer_count 1 needs 32 bytes, 31 remain"},
    {"more signers than bytes", [](byte_buffer& x) { x[6 + 64] = 255; }, snapshot_errc::truncated,
     "offers: offer 0: truncated at signers: signer_count 255 needs 8160 bytes, 101 remain"},
    {"before flags", cut_at(6 + 65 + 32), snapshot_errc::truncated,
     "offers: offer 0: truncated at flags: 0 bytes remain"},
    {"unknown flag bit", [](byte_buffer& x) { x[6 + 97] = 0x03; }, snapshot_errc::invalid_offer,
     "offers: offer 0: flags 0x03 set unknown bits (only bit 0 is defined)"},
    {"high flag bit on a partial offer", [b](byte_buffer& x) { x[b + 65] = 0x80; }, snapshot_errc::invalid_offer,
     "offers: offer 1: flags 0x80 set unknown bits (only bit 0 is defined)"},
    {"second offer cut", [b](byte_buffer& x) { x.resize(b + 10); }, snapshot_errc::truncated,
     "offers: offer 1: truncated at state_root: 10 bytes remain, the fields need 65"},
    {"bitmap cut", [](byte_buffer& x) { x.pop_back(); }, snapshot_errc::truncated,
     "offers: offer 1: truncated at pages: page_count 10 needs a bitmap of 2 bytes, 1 remain"},
    {"bitmap larger than declared", [b](byte_buffer& x) { store_be64(x.data() + b + 44, 8); },
     snapshot_errc::trailing_bytes, "offers: 1 bytes after offer 1"},
    {"bitmap smaller than declared", [b](byte_buffer& x) { store_be64(x.data() + b + 44, 17); },
     snapshot_errc::truncated,
     "offers: offer 1: truncated at pages: page_count 17 needs a bitmap of 3 bytes, 2 remain"},
    {"bit past page_count", [](byte_buffer& x) { x.back() |= 0x08; }, snapshot_errc::invalid_offer,
     "offers: offer 1: pages bitmap marks page 11, past page_count 10"},
    {"last bit of the last byte", [](byte_buffer& x) { x.back() |= 0x80; }, snapshot_errc::invalid_offer,
     "offers: offer 1: pages bitmap marks page 15, past page_count 10"},
    {"partial bit past one page", [b](byte_buffer& x) {
       store_be64(x.data() + b + 44, 1);
       x.resize(x.size() - 1); // one bitmap byte: 0x05 marks pages 0 and 2
     },
     snapshot_errc::invalid_offer, "offers: offer 1: pages bitmap marks page 2, past page_count 1"},
    {"trailing byte", [](byte_buffer& x) { x.push_back(0); }, snapshot_errc::trailing_bytes,
     "offers: 1 bytes after offer 1"},
    {"offers left out of the count", [](byte_buffer& x) { x[5] = 1; }, snapshot_errc::trailing_bytes,
     "offers: 68 bytes after offer 0"},
    {"bytes after an empty list", [](byte_buffer& x) { x[5] = 0; }, snapshot_errc::trailing_bytes,
     "offers: 166 bytes after the header"},
  };
  for (const auto& c : cases) {
    byte_buffer bad = good;
    c.mutate(bad);
    auto r = decode_offers(bad);
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().is(c.code));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_huge_declared_bitmap_in_a_short_input_is_refused_without_allocating_it) {
  // A partial offer declaring 2^64-1 pages: its bitmap would be 2^61 bytes.
  // Allocating it before checking the input would throw std::bad_alloc (or,
  // under ASan, abort on the allocation size), so a clean `truncated` error
  // shows that the size was checked first.
  const std::vector<offer> one{partial_offer()};
  byte_buffer bytes = encode_offers(one);
  store_be64(bytes.data() + first_offer_at + 44, std::numeric_limits<std::uint64_t>::max());
  BOOST_REQUIRE_EQUAL(bytes.size(), 6u + 65 + 1 + 2);
  result<std::vector<offer>> r = std::vector<offer>{};
  BOOST_REQUIRE_NO_THROW(r = decode_offers(bytes));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(snapshot_errc::truncated));
  BOOST_TEST(r.error().message() ==
             "offers: offer 0: truncated at pages: page_count 18446744073709551615 needs a bitmap of "
             "2305843009213693952 bytes, 2 remain");

  // Likewise 255 declared signers in a short input.
  byte_buffer signers = encode_offers(one);
  signers[first_offer_at + 64] = 255;
  BOOST_REQUIRE_NO_THROW(r = decode_offers(signers));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(snapshot_errc::truncated));
}

BOOST_AUTO_TEST_CASE(has_pages_and_pages_held_read_the_bitmap) {
  const offer p = partial_offer(); // pages 0, 2 and 9 of 10
  BOOST_TEST(p.pages_held() == 3u);
  BOOST_TEST(p.has_pages(0, 1));
  BOOST_TEST(!p.has_pages(0, 2));
  BOOST_TEST(!p.has_pages(1, 2));
  BOOST_TEST(p.has_pages(2, 3));
  BOOST_TEST(p.has_pages(9, 10));
  BOOST_TEST(!p.has_pages(9, 11)); // past page_count
  BOOST_TEST(p.has_pages(5, 5));   // an empty range
  BOOST_TEST(p.has_pages(20, 20));

  offer wide = partial_offer();
  wide.page_count = 30;
  wide.pages = {0xfe, 0xff, 0xff, 0x1f}; // pages 1-28
  BOOST_TEST(wide.pages_held() == 28u);
  BOOST_TEST(wide.has_pages(1, 29));
  BOOST_TEST(!wide.has_pages(0, 29));
  BOOST_TEST(!wide.has_pages(1, 30));
  BOOST_TEST(wide.has_pages(8, 24));
  BOOST_TEST(wide.has_pages(3, 17));

  // A short bitmap counts as zeros; bits past page_count are not counted.
  offer odd = partial_offer();
  odd.pages = {0xff};
  BOOST_TEST(odd.pages_held() == 8u);
  BOOST_TEST(odd.has_pages(0, 8));
  BOOST_TEST(!odd.has_pages(0, 9));
  odd.pages = {0x00, 0xff};
  BOOST_TEST(odd.pages_held() == 2u);

  const offer c = complete_offer(); // 3 pages
  BOOST_TEST(c.pages_held() == 3u);
  BOOST_TEST(c.has_pages(0, 3));
  BOOST_TEST(!c.has_pages(0, 4));
  BOOST_TEST(offer_bitmap_size(0) == 0u);
  BOOST_TEST(offer_bitmap_size(1) == 1u);
  BOOST_TEST(offer_bitmap_size(8) == 1u);
  BOOST_TEST(offer_bitmap_size(9) == 2u);
  BOOST_TEST(offer_bitmap_size(std::numeric_limits<std::uint64_t>::max()) == (std::uint64_t{1} << 61));
}

BOOST_AUTO_TEST_CASE(offer_errors_have_their_code_name) {
  const std::error_code code = snapshot_errc::invalid_offer;
  BOOST_TEST(std::string(code.category().name()) == "snapstream.snapshot");
  BOOST_TEST(code.message() == "invalid offer");
}

BOOST_AUTO_TEST_CASE(a_plan_stands_for_a_complete_offer_with_unknown_signers) {
  const auto s = build_snapshot(make_records(50, 5, 100), 4096, {key_from(9)});
  const auto o = offer_of(s.p);
  BOOST_TEST((o.state_root == s.p.state_root));
  BOOST_TEST(o.height == s.p.height);
  BOOST_TEST(o.page_size == s.p.page_size);
  BOOST_TEST(o.page_count == s.p.page_count());
  BOOST_TEST(o.total_bytes == s.p.total_bytes);
  BOOST_TEST(o.update_count == s.p.update_count);
  BOOST_TEST(o.complete);
  BOOST_TEST(o.signers.empty());
  BOOST_TEST(o.pages.empty());
}

BOOST_AUTO_TEST_SUITE_END()
