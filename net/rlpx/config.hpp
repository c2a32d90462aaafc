#pragma once
/// Configuration of the RLPx host. Every size, count and wait is bounded here.

#include "net/rlpx/peer.hpp"
#include "protocol/rlpx/fork_id.hpp"
#include "protocol/rlpx/handshake.hpp"
#include "protocol/rlpx/message_codec.hpp"

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::net::rlpx {

/// The eth capability: only the Status exchange (snapstream joins the network
/// to reach snap peers; it does not sync blocks). The chain decides the
/// network id, genesis and fork schedule of the Status we send and of the
/// ones we accept (EIP-2124, see protocol/rlpx/fork_id.hpp).
struct eth_config {
  bool enabled = true;
  /// The eth versions offered (66 to 69); the highest both sides list wins.
  std::vector<std::uint64_t> versions{68, 69};
  wire::eth::chain_config chain = *wire::eth::find_builtin_chain("mainnet");
  /// The head block number the fork id is computed at. We hold no chain, so
  /// by default we stand just past the chain's last block fork (where every
  /// synced node of the network is once it moved on to timestamp forks).
  std::optional<std::uint64_t> head_block;
  /// The head timestamp (seconds since 1970); the wall clock when unset, read
  /// at each Status sent or checked, so a fork passes when its time comes.
  std::optional<std::uint64_t> head_time;
  /// Big-endian total difficulty of eth/66-68 Status; 2^34, the mainnet
  /// genesis difficulty, by default (eth/69 has none).
  hash256 total_difficulty = genesis_difficulty();
  /// The remote's Status must arrive within this after capabilities are negotiated.
  std::chrono::milliseconds status_timeout{5000};

  static constexpr hash256 genesis_difficulty() {
    hash256 td{};
    td[27] = 0x04; // 0x04_0000_0000 = 2^34
    return td;
  }
};

/// snap/1 serving and requests.
struct snap_config {
  bool enabled = true;
  /// Serves a request: given the relative request code (GetAccountRange ...)
  /// and its RLP payload, returns the encoded response payload, or nothing to
  /// send the empty response snap.md prescribes for state we do not have.
  /// Called on the host's executor; must not block.
  std::function<std::optional<byte_buffer>(std::uint64_t code, bytes_view request)> provider;
  /// A request we send fails with `host_errc::timeout` after this.
  std::chrono::milliseconds request_timeout{10000};
  /// Requests in flight per peer; more are refused.
  std::size_t max_pending_requests = 64;
};

struct host_config {
  /// The node's static identity key.
  wire::secret_key node_key{};
  std::string client_id = "snapstream/0.1.0";

  /// Open a listener (otherwise the host only dials).
  bool listen = false;
  std::string listen_address = "0.0.0.0";
  /// 0 picks a free port (see `host::listen_endpoint`).
  std::uint16_t listen_port = 30303;

  /// Connected peers at most; further peers get Disconnect(too_many_peers).
  std::size_t max_peers = 25;
  /// Connections still handshaking at most; more inbound sockets are closed.
  std::size_t max_pending_handshakes = 32;

  /// The auth form we send when dialling (we answer each auth in its own form).
  wire::handshake_format dial_format = wire::handshake_format::eip8;
  /// TCP connect + auth/ack + Hello must complete within this.
  std::chrono::milliseconds handshake_timeout{5000};
  /// Ping every interval; a peer that does not Pong within the timeout is dropped.
  std::chrono::milliseconds ping_interval{15000};
  std::chrono::milliseconds pong_timeout{15000};
  /// After sending Disconnect, how long the socket may stay open to flush it.
  std::chrono::milliseconds disconnect_linger{2000};

  /// Frames above this are a breach of protocol (go-ethereum's eth limit, 10 MiB).
  std::size_t max_frame_size = 10u << 20;
  /// Messages above this once decompressed are a breach (rlpx.md: 16 MiB).
  std::size_t max_message_size = wire::max_message_size;
  /// Encrypted bytes queued for one peer at most; a peer that does not read
  /// is dropped (Disconnect tcp_error).
  std::size_t max_write_queue = 32u << 20;

  eth_config eth;
  snap_config snap;
  /// Further capabilities (with their handlers), beside eth and snap.
  std::vector<capability_registration> extra_capabilities;

  /// Peer events, on the host's executor. Must not block.
  std::function<void(const peer_event&)> on_event;
};

} // namespace snapstream::net::rlpx
