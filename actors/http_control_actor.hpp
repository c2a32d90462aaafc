#pragma once
/// The HTTP control actor: the control plane of a node, as an actor.
///
/// Operators send control messages through it. The HTTP front (Beast
/// coroutines, `http/http_server.hpp`) does only the I/O: it reads a request,
/// turns it into one message to this actor (through the bridge, via
/// `actor_control`, the `control_backend` the server is given), and writes
/// the answer. The actor owns the control plane's state:
///
/// - the event-stream subscribers (`GET /events`): each open stream has an
///   id, the sequence it has delivered up to and the events it received;
/// - the request accounting behind the `snapstream_http_*` metrics (answers
///   per status, latency histogram, open connections, open event streams);
///
/// and it turns each request into control messages to the node actor, whose
/// errors it maps to `control_errc` (the one place that mapping is made).
///
/// The peer list (`GET /p2p/peers`) is not a control message: it is read
/// from the network hosts on their own I/O thread, where they live.

#include "actors/atoms.hpp"
#include "actors/control.hpp"
#include "actors/event_bus.hpp"
#include "actors/node_actor.hpp"
#include "actors/sync_supervisor.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace snapstream::actors {

class bridge;

using breakers_atom = caf::atom_constant<caf::atom("breakers")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsub")>;
using request_done_atom = caf::atom_constant<caf::atom("reqdone")>;
using connections_atom = caf::atom_constant<caf::atom("conns")>;
using describe_atom = caf::atom_constant<caf::atom("describe")>;

/// One answered HTTP request, for the accounting.
struct answered_request {
  unsigned status = 200;
  double seconds = 0;  ///< from the first byte read to the answer
  bool timed = true;   ///< false for event streams: their duration is their lifetime
};

/// The HTTP control actor's typed interface. Every reply that can fail fails
/// with a `control_errc` (wrapped by `to_caf_error`).
using http_control_actor = caf::typed_actor<
  /// Start or resume a sync job (`POST /p2p/snapshots`).
  caf::replies_to<start_atom, start_command>::with<session_status>,
  /// One job's status (`GET /p2p/snapshots/{id}`).
  caf::replies_to<status_atom, std::uint64_t>::with<session_status>,
  /// Every job's status (`GET /p2p/snapshots`).
  caf::replies_to<list_atom>::with<std::vector<session_status>>,
  /// Cancel a job (`DELETE /p2p/snapshots/{id}`).
  caf::replies_to<cancel_atom, std::uint64_t>::with<void>,
  /// Both sides' breakers (`GET /p2p/snapshots/breaker`).
  caf::replies_to<breakers_atom>::with<std::vector<breaker_status>>,
  /// Close every breaker (`POST /p2p/snapshots/breaker/reset`).
  caf::replies_to<breaker_reset_atom>::with<void>,
  /// Build a snapshot of the state, or name the current one (`POST /snapshots`).
  caf::replies_to<build_snapshot_atom>::with<snapshot_info>,
  /// What the node is: identity, version, uptime, snapshots (`GET /node`).
  caf::replies_to<describe_atom>::with<node_description>,
  /// The node's counters and this actor's accounting (`GET /metrics`).
  caf::replies_to<metrics_atom>::with<metrics_snapshot>,
  /// Open an event stream: its id.
  caf::replies_to<subscribe_atom>::with<std::uint64_t>,
  /// Events after a sequence for a stream (0: a one-off read), waiting up to
  /// the given time for the first one; empty when none came.
  caf::replies_to<events_atom, std::uint64_t, std::uint64_t, std::chrono::milliseconds>::with<
    std::vector<node_event>>,
  /// Close an event stream.
  caf::reacts_to<unsubscribe_atom, std::uint64_t>,
  /// Count an answered request.
  caf::reacts_to<request_done_atom, answered_request>,
  /// The number of open HTTP connections changed.
  caf::reacts_to<connections_atom, std::uint64_t>>;

/// One open event stream, as the actor keeps it.
struct event_subscriber {
  std::uint64_t id = 0;
  std::uint64_t delivered_up_to = 0; ///< the newest sequence handed to it
  std::uint64_t events = 0;          ///< events handed to it
};

/// The node's identity as `GET /node` shows it.
struct node_identity {
  std::string peer_id;
  std::vector<std::string> addresses;
  std::string version;
};

/// Spawns the HTTP control actor of the node whose root actor is `node`;
/// the node's uptime counts from now.
[[nodiscard]] http_control_actor spawn_http_control_actor(caf::actor_system& system, node_actor node,
                                                          node_identity identity);

/// The `control_backend` the HTTP server is given: every call is one message
/// to the HTTP control actor, across `bridge`; `peers()` lists the libp2p
/// host's peers (call only on the host's executor, as the server does).
class actor_control final : public control_backend {
public:
  /// Lists the peers of one of the node's network hosts.
  using peers_function = std::function<std::vector<peer_info>()>;
  actor_control(bridge& b, http_control_actor actor, peers_function peers);

  /// Adds the peers of another network host (the RLPx host) to `peers()`.
  /// Call before the HTTP server starts.
  void add_peer_source(peers_function peers);

  boost::asio::awaitable<result<session_status>> start_session(start_command cmd) override;
  boost::asio::awaitable<result<session_status>> session(std::uint64_t id) override;
  boost::asio::awaitable<result<std::vector<session_status>>> sessions() override;
  boost::asio::awaitable<result<void>> cancel_session(std::uint64_t id) override;
  boost::asio::awaitable<result<std::vector<breaker_status>>> breakers() override;
  boost::asio::awaitable<result<void>> reset_breakers() override;
  boost::asio::awaitable<result<std::vector<peer_info>>> peers() override;
  boost::asio::awaitable<result<snapshot_info>> create_snapshot() override;
  boost::asio::awaitable<result<node_description>> describe_node() override;
  boost::asio::awaitable<result<std::uint64_t>> open_event_stream() override;
  boost::asio::awaitable<result<std::vector<node_event>>>
  events_after(std::uint64_t stream, std::uint64_t after, std::chrono::milliseconds wait) override;
  void close_event_stream(std::uint64_t stream) noexcept override;
  boost::asio::awaitable<result<metrics_snapshot>> metrics() override;
  void request_done(unsigned status, double seconds, bool timed) noexcept override;
  void connections_changed(std::uint64_t open) noexcept override;

private:
  bridge& bridge_;
  http_control_actor actor_;
  std::vector<peers_function> peer_sources_;
};

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::answered_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::snapshot_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::node_description)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::actors::breaker_status>)
