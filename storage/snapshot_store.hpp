#pragma once
/// The snapshots this node serves: the ones it builds from its live state, and
/// the ones it syncs from providers and serves on, also while it syncs them.
///
/// A complete snapshot is a RocksDB checkpoint of the database under
/// `<data-dir>/snapshots/<plan_id>/` (hard links: cheap, survives restarts,
/// unaffected by later writes to the live state), opened read-only for
/// serving, plus its records in the `snapshots` column family: the info, the
/// plan bytes, a page index (the first key of every page, so a chunk is read
/// with one Seek) and its chain of light-client updates. A built snapshot's
/// update is the next link of the provider's own chain, signed by the node's
/// authority key; a synced snapshot keeps the chain it was verified with.
///
/// A synced snapshot is registered before its first chunk and is partial
/// until `finalize_synced`: its pages are then in the live state, indexed
/// (first key and record count) by `session_store::apply_chunk` as their
/// chunks are applied, and a chunk is servable once all its pages are.
///
/// Thread-safe: reads may run concurrently from any number of threads, also
/// with a `remove` or `prune` of the snapshot they read (they then fail with
/// `not_found` or return the right bytes); builds, registrations, finalizes
/// and removals are serialised.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/offer.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "storage/db.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::storage {

/// Where a snapshot comes from.
enum class snapshot_origin : std::uint8_t {
  built = 0,  ///< `build`: a checkpoint of this node's own state, on the provider's chain
  synced = 1, ///< `register_synced`: verified from a provider, kept with the chain it was verified with
};

/// "built", "synced".
[[nodiscard]] std::string_view to_string(snapshot_origin o) noexcept;

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
  snapshot_origin origin = snapshot_origin::built;
  /// Every page is held and the snapshot is served from its checkpoint;
  /// false for a synced snapshot until `finalize_synced`.
  bool complete = true;
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

  /// Registers a snapshot this node is syncing: its info (synced, not
  /// complete), the plan bytes and the update chain it was verified with
  /// (`updates` [0, update_count) of the plan, the last one naming the plan's
  /// state root and height). From then on the chunks whose pages are applied
  /// are servable (`read_chunk`) and `offers` lists it. Idempotent: for a
  /// synced snapshot registered already, returns its info and writes nothing.
  /// Errors: `invalid_argument` (a plan that does not decode or whose root
  /// does not match its page hashes, a chain of the wrong length or whose
  /// last update does not match the plan), `snapshot_exists` (a built
  /// snapshot of this state root), mapped RocksDB errors.
  [[nodiscard]] result<snapshot_info> register_synced(bytes_view plan_bytes, std::span<const byte_buffer> updates);

  /// Completes a synced snapshot whose every page is indexed: checkpoints the
  /// live state (which must be owned by `plan_id`, or be empty for a snapshot
  /// of no page) into `snapshots/<plan_id>/`, then marks the snapshot complete
  /// in one synced write; from then on it is served from the checkpoint, which
  /// later writes to the live state do not change. Idempotent for a complete
  /// synced snapshot. Crash-safe: `db::open` removes a checkpoint folder whose
  /// info is not complete. Errors: `not_found`, `invalid_argument` (a built
  /// snapshot, or a page not applied yet, named), `owner_mismatch` (the live
  /// state holds other records), mapped RocksDB and file-system errors.
  [[nodiscard]] result<snapshot_info> finalize_synced(std::string_view plan_id);

  /// Every complete snapshot (built and synced), by increasing height.
  [[nodiscard]] result<std::vector<snapshot_info>> list() const;
  /// The complete snapshot with the greatest height, or nullopt when none.
  [[nodiscard]] result<std::optional<snapshot_info>> latest() const;
  /// Any stored snapshot, complete or partial. `not_found` for an unknown
  /// plan id, `invalid_argument` for a malformed one.
  [[nodiscard]] result<snapshot_info> info(std::string_view plan_id) const;

  /// What this node serves, newest (greatest height) first: the complete
  /// snapshots, then the partial ones with the bitmap of their applied pages
  /// (no page while the live state is not owned by their plan); at most
  /// `snapshot::max_offers`. Each offer's signers are the public keys of the
  /// signatures of the snapshot's last update (the first
  /// `snapshot::max_offer_signers`).
  [[nodiscard]] result<std::vector<snapshot::offer>> offers() const;

  /// The plan bytes (docs/protocol.md 3.4).
  [[nodiscard]] result<byte_buffer> read_plan(std::string_view plan_id) const;
  /// Update `update_index` (< the snapshot's update_count) of its chain: the
  /// provider's chain for a built snapshot, the chain it was verified with
  /// for a synced one.
  [[nodiscard]] result<byte_buffer> read_update(std::string_view plan_id, std::uint64_t update_index) const;
  /// Chunk `chunk_index` of the snapshot cut at `pages_per_chunk` pages
  /// (docs/protocol.md 3.5); memory: the chunk. A complete snapshot's chunk is
  /// read from its checkpoint with one Seek; a partial one's from the live
  /// state by its page index (first key and record count of each page), all
  /// from one consistent view. Errors: `invalid_argument` for
  /// pages_per_chunk = 0 or an index beyond the last chunk; `not_available`
  /// when a page of the chunk is not applied yet (or the live state no longer
  /// holds the plan); `not_found` for an unknown snapshot, also one removed
  /// while the read ran; `corruption` if the stored state no longer yields
  /// the planned pages.
  [[nodiscard]] result<byte_buffer> read_chunk(std::string_view plan_id, std::uint64_t chunk_index,
                                               std::uint64_t pages_per_chunk) const;

  /// Number of updates in the provider's chain (the next build's index).
  [[nodiscard]] result<std::uint64_t> chain_length() const;

  /// Deletes a snapshot, complete or partial, built or synced: its records
  /// (info, plan, page index, a synced one's chain) and its checkpoint; the
  /// provider's chain keeps a built snapshot's update. Records a partial
  /// snapshot applied stay in the live state. Reads of it in flight return
  /// the right bytes or fail with `not_found`.
  [[nodiscard]] result<void> remove(std::string_view plan_id);

  /// Keeps the `keep` complete snapshots of greatest height and removes the
  /// older complete ones (as `remove`); partial snapshots are kept. Returns
  /// the removed plan ids, oldest first. `invalid_argument` for keep = 0.
  [[nodiscard]] result<std::vector<std::string>> prune(std::size_t keep);

private:
  db* db_;
};

} // namespace snapstream::storage
