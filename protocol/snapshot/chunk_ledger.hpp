#pragma once
/// Which chunks of a plan a consumer has applied, when they may arrive in any
/// order from several providers, and the totals they add up to.
///
/// The light-client verifier authenticates the plan's page hashes; after that
/// each chunk is checked on its own (`verify_chunk`), so chunks can be fetched
/// and applied in any order. The ledger is the consumer's record of that: a
/// set of applied chunk indices plus the page bytes and records they hold, so
/// that after the last one it can check the plan's `total_bytes` and
/// `record_count` (docs/protocol.md 4.3), whatever the order was. Pure; not
/// thread-safe (one per sync job).

#include "protocol/common/error.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/plan.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace snapstream::snapshot {

class chunk_ledger {
public:
  /// An empty ledger for `p` cut at `pages_per_chunk` pages per chunk.
  /// Precondition: pages_per_chunk >= 1.
  chunk_ledger(std::shared_ptr<const plan> p, std::uint64_t pages_per_chunk);

  /// Rebuilds a ledger from durable progress: the applied chunk indices (any
  /// order) and the page bytes and records they hold. Fails with
  /// `verify_errc::unexpected_artefact` for an index beyond the last chunk
  /// or repeated, and with `totals_mismatch` when every chunk is applied but
  /// the totals differ from the plan.
  [[nodiscard]] static result<chunk_ledger> restore(std::shared_ptr<const plan> p, std::uint64_t pages_per_chunk,
                                                    std::span<const std::uint64_t> applied, std::uint64_t page_bytes,
                                                    std::uint64_t records);

  [[nodiscard]] const plan& current_plan() const noexcept { return *plan_; }
  [[nodiscard]] const std::shared_ptr<const plan>& shared_plan() const noexcept { return plan_; }
  [[nodiscard]] std::uint64_t pages_per_chunk() const noexcept { return pages_per_chunk_; }
  [[nodiscard]] std::uint64_t chunk_count() const noexcept { return applied_.size(); }
  [[nodiscard]] page_range pages_of(std::uint64_t chunk_index) const noexcept;

  [[nodiscard]] bool applied(std::uint64_t chunk_index) const noexcept {
    return chunk_index < applied_.size() && applied_[chunk_index];
  }
  [[nodiscard]] std::uint64_t applied_count() const noexcept { return applied_count_; }
  /// The first chunk index not applied: chunks [0, contiguous()) are all applied.
  [[nodiscard]] std::uint64_t contiguous() const noexcept { return contiguous_; }
  [[nodiscard]] bool complete() const noexcept { return applied_count_ == applied_.size(); }
  [[nodiscard]] std::uint64_t page_bytes() const noexcept { return page_bytes_; }
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }

  /// Records chunk `c` (verified) as applied. Fails with
  /// `unexpected_artefact` when it is out of range or already applied, and
  /// with `totals_mismatch` when it is the last chunk and the totals differ
  /// from the plan (the ledger then keeps it applied: the caller has written it).
  [[nodiscard]] result<void> mark(const verified_chunk& c);

  /// After the last chunk: the pages' bytes and records equal the plan's totals.
  [[nodiscard]] result<void> check_totals() const;

private:
  std::shared_ptr<const plan> plan_;
  std::uint64_t pages_per_chunk_ = 1;
  std::vector<bool> applied_;
  std::uint64_t applied_count_ = 0;
  std::uint64_t contiguous_ = 0;
  std::uint64_t page_bytes_ = 0;
  std::uint64_t records_ = 0;
};

} // namespace snapstream::snapshot
