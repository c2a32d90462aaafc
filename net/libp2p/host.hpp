#pragma once
/// The libp2p host: TCP listen and dial, the connection upgrade
/// (multistream-select -> Noise XX -> multistream-select -> Yamux), a registry
/// of connections by peer id, inbound streams dispatched by protocol id, and
/// request/response the way rust-libp2p's `request_response` does it:
///
///   requester: open a stream, negotiate the protocol, write the request,
///              half-close (Yamux FIN), read the response to EOF under a cap;
///   responder: negotiate, read the request to EOF under a cap, run the
///              handler, write the response, close.
///
/// Bodies travel bare (no length prefix); EOF delimits them.
///
/// ## Threading
/// A host lives on one executor (an `io_context` run by ONE thread, or a
/// strand). Every member function must be called on that executor — from a
/// coroutine `co_spawn`ed onto `executor()` or a handler posted to it — except
/// `local_peer_id()` and `executor()`, which are safe from any thread. The
/// actor layer posts into the host with `co_spawn(host.executor(), ...)`.
/// Handlers run on the executor; they must not block it.
///
/// ## Lifetime
/// `co_await stop()` before destroying the host: it refuses new work, sends
/// GoAway, closes every connection, cancels every coroutine the host started
/// (accept loops, connection readers/writers, inbound stream handlers) and
/// waits for all of them to finish. Destroying a host without `stop()`
/// closes everything without waiting; its coroutines then end on their own
/// while the executor runs.

#include "net/libp2p/host_config.hpp"
#include "net/libp2p/host_errc.hpp"
#include "net/libp2p/stream.hpp"
#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/multiaddr.hpp"
#include "protocol/libp2p/peer_id.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace snapstream::net {

namespace detail {
class host_core;
}

/// A protocol offered for request/response, with its size caps (bytes).
struct protocol_spec {
  std::string id;
  std::size_t max_request_size = 1024 * 1024;
  std::size_t max_response_size = 10 * 1024 * 1024;
  /// The protocol's listeners take a lazy proposal: the proposal, the request
  /// and its end of stream in one write, before the listener's answer
  /// (host::request uses it once the peer agreed to the protocol on the
  /// connection). js-libp2p 3's listener does not: its handler never sees
  /// such a request end (docs/transport.md).
  bool lazy = false;
};

/// `/rpp/snapshots/1.3.0`: framed responses, caps of 1.1.0 (the whole frame);
/// requested lazily once agreed on a connection (docs/protocol.md 2.8).
[[nodiscard]] protocol_spec snapshots_v1_3();
/// `/rpp/snapshots/1.2.0`: the caps of 1.1.0, request 1 MiB, response 16 MiB;
/// requested lazily once agreed on a connection (docs/protocol.md).
[[nodiscard]] protocol_spec snapshots_v1_2();
/// `/rpp/snapshots/1.1.0`: request cap 1 MiB, response cap 16 MiB.
[[nodiscard]] protocol_spec snapshots_v1_1();
/// `/rpp/snapshots/1.0.0`: rust-libp2p's default caps, request 1 MiB, response 10 MiB.
[[nodiscard]] protocol_spec snapshots_v1_0();
/// The snapshot protocols in preference order: 1.3.0, 1.2.0, 1.1.0, then 1.0.0.
[[nodiscard]] std::vector<protocol_spec> snapshot_protocols();

/// Who a request or stream goes to: a peer id (an open connection is reused;
/// otherwise the address learned from an earlier dial or `add_address` is
/// dialled), or a multiaddr that ends in `/p2p/<peer id>` (the Noise handshake
/// must prove that id, else `libp2p_errc::peer_id_mismatch`).
using peer_target = std::variant<libp2p::peer_id, libp2p::multiaddr>;

/// The outcome of a request.
struct response {
  /// The protocol id the responder accepted.
  std::string protocol;
  /// The response body; `body.capacity() >= body.size() + 64`, so simdjson
  /// can parse it in place (`parser.iterate(data, size, capacity)`).
  byte_buffer body;
};

/// Serves one request: (remote peer, negotiated protocol id, request body)
/// -> response body. Returning an error resets the stream (the requester sees
/// `stream_reset`). The body is shared so an encoded buffer is sent without a
/// copy. Runs on the host's executor; it must not block.
using request_handler = std::function<boost::asio::awaitable<result<shared_bytes>>(
    libp2p::peer_id remote, std::string protocol, byte_buffer request)>;

/// Serves one inbound stream of a registered protocol (already negotiated).
using stream_handler = std::function<boost::asio::awaitable<void>(stream s)>;

/// A connected peer, for status pages.
struct peer_info {
  libp2p::peer_id id;
  libp2p::multiaddr address;    ///< the remote's socket address (with /p2p/)
  bool outbound = false;        ///< this side dialled
  std::vector<std::string> protocols; ///< protocols negotiated on its streams so far, sorted
  std::size_t open_streams = 0;
  std::chrono::system_clock::time_point connected_at;
};

