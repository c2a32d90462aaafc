#pragma once
/// A snapstream node without its HTTP front: one RocksDB, a CAF actor system
/// with the node's actors (provider, sync supervisor, persistence writer,
/// event bus), and one Asio thread running the libp2p host, bridged to the
/// actors.
///
/// The actor tree (docs/actors.md):
/// node                  the root: owns the children, routes every command
///   provider            serves /rpp/snapshots/1.2.0, 1.1.0 and 1.0.0 (+ detached storage workers)
///   sync_supervisor     sync jobs, their status, failures, boot resume
///     job (xJ)          one snapshot from one or many providers
///       session (xP)    one per provider, one request in flight
///   persistence_writer  the one writer of consumer job records (detached)
///   event_bus           SnapshotStreamFailed, HeadVerified, SessionProgress...
///
/// Operators and tests drive it through `control()`, on the node's I/O
/// executor: the interface the HTTP server uses, whose every command is a
/// message to the node's HTTP control actor, which turns it into control
/// messages to the node actor.

#include "actors/bridge.hpp"
#include "actors/control.hpp"
#include "actors/http_control_actor.hpp"
#include "actors/node_actor.hpp"
#include "actors/provider_actor.hpp"
#include "actors/session_config.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/multiaddr.hpp"
#include "protocol/snapshot/trust.hpp"
#include "storage/db.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <caf/actor.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

namespace snapstream::actors {

struct node_config {
  std::filesystem::path data_dir;
  libp2p::identity identity = libp2p::identity::generate();
  std::vector<libp2p::multiaddr> listen;   ///< p2p listen addresses (/ip4/127.0.0.1/tcp/0 ...)
  std::vector<libp2p::multiaddr> peers;    ///< address book: multiaddrs with /p2p/<id>
  snapshot::trust_config trust;            ///< authorities this node's sessions accept
  provider_config provider;
  consumer_config consumer;
  net::host_config host;
  std::size_t scheduler_threads = 0;       ///< 0 = one per core
  storage::db_options db;                  ///< how `<data_dir>/db` is opened
  std::chrono::milliseconds provider_timeout{60'000}; ///< bridge timeout of one served request
  /// Tests only: see `node_actor_config::writer_proxy`.
  std::function<persistence_writer_actor(persistence_writer_actor writer)> writer_proxy;
};

class node {
public:
  /// Opens `<data_dir>/db`, spawns the actors, listens. Fails with the first
  /// error; nothing is left running then.
  [[nodiscard]] static result<std::unique_ptr<node>> start(node_config config);
  /// Calls `stop()`.
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The node's commands: each is a message to the node's HTTP control
  /// actor (`http_control_actor.hpp`); call only on `executor()` (the HTTP
  /// server does).
  [[nodiscard]] actor_control& control() noexcept;
  /// The node's I/O executor (its libp2p host's).
  [[nodiscard]] boost::asio::any_io_executor executor() const noexcept;

  [[nodiscard]] const libp2p::peer_id& peer_id() const noexcept;
  /// Bound p2p addresses, with /p2p/<id>.
  [[nodiscard]] const std::vector<libp2p::multiaddr>& addresses() const noexcept;

  [[nodiscard]] caf::actor_system& system() noexcept;
  /// The node actor (the root of the tree; every command goes through it).
  [[nodiscard]] node_actor root() const noexcept;
  [[nodiscard]] sync_supervisor_actor supervisor() const noexcept;
  [[nodiscard]] provider_actor provider() const noexcept;
  [[nodiscard]] event_bus_actor events() const noexcept;
  [[nodiscard]] storage::db& db() noexcept;
  /// True once the node actor exited on a failure of one of its children:
  /// the node no longer works and should be stopped (and restarted).
  [[nodiscard]] bool failed() const noexcept;

  /// Stops the actors (sessions keep their durable progress), then the host
  /// and the I/O thread, then the bridge. Idempotent; call from any thread
  /// but the node's own.
  void stop();

private:
  struct impl;
  explicit node(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

} // namespace snapstream::actors
