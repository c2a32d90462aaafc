#pragma once
/// What a consumer trusts (docs/protocol.md section 4.2): an authority set
/// with a threshold, and the checkpoint its chain of updates starts from.

#include "protocol/snapshot/light_client_update.hpp"

#include <cstdint>
#include <vector>

namespace snapstream::snapshot {

struct trust_config {
  std::vector<ed25519_public_key> authorities; ///< distinct Ed25519 public keys
  std::uint32_t threshold = 1;                 ///< k: signatures an update needs, 1 <= k <= n
  hash256 checkpoint = genesis_commitment;     ///< commitment update 0 links to
  std::uint64_t checkpoint_height = 0;         ///< update 0's height must exceed it
};

/// Fails with `snapshot_errc::invalid_trust` when the set is empty, holds a
/// key twice, or the threshold is outside 1..n.
[[nodiscard]] result<void> check_trust(const trust_config& t);

} // namespace snapstream::snapshot
