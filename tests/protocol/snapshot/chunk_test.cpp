#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/snapshot/chunk.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

const std::vector<authority_key>& signers() {
  static const std::vector<authority_key> keys{key_from(1)};
  return keys;
}

const built_snapshot& sample() {
  static const built_snapshot s = build_snapshot(make_records(1000, 42, 200), 4096, signers());
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chunks)

BOOST_AUTO_TEST_CASE(chunk_geometry_follows_the_chunk_size) {
  BOOST_TEST(*pages_per_chunk(4096, 4096) == 1u);
  BOOST_TEST(*pages_per_chunk(4096, 40960) == 10u);
  for (std::uint64_t bad : {0ull, 4095ull, 6000ull}) {
    auto r = pages_per_chunk(4096, bad);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().is(snapshot_errc::invalid_chunk_size));
  }
  BOOST_TEST(pages_per_chunk(4096, 6000).error().message() ==
             "chunk size 6000 is not a whole multiple of the page size 4096");
  BOOST_TEST(chunk_count(0, 4) == 0u);
  BOOST_TEST(chunk_count(8, 4) == 2u);
  BOOST_TEST(chunk_count(9, 4) == 3u);
  BOOST_TEST(chunk_count(9, ~0ull) == 1u);
  const auto last = chunk_pages(2, 4, 9);
  BOOST_TEST(last.first == 8u);
  BOOST_TEST(last.end == 9u);
}

BOOST_AUTO_TEST_CASE(every_chunk_verifies_and_yields_every_record_in_order) {
  const auto& s = sample();
  const auto records = make_records(1000, 42, 200);
  BOOST_REQUIRE_GT(s.pages.size(), 20u);
  for (std::uint64_t ppc : {1ull, 3ull, 7ull, 1000ull}) {
    std::vector<std::pair<byte_buffer, byte_buffer>> seen;
    const auto chunks = chunk_count(s.pages.size(), ppc);
    for (std::uint64_t i = 0; i < chunks; ++i) {
      const byte_buffer chunk = chunk_of(s, i, ppc);
      auto v = verify_chunk(s.p, i, ppc, chunk);
      BOOST_REQUIRE_MESSAGE(v.has_value(), v.error().message());
      BOOST_TEST(v->first_page == i * ppc);
      for (const auto& r : v->records) {
        // Zero-copy: the views point into the chunk buffer.
        BOOST_REQUIRE(r.key.data() >= chunk.data() && r.key.data() < chunk.data() + chunk.size());
        seen.emplace_back(to_buffer(r.key), to_buffer(r.value));
      }
    }
    BOOST_TEST_CONTEXT("pages per chunk " << ppc) {
      BOOST_REQUIRE_EQUAL(seen.size(), records.size());
      BOOST_TEST((std::equal(seen.begin(), seen.end(), records.begin(),
                             [](const auto& a, const auto& b) { return a.first == b.first && a.second == b.second; })));
    }
  }
}

BOOST_AUTO_TEST_CASE(page_records_count_the_records_of_each_page_in_page_order) {
  const auto& s = sample();
  for (std::uint64_t ppc : {1ull, 3ull, 7ull, 1000ull}) {
    // One verified_chunk for every chunk, as a session keeps it.
    verified_chunk out;
    const std::uint32_t* first_storage = nullptr;
    const auto chunks = chunk_count(s.pages.size(), ppc);
    for (std::uint64_t i = 0; i < chunks; ++i) {
      const byte_buffer chunk = chunk_of(s, i, ppc);
      auto v = verify_chunk(s.p, i, ppc, chunk, out);
      BOOST_REQUIRE_MESSAGE(v.has_value(), v.error().message());
      BOOST_TEST_CONTEXT("chunk " << i << " with " << ppc << " pages per chunk") {
        BOOST_REQUIRE_EQUAL(out.page_records.size(), out.page_count);
        std::size_t at = 0;
        for (std::uint64_t k = 0; k < out.page_count; ++k) {
          std::vector<record_view> expected;
          BOOST_REQUIRE(parse_page(s.pages[out.first_page + k], expected).has_value());
          BOOST_REQUIRE_EQUAL(out.page_records[k], expected.size());
          // The page's records are the next page_records[k] entries of records.
          for (std::size_t r = 0; r < expected.size(); ++r) {
            BOOST_REQUIRE(to_buffer(out.records[at + r].key) == to_buffer(expected[r].key));
          }
          at += out.page_records[k];
        }
        BOOST_TEST(at == out.records.size());
      }
      // Later chunks hold no more pages than the first: the vector is reused.
      if (i == 0) first_storage = out.page_records.data();
      BOOST_TEST(out.page_records.data() == first_storage);
    }
  }
}

BOOST_AUTO_TEST_CASE(chunk_encoder_cuts_the_same_chunks_from_records) {
  const auto& s = sample();
  const auto records = make_records(1000, 42, 200);
  for (std::uint64_t ppc : {1ull, 4ull, 1000ull}) {
    auto it = records.begin();
    const auto chunks = chunk_count(s.pages.size(), ppc);
    for (std::uint64_t i = 0; i < chunks; ++i) {
      byte_buffer out;
      chunk_encoder enc(4096, ppc, out);
      while (it != records.end() && enc.push(it->first, it->second) == chunk_encoder::push_result::appended) ++it;
      enc.finish();
      BOOST_REQUIRE_MESSAGE(out == chunk_of(s, i, ppc), "chunk " << i << " with " << ppc << " pages per chunk");
    }
    BOOST_TEST((it == records.end()));
  }
}

