#define BOOST_TEST_MODULE storage_db
#include <boost/test/unit_test.hpp>

#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"
#include "storage/state_loader.hpp"
#include "storage/detail/db_impl.hpp"
#include "temp_dir.hpp"

#include <rocksdb/db.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace snapstream;
using namespace snapstream::storage;
using snapstream::storage::test::temp_dir;

namespace {

std::unique_ptr<db> open_db(const std::filesystem::path& dir) {
  auto d = db::open(dir);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  return std::move(*d);
}

std::string value_of(const db& d, std::string_view key) {
  auto v = d.get_state(as_bytes(key));
  BOOST_REQUIRE(v.has_value());
  BOOST_REQUIRE(v->has_value());
  return std::string(as_chars(**v));
}

} // namespace

BOOST_AUTO_TEST_CASE(state_and_owner_survive_a_reopen) {
  temp_dir dir;
  {
    auto d = open_db(dir.path());
    BOOST_TEST(*d->state_empty());
    BOOST_TEST(!d->state_owner()->has_value());
    BOOST_REQUIRE(d->put_state(as_bytes("b"), as_bytes("2")).has_value());
    BOOST_REQUIRE(d->put_state(as_bytes("a"), as_bytes("1")).has_value());
    BOOST_REQUIRE(d->put_state(as_bytes("a"), as_bytes("one")).has_value());
  }
  BOOST_TEST(std::filesystem::is_directory(dir.path() / "db"));
  auto d = open_db(dir.path());
  BOOST_TEST(value_of(*d, "a") == "one");
  BOOST_TEST(value_of(*d, "b") == "2");
  BOOST_TEST(!d->get_state(as_bytes("c"))->has_value());
  BOOST_TEST(**d->state_owner() == "local");
  std::vector<std::string> keys;
  auto n = d->for_each_state([&](const snapshot::record_view& r) {
    keys.emplace_back(as_chars(r.key));
    return true;
  });
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(*n == 2u);
  BOOST_TEST((keys == std::vector<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(records_outside_the_protocol_limits_are_refused) {
  temp_dir dir;
  auto d = open_db(dir.path());
  auto empty_key = d->put_state({}, as_bytes("v"));
  BOOST_REQUIRE(!empty_key);
  BOOST_TEST(empty_key.error().is(storage_errc::invalid_argument));
  BOOST_TEST(empty_key.error().message() == "put state: key length 0 is outside 1..65536");
  const byte_buffer big(snapshot::max_value_size + 1, 1);
  BOOST_TEST(d->put_state(as_bytes("k"), big).error().is(storage_errc::invalid_argument));
  BOOST_TEST(*d->state_empty());
}

BOOST_AUTO_TEST_CASE(digest_is_equal_exactly_for_identical_states) {
  temp_dir a_dir;
  temp_dir b_dir;
  auto a = open_db(a_dir.path());
  auto b = open_db(b_dir.path());
  const auto empty = a->digest_state();
  BOOST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->record_count == 0u);
  BOOST_TEST(to_hex(empty->sha256) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Same records, written in different orders.
  BOOST_REQUIRE(a->put_state(as_bytes("x"), as_bytes("1")).has_value());
  BOOST_REQUIRE(a->put_state(as_bytes("y"), as_bytes("")).has_value());
  BOOST_REQUIRE(b->put_state(as_bytes("y"), as_bytes("")).has_value());
  BOOST_REQUIRE(b->put_state(as_bytes("x"), as_bytes("1")).has_value());
  const auto da = a->digest_state();
  BOOST_REQUIRE(da.has_value());
  BOOST_TEST((*da == *b->digest_state()));
  BOOST_TEST(da->record_count == 2u);
  // The digest hashes the canonical encodings: 00000001 78 00000001 31 00000001 79 00000000.
  const auto expected = sha256(*from_hex("00000001780000000131000000017900000000"));
  BOOST_TEST(to_hex(da->sha256) == to_hex(expected));
  BOOST_REQUIRE(b->put_state(as_bytes("y"), as_bytes("0")).has_value());
  BOOST_TEST((*da != *b->digest_state()));
}

BOOST_AUTO_TEST_CASE(clear_state_removes_records_and_owner) {
  temp_dir dir;
  auto d = open_db(dir.path());
  BOOST_REQUIRE(generate_state(*d, 200000, 3).has_value());
  BOOST_TEST(!*d->state_empty());
  BOOST_REQUIRE(d->clear_state().has_value());
  BOOST_TEST(*d->state_empty());
  BOOST_TEST(!d->state_owner()->has_value());
  BOOST_TEST(d->digest_state()->record_count == 0u);
}

BOOST_AUTO_TEST_CASE(generated_state_is_deterministic_and_within_its_bounds) {
  temp_dir a_dir;
  temp_dir b_dir;
  temp_dir c_dir;
  auto a = open_db(a_dir.path());
  auto b = open_db(b_dir.path());
  auto c = open_db(c_dir.path());
  const auto sa = generate_state(*a, 4u << 20, 11);
  const auto sb = generate_state(*b, 4u << 20, 11);
  const auto sc = generate_state(*c, 4u << 20, 12);
  BOOST_REQUIRE(sa.has_value());
  BOOST_REQUIRE(sb.has_value());
  BOOST_REQUIRE(sc.has_value());
  BOOST_TEST(sa->bytes >= (4u << 20));
  BOOST_TEST(sa->bytes < (4u << 20) + 4096 + 48 + 8);
  BOOST_TEST(sa->records == sb->records);
  const auto da = a->digest_state();
  BOOST_TEST((*da == *b->digest_state()));
  BOOST_TEST((*da != *c->digest_state()));
  BOOST_TEST(da->record_count == sa->records);
  std::size_t min_key = 1000, max_key = 0, min_value = 1u << 20, max_value = 0;
  std::uint64_t bytes = 0;
  BOOST_REQUIRE(a->for_each_state([&](const snapshot::record_view& r) {
                   min_key = std::min(min_key, r.key.size());
                   max_key = std::max(max_key, r.key.size());
                   min_value = std::min(min_value, r.value.size());
                   max_value = std::max(max_value, r.value.size());
                   bytes += snapshot::encoded_record_size(r.key.size(), r.value.size());
                   return true;
                 }).has_value());
  BOOST_TEST(bytes == sa->bytes);
  BOOST_TEST(min_key >= 16u);
  BOOST_TEST(max_key <= 48u);
  BOOST_TEST(min_value >= 64u);
  BOOST_TEST(max_value <= 4096u);
  BOOST_TEST(max_value - min_value > 3000u); // varied sizes
  BOOST_TEST(**a->state_owner() == "local");
}

BOOST_AUTO_TEST_CASE(import_reads_hex_lines_and_names_the_bad_line) {
  temp_dir dir;
  auto d = open_db(dir.path());
  std::istringstream good("# a comment\n6b31 7631\r\n\n6B32 \n6b33\n6b31 7632");
  auto stats = import_state(*d, good);
  BOOST_REQUIRE_MESSAGE(stats.has_value(), stats.error().message());
  BOOST_TEST(stats->records == 4u);
  BOOST_TEST(stats->bytes == 12u + 10u + 10u + 12u);
  BOOST_TEST(value_of(*d, "k1") == "v2"); // the later line wins
  BOOST_TEST(value_of(*d, "k2") == "");
  BOOST_TEST(value_of(*d, "k3") == "");
  BOOST_TEST(**d->state_owner() == "local");

  struct bad_case {
    std::string text;
    std::string message;
  };
  const bad_case cases[] = {
    {"6b31 76\n6b3 76\n", "import line 2: key: odd number of hex characters (3)"},
    {"zz 00\n", "import line 1: key: non-hex character at position 0"},
    {"6b 0g\n", "import line 1: value: non-hex character at position 1"},
    {" 00\n", "import line 1: key length 0 is outside 1..65536"},
    {"6b 00 00\n", "import line 1: value: odd number of hex characters (5)"},
  };
  for (const auto& c : cases) {
    std::istringstream in(c.text);
    auto r = import_state(*d, in);
    BOOST_TEST_CONTEXT(c.text) {
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.error().is(storage_errc::invalid_import));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
  std::istringstream endless(std::string(3u << 20, 'a'));
  auto long_line = import_state(*d, endless);
  BOOST_REQUIRE(!long_line);
  BOOST_TEST(long_line.error().message() == "import line 1: line exceeds the longest valid record");

  const auto file = dir.path() / "state.txt";
  std::ofstream(file) << "6b34 7634\n";
  BOOST_REQUIRE(import_state(*d, file).has_value());
  BOOST_TEST(value_of(*d, "k4") == "v4");
  auto missing = import_state(*d, dir.path() / "missing.txt");
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().is(storage_errc::io_error));
}

BOOST_AUTO_TEST_CASE(local_writes_are_refused_on_a_synced_plans_state) {
  temp_dir dir;
  auto d = open_db(dir.path());
  session_store sessions(*d);
  session_record r;
  r.session_id = 1;
  r.plan_id = std::string(64, 'a');
  r.next_chunk_index = 1;
  snapshot::verified_chunk chunk;
  const std::string key = "synced";
  chunk.page_count = 1;
  chunk.records.push_back({as_bytes(key), as_bytes(key)});
  chunk.page_records.push_back(1);
  BOOST_REQUIRE(sessions.apply_chunk(r, nullptr, chunk).has_value());
  auto put = d->put_state(as_bytes("x"), as_bytes("y"));
  BOOST_REQUIRE(!put);
  BOOST_TEST(put.error().is(storage_errc::owner_mismatch));
  BOOST_TEST(put.error().message() ==
             "put state: the state holds the records of plan " + r.plan_id + ", local writes are refused");
  std::istringstream in("6b 76\n");
  BOOST_TEST(import_state(*d, in).error().is(storage_errc::owner_mismatch));
  BOOST_TEST(generate_state(*d, 1000, 1).error().is(storage_errc::owner_mismatch));
}

BOOST_AUTO_TEST_CASE(a_second_open_of_the_same_database_is_refused) {
  temp_dir dir;
  auto d = open_db(dir.path());
  auto again = db::open(dir.path());
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.error().is(storage_errc::io_error));
  BOOST_TEST(again.error().message().find("LOCK") != std::string::npos, again.error().message());
}

BOOST_AUTO_TEST_CASE(corrupt_database_files_map_to_typed_errors) {
  temp_dir dir;
  {
    auto d = open_db(dir.path());
    BOOST_REQUIRE(d->put_state(as_bytes("a"), as_bytes("1")).has_value());
  }
  // CURRENT names the live MANIFEST; garbage there is corruption.
  std::ofstream(dir.path() / "db" / "CURRENT", std::ios::trunc) << "garbage";
  auto d = db::open(dir.path());
  BOOST_REQUIRE(!d);
  BOOST_TEST(d.error().is(storage_errc::corruption), d.error().message());
  BOOST_TEST(d.error().message().rfind(std::string("open ").append((dir.path() / "db").string()).append(": "), 0) == 0,
             d.error().message());

  temp_dir missing;
  db_options options;
  options.create_if_missing = false;
  auto none = db::open(missing.path(), options);
  BOOST_REQUIRE(!none);
  BOOST_TEST(none.error().is(storage_errc::invalid_argument), none.error().message());
}

namespace {

/// The state's SST files, largest first (after `generate_state` and a flush).
std::vector<std::filesystem::path> sst_files(const std::filesystem::path& db_dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(db_dir))
    if (e.path().extension() == ".sst") out.push_back(e.path());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::filesystem::file_size(a) > std::filesystem::file_size(b);
  });
  return out;
}

