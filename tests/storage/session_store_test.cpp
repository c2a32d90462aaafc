#define BOOST_TEST_MODULE storage_sessions
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <random>

#include "storage/db.hpp"
#include "storage/detail/codec.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/served_store.hpp"
#include "storage/session_store.hpp"
#include "temp_dir.hpp"

#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>

using namespace snapstream;
using namespace snapstream::storage;
using snapstream::storage::test::temp_dir;

namespace {

std::unique_ptr<db> open_db(const std::filesystem::path& dir) {
  auto d = db::open(dir);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  return std::move(*d);
}

const std::string plan_a(64, 'a');
const std::string plan_b(64, 'b');

session_record sample_session(std::uint64_t id) {
  return session_record{.session_id = id,
                        .peer = "12D3KooWPeer",
                        .plan_id = plan_a,
                        .state = session_state::syncing,
                        .chunk_size = 1u << 20,
                        .total_chunks = 40,
                        .total_updates = 3,
                        .next_chunk_index = 0,
                        .next_update_index = 3,
                        .last_update_height = 30,
                        .bytes_received = 0,
                        .page_bytes_applied = 0,
                        .records_applied = 0,
                        .error = "",
                        .error_code = "",
                        .created_unix_ms = 1700000000000,
                        .updated_unix_ms = 1700000000500,
                        .chunks_applied = 0,
                        .chunk_writes = 0,
                        .requested_plan_id = "",
                        .peers = {}};
}

provider_session_record provider(std::uint64_t session_id, std::string peer) {
  provider_session_record p;
  p.session_id = session_id;
  p.peer = std::move(peer);
  return p;
}

// A chunk of one page (page `index`) whose records point into `storage`.
snapshot::verified_chunk chunk_of(std::uint64_t index, const std::vector<std::string>& storage) {
  snapshot::verified_chunk c;
  c.chunk_index = index;
  c.first_page = index;
  c.page_count = 1;
  for (std::size_t i = 0; i + 1 < storage.size(); i += 2) {
    c.records.push_back({as_bytes(storage[i]), as_bytes(storage[i + 1])});
    c.page_bytes += snapshot::encoded_record_size(storage[i].size(), storage[i + 1].size());
  }
  c.page_records.push_back(static_cast<std::uint32_t>(c.records.size()));
  return c;
}

} // namespace

BOOST_AUTO_TEST_CASE(session_records_with_plan_and_updates_round_trip_across_a_reopen) {
  temp_dir dir;
  session_record r = sample_session(5);
  {
    auto d = open_db(dir.path());
    session_store s(*d);
    r.state = session_state::planning;
    r.next_update_index = 0;
    BOOST_REQUIRE(s.save_plan(r, as_bytes("plan-bytes")).has_value());
    for (std::uint64_t i = 0; i < 3; ++i) {
      r.next_update_index = i + 1;
      const std::string update = "update-" + std::to_string(i);
      BOOST_REQUIRE(s.save_update(r, i, as_bytes(update)).has_value());
    }
    r.state = session_state::failed;
    r.error = "chunk 7: page 451 hash mismatch";
    r.error_code = "checksum";
    BOOST_REQUIRE(s.save(r).has_value());
    BOOST_REQUIRE(s.save(sample_session(2)).has_value());
  }
  auto d = open_db(dir.path());
  session_store s(*d);
  auto all = s.load_all();
  BOOST_REQUIRE(all.has_value());
  BOOST_REQUIRE_EQUAL(all->size(), 2u);
  BOOST_TEST(all->front().record.session_id == 2u);
  const auto& five = all->back();
  BOOST_TEST((five.record == r));
  BOOST_TEST(std::string(as_chars(five.plan)) == "plan-bytes");
  BOOST_REQUIRE_EQUAL(five.updates.size(), 3u);
  BOOST_TEST(std::string(as_chars(five.updates[2])) == "update-2");
  BOOST_TEST(to_string(five.record.state) == "failed");
  auto one = s.load(5);
  BOOST_REQUIRE(one.has_value());
  BOOST_REQUIRE(one->has_value());
  BOOST_TEST(((*one)->record == r));
  BOOST_TEST(!s.load(6)->has_value());

  BOOST_REQUIRE(s.erase(5).has_value());
  BOOST_TEST(!s.load(5)->has_value());
  BOOST_TEST(s.load_all()->size() == 1u);
  // Erasing one session leaves its neighbours' updates alone.
  BOOST_TEST(s.load(2)->has_value());
}