class host {
public:
  /// A host for `identity` on `executor`. Nothing happens until `listen`,
  /// `connect`, `request` or `open_stream`.
  host(boost::asio::any_io_executor executor, libp2p::identity identity, host_config config = {});
  ~host();
  host(const host&) = delete;
  host& operator=(const host&) = delete;

  /// Thread-safe.
  [[nodiscard]] const libp2p::peer_id& local_peer_id() const noexcept;
  /// Thread-safe.
  [[nodiscard]] boost::asio::any_io_executor executor() const noexcept;
  [[nodiscard]] const host_config& config() const noexcept;

  /// Binds and listens on an `/ip4` or `/ip6` TCP address (port 0 picks a
  /// free port) and starts accepting. Returns the bound address with
  /// `/p2p/<local id>`. Fails with `listen_failed` or `invalid_argument`.
  [[nodiscard]] result<libp2p::multiaddr> listen(const libp2p::multiaddr& address);
  /// Every bound address (with `/p2p/<local id>`).
  [[nodiscard]] std::vector<libp2p::multiaddr> listen_addresses() const;

  /// Serves requests on each of `protocols` (their caps apply to inbound
  /// requests and to the responses written). Replaces an earlier handler of
  /// the same protocol id.
  void set_request_handler(std::vector<protocol_spec> protocols, request_handler handler);
  /// Serves raw streams of `protocol`.
  void set_stream_handler(std::string protocol, stream_handler handler);
  /// Stops serving `protocol` (request or stream handler): new streams that
  /// propose it are answered `na`; streams already past negotiation finish.
  void remove_handler(const std::string& protocol);

  /// Sends `request` and returns the response. `protocols` go in preference
  /// order (multistream-select falls back on `na`). Once the peer agreed to
  /// one of this exact list on the connection (or to this list's first
  /// choice, for another list), and that one is `lazy`, later
  /// requests with the list propose it alone and send the request with the
  /// proposal, without waiting for the answer (one round trip per request);
  /// should the peer then refuse it, that request fails with
  /// `protocol_not_supported` and the next one negotiates in full. Before
  /// the peer agreed to anything of the list, a `lazy` first choice is
  /// proposed the same way on trust; refused, the rest of the list is
  /// negotiated in full within the same call. The request must fit the
  /// negotiated protocol's `max_request_size` (else `request_too_large`), the
  /// response its `max_response_size` (else `response_too_large`). The whole
  /// call, dial included, is bounded by `timeout` (`host_errc::timeout`);
  /// each wait also by the stall timeout. Other failures: `dial_failed`,
  /// `handshake_timeout`, `peer_id_mismatch` and other `libp2p_errc` codes,
  /// `protocol_not_supported`, `stream_reset`, `connection_closed`,
  /// `connection_limit`, `stream_limit`, `no_address`, `stopped`.
  boost::asio::awaitable<result<response>> request(peer_target target, std::vector<protocol_spec> protocols,
                                                   byte_buffer request, std::chrono::milliseconds timeout);

  /// Opens a stream and negotiates one of `protocols` (in preference order);
  /// dialling, when needed, and negotiation are bounded by `timeout`.
  boost::asio::awaitable<result<stream>> open_stream(peer_target target, std::vector<std::string> protocols,
                                                     std::chrono::milliseconds timeout);

  /// Connects to `address` (reusing an open connection to its peer) and
  /// returns the authenticated peer id. Without `/p2p/` any peer is accepted.
  boost::asio::awaitable<result<libp2p::peer_id>> connect(libp2p::multiaddr address,
                                                          std::chrono::milliseconds timeout);

  /// Remembers where `peer` listens, for requests by peer id.
  void add_address(const libp2p::peer_id& peer, const libp2p::multiaddr& address);

  /// Every peer of the address book (`add_address`, earlier dials) and every
  /// connected peer, once each, in a stable order.
  [[nodiscard]] std::vector<libp2p::peer_id> known_peers() const;
  /// Connected peers (one entry per open connection).
  [[nodiscard]] std::vector<peer_info> peers() const;
  /// Number of open connections (handshakes included).
  [[nodiscard]] std::size_t connection_count() const noexcept;
  /// Number of open Yamux streams, summed over every connection (both
  /// directions; a stream counts until it is closed both ways or reset).
  [[nodiscard]] std::size_t stream_count() const noexcept;

  /// Closes every connection to `peer` (GoAway, then close).
  void disconnect(const libp2p::peer_id& peer);

  /// Graceful shutdown (see Lifetime above). Idempotent.
  boost::asio::awaitable<void> stop();

private:
  std::shared_ptr<detail::host_core> core_;
};

} // namespace snapstream::net
