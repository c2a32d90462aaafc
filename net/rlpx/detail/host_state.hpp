#pragma once
/// The state a host shares with its connections. Internal to net/rlpx; every
/// member except the snapshot is touched only on `strand`.

#include "net/rlpx/config.hpp"
#include "net/rlpx/detail/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

namespace snapstream::net::rlpx::detail {

struct host_state : std::enable_shared_from_this<host_state> {
  host_state(asio::any_io_executor executor, host_config cfg, wire::eth::fork_filter forks, wire::public_key id);

  asio::strand<asio::any_io_executor> strand;
  host_config config;
  /// `config.eth.chain`'s fork schedule, ready for the eth handlers.
  wire::eth::fork_filter forks;
  wire::public_key node_id;
  /// eth, snap and the extra capabilities, with their handler factories.
  std::vector<capability_registration> registrations;
  std::vector<wire::capability_spec> local_capabilities;

  std::optional<tcp::acceptor> acceptor;
  std::set<std::shared_ptr<connection>> connections;            ///< every live connection
  std::map<wire::public_key, std::shared_ptr<connection>> peers; ///< active ones, by node id
  std::size_t handshaking = 0;
  std::size_t running = 0; ///< coroutines started by `spawn` and not finished
  bool stopping = false;
  /// Set when the `host` object is destroyed: from then on no callback into
  /// user code (events, provider, handlers) is made. Any thread may read it.
  std::atomic<bool> detached{false};
  asio::steady_timer idle_signal;
  std::atomic<std::uint64_t> next_request_id{1};
  /// The listener's endpoint once open (read by `host::enode` from any thread).
  std::optional<tcp::endpoint> listen_endpoint;

  mutable std::mutex snapshot_mutex;
  std::map<wire::public_key, peer_info> snapshot; ///< what `host::peers()` returns

  /// Starts `task` on the strand and counts it until it finishes; an escaped
  /// exception is logged.
  void spawn(asio::awaitable<void> task, const char* what);
  void emit(const peer_event& e) const;
  void publish(const peer_info& info);
  void unpublish(const wire::public_key& id);

  static asio::awaitable<void> accept_loop(std::shared_ptr<host_state> self);
};

} // namespace snapstream::net::rlpx::detail
