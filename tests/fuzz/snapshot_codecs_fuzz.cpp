// libFuzzer target for the snapshot data model's decoders
// (protocol/snapshot); the first byte picks:
//   0 decode_plan      encode_plan gives back exactly the input
//   1 decode_update    encode_update gives back exactly the input
//   2 parse_record     each record re-encodes to the bytes it took
//   3 parse_page       records in strictly increasing key order, re-encoding
//                      to the page
//   4 verify_chunk     against a plan from the input: an accepted chunk's
//                      pages hash to the plan's page hashes, in order
//   5 parse_authority  the key's hex form parses to the same key
//   6 trust JSON       parse_trust_json -> merge -> trust_json -> parse gives
//                      the same trust
//   7 authority_key    from_seed: the key signs verifiably, seed() round-trips
// Every failure is a typed error.

#include "fuzz_util.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/light_client_update.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "protocol/snapshot/plan.hpp"
#include "protocol/snapshot/record.hpp"
#include "protocol/snapshot/trust.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

using namespace snapstream;
using namespace snapstream::snapshot;
using snapstream::fuzz::require;

namespace {

void fuzz_plan(bytes_view in) {
  auto p = decode_plan(in);
  if (!fuzz::ok_or_typed(p, "decode_plan")) return;
  require(std::ranges::equal(encode_plan(*p), in), "plan round trip is byte exact");
  require(encoded_plan_size(p->page_count()) == in.size(), "encoded_plan_size is exact");
  (void)check_plan_root(*p);
  require(plan_id(*p).size() > 0, "a plan has an id");
}

void fuzz_update(bytes_view in) {
  auto u = decode_update(in);
  if (!fuzz::ok_or_typed(u, "decode_update")) return;
  require(std::ranges::equal(encode_update(*u), in), "update round trip is byte exact");
  require(encoded_update_size(u->signatures.size()) == in.size(), "encoded_update_size is exact");
}

void fuzz_records(bytes_view in) {
  std::size_t offset = 0;
  while (offset < in.size()) {
    const std::size_t start = offset;
    auto r = parse_record(in, offset);
    if (!fuzz::ok_or_typed(r, "parse_record")) return;
    require(offset > start && offset <= in.size(), "a record moves the offset forward, within the input");
    require(check_record(r->key, r->value).has_value(), "a parsed record is a valid record");
    auto again = encode_record(r->key, r->value);
    require(again.has_value() && std::ranges::equal(*again, in.subspan(start, offset - start)),
            "record round trip is byte exact");
  }
}

void fuzz_page(bytes_view in) {
  std::vector<record_view> records;
  auto n = parse_page(in, records);
  if (!fuzz::ok_or_typed(n, "parse_page")) return;
  require(*n == records.size(), "parse_page counts what it returns");
  byte_buffer again;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i > 0) require(compare_keys(records[i - 1].key, records[i].key) < 0, "page keys strictly increase");
    append_record(again, records[i].key, records[i].value);
  }
  require(std::ranges::equal(again, in), "page round trip is byte exact");
}

void fuzz_chunk(bytes_view data) {
  fuzz::fuzz_input in(data);
  auto p = decode_plan(in.chunk16());
  if (!p) return;
  const std::uint64_t per_chunk = 1 + in.u8() % 8;
  const std::uint64_t index = in.u8() % 4;
  const bytes_view chunk = in.rest();
  verified_chunk out;
  auto ok = verify_chunk(*p, index, per_chunk, chunk, out);
  if (!fuzz::ok_or_typed(ok, "verify_chunk")) return;
  const auto range = chunk_pages(index, per_chunk, p->page_count());
  require(out.first_page == range.first && out.page_count == range.size(), "the chunk covers its range");
  std::size_t pos = 0;
  std::uint64_t page = range.first;
  std::uint64_t bytes = 0;
  while (pos < chunk.size()) {
    require(chunk.size() - pos >= 4, "an accepted chunk has whole page frames");
    const std::uint32_t n = load_be32(chunk.data() + pos);
    pos += 4;
    require(chunk.size() - pos >= n && page < range.end, "an accepted page lies inside the chunk and the range");
    require(page_hash(chunk.subspan(pos, n)) == p->page_hashes[page], "an accepted page is the plan's");
    bytes += n;
    pos += n;
    ++page;
  }
  require(page == range.end && bytes == out.page_bytes, "an accepted chunk holds exactly its pages");
}

