#pragma once
/// Page hashes and the state root (docs/protocol.md section 3.3): the Merkle
/// Tree Hash of RFC 6962 section 2.1 over the page hashes, in page order.
///
///   page_hash(p) = SHA256(0x00 || p)          node(l, r) = SHA256(0x01 || l || r)
///   root([]) = SHA256("")   root([h]) = h   root(h[0..n]) = node(root(h[0..k]), root(h[k..n]))
///
/// where k is the largest power of two smaller than n.

#include "protocol/common/bytes.hpp"
#include "protocol/common/sha256.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace snapstream::snapshot {

/// The leaf hash of a page's bytes.
[[nodiscard]] hash256 page_hash(bytes_view page) noexcept;

/// The interior node hash of two subtree hashes.
[[nodiscard]] hash256 node_hash(const hash256& left, const hash256& right) noexcept;

/// The root of the empty tree, SHA256("").
[[nodiscard]] hash256 empty_root() noexcept;

/// The root over `leaves` (already leaf hashes), computed recursively.
[[nodiscard]] hash256 merkle_root(std::span<const hash256> leaves) noexcept;

/// Computes the same root incrementally, one leaf at a time, keeping only the
/// roots of the perfect subtrees along the right edge (at most 64 hashes, one
/// per set bit of the leaf count). Not thread-safe.
class merkle_builder {
public:
  merkle_builder() { stack_.reserve(64); }

  /// Appends the next leaf hash.
  void add(const hash256& leaf);
  /// The root of the leaves added so far (`empty_root()` when none).
  [[nodiscard]] hash256 root() const noexcept;
  /// Leaves added so far.
  [[nodiscard]] std::uint64_t size() const noexcept { return count_; }

private:
  std::vector<hash256> stack_;
  std::uint64_t count_ = 0;
};

} // namespace snapstream::snapshot
