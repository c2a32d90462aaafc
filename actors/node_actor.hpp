#pragma once
/// The node actor: the root of a node's actor tree and the entry point for
/// every command. It spawns and monitors its children — persistence writer,
/// event bus, provider, sync supervisor — and routes commands to them
/// (CAF delegation, so replies go straight back to the asker).
///
/// Every child is essential: if one dies for any reason but a shutdown, the
/// node actor logs it and exits with that reason, taking the others down, so
/// that the process can be restarted; sessions then resume from their durable
/// cursors. On an exit message it stops the children in order — sessions
/// first (through the supervisor), then the provider, the writer and the bus.
///
/// Messages:
///   (start_atom, start_command), (status_atom, u64), (list_atom), (cancel_atom, u64),
///   (fetch_atom, u64), (consumer_stats_atom)       -> as the sync supervisor answers
///   (provider_stats_atom), (breaker_reset_atom), (build_snapshot_atom),
///   (list_snapshots_atom)                          -> as the provider answers
///   (events_atom, u64 after, milliseconds wait)    -> as the event bus answers
///   (metrics_atom)                                 -> metrics_snapshot (provider + consumer)
///   (node_children_atom)                           -> node_children (for tests and tools)

#include "actors/control.hpp"
#include "actors/provider_actor.hpp"
#include "actors/session_actor.hpp"
#include "actors/session_config.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <functional>
#include <memory>

namespace snapstream::actors {

using node_children_atom = caf::atom_constant<caf::atom("children")>;

/// What the node actor needs to spawn its children. `env` is completed by
/// the node actor (writer and event bus handles) before sessions see it.
struct node_actor_config {
  std::shared_ptr<storage::db> db;
  snapshot::authority_key key;
  provider_config provider;
  consumer_config consumer;
  session_env env; ///< db, host, io executor and trust; writer/events are filled in
  /// Tests only: wraps the persistence writer in an actor the consumer side
  /// writes through (to hold writes back); null = the writer itself.
  std::function<caf::actor(caf::actor writer)> writer_proxy;
};

struct node_children {
  caf::actor writer;
  caf::actor events;
  caf::actor provider;
  caf::actor supervisor;
};

[[nodiscard]] caf::actor spawn_node_actor(caf::actor_system& system, node_actor_config config);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::node_children)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::metrics_snapshot)