/// A state of `bytes` flushed into SST files, then closed.
void flushed_state(const std::filesystem::path& data_dir, std::uint64_t bytes) {
  auto d = db::open(data_dir);
  BOOST_REQUIRE(d.has_value());
  BOOST_REQUIRE(generate_state(**d, bytes, 7).has_value());
  auto& impl = (*d)->internals();
  BOOST_REQUIRE(impl.rdb->Flush(rocksdb::FlushOptions(), impl.state).ok());
}

} // namespace

// A byte flipped on disk inside a data block of the state: the database may
// open, but reading the state fails with `corruption` (RocksDB's block
// checksums), never a digest of different bytes, and the process goes on.
BOOST_AUTO_TEST_CASE(a_flipped_byte_in_an_sst_file_is_a_typed_error_not_a_wrong_answer) {
  temp_dir dir;
  flushed_state(dir.path(), 2u << 20);
  {
    auto d = db::open(dir.path());
    BOOST_REQUIRE(d.has_value());
    BOOST_REQUIRE((*d)->digest_state().has_value()); // readable before the flip
  }
  const auto files = sst_files(dir.path() / "db");
  BOOST_REQUIRE(!files.empty());
  {
    std::fstream f(files.front(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(4096); // inside the first data block's payload, far from the footer
    char c = 0;
    f.get(c);
    f.seekp(4096);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  auto d = db::open(dir.path());
  if (!d) {
    BOOST_TEST(d.error().is(storage_errc::corruption), d.error().message());
    return;
  }
  auto digest = (*d)->digest_state();
  BOOST_REQUIRE_MESSAGE(!digest.has_value(), "a corrupt state gave a digest");
  BOOST_TEST(digest.error().is(storage_errc::corruption), digest.error().message());
  BOOST_TEST(digest.error().message().find("block checksum mismatch") != std::string::npos, digest.error().message());
  // The rest of the database still answers (the node stays up and serves HTTP).
  BOOST_TEST((*d)->state_owner().has_value());
}

// The MANIFEST that CURRENT names is gone: opening is a typed error naming
// the directory, not a crash and not an empty database.
BOOST_AUTO_TEST_CASE(a_missing_manifest_is_a_typed_error_at_open) {
  temp_dir dir;
  flushed_state(dir.path(), 64u << 10);
  std::size_t removed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "db"))
    if (e.path().filename().string().starts_with("MANIFEST-")) removed += std::filesystem::remove(e.path()) ? 1 : 0;
  BOOST_REQUIRE(removed >= 1u);
  auto d = db::open(dir.path());
  BOOST_REQUIRE(!d.has_value());
  BOOST_TEST((d.error().is(storage_errc::corruption) || d.error().is(storage_errc::io_error)), d.error().message());
  BOOST_TEST(d.error().message().rfind(std::string("open ").append((dir.path() / "db").string()).append(": "), 0) == 0,
             d.error().message());
}

// A write that would leave less free space than the database keeps is
// refused whole, with `no_space` and a message that says how much is free;
// what was written before stays readable, and reads go on.
BOOST_AUTO_TEST_CASE(a_write_that_would_pass_the_free_space_margin_is_refused_with_no_space) {
  temp_dir dir;
  {
    auto d = open_db(dir.path());
    BOOST_REQUIRE(d->put_state(as_bytes("a"), as_bytes("1")).has_value());
  }
  db_options all_of_it;
  all_of_it.min_free_bytes = std::uint64_t{1} << 60; // more than any disk has
  auto d = db::open(dir.path(), all_of_it);
  BOOST_REQUIRE(d.has_value());
  auto refused = (*d)->put_state(as_bytes("b"), as_bytes("2"));
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().is(storage_errc::no_space), refused.error().message());
  const std::string why = refused.error().message();
  BOOST_TEST(why.find("disk full: ") != std::string::npos, why);
  BOOST_TEST(why.find(std::string(" free in ").append(dir.path().string())) != std::string::npos, why);
  BOOST_TEST(why.find("min_free_disk_bytes") != std::string::npos, why);
  BOOST_TEST(value_of(**d, "a") == "1");
  BOOST_TEST(!(*d)->get_state(as_bytes("b"))->has_value());
  d->reset();

  db_options unchecked;
  unchecked.min_free_bytes = 0;
  auto open = db::open(dir.path(), unchecked);
  BOOST_REQUIRE(open.has_value());
  BOOST_TEST((*open)->put_state(as_bytes("b"), as_bytes("2")).has_value());
  BOOST_TEST(value_of(**open, "b") == "2");
}

BOOST_AUTO_TEST_CASE(a_corrupt_stored_record_is_reported_by_session_and_field) {
  session_record r;
  r.session_id = 9;
  r.peer = "peer";
  r.plan_id = "plan";
  byte_buffer bytes = encode_session_record(r);
  auto back = decode_session_record(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == r));
  bytes.resize(15);
  auto cut = decode_session_record(bytes);
  BOOST_REQUIRE(!cut);
  BOOST_TEST(cut.error().is(storage_errc::corrupt_record));
  BOOST_TEST(cut.error().message() == "session record: field peer is truncated");
  bytes = encode_session_record(r);
  bytes[0] = 7;
  BOOST_TEST(decode_session_record(bytes).error().message() == "session record: version is 7, expected 1 or 2");
  bytes = encode_session_record(r);
  bytes.push_back(0);
  BOOST_TEST(decode_session_record(bytes).error().message() == "session record: 1 bytes after the last field");
}
