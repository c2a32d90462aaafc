#pragma once
/// The node's RocksDB database: one per node at `<data-dir>/db`, with the
/// column families `state` (the key/value state), `snapshots` (built and
/// synced snapshots, the provider's chain of light-client updates),
/// `sessions` (consumer sessions and their jobs), `served` (provider-side
/// session records) and `meta` (the state owner marker). docs/storage.md has
/// the key layouts.
///
/// A `db` is thread-safe: every method may be called from several threads at
/// once. Durable writes are synced WriteBatches.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/record.hpp"
#include "storage/errors.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace snapstream::storage {

namespace detail {
struct db_impl;
}

struct db_options {
  bool create_if_missing = true;
  /// Shared LRU block cache of the live database, in bytes.
  std::size_t block_cache_bytes = 64u << 20;
  /// Free bytes the data directory's file system must keep. A write that
  /// would leave less is refused with `no_space` before RocksDB sees it: the
  /// margin lets RocksDB's own flushes and compactions finish, and RocksDB
  /// 7.8 as Debian 12 builds it aborts the process on the first ENOSPC (an
  /// assertion in its file writer), so the node must never get there. 0
  /// turns the check off.
  std::uint64_t min_free_bytes = 256u << 20;
  /// A synced chunk whose pages hold at least this many bytes is applied by
  /// building an SST file and ingesting it (docs/storage.md, "Applying a
  /// chunk"); smaller ones go into the synced batch with their progress (an
  /// ingest costs a few fsyncs of its own: below 1 MiB chunks the batch is
  /// faster, bench/results/results.md). 0 ingests every chunk; UINT64_MAX none.
  std::uint64_t ingest_min_bytes = 512u << 10;
};

/// record count + SHA-256 over the canonical record encodings (docs/protocol.md
/// 3.1) in key order: equal exactly for identical states.
struct state_digest {
  std::uint64_t record_count = 0;
  hash256 sha256{};
  friend bool operator==(const state_digest&, const state_digest&) = default;
};

/// The owner marker of the local state: whose records it holds.
inline constexpr std::string_view local_owner = "local";

class db {
public:
  /// Opens (or creates) `<data_dir>/db` with every column family, and removes
  /// snapshot checkpoint directories that no complete stored snapshot refers
  /// to (left by a build or a finalize that crashed). Fails with the mapped RocksDB error
  /// (`corruption`, `io_error`, `busy` when another process holds the lock...).
  [[nodiscard]] static result<std::unique_ptr<db>> open(const std::filesystem::path& data_dir,
                                                        const db_options& options = {});
  ~db();
  db(const db&) = delete;
  db& operator=(const db&) = delete;

  [[nodiscard]] const std::filesystem::path& data_dir() const noexcept;

  /// Writes one record of the local state (synced). Fails with
  /// `invalid_argument` for a record outside the limits of docs/protocol.md
  /// 3.1 and `owner_mismatch` when the state holds a synced plan's records;
  /// marks the state as `local`.
  [[nodiscard]] result<void> put_state(bytes_view key, bytes_view value);
  /// The value of `key`, or nullopt.
  [[nodiscard]] result<std::optional<byte_buffer>> get_state(bytes_view key) const;
  /// Calls `visit` for each record with key >= `from`, in key order, until it
  /// returns false. The views are valid only during the call. Reads one
  /// consistent view of the state. Returns the number of records visited.
  [[nodiscard]] result<std::uint64_t> for_each_state(
    const std::function<bool(const snapshot::record_view&)>& visit, bytes_view from = {}) const;
  /// True when the state holds no record.
  [[nodiscard]] result<bool> state_empty() const;
  /// See `state_digest`; reads one consistent view.
  [[nodiscard]] result<state_digest> digest_state() const;
  /// "local", a plan id (hex state root), or nullopt when no marker is set.
  [[nodiscard]] result<std::optional<std::string>> state_owner() const;
  /// Deletes every record of the state and its owner marker, and the page
  /// index of the owning plan's snapshot unless it is complete (one synced
  /// batch).
  [[nodiscard]] result<void> clear_state();

  /// For storage/ only: the RocksDB handles.
  [[nodiscard]] detail::db_impl& internals() const noexcept { return *impl_; }

private:
  explicit db(std::unique_ptr<detail::db_impl> impl) noexcept;
  std::unique_ptr<detail::db_impl> impl_;
};

} // namespace snapstream::storage
