#pragma once
/// eth/68 Status (devp2p caps/eth.md, "Status (0x00)") and the eth message
/// codes. Only Status is decoded: snapstream uses eth to join the network, not
/// to sync blocks. Pure, thread-safe.
///
///   [version: P, networkid: P, td: P, blockhash: B_32, genesis: B_32, forkid]
///   forkid = [fork-hash: B_4, fork-next: P]   (EIP-2124)

#include "protocol/common/sha256.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <array>
#include <span>

namespace snapstream::rlpx::eth {

inline constexpr std::uint64_t status_code = 0x00;
inline constexpr std::uint64_t new_block_hashes_code = 0x01;
inline constexpr std::uint64_t transactions_code = 0x02;
inline constexpr std::uint64_t get_block_headers_code = 0x03;
inline constexpr std::uint64_t block_headers_code = 0x04;
inline constexpr std::uint64_t get_block_bodies_code = 0x05;
inline constexpr std::uint64_t block_bodies_code = 0x06;
inline constexpr std::uint64_t new_block_code = 0x07;
inline constexpr std::uint64_t new_pooled_transaction_hashes_code = 0x08;
inline constexpr std::uint64_t get_pooled_transactions_code = 0x09;
inline constexpr std::uint64_t pooled_transactions_code = 0x0a;
inline constexpr std::uint64_t get_receipts_code = 0x0f;
inline constexpr std::uint64_t receipts_code = 0x10;

/// EIP-2124 fork identifier.
struct fork_id {
  std::array<std::uint8_t, 4> hash{}; ///< CRC32 of the genesis hash and passed fork blocks/times
  std::uint64_t next = 0;             ///< next fork block or timestamp, 0 if none known
  friend bool operator==(const fork_id&, const fork_id&) = default;
};

/// The eth/66-68 Status message.
struct status {
  std::uint64_t version = 68;
  std::uint64_t network_id = 1;
  hash256 total_difficulty{}; ///< big-endian 256-bit integer
  hash256 best_hash{};
  hash256 genesis_hash{};
  fork_id fork{};
  friend bool operator==(const status&, const status&) = default;
};

[[nodiscard]] byte_buffer encode(const status& m);
[[nodiscard]] result<status> decode_status(bytes_view payload);

/// Checks a remote Status against ours: same eth version, network id and
/// genesis hash, and a fork hash in `accepted_fork_hashes` (when empty: equal
/// to ours). Fails with `status_mismatch` naming the field. (Full EIP-2124
/// validation needs the fork schedule, which snapstream does not model.)
[[nodiscard]] result<void> validate_status(const status& ours, const status& theirs,
                                           std::span<const std::array<std::uint8_t, 4>> accepted_fork_hashes);

} // namespace snapstream::rlpx::eth