BOOST_AUTO_TEST_CASE(any_flipped_byte_is_detected) {
  const auto& s = sample();
  const byte_buffer good = chunk_of(s, 1, 2); // pages 2 and 3
  const std::size_t page3_at = 4 + s.pages[2].size();
  for (std::size_t i = 0; i < good.size(); ++i) {
    byte_buffer bad = good;
    bad[i] ^= 0x01;
    auto v = verify_chunk(s.p, 1, 2, bad);
    BOOST_REQUIRE_MESSAGE(!v.has_value(), "flip at byte " << i << " accepted");
    const bool in_frame = i < 4 || (i >= page3_at && i < page3_at + 4);
    if (!in_frame) {
      const std::string page = i < page3_at ? "2" : "3";
      BOOST_REQUIRE_MESSAGE(v.error().is(verify_errc::page_hash_mismatch), "byte " << i);
      BOOST_REQUIRE_EQUAL(v.error().message(), "chunk 1: page " + page + " hash mismatch");
    }
  }
}

BOOST_AUTO_TEST_CASE(swapped_missing_and_extra_pages_are_detected) {
  const auto& s = sample();
  const std::vector<bytes_view> swapped{s.pages[4], s.pages[5], s.pages[7], s.pages[6]};
  auto sw = verify_chunk(s.p, 1, 4, encode_chunk(swapped));
  BOOST_REQUIRE(!sw);
  BOOST_TEST(sw.error().is(verify_errc::page_hash_mismatch));
  BOOST_TEST(sw.error().message() == "chunk 1: page 6 hash mismatch");

  const std::vector<bytes_view> shifted{s.pages[4], s.pages[5], s.pages[6], s.pages[7]};
  auto sh = verify_chunk(s.p, 1, 3, encode_chunk(shifted));
  BOOST_REQUIRE(!sh);
  BOOST_TEST(sh.error().message() == "chunk 1: page 3 hash mismatch");

  const std::vector<bytes_view> missing{s.pages[3], s.pages[4]};
  auto m = verify_chunk(s.p, 1, 3, encode_chunk(missing));
  BOOST_REQUIRE(!m);
  BOOST_TEST(m.error().is(verify_errc::page_count_mismatch));
  BOOST_TEST(m.error().message() == "chunk 1: holds 2 pages, expected 3");

  const std::vector<bytes_view> extra{s.pages[3], s.pages[4], s.pages[5], s.pages[6]};
  auto e = verify_chunk(s.p, 1, 3, encode_chunk(extra));
  BOOST_REQUIRE(!e);
  BOOST_TEST(e.error().is(verify_errc::page_count_mismatch));
  BOOST_TEST(e.error().message() == "chunk 1: holds 4 pages, expected 3");

  byte_buffer trailing = chunk_of(s, 1, 3);
  trailing.push_back(0);
  auto t = verify_chunk(s.p, 1, 3, trailing);
  BOOST_REQUIRE(!t);
  BOOST_TEST(t.error().is(verify_errc::chunk_malformed));
  BOOST_TEST(t.error().message() == "chunk 1: 1 bytes after the last page");

  byte_buffer cut = chunk_of(s, 1, 3);
  cut.resize(cut.size() - 1);
  auto c = verify_chunk(s.p, 1, 3, cut);
  BOOST_REQUIRE(!c);
  BOOST_TEST(c.error().is(verify_errc::chunk_malformed));

  auto empty = verify_chunk(s.p, 1, 3, {});
  BOOST_REQUIRE(!empty);
  BOOST_TEST(empty.error().message() == "chunk 1: holds 0 pages, expected 3");

  const auto beyond = chunk_count(s.pages.size(), 3);
  auto b = verify_chunk(s.p, beyond, 3, chunk_of(s, 0, 3));
  BOOST_REQUIRE(!b);
  BOOST_TEST(b.error().is(verify_errc::chunk_out_of_order));
}

BOOST_AUTO_TEST_CASE(the_last_chunk_may_hold_fewer_pages) {
  const auto& s = sample();
  const std::uint64_t ppc = 7;
  const auto last = chunk_count(s.pages.size(), ppc) - 1;
  const auto range = chunk_pages(last, ppc, s.pages.size());
  auto v = verify_chunk(s.p, last, ppc, chunk_of(s, last, ppc));
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(v->page_count == range.size());
  BOOST_TEST(v->page_records.size() == range.size());
}

BOOST_AUTO_TEST_CASE(a_committed_page_whose_records_are_broken_is_rejected) {
  byte_buffer page;
  append_record(page, as_bytes("b"), as_bytes("1"));
  append_record(page, as_bytes("a"), as_bytes("2"));
  plan p;
  p.height = 1;
  p.page_size = 4096;
  p.record_count = 2;
  p.total_bytes = page.size();
  p.update_count = 1;
  p.page_hashes = {page_hash(page)};
  p.state_root = merkle_root(p.page_hashes);
  const std::vector<bytes_view> pages{page};
  auto v = verify_chunk(p, 0, 1, encode_chunk(pages));
  BOOST_REQUIRE(!v);
  BOOST_TEST(v.error().is(verify_errc::page_malformed));
  BOOST_TEST(v.error().message() == "chunk 0: page 0: record 1: key does not exceed the key before it");
}

BOOST_AUTO_TEST_SUITE_END()
