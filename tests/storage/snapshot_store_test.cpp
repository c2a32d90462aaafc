#define BOOST_TEST_MODULE storage_snapshots
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/state_loader.hpp"
#include "temp_dir.hpp"

#include <atomic>
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

  provider_fixture() {
    auto g = generate_state(*d, 6u << 20, 5);
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
    r.bytes_received += chunk->size();
    r.page_bytes_applied = v.progress().page_bytes;
    r.records_applied = v.progress().record_count;
    auto applied = sessions.apply_chunk(r, out);
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

BOOST_AUTO_TEST_SUITE_END()
