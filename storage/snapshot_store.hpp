#pragma once
/// The provider's snapshots: building them from the live state, and serving
/// their plan, light-client updates and chunks.
///
/// A snapshot is a RocksDB checkpoint of the database under
/// `<data-dir>/snapshots/<plan_id>/` (hard links: cheap, survives restarts,
/// unaffected by later writes to the live state), opened read-only for
/// serving, plus its records in the `snapshots` column family: the info, the
/// plan bytes, a page index (the first key of every page, so a chunk is read
/// with one Seek), and the provider's chain of light-client updates, one per
/// snapshot, each signed by the node's authority key and linked to the one
/// before.
///
/// Thread-safe: reads may run concurrently from any number of threads; builds
/// are serialised.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "storage/db.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::storage {

struct snapshot_info {
  std::string plan_id;              ///< hex(state_root)
  std::uint64_t height = 0;
  hash256 block_hash{};
  hash256 state_root{};
  std::uint32_t page_size = 0;
  std::uint64_t page_count = 0;
  std::uint64_t record_count = 0;
  std::uint64_t total_bytes = 0;    ///< sum of the page lengths
  std::uint32_t update_count = 0;   ///< chain length up to and including this snapshot's update
  std::uint64_t created_unix_ms = 0;
  friend bool operator==(const snapshot_info&, const snapshot_info&) = default;
};

struct build_options {
  /// Must exceed the height of the provider's last snapshot.
  std::uint64_t height = 0;
  /// The block hash the update commits to; when absent,
  /// SHA256("snapstream/block/v1" || u64(height) || state_root).
  std::optional<hash256> block_hash;
  std::uint32_t page_size = snapshot::default_page_size;
};

/// The block hash `build` derives when none is given.
[[nodiscard]] hash256 derived_block_hash(std::uint64_t height, const hash256& state_root);

class snapshot_store {
public:
  /// A view over `d`, which must outlive it. Any number of stores may share a db.
  explicit snapshot_store(db& d) noexcept : db_(&d) {}

  /// Builds a snapshot of the state as it is now: checkpoint, cut pages, root,
  /// plan, the next update of the chain signed by `key`; all its records in
  /// one synced batch. Memory: one page plus the page index. Errors:
  /// `invalid_argument` (page size), `height_not_increasing`,
  /// `snapshot_exists` (the state root of a stored snapshot), and mapped
  /// RocksDB or file-system errors; a failed build leaves nothing behind.
  [[nodiscard]] result<snapshot_info> build(const build_options& options, const snapshot::authority_key& key);

  /// Every stored snapshot, by increasing height.
  [[nodiscard]] result<std::vector<snapshot_info>> list() const;
  /// The snapshot with the greatest height, or nullopt when none.
  [[nodiscard]] result<std::optional<snapshot_info>> latest() const;
  /// `not_found` for an unknown plan id, `invalid_argument` for a malformed one.
  [[nodiscard]] result<snapshot_info> info(std::string_view plan_id) const;

  /// The plan bytes (docs/protocol.md 3.4).
  [[nodiscard]] result<byte_buffer> read_plan(std::string_view plan_id) const;
  /// Update `update_index` (< the snapshot's update_count) of the chain.
  [[nodiscard]] result<byte_buffer> read_update(std::string_view plan_id, std::uint64_t update_index) const;
  /// Chunk `chunk_index` of the snapshot cut at `pages_per_chunk` pages
  /// (docs/protocol.md 3.5), read on demand from the checkpoint with one
  /// Seek; memory: the chunk. `invalid_argument` for pages_per_chunk = 0 or an
  /// index beyond the last chunk; `corruption` if the checkpoint no longer
  /// yields the planned pages.
  [[nodiscard]] result<byte_buffer> read_chunk(std::string_view plan_id, std::uint64_t chunk_index,
                                               std::uint64_t pages_per_chunk) const;

  /// Number of updates in the provider's chain (the next build's index).
  [[nodiscard]] result<std::uint64_t> chain_length() const;

  /// Deletes a snapshot (its records and checkpoint; the chain keeps its
  /// update). Reads of it that are in flight may fail.
  [[nodiscard]] result<void> remove(std::string_view plan_id);

private:
  db* db_;
};

} // namespace snapstream::storage
