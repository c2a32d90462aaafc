#pragma once
/// The offer list (docs/protocol.md section 3.6): which snapshots a provider
/// serves, carried by the `offers` response of `/rpp/snapshots/1.2.0`.
///
///   offers = "SSOF" || u8(1) || u8(n)                       n <= 16
///         || offer_0 || ... || offer_{n-1}
///   offer  = state_root (32) || u64(height) || u32(page_size) || u64(page_count)
///         || u64(total_bytes) || u32(update_count)
///         || u8(signer_count) || public_key (32) * signer_count
///         || u8(flags)                                       bit 0: complete; other bits 0
///         || (flags bit 0 clear) pages bitmap, ceil(page_count / 8) bytes
///
/// An offer describes a snapshot; nothing in it is trusted: a consumer still
/// fetches and verifies the plan and the light-client chain (sections 3.4, 4).

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/snapshot/errors.hpp"
#include "protocol/snapshot/plan.hpp"
#include "protocol/snapshot/light_client_update.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace snapstream::snapshot {

/// The most offers one list holds.
inline constexpr std::size_t max_offers = 16;
/// The most signers one offer names (u8).
inline constexpr std::size_t max_offer_signers = 255;
/// Bytes of the list before its first offer: magic, version, count.
inline constexpr std::size_t offers_header_size = 4 + 1 + 1;
/// Bytes of an offer before its signers: root, height, page_size,
/// page_count, total_bytes, update_count, signer_count.
inline constexpr std::size_t offer_header_size = 32 + 8 + 4 + 8 + 8 + 4 + 1;
/// Flag bit 0 of an offer: every page is held (no bitmap follows).
inline constexpr std::uint8_t offer_complete_flag = 0x01;

/// Bytes of the pages bitmap of a snapshot of `page_count` pages: ceil(page_count / 8).
[[nodiscard]] constexpr std::uint64_t offer_bitmap_size(std::uint64_t page_count) noexcept {
  return page_count / 8 + (page_count % 8 != 0 ? 1 : 0);
}

/// One snapshot a provider serves, whole or in part.
struct offer {
  hash256 state_root{};               ///< plan_id = hex(state_root)
  std::uint64_t height = 0;
  std::uint32_t page_size = 0;
  std::uint64_t page_count = 0;
  std::uint64_t total_bytes = 0;
  std::uint32_t update_count = 0;
  std::vector<ed25519_public_key> signers; ///< who signed the snapshot's last update (at most 255)
  bool complete = true;               ///< every page is held
  /// When !complete: which pages are held, ceil(page_count / 8) bytes; page p
  /// is bit (p % 8) (least significant first) of byte p / 8; bits past
  /// page_count are zero. Empty when complete.
  byte_buffer pages;

  /// True when every page of [first, end) is held: always for an empty range
  /// (first >= end), never when end > page_count. A bitmap shorter than its
  /// size counts its missing bytes as zero.
  [[nodiscard]] bool has_pages(std::uint64_t first, std::uint64_t end) const noexcept;
  /// Pages held: page_count when complete, else the bits set below page_count.
  [[nodiscard]] std::uint64_t pages_held() const noexcept;

  friend bool operator==(const offer&, const offer&) = default;
};

/// The canonical encoding. Preconditions (not checked in release builds):
/// at most `max_offers` offers, each with at most `max_offer_signers`
/// signers and, when not complete, a bitmap of exactly
/// `offer_bitmap_size(page_count)` bytes (the bitmap of a complete offer is
/// not written). Does not validate the other fields (see `decode_offers`).
[[nodiscard]] byte_buffer encode_offers(std::span<const offer> offers);

/// Parses exactly and strictly. Fails with a `snapshot_errc` whose message
/// starts `offers: ` and names the offer index and the field:
/// `truncated` (the input ends inside the header, an offer's fields, its
/// signers, its flags or its bitmap), `trailing_bytes`, `bad_magic`,
/// `unsupported_version` (format version other than 1), `invalid_offer`
/// (more than `max_offers` offers, flag bits other than bit 0, a bitmap bit
/// set at or past page_count) and `invalid_page_size` (the plan's rule,
/// section 3.2). A complete offer may have page_count 0, and so may a partial
/// one (with an empty bitmap). Allocates no more than the input justifies:
/// every declared size is checked against the remaining input first.
[[nodiscard]] result<std::vector<offer>> decode_offers(bytes_view bytes);

/// The offer a plan stands for when its provider has no offer list (a
/// 1.0.0/1.1.0 provider's plan answer): complete, signers unknown.
[[nodiscard]] offer offer_of(const plan& p);

} // namespace snapstream::snapshot
