#include "protocol/snapshot/merkle.hpp"

#include <bit>
#include <cstring>

namespace snapstream::snapshot {

hash256 page_hash(bytes_view page) noexcept {
  thread_local sha256_hasher hasher;
  static constexpr std::uint8_t leaf_prefix[1] = {0x00};
  hasher.update(leaf_prefix);
  hasher.update(page);
  return hasher.finish();
}

hash256 node_hash(const hash256& left, const hash256& right) noexcept {
  std::uint8_t buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return sha256(bytes_view(buf, sizeof buf));
}

hash256 empty_root() noexcept {
  return sha256(bytes_view{});
}

namespace {

hash256 subtree_root(std::span<const hash256> leaves) noexcept {
  if (leaves.size() == 1) return leaves[0];
  // k: the largest power of two strictly smaller than n (n > 1).
  const std::size_t k = std::bit_floor(leaves.size() - 1);
  return node_hash(subtree_root(leaves.first(k)), subtree_root(leaves.subspan(k)));
}

} // namespace

hash256 merkle_root(std::span<const hash256> leaves) noexcept {
  if (leaves.empty()) return empty_root();
  return subtree_root(leaves);
}

void merkle_builder::add(const hash256& leaf) {
  // Each set low bit of count_ is a perfect subtree of the same size as the
  // one being carried: merge them, like a binary increment.
  hash256 carry = leaf;
  for (std::uint64_t n = count_; (n & 1) != 0; n >>= 1) {
    carry = node_hash(stack_.back(), carry);
    stack_.pop_back();
  }
  stack_.push_back(carry);
  ++count_;
}

hash256 merkle_builder::root() const noexcept {
  if (stack_.empty()) return empty_root();
  hash256 acc = stack_.back();
  for (std::size_t i = stack_.size() - 1; i-- > 0;) acc = node_hash(stack_[i], acc);
  return acc;
}

} // namespace snapstream::snapshot
