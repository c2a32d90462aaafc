#pragma once
/// The plan (docs/protocol.md section 3.4): a snapshot's description and every
/// page hash.
///
///   plan = "SSPL" || u8(1) || u64(height) || u32(page_size) || u64(page_count)
///       || u64(record_count) || u64(total_bytes) || u32(update_count)
///       || state_root (32) || page_hash[0] || ... || page_hash[page_count-1]

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/errors.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace snapstream::snapshot {

/// Bytes of a plan before its page hashes.
inline constexpr std::size_t plan_header_size = 4 + 1 + 8 + 4 + 8 + 8 + 8 + 4 + 32;

struct plan {
  std::uint64_t height = 0;
  std::uint32_t page_size = 0;
  std::uint64_t record_count = 0;
  std::uint64_t total_bytes = 0;      ///< sum of the byte lengths of all pages
  std::uint32_t update_count = 0;     ///< light-client updates from the checkpoint up to this snapshot's
  hash256 state_root{};
  std::vector<hash256> page_hashes;   ///< in page order

  [[nodiscard]] std::uint64_t page_count() const noexcept { return page_hashes.size(); }
  friend bool operator==(const plan&, const plan&) = default;
};

/// Exact size of the encoding of a plan with `page_count` pages.
[[nodiscard]] constexpr std::size_t encoded_plan_size(std::uint64_t page_count) noexcept {
  return plan_header_size + 32 * page_count;
}

/// The canonical encoding. Does not validate (see `check_plan`).
[[nodiscard]] byte_buffer encode_plan(const plan& p);

/// Parses exactly and validates every field (`check_plan`). Fails with
/// `truncated`, `trailing_bytes`, `bad_magic`, `unsupported_version`,
/// `invalid_page_size` or `invalid_plan`; the message starts with `plan: ` and
/// names the field. Does not check the root (see `check_plan_root`).
[[nodiscard]] result<plan> decode_plan(bytes_view bytes);

/// Field rules: page_size allowed; update_count >= 1; page_count = 0 exactly
/// when total_bytes = 0 and exactly when record_count = 0; record_count >=
/// page_count; total_bytes >= 9 * record_count (the smallest record). Fails
/// with `invalid_page_size` or `invalid_plan`.
[[nodiscard]] result<void> check_plan(const plan& p);

/// True when the page hashes' Merkle root equals `state_root`.
[[nodiscard]] bool check_plan_root(const plan& p) noexcept;

/// hex(state_root): 64 lower-case hex characters.
[[nodiscard]] std::string plan_id(const hash256& state_root);
[[nodiscard]] inline std::string plan_id(const plan& p) { return plan_id(p.state_root); }

} // namespace snapstream::snapshot
