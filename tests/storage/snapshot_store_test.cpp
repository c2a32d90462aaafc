#define BOOST_TEST_MODULE storage_snapshots
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "storage/db.hpp"
#include "storage/detail/codec.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/session_store.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/state_loader.hpp"
#include "temp_dir.hpp"

#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

using namespace snapstream;
using namespace snapstream::storage;
using snapstream::storage::test::temp_dir;

namespace {

std::unique_ptr<db> open_db(const std::filesystem::path& dir) {
  auto d = db::open(dir);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  return std::move(*d);
}

snapshot::authority_key node_key() {
  snapshot::ed25519_seed seed;
  seed.fill(0x42);
  auto k = snapshot::authority_key::from_seed(seed);
  BOOST_REQUIRE(k.has_value());
  return *k;
}

build_options at(std::uint64_t height, std::uint32_t page_size = 65536) {
  build_options o;
  o.height = height;
  o.page_size = page_size;
  return o;
}

snapshot::trust_config trust() {
  snapshot::trust_config t;
  t.authorities = {node_key().public_key()};
  t.threshold = 1;
  return t;
}

// The root and counts recomputed straight from the live records.
struct recomputed {
  hash256 root{};
  std::uint64_t pages = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

recomputed recompute(const db& d, std::uint32_t page_size) {
  snapshot::merkle_builder merkle;
  auto builder = snapshot::page_builder::create(page_size, [&](const snapshot::closed_page& p) {
    merkle.add(p.hash);
    return result<void>{};
  });
  BOOST_REQUIRE(builder.has_value());
  BOOST_REQUIRE(d.for_each_state([&](const snapshot::record_view& r) {
                   BOOST_REQUIRE(builder->push(r.key, r.value).has_value());
                   return true;
                 }).has_value());
  BOOST_REQUIRE(builder->finish().has_value());
  return {merkle.root(), builder->page_count(), builder->record_count(), builder->total_bytes()};
}

struct provider_fixture {
  temp_dir dir;
  std::unique_ptr<db> d = open_db(dir.path());
  snapshot_store store{*d};
  load_stats generated;

  explicit provider_fixture(std::uint64_t seed = 5) {
    auto g = generate_state(*d, 6u << 20, seed);
    BOOST_REQUIRE(g.has_value());
    generated = *g;
  }

  snapshot_info build(std::uint64_t height, std::uint32_t page_size = 65536) {
    auto info = store.build(at(height, page_size), node_key());
    BOOST_REQUIRE_MESSAGE(info.has_value(), info.error().message());
    return *info;
  }

  // A consumer's verifier after the plan and every update of `info`.
  snapshot::light_client_verifier verifier_at_head(const snapshot_info& info, std::uint64_t chunk_size) {
    auto v = snapshot::light_client_verifier::create(trust());
    BOOST_REQUIRE(v.has_value());
    auto plan = store.read_plan(info.plan_id);
    BOOST_REQUIRE(plan.has_value());
    auto ok = v->accept_plan(*plan, chunk_size);
    BOOST_REQUIRE_MESSAGE(ok.has_value(), ok.error().message());
    for (std::uint64_t i = 0; i < info.update_count; ++i) {
      auto u = store.read_update(info.plan_id, i);
      BOOST_REQUIRE(u.has_value());
      auto accepted = v->accept_update(i, *u);
      BOOST_REQUIRE_MESSAGE(accepted.has_value(), accepted.error().message());
    }
    return std::move(*v);
  }
};

// A second node syncing a snapshot of the provider: it registers the plan
// and chain, then applies verified chunks in any order.
struct consumer_node {
  temp_dir dir;
  std::unique_ptr<db> d = open_db(dir.path());
  snapshot_store store{*d};
  session_store sessions{*d};
  snapshot::plan plan;
  std::uint64_t pages_per_chunk = 0;
  session_record job;
  std::set<std::uint64_t> applied_pages;
  std::uint64_t jobs_started = 0;

  // Registers `info` as read from the provider's `source`, for a new job.
  void start(const snapshot_store& source, const snapshot_info& info, std::uint64_t ppc) {
    auto plan_bytes = source.read_plan(info.plan_id);
    BOOST_REQUIRE(plan_bytes.has_value());
    auto decoded = snapshot::decode_plan(*plan_bytes);
    BOOST_REQUIRE(decoded.has_value());
    plan = std::move(*decoded);
    std::vector<byte_buffer> updates;
    for (std::uint64_t i = 0; i < info.update_count; ++i) updates.push_back(*source.read_update(info.plan_id, i));
    auto registered = store.register_synced(*plan_bytes, updates);
    BOOST_REQUIRE_MESSAGE(registered.has_value(), registered.error().message());
    pages_per_chunk = ppc;
    applied_pages.clear();
    job = session_record{};
    job.session_id = ++jobs_started;
    job.peer = "provider";
    job.plan_id = info.plan_id;
    job.state = session_state::syncing;
    job.chunk_size = ppc * plan.page_size;
    job.total_chunks = snapshot::chunk_count(plan.page_count(), ppc);
    job.total_updates = info.update_count;
  }

