#include "protocol/snapshot/chunk_ledger.hpp"

#include <string>

namespace snapstream::snapshot {

namespace {
std::string num(std::uint64_t v) { return std::to_string(v); }
} // namespace

chunk_ledger::chunk_ledger(std::shared_ptr<const plan> p, std::uint64_t pages_per_chunk)
  : plan_(std::move(p)), pages_per_chunk_(pages_per_chunk == 0 ? 1 : pages_per_chunk),
    applied_(snapshot::chunk_count(plan_->page_count(), pages_per_chunk_), false) {}

result<chunk_ledger> chunk_ledger::restore(std::shared_ptr<const plan> p, std::uint64_t pages_per_chunk,
                                           std::span<const std::uint64_t> applied, std::uint64_t page_bytes,
                                           std::uint64_t records) {
  chunk_ledger out(std::move(p), pages_per_chunk);
  for (const auto c : applied) {
    if (c >= out.applied_.size())
      return error{verify_errc::unexpected_artefact, "chunk " + num(c) + ": applied, but the plan has only " +
                                                       num(out.applied_.size()) + " chunks"};
    if (out.applied_[c]) return error{verify_errc::unexpected_artefact, "chunk " + num(c) + ": applied twice"};
    out.applied_[c] = true;
    ++out.applied_count_;
  }
  while (out.contiguous_ < out.applied_.size() && out.applied_[out.contiguous_]) ++out.contiguous_;
  out.page_bytes_ = page_bytes;
  out.records_ = records;
  if (out.complete())
    if (auto ok = out.check_totals(); !ok) return ok.error();
  return out;
}

page_range chunk_ledger::pages_of(std::uint64_t chunk_index) const noexcept {
  return chunk_pages(chunk_index, pages_per_chunk_, plan_->page_count());
}

result<void> chunk_ledger::mark(const verified_chunk& c) {
  if (c.chunk_index >= applied_.size())
    return error{verify_errc::unexpected_artefact, "chunk " + num(c.chunk_index) + ": beyond the plan's " +
                                                     num(applied_.size()) + " chunks"};
  if (applied_[c.chunk_index])
    return error{verify_errc::unexpected_artefact, "chunk " + num(c.chunk_index) + ": already applied"};
  applied_[c.chunk_index] = true;
  ++applied_count_;
  page_bytes_ += c.page_bytes;
  records_ += c.records.size();
  while (contiguous_ < applied_.size() && applied_[contiguous_]) ++contiguous_;
  if (complete()) return check_totals();
  return {};
}

result<void> chunk_ledger::check_totals() const {
  const auto& p = *plan_;
  if (page_bytes_ != p.total_bytes)
    return error{verify_errc::totals_mismatch, "after the last chunk: pages hold " + num(page_bytes_) +
                                                 " bytes in total, the plan says " + num(p.total_bytes)};
  if (records_ != p.record_count)
    return error{verify_errc::totals_mismatch, "after the last chunk: pages hold " + num(records_) +
                                                 " records in total, the plan says " + num(p.record_count)};
  return {};
}

} // namespace snapstream::snapshot
