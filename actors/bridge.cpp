#include "actors/bridge.hpp"

#include <caf/behavior.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

namespace snapstream::actors {

namespace {

caf::behavior bridge_actor(caf::event_based_actor* self) {
  return {
    [self](detail::bridge_call_ptr& call) { call->issue(self); },
  };
}

} // namespace

bridge::bridge(caf::actor_system& system) : system_(system), actor_(system.spawn(bridge_actor)) {}

bridge::~bridge() { stop(); }

void bridge::stop() {
  if (!actor_) return;
  caf::scoped_actor waiter{system_};
  waiter->monitor(actor_);
  waiter->send_exit(actor_, caf::exit_reason::user_shutdown);
  waiter->receive([](const caf::down_msg&) {});
  actor_ = nullptr;
}

} // namespace snapstream::actors
