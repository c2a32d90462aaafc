#pragma once
/// The node's event stream: SnapshotStreamFailed, HeadVerified,
/// SessionProgress, ... Publishers send events; readers (the HTTP `/events`
/// stream, tests) long-poll for events after a sequence number. The bus keeps
/// the last `capacity` events, so a reader that reconnects with its last seen
/// sequence number misses nothing recent.
///
/// Its messages: `event_bus_actor` below.

#include "actors/atoms.hpp"
#include "actors/control.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace snapstream::actors {

/// The event bus' typed interface.
using event_bus_actor = caf::typed_actor<
  /// Publish an event: its type and its JSON payload (no reply).
  caf::reacts_to<publish_atom, std::string, std::string>,
  /// Events with a sequence above `after`; waits up to `wait` for the first
  /// one, and answers an empty list when none came.
  caf::replies_to<events_atom, std::uint64_t, std::chrono::milliseconds>::with<std::vector<node_event>>,
  /// internal: a waiting reader's time is up.
  caf::reacts_to<events_due_atom, std::uint64_t>>;

[[nodiscard]] event_bus_actor spawn_event_bus(caf::actor_system& system, std::size_t capacity = 1024);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::node_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::actors::node_event>)
