#pragma once
/// The base "p2p" protocol messages (devp2p rlpx.md, '"p2p" Capability'):
/// Hello (0x00), Disconnect (0x01), Ping (0x02), Pong (0x03). Codes 0x04-0x0f
/// are reserved. Encoders return the RLP payload (without the message code).
///
/// Decoders follow EIP-8: extra list elements are ignored. Pure, thread-safe.

#include "protocol/rlpx/capabilities.hpp"
#include "protocol/rlpx/keys.hpp"

#include <string>
#include <vector>

namespace snapstream::rlpx::p2p {

inline constexpr std::uint64_t hello_code = 0x00;
inline constexpr std::uint64_t disconnect_code = 0x01;
inline constexpr std::uint64_t ping_code = 0x02;
inline constexpr std::uint64_t pong_code = 0x03;
/// The p2p version we speak (5: Snappy, EIP-706).
inline constexpr std::uint64_t protocol_version = 5;
/// Largest base-protocol message accepted, decompressed (go-ethereum's baseProtocolMaxMsgSize).
inline constexpr std::size_t max_message_size = 2048;

/// `[protocolVersion: P, clientId: B, [[cap1, capVersion1], ...], listenPort: P, nodeKey: B_64, ...]`
struct hello {
  std::uint64_t protocol_version = p2p::protocol_version;
  std::string client_id;
  std::vector<capability> capabilities;
  std::uint64_t listen_port = 0; ///< legacy, informational; 0 = not listening
  public_key node_id{};
  friend bool operator==(const hello&, const hello&) = default;
};

[[nodiscard]] byte_buffer encode(const hello& m);
/// Fails when a field is missing or malformed (the message names it).
[[nodiscard]] result<hello> decode_hello(bytes_view payload);

/// Disconnect reasons (rlpx.md, "Disconnect (0x01)"). Values outside the table
/// are kept as received.
enum class disconnect_reason : std::uint8_t {
  requested = 0x00,           ///< Disconnect requested
  tcp_error = 0x01,           ///< TCP sub-system error
  breach_of_protocol = 0x02,  ///< e.g. a malformed message, bad RLP, bad MAC, unknown code
  useless_peer = 0x03,        ///< no shared capability, or an incompatible eth Status
  too_many_peers = 0x04,
  already_connected = 0x05,
  incompatible_version = 0x06,///< incompatible p2p protocol version
  null_identity = 0x07,       ///< null node identity received
  client_quitting = 0x08,
  unexpected_identity = 0x09, ///< the Hello's node id is not the one dialled
  connected_to_self = 0x0a,
  ping_timeout = 0x0b,        ///< also used for stalled handshakes and Status exchanges
  subprotocol_error = 0x10,   ///< some other reason specific to a subprotocol
};

/// "breach_of_protocol" etc.; "unknown" for values outside the table.
[[nodiscard]] std::string_view to_string(disconnect_reason r) noexcept;

/// `[reason]`
[[nodiscard]] byte_buffer encode_disconnect(disconnect_reason r);
/// Accepts `[reason]`, `[]` (reason 0) and, as go-ethereum and ethereumjs send
/// or accept it, a bare `reason` integer.
[[nodiscard]] result<disconnect_reason> decode_disconnect(bytes_view payload);

/// Ping and Pong: `[]`.
[[nodiscard]] byte_buffer encode_ping();
[[nodiscard]] byte_buffer encode_pong();
/// Checks a Ping or Pong payload is a list (extra elements ignored).
[[nodiscard]] result<void> decode_ping_or_pong(bytes_view payload);

} // namespace snapstream::rlpx::p2p
