#pragma once
/// The RocksDB handles behind `storage::db` (storage/ only).

#include "protocol/common/bytes.hpp"
#include "storage/errors.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::storage::detail {

inline constexpr const char* cf_state = "state";
inline constexpr const char* cf_snapshots = "snapshots";
inline constexpr const char* cf_sessions = "sessions";
inline constexpr const char* cf_served = "served";
inline constexpr const char* cf_meta = "meta";

/// Key of the state owner marker in the meta column family.
inline constexpr std::string_view owner_key = "state_owner";

/// A snapshot's checkpoint opened read-only (defined in snapshot_store.cpp).
struct checkpoint_db;

struct db_impl {
  std::filesystem::path data_dir;
  std::shared_ptr<rocksdb::Cache> cache;
  rocksdb::DB* rdb = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles; // in open order; destroyed before rdb
  rocksdb::ColumnFamilyHandle* state = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;
  rocksdb::ColumnFamilyHandle* sessions = nullptr;
  rocksdb::ColumnFamilyHandle* served = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  /// Serialises the read-check-write of the state owner marker.
  std::mutex owner_mutex;
  /// One snapshot build at a time (the chain of updates grows by one).
  std::mutex build_mutex;
  /// Open checkpoints by plan id; readers share them.
  std::shared_mutex checkpoints_mutex;
  std::map<std::string, std::shared_ptr<checkpoint_db>, std::less<>> checkpoints;

  db_impl() = default;
  db_impl(const db_impl&) = delete;
  db_impl& operator=(const db_impl&) = delete;
  ~db_impl();

  [[nodiscard]] static rocksdb::WriteOptions synced() {
    rocksdb::WriteOptions w;
    w.sync = true;
    return w;
  }

  /// Free bytes the file system must keep (`db_options::min_free_bytes`).
  std::uint64_t min_free_bytes = 0;
  /// `db_options::ingest_min_bytes`.
  std::uint64_t ingest_min_bytes = UINT64_MAX;
  /// The state column family's options, for the SST files it ingests:
  /// LZ4 blocks, or none for records that LZ4 would not shrink
  /// (`session_store::apply_chunk` samples each chunk).
  rocksdb::Options state_options;
  rocksdb::Options state_options_uncompressed;
  /// OK when writing `incoming` more bytes leaves at least `min_free_bytes`
  /// free in the data directory's file system; else a NoSpace status that
  /// says how much is free and what is kept.
  [[nodiscard]] rocksdb::Status check_space(std::uint64_t incoming) const;
  /// Every durable write of storage/: `check_space` for the batch, then a
  /// synced write.
  [[nodiscard]] rocksdb::Status write(rocksdb::WriteBatch& batch) const;
  [[nodiscard]] rocksdb::Status put(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key,
                                    const rocksdb::Slice& value) const;

  /// The owner marker (caller holds owner_mutex when it will write after).
  [[nodiscard]] result<std::optional<std::string>> read_owner() const;
  /// True when the state column family holds no key.
  [[nodiscard]] result<bool> state_is_empty() const;
};

/// A Slice over bytes.
[[nodiscard]] inline rocksdb::Slice slice(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
[[nodiscard]] inline rocksdb::Slice slice(std::string_view s) noexcept { return {s.data(), s.size()}; }
[[nodiscard]] inline bytes_view view(const rocksdb::Slice& s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Where SST files are built before they are ingested (`<data_dir>/ingest`);
/// emptied when the database opens.
[[nodiscard]] inline std::filesystem::path ingest_dir(const std::filesystem::path& data_dir) {
  return data_dir / "ingest";
}

/// Test failpoints (docs/testing.md): when the environment variable
/// SNAPSTREAM_CRASH_AT names `point` (optionally `point:N`, the N-th time,
/// 1-based), the process kills itself with SIGKILL there, as a power cut
/// or `kill -9` would. Unset, a point costs one branch.
void crash_point(std::string_view point);

/// Per-column-family options of the live database and of snapshot checkpoints.
[[nodiscard]] rocksdb::ColumnFamilyOptions state_cf_options(const std::shared_ptr<rocksdb::Cache>& cache);
[[nodiscard]] rocksdb::ColumnFamilyOptions small_cf_options(const std::shared_ptr<rocksdb::Cache>& cache);

} // namespace snapstream::storage::detail
