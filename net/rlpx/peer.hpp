#pragma once
/// What the RLPx host exposes about its peers, and the interface capability
/// handlers implement.

#include "protocol/rlpx/capabilities.hpp"
#include "protocol/rlpx/eth_messages.hpp"
#include "protocol/rlpx/keys.hpp"
#include "protocol/rlpx/p2p_messages.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::net::rlpx {

namespace wire = ::snapstream::rlpx;

/// A connected peer as the host sees it (a value: a snapshot, safe to copy
/// across threads). This is what `GET /p2p/peers` reports.
struct peer_info {
  wire::public_key id{};
  std::string client_id;
  std::string remote_address; ///< IP address of the other end
  std::uint16_t remote_port = 0;
  bool inbound = false;              ///< true when the remote dialled us
  std::uint64_t p2p_version = 0;     ///< the remote's Hello version (>= 5: Snappy)
  std::uint64_t listen_port = 0;     ///< the remote's advertised port (legacy)
  std::vector<wire::capability> remote_capabilities;
  /// Negotiated capabilities with their message-code ranges, in code order.
  std::vector<wire::shared_capability> capabilities;
  /// The remote's eth Status once it was received and validated (on eth/69,
  /// `range` follows its BlockRangeUpdates).
  std::optional<wire::eth::status> eth_status;
  std::chrono::system_clock::time_point connected_at{};
};

enum class peer_event_kind {
  connected,    ///< Hello exchanged and capabilities negotiated
  eth_status,   ///< the remote's eth Status was received and accepted
  disconnected, ///< the peer is gone (after `connected`)
};

/// Delivered to `host_config::on_event` on the host's executor.
struct peer_event {
  peer_event_kind kind = peer_event_kind::connected;
  peer_info peer;
  /// For `disconnected`: the reason sent or received.
  std::optional<wire::p2p::disconnect_reason> reason;
  /// For `disconnected`: true when this node decided (it sent the Disconnect
  /// or closed), false when the remote did or the connection failed.
  bool by_us = false;
  std::string detail;
};

/// A connected peer as its capability handlers see it. Every call must be made
/// on the host's executor (handlers are only ever called there).
class peer_session {
public:
  virtual ~peer_session() = default;
  [[nodiscard]] virtual const peer_info& info() const noexcept = 0;
  /// Encrypts and queues a message of `capability` with relative `code` and
  /// RLP `payload` (compressed here when the peer speaks p2p >= 5). Fails with
  /// `code_out_of_range` when `code` >= the capability's message count,
  /// `capability_not_shared`, or `host_errc::closed`.
  [[nodiscard]] virtual result<void> send(std::string_view capability, std::uint64_t code, bytes_view payload) = 0;
  /// Drops the peer: sends Disconnect with `reason`, logs `detail`, closes.
  virtual void disconnect(wire::p2p::disconnect_reason reason, std::string detail) = 0;
  /// Asks the host to re-read the handlers' deadlines (after one changed).
  virtual void wake() noexcept = 0;
  /// Records the remote's validated eth Status (peer list, `eth_status` event).
  virtual void set_eth_status(const wire::eth::status& status) = 0;
  /// Records an eth/69 BlockRangeUpdate in the peer's Status (peer list only).
  virtual void set_block_range(const wire::eth::block_range& range) = 0;
};

/// One capability's behaviour towards one peer. An instance is created per
/// peer when the capability is shared; all calls happen on the host's
/// executor. An error returned from a callback drops the peer with the
/// Disconnect reason that fits it (see `disconnect_reason_for`).
class capability_handler {
public:
  virtual ~capability_handler() = default;
  /// The capability is now active with this peer (e.g. send Status).
  [[nodiscard]] virtual result<void> on_start(peer_session&) { return {}; }
  /// One message: `code` relative to the capability, `payload` the
  /// uncompressed RLP (borrowed for the duration of the call).
  [[nodiscard]] virtual result<void> on_message(peer_session& peer, std::uint64_t code, bytes_view payload) = 0;
  /// When this handler next needs `on_deadline`, if ever.
  [[nodiscard]] virtual std::optional<std::chrono::steady_clock::time_point> deadline() const { return std::nullopt; }
  /// Called once `deadline()` has passed.
  [[nodiscard]] virtual result<void> on_deadline(peer_session&) { return {}; }
  /// The peer is gone; release what it holds (pending requests...).
  virtual void on_stop(peer_session&) noexcept {}
};

/// A capability the host offers: its spec (name, version, message count) and
/// how to make a handler for each peer that shares it.
struct capability_registration {
  wire::capability_spec spec;
  std::function<std::unique_ptr<capability_handler>()> make_handler;
};

/// The Disconnect reason for a failure: malformed input of any kind (RLP,
/// Snappy, MAC, frame size, unknown code) is a breach of protocol; an eth
/// Status for another network is a subprotocol error; timeouts are
/// `ping_timeout`; a lost connection is `tcp_error`.
[[nodiscard]] wire::p2p::disconnect_reason disconnect_reason_for(const error& e) noexcept;

} // namespace snapstream::net::rlpx
