#pragma once
/// The state behind `host`: executor, identity, limits, listeners, the
/// connection registry, handlers and the set of coroutines the host started.
/// Shared (by `shared_ptr`) with every coroutine it starts, so it outlives
/// them even when the `host` object goes first. Executor-only.

#include "net/libp2p/detail/connection.hpp"
#include "net/libp2p/detail/wait_list.hpp"
#include "net/libp2p/host.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <list>
#include <memory>
#include <unordered_map>

namespace snapstream::net::detail {

inline constexpr std::string_view log_component = "libp2p";

struct request_registration {
  protocol_spec spec;
  request_handler handler;
};

/// A dial in progress, shared by every caller that wants the same peer.
struct dial_state {
  bool done = false;
  result<std::shared_ptr<connection>> outcome = error();
  wait_list waiters;
};

class host_core : public std::enable_shared_from_this<host_core> {
public:
  host_core(boost::asio::any_io_executor ex, libp2p::identity id, host_config config);

  /// Starts `task` as a coroutine of the host: counted, cancellable by
  /// `stop()`, its exception (if any) logged.
  void spawn(boost::asio::awaitable<void> task, const char* name);

  /// An open, usable connection to `peer`, or null.
  [[nodiscard]] std::shared_ptr<connection> find_connection(const libp2p::peer_id& peer) const;
  /// A connection to `address`'s peer: reused, joined (dial in progress) or dialled.
  boost::asio::awaitable<result<std::shared_ptr<connection>>> connect(libp2p::multiaddr address,
                                                                      clock::time_point deadline);
  /// Same for a target given as peer id or multiaddr.
  boost::asio::awaitable<result<std::shared_ptr<connection>>> connect_target(peer_target target,
                                                                             clock::time_point deadline);
  /// Called by a connection when it closes.
  void on_closed(connection* conn);
  /// Called when an inbound stream opens.
  void on_inbound_stream(std::shared_ptr<connection> conn, std::shared_ptr<stream_state> st);

  [[nodiscard]] std::vector<std::string> supported_protocols() const;
  [[nodiscard]] error stopped_error() const { return make_error(host_errc::stopped, "the libp2p host is stopping"); }

  /// Closes listeners and connections and cancels every task; does not wait.
  void shutdown(bool graceful);
  boost::asio::awaitable<void> stop();

  boost::asio::any_io_executor ex_;
  libp2p::identity identity_;
  host_config config_;
  bool stopping_ = false;

  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::vector<libp2p::multiaddr> listen_addresses_;
  std::list<std::shared_ptr<connection>> connections_; ///< every connection, handshakes included
  std::unordered_map<libp2p::peer_id, libp2p::multiaddr> address_book_;
  std::unordered_map<libp2p::peer_id, std::shared_ptr<dial_state>> dials_;
  std::unordered_map<std::string, request_registration> request_handlers_;
  std::unordered_map<std::string, stream_handler> stream_handlers_;

private:
  static boost::asio::awaitable<result<std::shared_ptr<connection>>> dial(std::shared_ptr<host_core> self,
                                                                          libp2p::multiaddr address,
                                                                          clock::time_point deadline);

  struct task_slot {
    boost::asio::cancellation_signal signal;
  };
  std::list<task_slot> tasks_;
  wait_list tasks_done_;
};

/// The accept loop of one listener.
boost::asio::awaitable<void> accept_loop(std::shared_ptr<host_core> core, boost::asio::ip::tcp::acceptor* acceptor);

/// Serves one inbound stream: negotiation, then the request or stream handler.
boost::asio::awaitable<void> serve_inbound_stream(std::shared_ptr<host_core> core, std::shared_ptr<connection> conn,
                                                  std::shared_ptr<stream_state> st);

/// Builds the /ip4|/ip6 multiaddr of a TCP endpoint.
[[nodiscard]] libp2p::multiaddr to_multiaddr(const boost::asio::ip::tcp::endpoint& ep);

/// `error` for a deadline that passed: `timeout` when it was the caller's,
/// otherwise `code`.
[[nodiscard]] error deadline_error(host_errc code, std::string what);

} // namespace snapstream::net::detail
