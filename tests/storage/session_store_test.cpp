#define BOOST_TEST_MODULE storage_sessions
#include <boost/test/unit_test.hpp>

#include "storage/db.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/served_store.hpp"
#include "storage/session_store.hpp"
#include "temp_dir.hpp"

#include <rocksdb/db.h>

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
                        .updated_unix_ms = 1700000000500};
}

// A chunk whose records point into `storage`.
snapshot::verified_chunk chunk_of(std::uint64_t index, const std::vector<std::string>& storage) {
  snapshot::verified_chunk c;
  c.chunk_index = index;
  for (std::size_t i = 0; i + 1 < storage.size(); i += 2) {
    c.records.push_back({as_bytes(storage[i]), as_bytes(storage[i + 1])});
    c.page_bytes += snapshot::encoded_record_size(storage[i].size(), storage[i + 1].size());
  }
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
    BOOST_REQUIRE(s.apply_chunk(r, chunk_of(0, data0)).has_value());
    r.next_chunk_index = 2;
    r.records_applied = 3;
    BOOST_REQUIRE(s.apply_chunk(r, chunk_of(1, data1)).has_value());
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
  BOOST_REQUIRE(s.apply_chunk(a, chunk_of(0, data)).has_value());

  session_record b = sample_session(2);
  b.plan_id = plan_b;
  b.next_chunk_index = 1;
  const std::vector<std::string> other{"k9", "v9"};
  auto refused = s.apply_chunk(b, chunk_of(0, other));
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
  auto local = ls.apply_chunk(a, chunk_of(0, data));
  BOOST_REQUIRE(!local);
  BOOST_TEST(local.error().message() ==
             "session 1: apply chunk 0: the state holds local records, not of plan " + plan_a);

  session_record no_plan = sample_session(3);
  no_plan.plan_id.clear();
  BOOST_TEST(s.apply_chunk(no_plan, chunk_of(0, data)).error().is(storage_errc::invalid_argument));
  session_record stale = sample_session(1);
  stale.next_chunk_index = 1;
  auto cursor = s.apply_chunk(stale, chunk_of(4, data));
  BOOST_REQUIRE(!cursor);
  BOOST_TEST(cursor.error().message() ==
             "session 1: apply chunk 4: the cursor's next chunk index is 1, expected 5");
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
