#pragma once
/// EIP-2124 fork identifiers: what an eth Status says about the fork rules a
/// node follows, computed from a chain's fork schedule, and the four rules by
/// which a remote's identifier is accepted or rejected. Pure, thread-safe.
///
///   FORK_HASH = CRC32(genesis hash || fork_1 || ... || fork_k)  (each fork a
///               big-endian uint64: a block number, or from Shanghai on a
///               timestamp), over the forks the head has passed;
///   FORK_NEXT = the first fork not yet passed, 0 when none is known.
///
/// Forks at block 0, or at a timestamp no later than the genesis, are part of
/// the genesis rules and do not count; two forks at the same activation count
/// once; block forks come before timestamp forks.

#include "protocol/common/sha256.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace snapstream::rlpx::eth {

using fork_hash = std::array<std::uint8_t, 4>;

/// EIP-2124 fork identifier, `[fork-hash: B_4, fork-next: P]` in a Status.
struct fork_id {
  fork_hash hash{};      ///< CRC32 of the genesis hash and passed fork blocks/times
  std::uint64_t next = 0; ///< next fork block or timestamp, 0 if none known
  friend bool operator==(const fork_id&, const fork_id&) = default;
};

/// How a fork activates: at a block number, or (Shanghai and later) at the
/// first block whose timestamp reaches a value.
enum class activation { block, time };

/// One entry of a chain's fork schedule.
struct fork {
  std::string name;
  activation by = activation::block;
  std::uint64_t at = 0;
  friend bool operator==(const fork&, const fork&) = default;
};

/// What identifies a chain on devp2p: the network id and genesis a Status
/// carries, and the fork schedule the fork id is computed from.
struct chain_config {
  std::string name;
  std::uint64_t network_id = 0;
  hash256 genesis_hash{};
  /// The genesis block's timestamp (timestamp forks at or before it do not count).
  std::uint64_t genesis_time = 0;
  std::vector<fork> forks;
  friend bool operator==(const chain_config&, const chain_config&) = default;
};

/// Where the local node stands: its head block number and timestamp.
struct chain_head {
  std::uint64_t block = 0;
  std::uint64_t time = 0;
};

/// Below this, a FORK_NEXT is taken as a block number (go-ethereum's
/// `timestampThreshold`, the timestamp of mainnet block 1).
inline constexpr std::uint64_t timestamp_threshold = 1438269973;

/// A chain's fork schedule made ready for computing and checking fork ids.
class fork_filter {
public:
  /// Fails with `invalid_chain_config` when a fork has no name or the
  /// schedule is out of order: block forks in non-decreasing order first,
  /// then timestamp forks in non-decreasing order.
  [[nodiscard]] static result<fork_filter> create(const chain_config& chain);

  /// Our fork id at `head`.
  [[nodiscard]] fork_id id(chain_head head) const;

  /// Checks a remote's fork id against ours at `head` by EIP-2124's rules:
  ///   1. same FORK_HASH as our current fork: accept, unless (1a) the remote
  ///      announces a FORK_NEXT we have already passed;
  ///   2. FORK_HASH of one of our past forks: accept only if its FORK_NEXT is
  ///      the fork that followed it for us (the remote is syncing);
  ///   3. FORK_HASH of one of our future forks: accept (we are syncing);
  ///   4. anything else: reject.
  /// Fails with `fork_incompatible` (rules 1a, 4) or `fork_remote_stale`
  /// (rule 2), the message naming the rule and the forks involved.
  [[nodiscard]] result<void> check(const fork_id& remote, chain_head head) const;

  /// The counted forks (after dropping genesis forks and duplicates), in
  /// order, and the checksum after each prefix: `sums()[0]` is the genesis's,
  /// `sums()[i]` the one once `forks()[i - 1]` has passed.
  [[nodiscard]] const std::vector<fork>& forks() const noexcept { return forks_; }
  [[nodiscard]] const std::vector<fork_hash>& sums() const noexcept { return sums_; }

  /// The head just past every block fork (block of the last one, or 0).
  [[nodiscard]] std::uint64_t last_block_fork() const noexcept;

private:
  [[nodiscard]] std::size_t passed(chain_head head) const noexcept;
  [[nodiscard]] bool has_passed(const fork& f, chain_head head) const noexcept;

  std::vector<fork> forks_;
  std::vector<fork_hash> sums_;
};

/// Ethereum mainnet, Sepolia, Ethereum Classic and Mordor, by name
/// ("mainnet", "sepolia", "classic", "mordor").
[[nodiscard]] std::span<const chain_config> builtin_chains();
[[nodiscard]] const chain_config* find_builtin_chain(std::string_view name);

/// Reads a chain config file (JSON; see docs/rlpx.md "Chain configs"):
///   {"name": "...", "network_id": N, "genesis_hash": "0x<64 hex>",
///    "genesis_time": T, "forks": [{"name": "...", "block": N} | {"name": "...", "time": T}, ...]}
/// Every bad value fails with `invalid_chain_config`, naming the key.
[[nodiscard]] result<chain_config> parse_chain_config(std::string_view json_text);

} // namespace snapstream::rlpx::eth