BOOST_AUTO_TEST_CASE(apply_chunk_writes_records_and_cursor_together) {
  temp_dir dir;
  const std::vector<std::string> data0{"k1", "v1", "k2", "v2"};
  const std::vector<std::string> data1{"k3", "v3"};
  session_record r = sample_session(8);
  {
    auto d = open_db(dir.path());
    session_store s(*d);
    BOOST_REQUIRE(s.save(r).has_value());
    r.next_chunk_index = 1;
    r.records_applied = 2;
    BOOST_REQUIRE(s.apply_chunk(r, nullptr, chunk_of(0, data0)).has_value());
    r.next_chunk_index = 2;
    r.records_applied = 3;
    BOOST_REQUIRE(s.apply_chunk(r, nullptr, chunk_of(1, data1)).has_value());
  }
  auto d = open_db(dir.path());
  session_store s(*d);
  auto stored = s.load(8);
  BOOST_REQUIRE(stored.has_value() && stored->has_value());
  BOOST_TEST((*stored)->record.next_chunk_index == 2u);
  BOOST_TEST((*stored)->record.records_applied == 3u);
  BOOST_TEST(d->digest_state()->record_count == 3u);
  BOOST_TEST(std::string(as_chars(**d->get_state(as_bytes("k3")))) == "v3");
  BOOST_TEST(**d->state_owner() == plan_a);
}

