#pragma once
// Test helpers: deterministic records, and a whole snapshot (pages, plan,
// signed chain of updates) built through the public API.

#include "protocol/common/hex.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "protocol/snapshot/plan.hpp"
#include "protocol/snapshot/record.hpp"
#include "protocol/snapshot/trust.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace snapstream::snapshot::test {

// Ordered by the protocol's key order (also sidesteps a g++ 12 false
// -Wstringop-overread in std::vector's operator<=>).
struct key_order {
  bool operator()(const byte_buffer& a, const byte_buffer& b) const noexcept { return compare_keys(a, b) < 0; }
};
using record_map = std::map<byte_buffer, byte_buffer, key_order>;

// `count` records, keys 4-20 bytes, values 0-`max_value` bytes, from a seed.
inline record_map make_records(std::size_t count, std::uint64_t seed, std::size_t max_value = 300) {
  record_map out;
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  while (out.size() < count) {
    byte_buffer key(4 + next() % 17);
    for (auto& b : key) b = static_cast<std::uint8_t>(next());
    byte_buffer value(next() % (max_value + 1));
    for (auto& b : value) b = static_cast<std::uint8_t>(next());
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

inline byte_buffer bytes_of(std::string_view s) { return to_buffer(as_bytes(s)); }

inline hash256 hash_of(std::string_view s) { return sha256(as_bytes(s)); }

inline authority_key key_from(std::uint8_t fill) {
  ed25519_seed seed;
  seed.fill(fill);
  auto k = authority_key::from_seed(seed);
  BOOST_REQUIRE(k.has_value());
  return *k;
}

struct built_snapshot {
  std::vector<byte_buffer> pages;
  plan p;
  byte_buffer plan_bytes;
  std::vector<light_client_update> updates;
  std::vector<byte_buffer> update_bytes;
};

// Cuts `records` into pages and builds the plan plus a chain of `chain` updates
// (heights 10, 20, ...; the last one at the plan's height with its root),
// each signed by every key in `signers`.
inline built_snapshot build_snapshot(const record_map& records, std::uint32_t page_size,
                                     const std::vector<authority_key>& signers, std::uint32_t chain = 1) {
  built_snapshot s;
  auto builder = page_builder::create(page_size, [&s](const closed_page& pg) -> result<void> {
    s.pages.push_back(to_buffer(pg.bytes));
    s.p.page_hashes.push_back(pg.hash);
    return {};
  });
  BOOST_REQUIRE(builder.has_value());
  for (const auto& [k, v] : records) BOOST_REQUIRE(builder->push(k, v).has_value());
  BOOST_REQUIRE(builder->finish().has_value());
  s.p.height = 10ull * chain;
  s.p.page_size = page_size;
  s.p.record_count = builder->record_count();
  s.p.total_bytes = builder->total_bytes();
  s.p.update_count = chain;
  s.p.state_root = merkle_root(s.p.page_hashes);
  s.plan_bytes = encode_plan(s.p);
  hash256 previous = genesis_commitment;
  for (std::uint32_t i = 0; i < chain; ++i) {
    light_client_update u;
    u.height = 10ull * (i + 1);
    u.block_hash = hash_of("block " + std::to_string(i));
    u.state_root = i + 1 == chain ? s.p.state_root : hash_of("root " + std::to_string(i));
    u.previous_commitment = previous;
    for (const auto& k : signers) k.sign_update(u);
    previous = commitment(u);
    s.update_bytes.push_back(encode_update(u));
    s.updates.push_back(std::move(u));
  }
  return s;
}

inline byte_buffer chunk_of(const built_snapshot& s, std::uint64_t index, std::uint64_t pages_per_chunk) {
  const auto range = chunk_pages(index, pages_per_chunk, s.pages.size());
  std::vector<bytes_view> views;
  for (auto i = range.first; i < range.end; ++i) views.emplace_back(s.pages[i]);
  return encode_chunk(views);
}

inline trust_config trust_of(const std::vector<authority_key>& keys, std::uint32_t threshold) {
  trust_config t;
  for (const auto& k : keys) t.authorities.push_back(k.public_key());
  t.threshold = threshold;
  return t;
}

} // namespace snapstream::snapshot::test
