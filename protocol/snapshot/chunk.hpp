#pragma once
/// Chunks (docs/protocol.md section 3.5): runs of whole pages, each framed by
/// its length.
///
///   chunk = u32(len(page_a)) || page_a || u32(len(page_b)) || page_b || ...
///
/// Chunk i of a session holds pages [i * pages_per_chunk,
/// min((i + 1) * pages_per_chunk, page_count)).

#include "protocol/common/bytes.hpp"
#include "protocol/snapshot/errors.hpp"
#include "protocol/snapshot/plan.hpp"
#include "protocol/snapshot/record.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace snapstream::snapshot {

/// `chunk_size / page_size` when `chunk_size` is a whole, non-zero multiple of
/// the page size; otherwise `snapshot_errc::invalid_chunk_size`.
[[nodiscard]] result<std::uint64_t> pages_per_chunk(std::uint32_t page_size, std::uint64_t chunk_size);

/// ceil(page_count / pages_per_chunk). Precondition: pages_per_chunk >= 1.
[[nodiscard]] constexpr std::uint64_t chunk_count(std::uint64_t page_count, std::uint64_t pages_per_chunk) noexcept {
  return page_count / pages_per_chunk + (page_count % pages_per_chunk != 0 ? 1 : 0);
}

/// Pages [first, end) of one chunk.
struct page_range {
  std::uint64_t first = 0;
  std::uint64_t end = 0;
  [[nodiscard]] std::uint64_t size() const noexcept { return end - first; }
};

/// The pages of chunk `chunk_index`. Precondition: pages_per_chunk >= 1 and
/// chunk_index < chunk_count(page_count, pages_per_chunk).
[[nodiscard]] constexpr page_range chunk_pages(std::uint64_t chunk_index, std::uint64_t pages_per_chunk,
                                               std::uint64_t page_count) noexcept {
  const std::uint64_t first = chunk_index * pages_per_chunk;
  const std::uint64_t left = page_count - first;
  return {first, first + (left < pages_per_chunk ? left : pages_per_chunk)};
}

/// Appends one framed page to a chunk payload.
void append_chunk_page(byte_buffer& chunk, bytes_view page);

/// The chunk payload of these pages, in order.
[[nodiscard]] byte_buffer encode_chunk(std::span<const bytes_view> pages);

/// Builds a chunk payload straight from records, cutting pages by the
/// canonical rule of section 3.2, so a provider can serve a chunk from its
/// state without materialising pages first. Start it at the first record of
/// the chunk's first page; it reports `chunk_full` for the first record that
/// would open page `page_limit + 1` (that record is not appended). Records
/// must be valid (`check_record`) and in strictly increasing key order, as the
/// snapshot builder already checked them. Not thread-safe.
class chunk_encoder {
public:
  enum class push_result { appended, chunk_full };

  /// Appends to `out`, which must outlive the encoder.
  chunk_encoder(std::uint32_t page_size, std::uint64_t page_limit, byte_buffer& out) noexcept
    : out_(&out), page_size_(page_size), page_limit_(page_limit) {}

  [[nodiscard]] push_result push(bytes_view key, bytes_view value);
  /// Closes the last page. Call once, after the last push.
  void finish() noexcept;

  /// Pages started so far.
  [[nodiscard]] std::uint64_t pages() const noexcept { return pages_; }
  /// Records appended so far.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }

private:
  void close_page() noexcept;

  byte_buffer* out_;
  std::uint32_t page_size_;
  std::uint64_t page_limit_;
  std::size_t page_start_ = 0;
  bool open_ = false;
  std::uint64_t pages_ = 0;
  std::uint64_t records_ = 0;
};

/// A chunk that verified, as views into the chunk's buffer: the buffer must
/// outlive it (hold the chunk's `shared_bytes` while the records are used).
struct verified_chunk {
  std::uint64_t chunk_index = 0;
  std::uint64_t first_page = 0;       ///< global index of the chunk's first page
  std::uint64_t page_count = 0;
  std::uint64_t page_bytes = 0;       ///< sum of the pages' byte lengths (without frames)
  std::vector<record_view> records;   ///< every record of the chunk, in key order
  /// Records of each page, in page order (`page_count` entries summing to
  /// `records.size()`): page `first_page + k` holds the `page_records[k]`
  /// records that follow those of the pages before it in `records`.
  std::vector<std::uint32_t> page_records;
};

/// Verifies chunk `chunk_index` of a session with `pages_per_chunk` against
/// the plan (section 3.5): exactly the expected number of pages, each page's
/// hash equal to the plan's at its position, and each page's records parsing
/// exactly in strictly increasing key order. Fills `out` (its record and
/// page_records vectors are reused, so a caller can keep one `verified_chunk`
/// to avoid allocations).
/// Errors (`verify_errc`), each message starting `chunk <i>: `:
/// `chunk_out_of_order` (index beyond chunk_count), `chunk_malformed` (broken
/// framing), `page_count_mismatch`, `page_hash_mismatch` (naming the global
/// page index), `page_malformed`; on failure `out` holds nothing meaningful.
/// Precondition: pages_per_chunk >= 1.
[[nodiscard]] result<void> verify_chunk(const plan& p, std::uint64_t chunk_index, std::uint64_t pages_per_chunk,
                                        bytes_view chunk, verified_chunk& out);

/// As above, returning a fresh `verified_chunk`.
[[nodiscard]] result<verified_chunk> verify_chunk(const plan& p, std::uint64_t chunk_index,
                                                  std::uint64_t pages_per_chunk, bytes_view chunk);

} // namespace snapstream::snapshot