BOOST_AUTO_TEST_CASE(apply_chunk_is_refused_on_a_state_of_another_owner_and_writes_nothing) {
  temp_dir dir;
  auto d = open_db(dir.path());
  session_store s(*d);
  const std::vector<std::string> data{"k1", "v1"};
  session_record a = sample_session(1);
  a.next_chunk_index = 1;
  BOOST_REQUIRE(s.apply_chunk(a, nullptr, chunk_of(0, data)).has_value());

  session_record b = sample_session(2);
  b.plan_id = plan_b;
  b.next_chunk_index = 1;
  const std::vector<std::string> other{"k9", "v9"};
  auto refused = s.apply_chunk(b, nullptr, chunk_of(0, other));
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().is(storage_errc::owner_mismatch));
  BOOST_TEST(refused.error().message() ==
             "session 2: apply chunk 0: the state holds the records of plan " + plan_a + ", not of plan " + plan_b);
  BOOST_TEST(!d->get_state(as_bytes("k9"))->has_value());
  BOOST_TEST(!s.load(2)->has_value());

  // Local records block any plan.
  temp_dir local_dir;
  auto l = open_db(local_dir.path());
  BOOST_REQUIRE(l->put_state(as_bytes("x"), as_bytes("y")).has_value());
  session_store ls(*l);
  auto local = ls.apply_chunk(a, nullptr, chunk_of(0, data));
  BOOST_REQUIRE(!local);
  BOOST_TEST(local.error().message() ==
             "session 1: apply chunk 0: the state holds local records, not of plan " + plan_a);

  session_record no_plan = sample_session(3);
  no_plan.plan_id.clear();
  BOOST_TEST(s.apply_chunk(no_plan, nullptr, chunk_of(0, data)).error().is(storage_errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(served_records_round_trip_across_a_reopen) {
  temp_dir dir;
  const served_record r{.peer = "12D3KooWConsumer",
                        .session_id = 42,
                        .plan_id = plan_a,
                        .chunk_size = 65536,
                        .total_chunks = 10,
                        .total_updates = 2,
                        .last_served_chunk = 4,
                        .last_served_update = 1,
                        .last_confirmed_chunk = 3,
                        .last_confirmed_update = std::nullopt,
                        .created_unix_ms = 5,
                        .updated_unix_ms = 6};
  served_record other = r;
  other.peer = "12D3KooWOther";
  other.last_served_chunk.reset();
  {
    auto d = open_db(dir.path());
    served_store s(*d);
    BOOST_REQUIRE(s.save(r).has_value());
    BOOST_REQUIRE(s.save(other).has_value());
  }
  auto d = open_db(dir.path());
  served_store s(*d);
  auto all = s.load_all();
  BOOST_REQUIRE(all.has_value());
  BOOST_REQUIRE_EQUAL(all->size(), 2u);
  BOOST_TEST((all->at(0) == r));
  BOOST_TEST((all->at(1) == other));
  auto one = s.load(42, "12D3KooWOther");
  BOOST_REQUIRE(one.has_value() && one->has_value());
  BOOST_TEST(!(*one)->last_served_chunk.has_value());
  BOOST_REQUIRE(s.erase(42, "12D3KooWOther").has_value());
  BOOST_TEST(s.load_all()->size() == 1u);
  BOOST_TEST(s.erase(1000, "nobody").has_value());
}

BOOST_AUTO_TEST_CASE(corrupt_stored_records_are_reported_not_crashed_on) {
  temp_dir dir;
  auto d = open_db(dir.path());
  session_store s(*d);
  BOOST_REQUIRE(s.save(sample_session(4)).has_value());
  // Overwrite the cursor with garbage, as a torn disk might.
  auto& impl = d->internals();
  std::string key(9, '\0');
  key[0] = 's';
  key[8] = 4;
  BOOST_REQUIRE(impl.rdb->Put(rocksdb::WriteOptions(), impl.sessions, key, "\x01\x00\x00").ok());
  auto all = s.load_all();
  BOOST_REQUIRE(!all);
  BOOST_TEST(all.error().is(storage_errc::corrupt_record));
  BOOST_TEST(all.error().message() == "session 4: session record: field session_id is truncated");

  served_store served(*d);
  BOOST_REQUIRE(impl.rdb->Put(rocksdb::WriteOptions(), impl.served, "xxxxxxxxpeer", "\x02").ok());
  auto bad = served.load_all();
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().message() == "served record: version is 2, expected 1");
}

BOOST_AUTO_TEST_CASE(chunks_applied_out_of_order_keep_their_applied_set_and_counters_across_a_reopen) {
  // Given a job applying chunks 5, 0 and 2 from two providers.
  temp_dir dir;
  const std::vector<std::string> data5{"k5", "v5"};
  const std::vector<std::string> data0{"k0", "v0", "k0b", "v0b"};
  const std::vector<std::string> data2{"k2", "v2"};
  session_record r = sample_session(8);
  r.requested_plan_id = plan_a;
  r.peers = {"12D3KooWPeer", "12D3KooWOther"};
  provider_session_record first = provider(8, "12D3KooWPeer");
  provider_session_record second = provider(8, "12D3KooWOther");
  first.planned = true;
  second.planned = true;
  {
    auto d = open_db(dir.path());
    session_store s(*d);
    BOOST_REQUIRE(s.save(r).has_value());
    BOOST_REQUIRE(s.save_provider(first).has_value());
    BOOST_REQUIRE(s.save_provider(second).has_value());
    const std::pair<std::uint64_t, const std::vector<std::string>*> order[] = {{5, &data5}, {0, &data0}, {2, &data2}};
    for (const auto& [index, data] : order) {
      auto& p = index == 0 ? second : first;
      ++r.chunks_applied;
      ++r.chunk_writes;
      if (index == 0) r.next_chunk_index = 1;
      ++p.chunks;
      p.bytes += 100;
      p.next_ack_chunk = index + 1;
      // When the chunk is applied with its provider record.
      auto applied = s.apply_chunk(r, &p, chunk_of(index, *data));
      BOOST_REQUIRE_MESSAGE(applied.has_value(), applied.error().message());
    }
  }
  // Then a reopened store loads the applied set, the counters and both providers.
  auto d = open_db(dir.path());
  session_store s(*d);
  auto stored = s.load(8);
  BOOST_REQUIRE(stored.has_value() && stored->has_value());
  const stored_session& job = **stored;
  BOOST_TEST((job.record == r));
  BOOST_TEST(job.record.chunks_applied == 3u);
  BOOST_TEST(job.record.chunk_writes == 3u);
  BOOST_TEST(job.record.next_chunk_index == 1u);
  BOOST_TEST((job.applied == std::vector<std::uint64_t>{0, 2, 5}));
  BOOST_REQUIRE_EQUAL(job.providers.size(), 2u);
  BOOST_TEST((job.providers[0] == second)); // by peer id: "...Other" < "...Peer"
  BOOST_TEST((job.providers[1] == first));
  BOOST_TEST(job.providers[1].chunks == 2u);
  BOOST_TEST(d->digest_state()->record_count == 4u);
  auto all = s.load_all();
  BOOST_REQUIRE(all.has_value());
  BOOST_REQUIRE_EQUAL(all->size(), 1u);
  BOOST_TEST((all->front().applied == job.applied));
  BOOST_TEST(all->front().providers.size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_already_applied_chunk_is_refused_and_writes_nothing) {
  // Given chunk 3 applied with a provider record.
  temp_dir dir;
  auto d = open_db(dir.path());
  session_store s(*d);
  const std::vector<std::string> data{"k3", "v3"};
  session_record r = sample_session(4);
  r.chunks_applied = 1;
  r.chunk_writes = 1;
  provider_session_record p = provider(4, "12D3KooWPeer");
  p.chunks = 1;
  BOOST_REQUIRE(s.apply_chunk(r, &p, chunk_of(3, data)).has_value());
  const auto digest = d->digest_state();
  // When chunk 3 comes again, with other records and advanced counters.
  session_record again = r;
  again.chunks_applied = 2;
  again.chunk_writes = 2;
  provider_session_record p_again = p;
  p_again.chunks = 2;
  const std::vector<std::string> other{"k3", "changed", "k4", "new"};
  auto refused = s.apply_chunk(again, &p_again, chunk_of(3, other));
  // Then it is refused, and neither the state nor the job changed.
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().is(storage_errc::invalid_argument));
  BOOST_TEST(refused.error().message() == "session 4: apply chunk 3: chunk 3 is already applied");
  BOOST_TEST((*d->digest_state() == *digest));
  auto stored = s.load(4);
  BOOST_REQUIRE(stored.has_value() && stored->has_value());
  BOOST_TEST(((*stored)->record == r));
  BOOST_REQUIRE_EQUAL((*stored)->providers.size(), 1u);
  BOOST_TEST(((*stored)->providers[0] == p));

  // A chunk below the stored cursor's contiguous prefix is applied too.
  session_record prefix = r;
  prefix.next_chunk_index = 2;
  BOOST_REQUIRE(s.save(prefix).has_value());
  auto below = s.apply_chunk(prefix, nullptr, chunk_of(1, other));
  BOOST_REQUIRE(!below);
  BOOST_TEST(below.error().message() == "session 4: apply chunk 1: chunk 1 is already applied");
  BOOST_TEST((*d->digest_state() == *digest));
}

BOOST_AUTO_TEST_CASE(apply_chunk_refuses_a_chunk_whose_pages_do_not_describe_its_records) {
  temp_dir dir;
  auto d = open_db(dir.path());
  session_store s(*d);
  const std::vector<std::string> data{"k1", "v1", "k2", "v2"};
  auto chunk = chunk_of(0, data);
  chunk.page_records = {1};
  auto refused = s.apply_chunk(sample_session(1), nullptr, chunk);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().is(storage_errc::invalid_argument));
  BOOST_TEST(refused.error().message() ==
             "session 1: apply chunk 0: its 1 page record counts (for 1 pages) do not describe its 2 records");
  session_record bad_plan = sample_session(1);
  bad_plan.plan_id = "not-a-plan";
  BOOST_TEST(s.apply_chunk(bad_plan, nullptr, chunk_of(0, data)).error().message() ==
             "session 1: apply chunk 0: plan id \"not-a-plan\" is not 64 lower-case hex characters");
  const provider_session_record stranger = provider(2, "p");
  BOOST_TEST(s.apply_chunk(sample_session(1), &stranger, chunk_of(0, data)).error().message() ==
             "session 1: apply chunk 0: the provider record is of session 2");
  BOOST_TEST(*d->state_empty());
}