void fuzz_authority(bytes_view in) {
  auto k = parse_authority(as_chars(in), "authority");
  if (!fuzz::ok_or_typed(k, "parse_authority")) return;
  auto again = parse_authority(to_hex(*k), "authority");
  require(again.has_value() && *again == *k, "authority hex round trip");
}

void fuzz_trust(bytes_view in) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(as_chars(in), ec);
  if (ec) return;
  auto source = parse_trust_json(doc, "trust.json");
  if (!fuzz::ok_or_typed(source, "parse_trust_json")) return;
  const std::vector<trust_source> sources{*source};
  auto merged = merge_trust_sources(sources);
  if (!fuzz::ok_or_typed(merged, "merge_trust_sources")) return;
  // merge_trust_sources leaves check_trust to its caller.
  if (!fuzz::ok_or_typed(check_trust(*merged), "check_trust")) return;
  const boost::json::value written = trust_json(*merged);
  auto reread = parse_trust_json(written, "written");
  require(reread.has_value(), "trust_json output parses");
  const std::vector<trust_source> again_sources{*reread};
  auto again = merge_trust_sources(again_sources);
  require(again.has_value(), "trust_json output merges");
  require(again->authorities == merged->authorities && again->threshold == merged->threshold &&
              again->checkpoint == merged->checkpoint && again->checkpoint_height == merged->checkpoint_height,
          "trust JSON round trip");
}

void fuzz_authority_key(bytes_view in) {
  auto k = authority_key::from_seed(in);
  if (!fuzz::ok_or_typed(k, "authority_key::from_seed")) return;
  const auto sig = k->sign(as_bytes("message"));
  require(snapshot::verify_signature(k->public_key(), as_bytes("message"), sig), "an authority key signs verifiably");
  const auto seed = k->seed();
  auto again = authority_key::from_seed(seed);
  require(again.has_value() && again->public_key() == k->public_key(), "seed round trip");
}

void write_seeds(fuzz::seed_writer& w) {
  // A real page, plan and update, made by our builder and encoders.
  std::vector<byte_buffer> pages;
  plan p;
  auto builder = page_builder::create(min_page_size, [&](const closed_page& pg) -> result<void> {
    pages.push_back(to_buffer(pg.bytes));
    p.page_hashes.push_back(pg.hash);
    return {};
  });
  for (int i = 0; i < 40; ++i) {
    const byte_buffer key{static_cast<std::uint8_t>(i), 0x10, 0x20};
    const byte_buffer value(150, static_cast<std::uint8_t>(i));
    (void)builder->push(key, value);
  }
  (void)builder->finish();
  p.height = 42;
  p.page_size = min_page_size;
  p.record_count = builder->record_count();
  p.total_bytes = builder->total_bytes();
  p.update_count = 1;
  p.state_root = merkle_root(p.page_hashes);
  const byte_buffer plan_bytes = encode_plan(p);
  w.write("plan", 0, plan_bytes);
  ed25519_seed seed;
  seed.fill(7);
  const authority_key key = *authority_key::from_seed(seed);
  light_client_update u;
  u.height = 42;
  u.state_root = p.state_root;
  key.sign_update(u);
  w.write("update", 1, encode_update(u));
  light_client_update empty;
  w.write("update-unsigned", 1, encode_update(empty));
  w.write("record", 2, *encode_record(as_bytes("key"), as_bytes("value")));
  w.write("page", 3, pages[0]);
  for (std::uint8_t per : {1, 2}) {
    byte_buffer c{4};
    fuzz::put_chunk16(c, plan_bytes);
    c.push_back(static_cast<std::uint8_t>(per - 1));
    c.push_back(0);
    std::vector<bytes_view> views;
    for (std::size_t i = 0; i < per && i < pages.size(); ++i) views.emplace_back(pages[i]);
    append(c, encode_chunk(views));
    w.write("chunk-" + std::to_string(per), c);
  }
  const std::string hex = to_hex(key.public_key());
  w.write("authority-hex", 5, hex);
  w.write("authority-peer-id", 5, "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");
  w.write("trust", 6,
          R"({"authorities": [")" + hex +
              R"(", "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"], "threshold": 2, "checkpoint": ")" +
              to_hex(p.state_root) + R"(", "checkpoint_height": 7})");
  w.write("trust-minimal", 6, R"({"authorities": [")" + hex + R"("]})");
  w.write("authority-seed", 7, bytes_view(seed));
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::fuzz_one_of(data, size, fuzz_plan, fuzz_update, fuzz_records, fuzz_page, fuzz_chunk, fuzz_authority, fuzz_trust, fuzz_authority_key);
}
