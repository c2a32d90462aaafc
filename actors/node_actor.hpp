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
/// Its messages: `node_actor` below. Each command is handed on to the child
/// that owns it with typed delegation, so a command whose child answers
/// another type does not compile.

#include "actors/atoms.hpp"
#include "actors/control.hpp"
#include "actors/event_bus.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/provider_actor.hpp"
#include "actors/session_actor.hpp"
#include "actors/session_config.hpp"
#include "actors/sync_supervisor.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

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
  /// writes and reads through (to hold writes back); null = the writer itself.
  std::function<persistence_writer_actor(persistence_writer_actor writer)> writer_proxy;
};

/// The node actor's children.
struct node_children {
  persistence_writer_actor writer;
  event_bus_actor events;
  provider_actor provider;
  sync_supervisor_actor supervisor;
};

/// The node actor's typed interface: the commands of operators and tools,
/// which it hands to the sync supervisor (`sync_commands`), the provider
/// (`provider_commands`) and the event bus, or answers itself (`metrics`:
/// provider and consumer counters merged; `brkreset` closes both sides'
/// breakers). While the node shuts down, a command whose child is gone fails at once
/// with `actors_errc::unavailable`.
using node_actor = sync_commands::extend_with<provider_commands>::extend<
  /// Events after a sequence, waiting up to the given time for the first (event bus).
  caf::replies_to<events_atom, std::uint64_t, std::chrono::milliseconds>::with<std::vector<node_event>>,
  /// Provider and consumer counters merged, breakers of both sides (answered here).
  caf::replies_to<metrics_atom>::with<metrics_snapshot>,
  /// The children's handles (tests and tools).
  caf::replies_to<node_children_atom>::with<node_children>>;

[[nodiscard]] node_actor spawn_node_actor(caf::actor_system& system, node_actor_config config);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::node_children)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::metrics_snapshot)