BOOST_AUTO_TEST_CASE(erasing_a_session_removes_its_applied_set_and_providers) {
  // Given two jobs with applied chunks and providers.
  temp_dir dir;
  auto d = open_db(dir.path());
  session_store s(*d);
  const std::vector<std::string> data1{"k1", "v1"};
  const std::vector<std::string> data2{"k2", "v2"};
  const provider_session_record p1 = provider(1, "a");
  const provider_session_record p2 = provider(2, "b");
  BOOST_REQUIRE(s.apply_chunk(sample_session(1), &p1, chunk_of(0, data1)).has_value());
  BOOST_REQUIRE(s.apply_chunk(sample_session(2), &p2, chunk_of(1, data2)).has_value());
  // When the first is erased.
  BOOST_REQUIRE(s.erase(1).has_value());
  // Then no key of it is left, and the second is whole.
  auto& impl = d->internals();
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.sessions));
  std::size_t left_of_one = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() >= 9 && it->key()[8] == 1) ++left_of_one;
  }
  BOOST_TEST(left_of_one == 0u);
  auto two = s.load(2);
  BOOST_REQUIRE(two.has_value() && two->has_value());
  BOOST_TEST(((*two)->applied == std::vector<std::uint64_t>{1}));
  BOOST_TEST(((*two)->providers == std::vector<provider_session_record>{p2}));
  // The records applied stay in the state.
  BOOST_TEST(d->digest_state()->record_count == 2u);
  BOOST_TEST(s.erase(~std::uint64_t{0}).has_value());
}

