#pragma once
/// The eth Status (devp2p caps/eth.md, "Status (0x00)"), eth/69's
/// BlockRangeUpdate (EIP-7642) and the eth message codes. Only these are
/// decoded: snapstream uses eth to join the network, not to sync blocks.
/// Pure, thread-safe.
///
///   eth/66-68: [version: P, networkid: P, td: P, blockhash: B_32, genesis: B_32, forkid]
///   eth/69:    [version: P, networkid: P, genesis: B_32, forkid, earliestBlock: P, latestBlock: P,
///               latestBlockHash: B_32]
///   forkid = [fork-hash: B_4, fork-next: P]   (EIP-2124, protocol/rlpx/fork_id.hpp)
///   BlockRangeUpdate (eth/69, 0x11): [earliestBlock: P, latestBlock: P, latestBlockHash: B_32]

#include "protocol/common/sha256.hpp"
#include "protocol/rlpx/fork_id.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <array>
#include <span>

namespace snapstream::rlpx::eth {

inline constexpr std::uint64_t status_code = 0x00;
inline constexpr std::uint64_t new_block_hashes_code = 0x01; ///< eth/66-68 only
inline constexpr std::uint64_t transactions_code = 0x02;
inline constexpr std::uint64_t get_block_headers_code = 0x03;
inline constexpr std::uint64_t block_headers_code = 0x04;
inline constexpr std::uint64_t get_block_bodies_code = 0x05;
inline constexpr std::uint64_t block_bodies_code = 0x06;
inline constexpr std::uint64_t new_block_code = 0x07; ///< eth/66-68 only
inline constexpr std::uint64_t new_pooled_transaction_hashes_code = 0x08;
inline constexpr std::uint64_t get_pooled_transactions_code = 0x09;
inline constexpr std::uint64_t pooled_transactions_code = 0x0a;
inline constexpr std::uint64_t get_receipts_code = 0x0f;
inline constexpr std::uint64_t receipts_code = 0x10;
inline constexpr std::uint64_t block_range_update_code = 0x11; ///< eth/69

/// The eth versions whose Status this codec reads and writes.
inline constexpr std::uint64_t min_version = 66;
inline constexpr std::uint64_t max_version = 69;

/// eth/69: the blocks a node serves, `earliest` to `latest` inclusive.
struct block_range {
  std::uint64_t earliest = 0;
  std::uint64_t latest = 0;
  hash256 latest_hash{};
  friend bool operator==(const block_range&, const block_range&) = default;
};

/// The Status message, in the layout of its `version`.
struct status {
  std::uint64_t version = 68;
  std::uint64_t network_id = 1;
  hash256 total_difficulty{}; ///< eth/66-68: big-endian 256-bit integer
  hash256 best_hash{};        ///< eth/66-68
  hash256 genesis_hash{};
  fork_id fork{};
  block_range range{}; ///< eth/69
  friend bool operator==(const status&, const status&) = default;
};

/// Encodes in the layout of `m.version` (69: eth/69's, otherwise eth/66-68's).
[[nodiscard]] byte_buffer encode(const status& m);
/// Decodes in the layout of the `negotiated` eth version; every field is
/// checked and named when malformed.
[[nodiscard]] result<status> decode_status(bytes_view payload, std::uint64_t negotiated);

[[nodiscard]] byte_buffer encode(const block_range& m);
[[nodiscard]] result<block_range> decode_block_range_update(bytes_view payload);
/// `earliest <= latest` and a non-zero `latest_hash` (EIP-7642); fails with
/// `invalid_message` naming `what`.
[[nodiscard]] result<void> validate_block_range(const block_range& r, std::string_view what);

/// Checks a remote Status against ours: same eth version, network id and
/// genesis hash (`status_mismatch` naming the field), a fork id that `forks`
/// accepts at our `head` (`fork_incompatible` / `fork_remote_stale` naming
/// the EIP-2124 rule), and on eth/69 a well-formed block range.
[[nodiscard]] result<void> validate_status(const status& ours, const status& theirs, const fork_filter& forks,
                                           chain_head head);

} // namespace snapstream::rlpx::eth
