#pragma once
/// Streaming page cutter (docs/protocol.md section 3.2).
///
/// Records are pushed in strictly increasing key order; the builder cuts them
/// into pages by the canonical rule (close the current page when it is
/// non-empty and the next record would take it past `page_size`) and hands
/// each closed page to a sink. It holds at most one page in memory and reuses
/// that buffer, so a state of any size is cut in O(page_size) memory.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/errors.hpp"

#include <cstdint>
#include <functional>

namespace snapstream::snapshot {

inline constexpr std::uint32_t min_page_size = 4096;
inline constexpr std::uint32_t max_page_size = 4u << 20;
inline constexpr std::uint32_t default_page_size = 65536;

/// A power of two from 4 KiB to 4 MiB; otherwise `snapshot_errc::invalid_page_size`.
[[nodiscard]] result<void> check_page_size(std::uint64_t page_size);

/// One page as the builder closes it. The views are valid only during the
/// sink call (the builder reuses the buffer afterwards).
struct closed_page {
  std::uint64_t index = 0;        ///< 0-based position of the page in the snapshot
  bytes_view bytes;               ///< the page: its records' encodings, concatenated
  hash256 hash{};                 ///< page_hash(bytes)
  bytes_view first_key;           ///< key of the page's first record (a view into `bytes`)
  std::uint64_t record_count = 0; ///< records in the page (>= 1)
};

/// Receives each closed page in order; an error stops the build and is
/// returned by the `push` or `finish` call that closed the page.
using page_sink = std::function<result<void>(const closed_page&)>;

/// Not thread-safe; one builder per snapshot being cut.
class page_builder {
public:
  /// Fails with `invalid_page_size` when `page_size` is not allowed.
  [[nodiscard]] static result<page_builder> create(std::uint32_t page_size, page_sink sink);

  /// Appends a record. Fails with `invalid_record` (size limits),
  /// `keys_not_increasing` (key not above the previous one), `builder_finished`
  /// (after `finish`), or the sink's error when this record closed a page.
  /// A failed push leaves the builder unchanged, except for a sink error, after
  /// which the builder is unusable.
  [[nodiscard]] result<void> push(bytes_view key, bytes_view value);

  /// Closes the last page (if any). Further pushes fail.
  [[nodiscard]] result<void> finish();

  [[nodiscard]] std::uint32_t page_size() const noexcept { return page_size_; }
  /// Pages closed so far (all pages after `finish`).
  [[nodiscard]] std::uint64_t page_count() const noexcept { return pages_; }
  /// Records pushed so far.
  [[nodiscard]] std::uint64_t record_count() const noexcept { return records_; }
  /// Sum of the byte lengths of the pages closed so far.
  [[nodiscard]] std::uint64_t total_bytes() const noexcept { return total_bytes_; }

private:
  page_builder(std::uint32_t page_size, page_sink sink);
  result<void> close_page();

  std::uint32_t page_size_;
  page_sink sink_;
  byte_buffer page_;
  std::size_t last_key_offset_ = 0;
  std::size_t last_key_size_ = 0;
  std::uint64_t page_records_ = 0;
  std::uint64_t pages_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  sha256_hasher hasher_;
};

} // namespace snapstream::snapshot