BOOST_AUTO_TEST_CASE(version_1_session_records_still_decode_and_count_their_prefix_as_applied) {
  // Given a cursor written by the version 1 format: chunks [0, 3) applied in order.
  storage::detail::record_writer w;
  w.u8(1);
  w.u64(6);
  w.str("12D3KooWPeer");
  w.str(plan_a);
  w.u8(static_cast<std::uint8_t>(session_state::syncing));
  for (std::uint64_t v : {1ull << 20, 40ull, 3ull, 3ull, 3ull, 30ull, 3000ull, 2900ull, 30ull}) w.u64(v);
  w.str("");
  w.str("");
  w.u64(1700000000000);
  w.u64(1700000000500);
  const byte_buffer v1 = w.take();
  // When it is decoded, and loaded from the database.
  auto r = decode_session_record(v1);
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
  // Then the version 2 fields say what version 1 meant.
  BOOST_TEST(r->session_id == 6u);
  BOOST_TEST(r->next_chunk_index == 3u);
  BOOST_TEST(r->records_applied == 30u);
  BOOST_TEST(r->chunks_applied == 3u);
  BOOST_TEST(r->chunk_writes == 3u);
  BOOST_TEST(r->requested_plan_id == "");
  BOOST_TEST((r->peers == std::vector<std::string>{"12D3KooWPeer"}));
  BOOST_TEST(encode_session_record(*r)[0] == 2u);

  temp_dir dir;
  auto d = open_db(dir.path());
  auto& impl = d->internals();
  std::string key(9, '\0');
  key[0] = 's';
  key[8] = 6;
  BOOST_REQUIRE(impl.rdb->Put(rocksdb::WriteOptions(), impl.sessions, key, rocksdb::Slice(
                                reinterpret_cast<const char*>(v1.data()), v1.size())).ok());
  session_store s(*d);
  auto stored = s.load(6);
  BOOST_REQUIRE(stored.has_value() && stored->has_value());
  BOOST_TEST(((*stored)->applied == std::vector<std::uint64_t>{0, 1, 2}));
  // And a chunk of that prefix is refused as applied.
  const std::vector<std::string> data{"k", "v"};
  session_record next = *r;
  BOOST_TEST(s.apply_chunk(next, nullptr, chunk_of(1, data)).error().message() ==
             "session 6: apply chunk 1: chunk 1 is already applied");
}

BOOST_AUTO_TEST_CASE(provider_records_round_trip_and_name_a_corrupt_field) {
  const provider_session_record p{.session_id = 9,
                                  .peer = "12D3KooWPeer",
                                  .planned = true,
                                  .next_ack_chunk = 12,
                                  .next_ack_update = 3,
                                  .bytes = 123456,
                                  .chunks = 11,
                                  .banned = true,
                                  .ban_reason = "chunk 7: page 451 hash mismatch"};
  byte_buffer bytes = encode_provider_record(p);
  auto back = decode_provider_record(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == p));
  bytes[1 + 8 + 4 + p.peer.size()] = 2;
  BOOST_TEST(decode_provider_record(bytes).error().message() == "provider record: planned value 2 is not 0 or 1");
  bytes.resize(20);
  BOOST_TEST(decode_provider_record(bytes).error().is(storage_errc::corrupt_record));
}

