#pragma once
/// Capability negotiation and message-code routing (devp2p rlpx.md,
/// "Message ID-based Multiplexing").
///
/// Codes 0x00-0x0f belong to the base "p2p" protocol. Every capability both
/// Hellos list with the same name and version is shared; when several versions
/// of one name are shared the highest wins. The shared capabilities, sorted by
/// name (byte-wise, case-sensitive), get consecutive ranges from 0x10, each as
/// long as the capability's message count. So eth/68 (17) + snap/1 (8) puts
/// snap at 0x21, eth/69 (18) + snap/1 puts it at 0x22, and snap/1 alone at 0x10:
/// no offset is ever a constant.
///
/// Routing is a range lookup on the negotiated table, never a chain of
/// decoders tried in registration order. Everything here is pure; a
/// `capability_table` is immutable after negotiation and safe to share.

#include "protocol/rlpx/rlpx_errc.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace snapstream::rlpx {

/// Message codes reserved for the base protocol (Hello, Disconnect, Ping, Pong, reserved).
inline constexpr std::uint64_t base_protocol_length = 0x10;
/// Longest capability name (rlpx.md: "max eight characters").
inline constexpr std::size_t max_capability_name = 8;

/// A capability as a Hello advertises it.
struct capability {
  std::string name;
  std::uint64_t version = 0;
  friend bool operator==(const capability&, const capability&) = default;
};

/// A capability this node implements, with the number of message codes its
/// version uses.
struct capability_spec {
  std::string name;
  std::uint64_t version = 0;
  std::uint64_t length = 0;
  friend bool operator==(const capability_spec&, const capability_spec&) = default;
};

/// eth/66, eth/67, eth/68: 17 codes; eth/69: 18 (BlockRangeUpdate, 0x11).
/// Source: go-ethereum eth/protocols/eth/protocol.go `protocolLengths`.
/// Fails with `invalid_capability` for other versions.
[[nodiscard]] result<capability_spec> eth_capability(std::uint64_t version);
/// snap/1: 8 codes (GetAccountRange .. TrieNodes); snap/2: 10.
/// Source: go-ethereum eth/protocols/snap/protocol.go `protocolLengths`.
[[nodiscard]] result<capability_spec> snap_capability(std::uint64_t version);

/// A negotiated capability and its range [offset, offset + length).
struct shared_capability {
  std::string name;
  std::uint64_t version = 0;
  std::uint64_t length = 0;
  std::uint64_t offset = 0;
  [[nodiscard]] bool contains(std::uint64_t wire_code) const noexcept {
    return wire_code >= offset && wire_code - offset < length;
  }
  friend bool operator==(const shared_capability&, const shared_capability&) = default;
};

/// Where a wire code goes: the shared capability (index into `shared()`) and
/// the code relative to its offset.
struct routed_code {
  std::size_t index = 0;
  std::uint64_t code = 0;
};

/// The message-code layout both peers compute from their Hellos.
class capability_table {
public:
  /// An empty table: nothing shared, every code >= 0x10 is unknown.
  capability_table() = default;

  /// Computes the shared set and its ranges. Fails with `invalid_capability`
  /// when `local` is malformed (name empty, longer than 8 characters or not
  /// printable ASCII; length 0 or above 0xffff; the same name and version
  /// twice). Remote entries that match nothing are ignored.
  [[nodiscard]] static result<capability_table> negotiate(std::span<const capability_spec> local,
                                                          std::span<const capability> remote);

  /// Shared capabilities in code order (sorted by name).
  [[nodiscard]] const std::vector<shared_capability>& shared() const noexcept { return shared_; }
  [[nodiscard]] bool empty() const noexcept { return shared_.empty(); }
  /// The first code after the last range.
  [[nodiscard]] std::uint64_t end() const noexcept {
    return shared_.empty() ? base_protocol_length : shared_.back().offset + shared_.back().length;
  }

  /// Routes a wire code at or above 0x10. Fails with `unknown_message_code`
  /// when no shared capability's range holds it (a breach of protocol).
  [[nodiscard]] result<routed_code> route(std::uint64_t wire_code) const;

  /// The index in `shared()` of capability `name`, if shared.
  [[nodiscard]] std::optional<std::size_t> index_of(std::string_view name) const noexcept;

  /// The wire code of relative `code` in shared capability `index`. Fails with
  /// `code_out_of_range` when `code` >= the capability's length (send refused).
  [[nodiscard]] result<std::uint64_t> wire_code(std::size_t index, std::uint64_t code) const;
  /// As above by name; fails with `capability_not_shared` when not negotiated.
  [[nodiscard]] result<std::uint64_t> wire_code(std::string_view name, std::uint64_t code) const;

private:
  std::vector<shared_capability> shared_;
};

/// Checks a local capability list (the rules `negotiate` applies).
[[nodiscard]] result<void> validate_capabilities(std::span<const capability_spec> local);

/// Binds handlers registered by capability name, in any order, to a
/// negotiated table, and routes wire codes to them. `Handler` is any copyable
/// type (a pointer, a function object). Not thread-safe.
template <class Handler>
class capability_router {
public:
  /// Registers (or replaces) the handler of capability `name`.
  void add(std::string name, Handler handler) { by_name_.insert_or_assign(std::move(name), std::move(handler)); }

  /// Aligns the registered handlers with `table.shared()`; a shared capability
  /// without a handler fails with `capability_not_shared`.
  [[nodiscard]] result<void> bind(const capability_table& table) {
    bound_.clear();
    bound_.reserve(table.shared().size());
    for (const auto& cap : table.shared()) {
      auto it = by_name_.find(cap.name);
      if (it == by_name_.end())
        return make_error(rlpx_errc::capability_not_shared, "no handler registered for " + cap.name + "/" +
                                                                std::to_string(cap.version));
      bound_.push_back(&it->second);
    }
    table_ = &table;
    return {};
  }

  /// The handler and relative code for a wire code >= 0x10 (after `bind`).
  [[nodiscard]] result<std::pair<Handler*, routed_code>> route(std::uint64_t wire_code) const {
    if (table_ == nullptr) return make_error(rlpx_errc::capability_not_shared, "router is not bound to a table");
    auto r = table_->route(wire_code);
    if (!r) return r.error();
    return std::pair<Handler*, routed_code>{bound_[r->index], *r};
  }

private:
  std::unordered_map<std::string, Handler> by_name_;
  std::vector<Handler*> bound_;
  const capability_table* table_ = nullptr;
};

} // namespace snapstream::rlpx
