#pragma once
/// A running snapstream node: the CAF actor system (node, provider, session
/// supervisor, persistence writer, event bus), one Asio `io_context` thread
/// with the libp2p host (and the RLPx host when enabled) and the HTTP control
/// plane, all over one RocksDB.
///
/// Shutdown order (SIGINT/SIGTERM or `stop()`): the HTTP server stops taking
/// requests, sessions are stopped (their progress is already durable), the
/// hosts close their connections, the Asio thread ends, the bridge and the
/// actors exit, the database closes.

#include "actors/provider_actor.hpp"
#include "actors/session_config.hpp"
#include "http/http_server.hpp"
#include "net/libp2p/host_config.hpp"
#include "protocol/libp2p/multiaddr.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/rlpx/fork_id.hpp"
#include "protocol/snapshot/trust.hpp"
#include "storage/db.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::app {

/// Everything a node runs with. The command line and the config file fill it
/// (see docs/operations.md).
struct node_options {
  std::filesystem::path data_dir;
  /// The node's Ed25519 key file (`snapstream keygen`): its libp2p identity,
  /// and the authority key that signs the snapshots it builds.
  std::filesystem::path key_file;
  std::vector<libp2p::multiaddr> p2p_listen;
  std::string http_host = "127.0.0.1";
  std::uint16_t http_port = 0;             ///< 0 = any free port
  /// Peers to dial by id: multiaddrs ending in /p2p/<id>.
  std::vector<libp2p::multiaddr> peers;
  /// Authorities whose signed light-client updates this node accepts.
  snapshot::trust_config trust;
  actors::provider_config provider;
  actors::consumer_config consumer;
  net::host_config host;
  http::server_config http;                ///< `http.token` is the bearer token
  std::size_t scheduler_threads = 0;       ///< CAF worker threads; 0 = one per core
  /// Free bytes the data directory's file system keeps (`storage::db_options`).
  std::uint64_t min_free_disk_bytes = storage::db_options{}.min_free_bytes;
  /// RLPx (devp2p) listener, off when empty: "HOST:PORT".
  std::optional<std::string> rlpx_listen;
  /// The chain the RLPx eth Status speaks for (network id, genesis, fork
  /// schedule): a built-in's name or a chain config file, as the operator
  /// gave it, and what it holds.
  std::string rlpx_network = "mainnet";
  rlpx::eth::chain_config rlpx_chain = *rlpx::eth::find_builtin_chain("mainnet");
};

class node_runtime {
public:
  /// Opens the database, starts the actors, listens on the p2p and HTTP
  /// addresses. Fails with the first error (bad key file, address in use, a
  /// database another process holds...); nothing is left running then.
  [[nodiscard]] static result<std::unique_ptr<node_runtime>> start(node_options options);
  ~node_runtime();
  node_runtime(const node_runtime&) = delete;
  node_runtime& operator=(const node_runtime&) = delete;

  [[nodiscard]] const libp2p::peer_id& peer_id() const noexcept;
  [[nodiscard]] std::vector<libp2p::multiaddr> p2p_addresses() const;
  [[nodiscard]] std::uint16_t http_port() const noexcept;

  /// Blocks until SIGINT or SIGTERM (or `stop()` from another thread), then
  /// shuts the node down cleanly. Also returns, with an error, when the node
  /// actor exited because one of its essential children failed (the process
  /// should then exit non-zero and be restarted; sessions resume).
  [[nodiscard]] result<void> run_until_signal();
  /// Shuts down (idempotent, thread-safe); returns when everything has exited.
  void stop();

private:
  struct impl;
  explicit node_runtime(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

} // namespace snapstream::app
