#include "storage/db.hpp"

#include "protocol/common/endian.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/detail/snapshot_layout.hpp"
#include "storage/detail/status.hpp"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace snapstream::storage {

namespace detail {

db_impl::~db_impl() {
  if (rdb == nullptr) return;
  for (auto* h : handles) rdb->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  handles.clear();
  rdb->Close().PermitUncheckedError();
  delete rdb;
}

namespace {

std::string mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

} // namespace

rocksdb::Status db_impl::check_space(std::uint64_t incoming) const {
  if (min_free_bytes == 0) return rocksdb::Status::OK();
  struct statvfs fs {};
  if (::statvfs(data_dir.c_str(), &fs) != 0) return rocksdb::Status::OK(); // RocksDB reports what follows
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes >= min_free_bytes && free_bytes - min_free_bytes >= incoming) return rocksdb::Status::OK();
  std::string why = "disk full: ";
  why.append(mib(free_bytes)).append(" free in ").append(data_dir.string()).append(", a write of ");
  why.append(mib(incoming)).append(" would leave less than the ").append(mib(min_free_bytes));
  why.append(" kept free (min_free_disk_bytes)");
  return rocksdb::Status::NoSpace(why);
}

rocksdb::Status db_impl::write(rocksdb::WriteBatch& batch) const {
  if (auto s = check_space(batch.GetDataSize()); !s.ok()) return s;
  return rdb->Write(synced(), &batch);
}

rocksdb::Status db_impl::put(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key,
                             const rocksdb::Slice& value) const {
  if (auto s = check_space(key.size() + value.size()); !s.ok()) return s;
  return rdb->Put(synced(), cf, key, value);
}

result<std::optional<std::string>> db_impl::read_owner() const {
  std::string value;
  const auto s = rdb->Get(rocksdb::ReadOptions(), meta, slice(owner_key), &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return from_status(s, "read state owner");
  return std::optional<std::string>{std::move(value)};
}

result<bool> db_impl::state_is_empty() const {
  std::unique_ptr<rocksdb::Iterator> it(rdb->NewIterator(rocksdb::ReadOptions(), state));
  it->SeekToFirst();
  if (!it->status().ok()) return from_status(it->status(), "scan state");
  return !it->Valid();
}

namespace {

rocksdb::BlockBasedTableOptions table_options(const std::shared_ptr<rocksdb::Cache>& cache, bool bloom) {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.block_size = 16 * 1024;
  if (bloom) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  return t;
}

} // namespace

rocksdb::ColumnFamilyOptions state_cf_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = 64u << 20;
  o.target_file_size_base = 64u << 20;
  o.level_compaction_dynamic_level_bytes = true;
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options(cache, true)));
  return o;
}

rocksdb::ColumnFamilyOptions small_cf_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = 8u << 20;
  o.compression = rocksdb::kLZ4Compression;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options(cache, false)));
  return o;
}

void crash_point(std::string_view point) {
  static const char* const wanted = std::getenv("SNAPSTREAM_CRASH_AT");
  if (wanted == nullptr) return;
  const std::string_view spec(wanted);
  const auto colon = spec.find(':');
  if (spec.substr(0, colon) != point) return;
  static std::atomic<std::uint64_t> hits{0};
  std::uint64_t nth = 1;
  if (colon != std::string_view::npos) nth = std::strtoull(std::string(spec.substr(colon + 1)).c_str(), nullptr, 10);
  if (++hits < nth) return;
  std::fprintf(stderr, "snapstream: SNAPSTREAM_CRASH_AT=%s reached, killing the process\n", wanted);
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
}

} // namespace detail

using detail::from_status;
using detail::slice;

db::db(std::unique_ptr<detail::db_impl> impl) noexcept : impl_(std::move(impl)) {}
db::~db() = default;

const std::filesystem::path& db::data_dir() const noexcept { return impl_->data_dir; }

