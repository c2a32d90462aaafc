#pragma once
/// What a consumer trusts (docs/protocol.md section 4.2): an authority set
/// with a threshold, and the checkpoint its chain of updates starts from;
/// and how an operator writes it (docs/operations.md, "Trust"): authorities
/// as 64-hex Ed25519 keys or peer ids, trust documents as JSON objects.

#include "protocol/snapshot/light_client_update.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
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

/// Largest threshold a trust document may give.
inline constexpr std::uint32_t max_trust_threshold = 65535;

/// What one trust source contributes (one `--trust` value, or a trust
/// document): its authorities, and what a document sets besides them.
struct trust_source {
  std::vector<ed25519_public_key> authorities;
  std::optional<std::uint32_t> threshold;
  std::optional<hash256> checkpoint;
  std::optional<std::uint64_t> checkpoint_height;
};

/// Parses an authority: 64 hex characters (either case), or a libp2p peer id
/// whose identity multihash embeds an Ed25519 key. Fails with
/// `snapshot_errc::invalid_trust` and a message `<what>: <problem>`.
[[nodiscard]] result<ed25519_public_key> parse_authority(std::string_view text, std::string_view what);

/// Parses a trust document: `{"threshold": k, "authorities": [...],
/// "checkpoint": "<64 hex>", "checkpoint_height": n}`, every key optional but
/// `authorities`, no other key. Fails with `snapshot_errc::invalid_trust`;
/// messages start with `what` (`<what>: unknown key "x"`,
/// `<what>.threshold: expected an integer from 1 to 65535, got 0`,
/// `<what>.authorities[2]: ...`).
[[nodiscard]] result<trust_source> parse_trust_json(const boost::json::value& document, std::string_view what);

/// The trust several sources give together: their authorities in order; a
/// threshold, checkpoint or checkpoint height given by more than one source
/// must be the same in each (`snapshot_errc::invalid_trust`, message
/// `two trust files give different "threshold"`). Does not `check_trust`.
[[nodiscard]] result<trust_config> merge_trust_sources(std::span<const trust_source> sources);

/// `t` as a trust document (every key given); `parse_trust_json` reads it back.
[[nodiscard]] boost::json::value trust_json(const trust_config& t);

} // namespace snapstream::snapshot
