#pragma once
/// The node's event stream: SnapshotStreamFailed, HeadVerified,
/// SessionProgress, ... Publishers send events; readers (the HTTP `/events`
/// stream, tests) long-poll for events after a sequence number. The bus keeps
/// the last `capacity` events, so a reader that reconnects with its last seen
/// sequence number misses nothing recent.
///
/// Messages:
///   (publish_atom, std::string type, std::string json)         no reply
///   (events_atom, u64 after, std::chrono::milliseconds wait)  -> std::vector<node_event>
///       events with sequence > after; waits up to `wait` for the first one.

#include "actors/control.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

namespace snapstream::actors {

[[nodiscard]] caf::actor spawn_event_bus(caf::actor_system& system, std::size_t capacity = 1024);

} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::node_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<snapstream::actors::node_event>)
