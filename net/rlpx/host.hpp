#pragma once
/// The RLPx host: listens and dials (enode URLs), runs the encrypted handshake
/// (EIP-8, answering legacy auths in kind), exchanges Hello, negotiates
/// capabilities and routes their messages by code range, keeps peers alive
/// with Ping/Pong, speaks eth/68 Status and snap/1, and drops a peer that sends
/// bad input (bad MAC, malformed RLP, oversize frame, unknown code, stalled
/// handshake) with the matching Disconnect reason while the others go on.
///
/// Threading: the host runs on a strand of the executor it is given. The
/// awaitable member functions may be awaited from any coroutine (their work
/// runs on the strand); `peers()`, `node_id()` and `enode()` may be called from
/// any thread; `start()` before the executor runs or on the strand.
/// `shutdown()` disconnects every peer (client_quitting) and returns once every
/// coroutine the host started has finished; call it before destroying the host.
/// Destroying the host without it closes every connection, and from that
/// moment no callback (events, snap provider, capability handlers) is called.

#include "net/rlpx/config.hpp"
#include "net/rlpx/host_errc.hpp"
#include "protocol/common/bytes.hpp"
#include "protocol/rlpx/snap_messages.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <string>
#include <vector>

namespace snapstream::net::rlpx {

namespace detail {
struct host_state;
}

/// A snap response and the payload its views borrow from.
template <class Message>
struct snap_reply {
  shared_bytes payload;
  Message message;
};

class host {
public:
  /// Validates `config` (key, eth version, limits) and prepares the host; no
  /// I/O yet. Fails with `host_errc::invalid_config`.
  [[nodiscard]] static result<std::unique_ptr<host>> create(boost::asio::any_io_executor executor,
                                                            host_config config);
  ~host();
  host(const host&) = delete;
  host& operator=(const host&) = delete;

  /// The strand every coroutine of this host runs on.
  [[nodiscard]] boost::asio::strand<boost::asio::any_io_executor> executor() const;
  [[nodiscard]] const wire::public_key& node_id() const noexcept;

  /// Opens the listener when `config.listen` is set (once); returns its
  /// endpoint. Fails with `not_listening` when disabled or the bind fails.
  [[nodiscard]] result<boost::asio::ip::tcp::endpoint> start();
  /// This node's enode URL on the listener (with `host` as the address).
  [[nodiscard]] std::string enode(std::string_view host_address = "127.0.0.1") const;

  /// Dials `enode_url`, completes the handshake and Hello, and returns the
  /// peer once capabilities are negotiated (the eth Status exchange continues
  /// in the background: watch `on_event` or `peers()`). Bounded by
  /// `handshake_timeout`.
  [[nodiscard]] boost::asio::awaitable<result<peer_info>> dial(std::string enode_url);

  /// Snapshot of the connected peers with their negotiated capabilities and
  /// offsets. Thread-safe.
  [[nodiscard]] std::vector<peer_info> peers() const;

  /// Drops a peer with `reason`. Fails with `peer_not_found`.
  [[nodiscard]] boost::asio::awaitable<result<void>> disconnect(wire::public_key peer,
                                                                wire::p2p::disconnect_reason reason);

  /// snap/1 requests to a connected peer; the request id is assigned here.
  /// Fail with `peer_not_found`, `capability_not_shared`, `timeout`,
  /// `disconnected`, or a decode error when the response is malformed (which
  /// also drops the peer).
  [[nodiscard]] boost::asio::awaitable<result<snap_reply<wire::snap::account_range>>>
  request_account_range(wire::public_key peer, wire::snap::get_account_range request);
  [[nodiscard]] boost::asio::awaitable<result<snap_reply<wire::snap::storage_ranges>>>
  request_storage_ranges(wire::public_key peer, wire::snap::get_storage_ranges request);
  [[nodiscard]] boost::asio::awaitable<result<snap_reply<wire::snap::byte_codes>>>
  request_byte_codes(wire::public_key peer, wire::snap::get_byte_codes request);
  [[nodiscard]] boost::asio::awaitable<result<snap_reply<wire::snap::trie_nodes>>>
  request_trie_nodes(wire::public_key peer, wire::snap::get_trie_nodes request);

  /// Stops listening, disconnects every peer with client_quitting, and waits
  /// for every coroutine the host started. Idempotent.
  [[nodiscard]] boost::asio::awaitable<void> shutdown();

private:
  explicit host(std::shared_ptr<detail::host_state> state);
  std::shared_ptr<detail::host_state> state_;
};

} // namespace snapstream::net::rlpx