  // Fetches chunk `i` from `source`, verifies it against the plan and applies it.
  void apply(const snapshot_store& source, std::uint64_t i) {
    auto bytes = source.read_chunk(job.plan_id, i, pages_per_chunk);
    BOOST_REQUIRE(bytes.has_value());
    auto verified = snapshot::verify_chunk(plan, i, pages_per_chunk, *bytes);
    BOOST_REQUIRE_MESSAGE(verified.has_value(), verified.error().message());
    ++job.chunks_applied;
    ++job.chunk_writes;
    job.bytes_received += bytes->size();
    for (std::uint64_t p = verified->first_page; p < verified->first_page + verified->page_count; ++p) {
      applied_pages.insert(p);
    }
    while (applied_pages.contains(job.next_chunk_index * pages_per_chunk)) ++job.next_chunk_index;
    auto ok = sessions.apply_chunk(job, nullptr, *verified);
    BOOST_REQUIRE_MESSAGE(ok.has_value(), ok.error().message());
  }

  [[nodiscard]] bool holds(snapshot::page_range range) const {
    for (auto p = range.first; p < range.end; ++p) {
      if (!applied_pages.contains(p)) return false;
    }
    return true;
  }
};

// Every chunk of every geometry in `sizes`: the consumer's bytes equal the
// provider's when it holds all the chunk's pages, else `not_available`.
void check_partial_reads(const snapshot_store& source, const consumer_node& c, const snapshot_info& info,
                         std::initializer_list<std::uint64_t> sizes) {
  for (const std::uint64_t ppc : sizes) {
    for (std::uint64_t i = 0; i < snapshot::chunk_count(info.page_count, ppc); ++i) {
      BOOST_TEST_CONTEXT("pages per chunk " << ppc << ", chunk " << i) {
        auto got = c.store.read_chunk(info.plan_id, i, ppc);
        if (c.holds(snapshot::chunk_pages(i, ppc, info.page_count))) {
          BOOST_REQUIRE_MESSAGE(got.has_value(), got.error().message());
          BOOST_TEST((*got == *source.read_chunk(info.plan_id, i, ppc)));
        } else {
          BOOST_REQUIRE(!got);
          BOOST_TEST(got.error().is(storage_errc::not_available), got.error().message());
        }
      }
    }
  }
}

std::vector<std::uint64_t> shuffled(std::uint64_t n, unsigned seed) {
  std::vector<std::uint64_t> order(n);
  for (std::uint64_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(snapshots, provider_fixture)

BOOST_AUTO_TEST_CASE(the_plan_root_matches_a_recomputation_from_the_records) {
  const snapshot_info info = build(100);
  const recomputed expected = recompute(*d, 65536);
  BOOST_TEST(info.plan_id == to_hex(expected.root));
  BOOST_TEST(info.page_count == expected.pages);
  BOOST_TEST(info.record_count == generated.records);
  BOOST_TEST(info.total_bytes == generated.bytes);
  BOOST_TEST(info.height == 100u);
  BOOST_TEST(info.update_count == 1u);
  BOOST_TEST(info.block_hash == derived_block_hash(100, expected.root));
  auto plan_bytes = store.read_plan(info.plan_id);
  BOOST_REQUIRE(plan_bytes.has_value());
  auto plan = snapshot::decode_plan(*plan_bytes);
  BOOST_REQUIRE(plan.has_value());
  BOOST_TEST(plan->state_root == expected.root);
  BOOST_TEST(snapshot::check_plan_root(*plan));
  BOOST_TEST(plan->record_count == expected.records);
  BOOST_TEST(plan->total_bytes == expected.bytes);
  BOOST_TEST(plan->page_size == 65536u);
  BOOST_TEST(std::filesystem::is_directory(dir.path() / "snapshots" / info.plan_id));
}

BOOST_AUTO_TEST_CASE(every_chunk_verifies_for_several_chunk_sizes) {
  const snapshot_info info = build(7, 16384);
  BOOST_REQUIRE_GT(info.page_count, 300u);
  for (std::uint64_t pages_per_chunk : {1ull, 3ull, 64ull, 100000ull}) {
    BOOST_TEST_CONTEXT("pages per chunk " << pages_per_chunk) {
      auto v = verifier_at_head(info, pages_per_chunk * 16384);
      std::uint64_t records = 0;
      snapshot::verified_chunk out;
      for (std::uint64_t i = 0; i < v.chunk_count(); ++i) {
        auto chunk = store.read_chunk(info.plan_id, i, pages_per_chunk);
        BOOST_REQUIRE_MESSAGE(chunk.has_value(), chunk.error().message());
        // Room for a 1.3.0 response envelope (messages::max_envelope_size,
        // 256 bytes): the provider frames the chunk without moving it.
        BOOST_TEST(chunk->capacity() >= chunk->size() + 256);
        auto ok = v.accept_chunk(i, *chunk, out);
        BOOST_REQUIRE_MESSAGE(ok.has_value(), ok.error().message());
        records += out.records.size();
      }
      BOOST_REQUIRE(v.head().has_value());
      BOOST_TEST(v.head()->height == 7u);
      BOOST_TEST(to_hex(v.head()->state_root) == info.plan_id);
      BOOST_TEST(records == generated.records);
      auto beyond = store.read_chunk(info.plan_id, v.chunk_count(), pages_per_chunk);
      BOOST_REQUIRE(!beyond);
      BOOST_TEST(beyond.error().is(storage_errc::invalid_argument));
    }
  }
  BOOST_TEST(store.read_chunk(info.plan_id, 0, 0).error().is(storage_errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(chunks_applied_to_a_second_database_reproduce_the_state) {
  const snapshot_info info = build(50, 32768);
  const std::uint64_t pages_per_chunk = 8;
  temp_dir consumer_dir;
  auto consumer = open_db(consumer_dir.path());
  session_store sessions(*consumer);
  auto v = verifier_at_head(info, pages_per_chunk * 32768);
  session_record r;
  r.session_id = 77;
  r.peer = "provider";
  r.plan_id = info.plan_id;
  r.state = session_state::syncing;
  r.chunk_size = pages_per_chunk * 32768;
  r.total_chunks = v.chunk_count();
  r.total_updates = info.update_count;
  snapshot::verified_chunk out;
  for (std::uint64_t i = 0; i < v.chunk_count(); ++i) {
    auto chunk = store.read_chunk(info.plan_id, i, pages_per_chunk);
    BOOST_REQUIRE(chunk.has_value());
    BOOST_REQUIRE(v.accept_chunk(i, *chunk, out).has_value());
    r.next_chunk_index = i + 1;
    ++r.chunks_applied;
    ++r.chunk_writes;
    r.bytes_received += chunk->size();
    r.page_bytes_applied = v.progress().page_bytes;
    r.records_applied = v.progress().record_count;
    auto applied = sessions.apply_chunk(r, nullptr, out);
    BOOST_REQUIRE_MESSAGE(applied.has_value(), applied.error().message());
  }
  BOOST_TEST((*consumer->digest_state() == *d->digest_state()));
  BOOST_TEST(**consumer->state_owner() == info.plan_id);
}

BOOST_AUTO_TEST_CASE(a_snapshot_keeps_serving_its_state_while_the_live_state_changes) {
  const snapshot_info first = build(10);
  const auto before = d->digest_state();
  BOOST_REQUIRE(d->put_state(as_bytes("zzzz-new-key"), as_bytes("new")).has_value());
  BOOST_TEST((*d->digest_state() != *before));
  auto v = verifier_at_head(first, 65536 * 4);
  snapshot::verified_chunk out;
  for (std::uint64_t i = 0; i < v.chunk_count(); ++i) {
    auto chunk = store.read_chunk(first.plan_id, i, 4);
    BOOST_REQUIRE(chunk.has_value());
    BOOST_REQUIRE_MESSAGE(v.accept_chunk(i, *chunk, out).has_value(), "chunk " << i);
  }
  BOOST_TEST(v.head().has_value());
}

BOOST_AUTO_TEST_CASE(snapshots_chain_their_updates_and_list_by_height) {
  const snapshot_info first = build(10);
  BOOST_REQUIRE(d->put_state(as_bytes("zzzz"), as_bytes("1")).has_value());
  const snapshot_info second = build(20);
  BOOST_TEST(second.update_count == 2u);
  BOOST_TEST(*store.chain_length() == 2u);
  // A consumer of the second snapshot walks the whole chain from genesis.
  auto v = verifier_at_head(second, 65536);
  BOOST_TEST(v.last_update_height() == 20u);
  auto u0 = store.read_update(second.plan_id, 0);
  BOOST_REQUIRE(u0.has_value());
  BOOST_TEST((*u0 == *store.read_update(first.plan_id, 0)));
  BOOST_TEST(store.read_update(first.plan_id, 1).error().is(storage_errc::invalid_argument));

  auto all = store.list();
  BOOST_REQUIRE(all.has_value());
  BOOST_REQUIRE_EQUAL(all->size(), 2u);
  BOOST_TEST((all->front() == first));
  BOOST_TEST((**store.latest() == second));

  auto lower = store.build(at(20), node_key());
  BOOST_REQUIRE(!lower);
  BOOST_TEST(lower.error().is(storage_errc::height_not_increasing));
  BOOST_TEST(lower.error().message() == "build snapshot: height 20 does not exceed the last snapshot's height 20");
  auto same = store.build(at(30), node_key());
  BOOST_REQUIRE(!same);
  BOOST_TEST(same.error().is(storage_errc::snapshot_exists));
  BOOST_TEST(*store.chain_length() == 2u);
  // A refused build leaves no folder behind.
  std::size_t folders = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path() / "snapshots")) ++folders;
  BOOST_TEST(folders == 2u);
}

BOOST_AUTO_TEST_CASE(snapshots_survive_a_reopen_and_orphans_are_cleaned) {
  const snapshot_info info = build(10);
  const auto chunk_before = store.read_chunk(info.plan_id, 1, 2);
  BOOST_REQUIRE(chunk_before.has_value());
  d.reset();
  std::filesystem::create_directories(dir.path() / "snapshots" / "tmp-99");
  d = open_db(dir.path());
  store = snapshot_store(*d);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "snapshots" / "tmp-99"));
  BOOST_TEST((**store.latest() == info));
  auto chunk_after = store.read_chunk(info.plan_id, 1, 2);
  BOOST_REQUIRE(chunk_after.has_value());
  BOOST_TEST((*chunk_after == *chunk_before));
}

BOOST_AUTO_TEST_CASE(unknown_and_malformed_plan_ids_are_typed_errors) {
  const auto unknown = std::string(64, 'b');
  BOOST_TEST(store.read_plan(unknown).error().is(storage_errc::not_found));
  BOOST_TEST(store.read_chunk(unknown, 0, 1).error().message() == "snapshot " + unknown + " not found");
  BOOST_TEST(store.info("xyz").error().is(storage_errc::invalid_argument));
  BOOST_TEST(store.info("xyz").error().message() == "plan id \"xyz\" is not 64 hex characters");
  BOOST_TEST(!store.latest()->has_value());
  BOOST_TEST(store.build(at(1, 1000), node_key()).error().is(
    storage_errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(removing_a_snapshot_deletes_its_records_and_folder) {
  const snapshot_info info = build(10);
  BOOST_REQUIRE(store.read_chunk(info.plan_id, 0, 1).has_value());
  BOOST_REQUIRE(store.remove(info.plan_id).has_value());
  BOOST_TEST(store.info(info.plan_id).error().is(storage_errc::not_found));
  BOOST_TEST(!std::filesystem::exists(dir.path() / "snapshots" / info.plan_id));
  BOOST_TEST(store.list()->empty());
  BOOST_TEST(*store.chain_length() == 1u);
}

BOOST_AUTO_TEST_CASE(concurrent_chunk_reads_return_the_same_bytes) {
  const snapshot_info info = build(10, 16384);
  const std::uint64_t ppc = 4;
  const auto chunks = snapshot::chunk_count(info.page_count, ppc);
  std::vector<byte_buffer> expected;
  for (std::uint64_t i = 0; i < chunks; ++i) expected.push_back(*store.read_chunk(info.plan_id, i, ppc));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t i = static_cast<std::uint64_t>(t); i < chunks; i += 2) {
        auto c = store.read_chunk(info.plan_id, i, ppc);
        if (!c || *c != expected[i]) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_CASE(an_empty_state_gives_a_snapshot_with_no_chunks) {
  temp_dir empty_dir;
  auto e = open_db(empty_dir.path());
  snapshot_store s(*e);
  auto info = s.build(at(1), node_key());
  BOOST_REQUIRE(info.has_value());
  BOOST_TEST(info->page_count == 0u);
  BOOST_TEST(info->plan_id == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto v = snapshot::light_client_verifier::create(trust());
  BOOST_REQUIRE(v->accept_plan(*s.read_plan(info->plan_id), 65536).has_value());
  BOOST_REQUIRE(v->accept_update(0, *s.read_update(info->plan_id, 0)).has_value());
  BOOST_TEST(v->head().has_value());
  BOOST_TEST(s.read_chunk(info->plan_id, 0, 1).error().is(storage_errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(a_partial_synced_snapshot_serves_exactly_the_chunks_whose_pages_are_applied) {
  // Given a provider's snapshot and a consumer that registered it.
  const snapshot_info info = build(30, 16384);
  BOOST_REQUIRE_GT(info.page_count, 300u);
  consumer_node c;
  c.start(store, info, 4);
  auto registered = c.store.info(info.plan_id);
  BOOST_REQUIRE(registered.has_value());
  BOOST_TEST((registered->origin == snapshot_origin::synced));
  BOOST_TEST(!registered->complete);
  BOOST_TEST(registered->block_hash == info.block_hash);
  BOOST_TEST(registered->record_count == info.record_count);
  BOOST_TEST(c.store.list()->empty());
  BOOST_TEST(!c.store.latest()->has_value());
  BOOST_TEST(c.store.read_chunk(info.plan_id, 0, 4).error().is(storage_errc::not_available));
  BOOST_TEST(c.store.read_chunk(info.plan_id, 0, 4).error().message() ==
             "snapshot " + info.plan_id + ": chunk 0 is not available: the live state does not hold its records");
  // When its chunks are applied in a shuffled order.
  const auto order = shuffled(c.job.total_chunks, 7);
  for (std::size_t k = 0; k < order.size(); ++k) {
    c.apply(store, order[k]);
    // Then at each quarter, every chunk of several geometries (also ones that
    // straddle the applied chunks) is exactly the provider's or not_available.
    if (k == 0 || (k + 1) % (order.size() / 4) == 0) {
      BOOST_TEST_CONTEXT("after " << k + 1 << " chunks") {
        check_partial_reads(store, c, info, {1, 3, 4, 7, 64});
      }
    }
  }
  BOOST_TEST(c.job.next_chunk_index == c.job.total_chunks);
  check_partial_reads(store, c, info, {2, 5, 100000});
  BOOST_TEST(!c.store.info(info.plan_id)->complete);
  // The synced chain is served as verified.
  for (std::uint64_t i = 0; i < info.update_count; ++i) {
    BOOST_TEST((*c.store.read_update(info.plan_id, i) == *store.read_update(info.plan_id, i)));
  }
  BOOST_TEST(c.store.read_update(info.plan_id, info.update_count).error().is(storage_errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(a_missing_page_names_itself_and_registering_again_changes_nothing) {
  const snapshot_info info = build(30, 16384);
  consumer_node c;
  c.start(store, info, 8);
  c.apply(store, 1);
  // Pages 8..15 are held; a chunk of pages 6..11 lacks page 6.
  auto partial = c.store.read_chunk(info.plan_id, 1, 6);
  BOOST_REQUIRE(!partial);
  BOOST_TEST(partial.error().message() ==
             "snapshot " + info.plan_id + ": chunk 1 is not available: page 6 is not applied yet");
  BOOST_TEST((*c.store.read_chunk(info.plan_id, 2, 4) == *store.read_chunk(info.plan_id, 2, 4)));

  std::vector<byte_buffer> updates{*store.read_update(info.plan_id, 0)};
  const auto before = *c.store.info(info.plan_id);
  auto again = c.store.register_synced(*store.read_plan(info.plan_id), updates);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST((*again == before));
  auto wrong_chain = c.store.register_synced(*store.read_plan(info.plan_id), std::vector<byte_buffer>{});
  BOOST_REQUIRE(!wrong_chain);
  BOOST_TEST(wrong_chain.error().message() ==
             "register snapshot " + info.plan_id + ": 0 updates given, the plan has 1");
  // The provider cannot register a snapshot it built.
  BOOST_TEST(store.register_synced(*store.read_plan(info.plan_id), updates).error().is(storage_errc::snapshot_exists));
}

BOOST_AUTO_TEST_CASE(finalize_makes_a_synced_snapshot_complete_and_served_from_a_checkpoint) {
  // Given a consumer that applied every chunk but one.
  const snapshot_info info = build(40, 16384);
  consumer_node c;
  c.start(store, info, 16);
  const auto order = shuffled(c.job.total_chunks, 11);
  for (std::size_t k = 0; k + 1 < order.size(); ++k) c.apply(store, order[k]);
  const std::uint64_t missing_page = order.back() * 16;
  auto early = c.store.finalize_synced(info.plan_id);
  BOOST_REQUIRE(!early);
  BOOST_TEST(early.error().is(storage_errc::invalid_argument));
  BOOST_TEST(early.error().message() ==
             "finalize snapshot " + info.plan_id + ": page " + std::to_string(missing_page) + " is not applied yet");
  c.apply(store, order.back());
  BOOST_TEST((*c.d->digest_state() == *d->digest_state()));

  // When it is finalized.
  auto done = c.store.finalize_synced(info.plan_id);
  BOOST_REQUIRE_MESSAGE(done.has_value(), done.error().message());

  // Then it is complete, listed, and has a checkpoint.
  BOOST_TEST(done->complete);
  BOOST_TEST((done->origin == snapshot_origin::synced));
  BOOST_TEST((*c.store.info(info.plan_id) == *done));
  BOOST_TEST((**c.store.latest() == *done));
  BOOST_TEST(std::filesystem::is_directory(c.dir.path() / "snapshots" / info.plan_id));
  BOOST_TEST((*c.store.finalize_synced(info.plan_id) == *done));
  // And later writes to the live state do not change what it serves.
  BOOST_REQUIRE(c.d->clear_state().has_value());
  BOOST_REQUIRE(c.d->put_state(as_bytes("zzzz-later"), as_bytes("write")).has_value());
  for (const std::uint64_t ppc : {1ull, 16ull, 9ull}) {
    for (std::uint64_t i = 0; i < snapshot::chunk_count(info.page_count, ppc); ++i) {
      auto got = c.store.read_chunk(info.plan_id, i, ppc);
      BOOST_REQUIRE_MESSAGE(got.has_value(), got.error().message());
      BOOST_REQUIRE((*got == *store.read_chunk(info.plan_id, i, ppc)));
    }
  }
  // It survives a reopen, checkpoint included.
  c.d.reset();
  c.d = open_db(c.dir.path());
  c.store = snapshot_store(*c.d);
  BOOST_TEST((*c.store.info(info.plan_id) == *done));
  BOOST_TEST((*c.store.read_chunk(info.plan_id, 3, 16) == *store.read_chunk(info.plan_id, 3, 16)));
  // A built snapshot is not finalized.
  BOOST_TEST(store.finalize_synced(info.plan_id).error().message() ==
             "finalize snapshot " + info.plan_id + ": it is a built snapshot");
}

BOOST_AUTO_TEST_CASE(a_synced_snapshot_of_an_empty_state_finalizes_without_chunks) {
  // Given a provider's snapshot of an empty state, registered by a consumer.
  temp_dir empty_dir;
  auto e = open_db(empty_dir.path());
  snapshot_store source(*e);
  auto info = source.build(at(1), node_key());
  BOOST_REQUIRE(info.has_value());
  consumer_node c;
  c.start(source, *info, 1);
  BOOST_TEST(c.job.total_chunks == 0u);
  // When it is finalized.
  auto done = c.store.finalize_synced(info->plan_id);
  // Then it is complete and offered as such.
  BOOST_REQUIRE_MESSAGE(done.has_value(), done.error().message());
  BOOST_TEST(done->complete);
  auto offers = c.store.offers();
  BOOST_REQUIRE(offers.has_value());
  BOOST_REQUIRE_EQUAL(offers->size(), 1u);
  BOOST_TEST(offers->front().complete);
  BOOST_TEST(offers->front().page_count == 0u);
}

BOOST_AUTO_TEST_CASE(clearing_the_state_withdraws_the_pages_of_a_partial_snapshot) {
  const snapshot_info info = build(40, 65536);
  consumer_node c;
  c.start(store, info, 1000);
  c.apply(store, 0);
  BOOST_REQUIRE(c.d->clear_state().has_value());
  BOOST_REQUIRE(c.d->put_state(as_bytes("k"), as_bytes("v")).has_value());
  // The clear withdrew the page index: nothing to finalize, nothing to serve.
  BOOST_TEST(c.store.finalize_synced(info.plan_id).error().is(storage_errc::invalid_argument));
  BOOST_TEST(c.store.read_chunk(info.plan_id, 0, 1000).error().is(storage_errc::not_available));
  auto offers = c.store.offers();
  BOOST_REQUIRE(offers.has_value());
  BOOST_REQUIRE_EQUAL(offers->size(), 1u);
  BOOST_TEST(offers->front().pages_held() == 0u);
}

BOOST_AUTO_TEST_CASE(offers_list_complete_snapshots_then_partial_ones_with_their_page_bitmaps) {
  // Given a provider with two built snapshots, and a consumer holding one
  // complete synced snapshot and a partial one.
  const snapshot_info first = build(10, 16384);
  BOOST_REQUIRE(d->put_state(as_bytes("zzzz"), as_bytes("1")).has_value());
  const snapshot_info second = build(20, 16384);
  const auto signer = node_key().public_key();

  auto provider_offers = store.offers();
  BOOST_REQUIRE(provider_offers.has_value());
  BOOST_REQUIRE_EQUAL(provider_offers->size(), 2u);
  const auto& newest = provider_offers->front();
  BOOST_TEST(to_hex(newest.state_root) == second.plan_id);
  BOOST_TEST(newest.height == 20u);
  BOOST_TEST(newest.page_size == 16384u);
  BOOST_TEST(newest.page_count == second.page_count);
  BOOST_TEST(newest.total_bytes == second.total_bytes);
  BOOST_TEST(newest.update_count == 2u);
  BOOST_TEST(newest.complete);
  BOOST_TEST(newest.pages.empty());
  BOOST_TEST((newest.signers == std::vector<snapshot::ed25519_public_key>{signer}));
  BOOST_TEST(to_hex(provider_offers->back().state_root) == first.plan_id);

  // A second provider's snapshot, complete at the consumer.
  provider_fixture other(6);
  const snapshot_info small = other.build(5, 65536);
  consumer_node c;
  c.start(other.store, small, 1);
  for (std::uint64_t i = 0; i < c.job.total_chunks; ++i) c.apply(other.store, i);
  BOOST_REQUIRE(c.store.finalize_synced(small.plan_id).has_value());
  BOOST_REQUIRE(c.d->clear_state().has_value());
  // The first provider's newest snapshot, partial: chunks 0, 5 and 9 of 8 pages.
  c.start(store, second, 8);
  for (const std::uint64_t i : {9ull, 0ull, 5ull}) c.apply(store, i);

  // When the consumer lists its offers.
  auto offers = c.store.offers();
  BOOST_REQUIRE(offers.has_value());
  // Then the complete snapshot comes first, then the partial one with its pages.
  BOOST_REQUIRE_EQUAL(offers->size(), 2u);
  BOOST_TEST(to_hex(offers->at(0).state_root) == small.plan_id);
  BOOST_TEST(offers->at(0).complete);
  const auto& partial = offers->at(1);
  BOOST_TEST(to_hex(partial.state_root) == second.plan_id);
  BOOST_TEST(!partial.complete);
  BOOST_TEST((partial.signers == std::vector<snapshot::ed25519_public_key>{signer}));
  BOOST_TEST(partial.update_count == 2u);
  BOOST_REQUIRE_EQUAL(partial.pages.size(), (second.page_count + 7) / 8);
  BOOST_TEST(partial.pages_held() == 24u);
  for (std::uint64_t p = 0; p < second.page_count; ++p) {
    BOOST_TEST_CONTEXT("page " << p) {
      const bool held = p < 8 || (p >= 40 && p < 48) || (p >= 72 && p < 80);
      BOOST_TEST(partial.has_pages(p, p + 1) == held);
    }
  }
  // And the list encodes and decodes as the wire format wants.
  auto decoded = snapshot::decode_offers(snapshot::encode_offers(*offers));
  BOOST_REQUIRE_MESSAGE(decoded.has_value(), decoded.error().message());
  BOOST_TEST((*decoded == *offers));
}

BOOST_AUTO_TEST_CASE(offers_are_at_most_max_offers_newest_first) {
  for (std::uint64_t h = 1; h <= snapshot::max_offers + 2; ++h) {
    BOOST_REQUIRE(d->put_state(as_bytes("zz" + std::to_string(h)), as_bytes("v")).has_value());
    build(h * 10);
  }
  auto offers = store.offers();
  BOOST_REQUIRE(offers.has_value());
  BOOST_REQUIRE_EQUAL(offers->size(), snapshot::max_offers);
  BOOST_TEST(offers->front().height == (snapshot::max_offers + 2) * 10);
  BOOST_TEST(offers->back().height == 30u);
}

BOOST_AUTO_TEST_CASE(prune_keeps_the_newest_complete_snapshots_across_a_reopen) {
  // Given four built snapshots and a partial synced one.
  std::vector<snapshot_info> built;
  for (std::uint64_t h : {10ull, 20ull, 30ull, 40ull}) {
    BOOST_REQUIRE(d->put_state(as_bytes("zz" + std::to_string(h)), as_bytes("v")).has_value());
    built.push_back(build(h));
  }
  provider_fixture other(6);
  const snapshot_info foreign = other.build(99, 65536);
  std::vector<byte_buffer> chain{*other.store.read_update(foreign.plan_id, 0)};
  BOOST_REQUIRE(store.register_synced(*other.store.read_plan(foreign.plan_id), chain).has_value());

  // When it prunes to two.
  BOOST_TEST(store.prune(0).error().is(storage_errc::invalid_argument));
  auto removed = store.prune(2);
  BOOST_REQUIRE_MESSAGE(removed.has_value(), removed.error().message());

  // Then the two oldest are gone, also after a reopen, and the partial one stays.
  BOOST_TEST((*removed == std::vector<std::string>{built[0].plan_id, built[1].plan_id}));
  d.reset();
  d = open_db(dir.path());
  store = snapshot_store(*d);
  auto left = store.list();
  BOOST_REQUIRE(left.has_value());
  BOOST_REQUIRE_EQUAL(left->size(), 2u);
  BOOST_TEST((left->at(0) == built[2]));
  BOOST_TEST((left->at(1) == built[3]));
  BOOST_TEST(!std::filesystem::exists(dir.path() / "snapshots" / built[0].plan_id));
  BOOST_TEST(!std::filesystem::exists(dir.path() / "snapshots" / built[1].plan_id));
  BOOST_TEST(store.read_chunk(built[0].plan_id, 0, 1).error().is(storage_errc::not_found));
  BOOST_TEST(!store.info(foreign.plan_id)->complete);
  BOOST_TEST(*store.chain_length() == 4u);
  BOOST_TEST(store.prune(2)->empty());
  BOOST_TEST(store.offers()->size() == 3u);
}

BOOST_AUTO_TEST_CASE(open_removes_a_checkpoint_whose_snapshot_is_not_complete) {
  // Given a synced snapshot registered but not finalized, and the checkpoint
  // folder a finalize left when it crashed before marking it complete.
  const snapshot_info info = build(10);
  consumer_node c;
  c.start(store, info, 1);
  const auto crashed = c.dir.path() / "snapshots" / info.plan_id;
  std::filesystem::create_directories(crashed);
  // When the database is opened again.
  c.d.reset();
  c.d = open_db(c.dir.path());
  c.store = snapshot_store(*c.d);
  // Then the folder is gone and the snapshot is still partial.
  BOOST_TEST(!std::filesystem::exists(crashed));
  BOOST_TEST(!c.store.info(info.plan_id)->complete);
}

BOOST_AUTO_TEST_CASE(version_1_snapshot_infos_still_decode_as_built_and_complete) {
  // Given a snapshot whose info is stored in the version 1 format.
  const snapshot_info info = build(10);
  storage::detail::record_writer w;
  w.u8(1);
  w.u64(info.height);
  w.fixed(info.block_hash);
  w.fixed(info.state_root);
  w.u32(info.page_size);
  w.u64(info.page_count);
  w.u64(info.record_count);
  w.u64(info.total_bytes);
  w.u32(info.update_count);
  w.u64(info.created_unix_ms);
  const byte_buffer v1 = w.take();
  auto& impl = d->internals();
  std::string key = "i";
  key.append(reinterpret_cast<const char*>(info.state_root.data()), 32);
  BOOST_REQUIRE(impl.rdb->Put(rocksdb::WriteOptions(), impl.snapshots, key,
                              rocksdb::Slice(reinterpret_cast<const char*>(v1.data()), v1.size())).ok());
  // When it is read back, also after a reopen (which keeps its checkpoint).
  d.reset();
  d = open_db(dir.path());
  store = snapshot_store(*d);
  // Then it is the same built, complete snapshot, still served.
  BOOST_TEST((*store.info(info.plan_id) == info));
  BOOST_TEST((**store.latest() == info));
  BOOST_TEST(store.read_chunk(info.plan_id, 0, 1).has_value());
}

BOOST_AUTO_TEST_CASE(a_snapshot_removed_while_read_gives_the_right_bytes_or_not_found) {
  for (std::uint64_t round = 1; round <= 4; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      // Given a snapshot being read by four threads.
      BOOST_REQUIRE(d->put_state(as_bytes("round" + std::to_string(round)), as_bytes("v")).has_value());
      const snapshot_info info = build(round * 10, 16384);
      const std::uint64_t ppc = 4;
      const auto chunks = snapshot::chunk_count(info.page_count, ppc);
      std::vector<byte_buffer> expected;
      for (std::uint64_t i = 0; i < chunks; ++i) expected.push_back(*store.read_chunk(info.plan_id, i, ppc));
      std::atomic<int> wrong{0};
      std::atomic<int> served{0};
      std::atomic<bool> removed{false};
      std::vector<std::thread> readers;
      for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&, t] {
          // Read until well after the remove returned.
          for (std::uint64_t n = 0, after = 0; after < 2 * chunks; ++n) {
            if (removed) ++after;
            const std::uint64_t i = (n * 7 + static_cast<std::uint64_t>(t)) % chunks;
            auto c = store.read_chunk(info.plan_id, i, ppc);
            if (c) {
              ++served;
              if (*c != expected[i]) ++wrong;
            } else if (!c.error().is(storage_errc::not_found)) {
              ++wrong;
            }
          }
        });
      }
      // When it is removed meanwhile.
      while (served.load() < 8) std::this_thread::yield();
      BOOST_REQUIRE(store.remove(info.plan_id).has_value());
      removed = true;
      for (auto& th : readers) th.join();
      // Then every read was the right bytes or not_found, and now all are not_found.
      BOOST_TEST(wrong.load() == 0);
      BOOST_TEST(store.read_chunk(info.plan_id, 0, ppc).error().is(storage_errc::not_found));
    }
  }
}

BOOST_AUTO_TEST_CASE(removing_a_partial_synced_snapshot_keeps_the_applied_records) {
  const snapshot_info info = build(10, 16384);
  consumer_node c;
  c.start(store, info, 4);
  c.apply(store, 2);
  const auto records = c.d->digest_state()->record_count;
  BOOST_REQUIRE(c.store.remove(info.plan_id).has_value());
  BOOST_TEST(c.store.info(info.plan_id).error().is(storage_errc::not_found));
  BOOST_TEST(c.store.read_chunk(info.plan_id, 2, 4).error().is(storage_errc::not_found));
  BOOST_TEST(c.store.read_update(info.plan_id, 0).error().is(storage_errc::not_found));
  BOOST_TEST(c.store.offers()->empty());
  BOOST_TEST(c.d->digest_state()->record_count == records);
  // No key of it is left in the snapshots column family.
  auto& impl = c.d->internals();
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.snapshots));
  it->SeekToFirst();
  BOOST_TEST(!it->Valid());
}

BOOST_AUTO_TEST_SUITE_END()