BOOST_AUTO_TEST_CASE(ingested_chunks_give_the_state_a_batch_gives_and_a_repeated_ingest_changes_nothing) {
  // Out of order, as a swarm applies them; one chunk ingested twice, as
  // after a crash between its ingest and its progress batch.
  const std::vector<std::vector<std::string>> data{{"a1", "v1", "a2", "v2"}, {"b1", "w1"}, {"c1", "x1", "c2", "x2"}};
  auto apply_all = [&](const std::filesystem::path& path, std::uint64_t ingest_min_bytes, bool repeat) {
    auto d = db::open(path, db_options{.ingest_min_bytes = ingest_min_bytes});
    BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
    session_store s(**d);
    session_record r = sample_session(5);
    BOOST_REQUIRE(s.save(r).has_value());
    for (const std::uint64_t c : {2u, 0u, 1u}) {
      if (repeat && c == 0) {
        // The records of chunk 0 reach the state once without its progress.
        session_record other = sample_session(6);
        BOOST_REQUIRE(s.save(other).has_value());
        BOOST_REQUIRE(s.apply_chunk(other, nullptr, chunk_of(0, data[0])).has_value());
      }
      r.records_applied += data[c].size() / 2;
      BOOST_REQUIRE(s.apply_chunk(r, nullptr, chunk_of(c, data[c])).has_value());
    }
    return *(*d)->digest_state();
  };
  temp_dir batch_dir, ingest_dir, repeat_dir;
  const auto by_batch = apply_all(batch_dir.path(), UINT64_MAX, false);
  const auto by_ingest = apply_all(ingest_dir.path(), 0, false);
  const auto repeated = apply_all(repeat_dir.path(), 0, true);
  BOOST_TEST(by_batch.record_count == 5u);
  BOOST_TEST((by_ingest == by_batch));
  BOOST_TEST((repeated == by_batch));
  // The staging directory holds nothing once a chunk is in.
  BOOST_TEST(std::filesystem::is_empty(ingest_dir.path() / "ingest"));
}

BOOST_AUTO_TEST_CASE(an_sst_file_left_by_a_crash_before_its_ingest_is_removed_at_open) {
  temp_dir dir;
  { open_db(dir.path()); }
  std::filesystem::create_directories(dir.path() / "ingest");
  { std::ofstream(dir.path() / "ingest" / "5-3.sst") << "half written"; }
  auto d = open_db(dir.path());
  BOOST_TEST(!std::filesystem::exists(dir.path() / "ingest" / "5-3.sst"));
  BOOST_TEST(d->digest_state()->record_count == 0u);
}

BOOST_AUTO_TEST_CASE(an_ingested_chunk_is_compressed_only_when_lz4_shrinks_its_records) {
  // Values of one repeated letter shrink; values of random bytes do not,
  // and compressing their blocks would be CPU spent for blocks RocksDB
  // then stores raw anyway.
  std::mt19937_64 rng(7);
  auto records = [&](bool random) {
    std::vector<std::string> out;
    for (int i = 0; i < 64; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "k%05d", i);
      std::string value(2048, 'z');
      if (random)
        for (auto& c : value) c = static_cast<char>(rng());
      out.push_back(key);
      out.push_back(std::move(value));
    }
    return out;
  };
  auto compression_of = [](const std::vector<std::string>& data) {
    temp_dir dir;
    auto d = db::open(dir.path(), db_options{.ingest_min_bytes = 0});
    BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
    session_store s(**d);
    session_record r = sample_session(5);
    BOOST_REQUIRE(s.save(r).has_value());
    r.records_applied = data.size() / 2;
    BOOST_REQUIRE(s.apply_chunk(r, nullptr, chunk_of(0, data)).has_value());
    BOOST_TEST((*d)->digest_state()->record_count == data.size() / 2);
    auto& impl = (*d)->internals();
    rocksdb::TablePropertiesCollection tables;
    BOOST_REQUIRE(impl.rdb->GetPropertiesOfAllTables(impl.state, &tables).ok());
    BOOST_REQUIRE(tables.size() == 1u);
    return tables.begin()->second->compression_name;
  };
  BOOST_TEST(compression_of(records(false)) == "LZ4");
  BOOST_TEST(compression_of(records(true)) == "NoCompression");
}
