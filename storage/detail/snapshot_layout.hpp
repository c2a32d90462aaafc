#pragma once
/// Key layout of the `snapshots` column family and the checkpoint folders
/// (storage/ only; docs/storage.md describes it).

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "storage/errors.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace snapstream::storage::detail {

struct db_impl;

/// 'i' || root (32): the snapshot's info record.
[[nodiscard]] std::string info_key(const hash256& root);
/// 'p' || root: the plan bytes.
[[nodiscard]] std::string plan_key(const hash256& root);
/// 'x' || root || u64(page): the first key of page `page`.
[[nodiscard]] std::string page_index_key(const hash256& root, std::uint64_t page);
/// 'u' || u64(index): update `index` of the provider's chain.
[[nodiscard]] std::string update_key(std::uint64_t index);

/// `<data-dir>/snapshots`.
[[nodiscard]] std::filesystem::path checkpoints_dir(const std::filesystem::path& data_dir);

/// Removes checkpoint folders under `<data-dir>/snapshots/` that no stored
/// snapshot refers to (a build interrupted between its checkpoint and its
/// synced batch). Called by `db::open`.
[[nodiscard]] result<void> remove_orphan_checkpoints(db_impl& impl);

} // namespace snapstream::storage::detail