result<std::unique_ptr<db>> db::open(const std::filesystem::path& data_dir, const db_options& options) {
  const auto path = data_dir / "db";
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (!ec) std::filesystem::create_directories(detail::checkpoints_dir(data_dir), ec);
    if (ec) return error{storage_errc::io_error, "create " + path.string() + ": " + ec.message()};
  }
  auto impl = std::make_unique<detail::db_impl>();
  impl->data_dir = data_dir;
  impl->cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  impl->min_free_bytes = options.min_free_bytes;
  impl->ingest_min_bytes = options.ingest_min_bytes;
  impl->state_options = rocksdb::Options(rocksdb::DBOptions(), detail::state_cf_options(impl->cache));
  // An SST file written for ingestion takes the bottommost compression (it
  // usually lands at the bottom): LZ4 keeps a chunk's apply at LZ4's speed,
  // as a memtable flush is, instead of ZSTD's; compactions recompress later.
  impl->state_options.bottommost_compression = rocksdb::kLZ4Compression;
  impl->state_options_uncompressed = impl->state_options;
  impl->state_options_uncompressed.compression = rocksdb::kNoCompression;
  impl->state_options_uncompressed.bottommost_compression = rocksdb::kNoCompression;

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = options.create_if_missing;
  dbo.create_missing_column_families = options.create_if_missing;
  dbo.max_background_jobs = 2;
  dbo.bytes_per_sync = 1u << 20;
  dbo.keep_log_file_num = 4;

  const auto small = detail::small_cf_options(impl->cache);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families{
    {rocksdb::kDefaultColumnFamilyName, small},
    {detail::cf_state, detail::state_cf_options(impl->cache)},
    {detail::cf_snapshots, small},
    {detail::cf_sessions, small},
    {detail::cf_served, small},
    {detail::cf_meta, small},
  };
  const auto s = rocksdb::DB::Open(dbo, path.string(), families, &impl->handles, &impl->rdb);
  if (!s.ok()) {
    impl->rdb = nullptr;
    return from_status(s, "open " + path.string());
  }
  impl->state = impl->handles[1];
  impl->snapshots = impl->handles[2];
  impl->sessions = impl->handles[3];
  impl->served = impl->handles[4];
  impl->meta = impl->handles[5];
  if (auto ok = detail::remove_orphan_checkpoints(*impl); !ok) return ok.error();
  {
    // SST files of chunks whose ingest a crash interrupted were never
    // ingested (their chunks are not applied and are fetched again). Only
    // now: the database's lock is ours.
    std::error_code ec;
    std::filesystem::remove_all(detail::ingest_dir(data_dir), ec);
  }
  return std::unique_ptr<db>(new db(std::move(impl)));
}

result<void> db::put_state(bytes_view key, bytes_view value) {
  if (auto ok = snapshot::check_record(key, value); !ok) {
    return error{storage_errc::invalid_argument, "put state: " + ok.error().message()};
  }
  std::lock_guard lock(impl_->owner_mutex);
  auto owner = impl_->read_owner();
  if (!owner) return owner.error();
  if (*owner && **owner != local_owner) {
    return error{storage_errc::owner_mismatch,
                 "put state: the state holds the records of plan " + **owner + ", local writes are refused"};
  }
  rocksdb::WriteBatch batch;
  auto s = batch.Put(impl_->state, slice(key), slice(value));
  if (s.ok() && !*owner) s = batch.Put(impl_->meta, slice(detail::owner_key), slice(local_owner));
  if (s.ok()) s = impl_->write(batch);
  return detail::check(s, "put state");
}

result<std::optional<byte_buffer>> db::get_state(bytes_view key) const {
  rocksdb::PinnableSlice value;
  const auto s = impl_->rdb->Get(rocksdb::ReadOptions(), impl_->state, slice(key), &value);
  if (s.IsNotFound()) return std::optional<byte_buffer>{};
  if (!s.ok()) return from_status(s, "get state");
  return std::optional<byte_buffer>{to_buffer(detail::view(value))};
}

result<std::uint64_t> db::for_each_state(const std::function<bool(const snapshot::record_view&)>& visit,
                                         bytes_view from) const {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2u << 20;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl_->rdb->NewIterator(ro, impl_->state));
  if (from.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(slice(from));
  }
  std::uint64_t count = 0;
  for (; it->Valid(); it->Next()) {
    ++count;
    if (!visit(snapshot::record_view{detail::view(it->key()), detail::view(it->value())})) break;
  }
  if (!it->status().ok()) return from_status(it->status(), "iterate state");
  return count;
}

result<bool> db::state_empty() const { return impl_->state_is_empty(); }

result<state_digest> db::digest_state() const {
  sha256_hasher hasher;
  std::uint8_t len[4];
  auto counted = for_each_state([&](const snapshot::record_view& r) {
    store_be32(len, static_cast<std::uint32_t>(r.key.size()));
    hasher.update(len);
    hasher.update(r.key);
    store_be32(len, static_cast<std::uint32_t>(r.value.size()));
    hasher.update(len);
    hasher.update(r.value);
    return true;
  });
  if (!counted) return counted.error();
  return state_digest{*counted, hasher.finish()};
}

result<std::optional<std::string>> db::state_owner() const { return impl_->read_owner(); }

result<void> db::clear_state() {
  // Every writer enforces the 65536-byte key limit, so this end key is above all keys.
  static const std::string end(snapshot::max_key_size + 1, '\xff');
  std::lock_guard lock(impl_->owner_mutex);
  auto owner = impl_->read_owner();
  if (!owner) return owner.error();
  rocksdb::WriteBatch batch;
  // The page index of a snapshot still being synced describes these records.
  if (*owner) {
    if (auto ok = detail::forget_live_pages(*impl_, batch, **owner); !ok) return ok;
  }
  auto s = batch.DeleteRange(impl_->state, rocksdb::Slice(), end);
  if (s.ok()) s = batch.Delete(impl_->meta, slice(detail::owner_key));
  if (s.ok()) s = impl_->write(batch);
  return detail::check(s, "clear state");
}

} // namespace snapstream::storage
