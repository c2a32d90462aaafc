#pragma once
/// Where `/rpp/snapshots/1.x` meets the libp2p host, on both sides.
///
/// Provider: `serve_snapshots` registers the request handler for 1.2.0, 1.1.0
/// and 1.0.0; each inbound request is decoded on the host's executor as the
/// negotiated version and handed to the provider actor, with that version,
/// through the bridge; its encoded response goes back on the same stream.
///
/// Consumer: `exchange` is the awaitable a session actor starts (with
/// `start_io`) for each request it sends: it negotiates the protocol, sends
/// the request and returns the raw, padded response for the actor to decode.

#include "actors/bridge.hpp"
#include "actors/provider_actor.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/messages/wire.hpp"

#include <caf/actor.hpp>

#include <chrono>

namespace snapstream::actors {

/// Serves the snapshot protocols on `host` with `provider`. `b` and
/// `provider` must outlive the host's handlers (stop the host first).
/// Call on the host's executor.
void serve_snapshots(net::host& host, bridge& b, provider_actor provider, std::chrono::milliseconds timeout);

/// A response as it came off the wire.
struct exchange_result {
  messages::protocol_version version = messages::protocol_version::v1_1; ///< the negotiated protocol
  messages::byte_encoding encoding = messages::byte_encoding::base64;   ///< its byte encoding
  byte_buffer body;                            ///< with decode padding spare capacity
  std::chrono::microseconds latency{0};        ///< request sent -> response read
};

/// Sends one encoded request to `peer` and reads the response. Runs on the
/// host's executor. `host` must outlive the returned awaitable.
boost::asio::awaitable<result<exchange_result>> exchange(net::host* host, net::peer_target peer,
                                                         std::vector<net::protocol_spec> protocols,
                                                         byte_buffer request, std::chrono::milliseconds timeout);

/// The peers a sync job may ask for snapshots: every peer of the host's
/// address book and every connected peer (peer ids as text). Runs on the
/// host's executor.
boost::asio::awaitable<result<std::vector<std::string>>> known_snapshot_peers(net::host* host);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::result<snapstream::actors::exchange_result>)
