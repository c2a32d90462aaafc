#pragma once
/// Key layout of the `snapshots` column family and the checkpoint folders
/// (storage/ only; docs/storage.md describes it).

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "storage/errors.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace rocksdb {
class WriteBatch;
}

namespace snapstream::storage::detail {

struct db_impl;

/// 'i' || root (32): the snapshot's info record.
[[nodiscard]] std::string info_key(const hash256& root);
/// 'p' || root: the plan bytes.
[[nodiscard]] std::string plan_key(const hash256& root);
/// 'x' || root || u64(page): the first key of page `page`.
[[nodiscard]] std::string page_index_key(const hash256& root, std::uint64_t page);
/// 'n' || root || u64(page): u32(record count of page `page`); synced snapshots only.
[[nodiscard]] std::string page_records_key(const hash256& root, std::uint64_t page);
/// 'c' || root || u64(index): update `index` of the chain a synced snapshot was verified with.
[[nodiscard]] std::string synced_update_key(const hash256& root, std::uint64_t index);
/// tag || root || u64(index): the layout of the 'x', 'n' and 'c' keys.
[[nodiscard]] std::string root_index_key(char tag, const hash256& root, std::uint64_t index);
/// 'u' || u64(index): update `index` of the provider's chain.
[[nodiscard]] std::string update_key(std::uint64_t index);
/// A key above every `tag || root || u64` key of this root and below the next
/// root's: the end of a DeleteRange over one snapshot's entries of `tag`.
[[nodiscard]] std::string per_root_end(char tag, const hash256& root);

/// `<data-dir>/snapshots`.
[[nodiscard]] std::filesystem::path checkpoints_dir(const std::filesystem::path& data_dir);

/// Removes checkpoint folders under `<data-dir>/snapshots/` that no complete
/// stored snapshot refers to (a build interrupted between its checkpoint and
/// its synced batch, a finalize interrupted before it marked the snapshot
/// complete). A folder whose info does not decode is kept. Called by `db::open`.
[[nodiscard]] result<void> remove_orphan_checkpoints(db_impl& impl);

/// Adds to `batch` the deletion of the page index entries ('x', 'n') of plan
/// `owner` unless it is a complete snapshot: they describe pages of the live
/// state, which `batch` clears. Nothing for `local` or a malformed plan id.
/// The caller holds `owner_mutex`.
[[nodiscard]] result<void> forget_live_pages(db_impl& impl, rocksdb::WriteBatch& batch, std::string_view owner);

} // namespace snapstream::storage::detail
