#include "actors/event_bus.hpp"

#include "actors/atoms.hpp"
#include "actors/resilience.hpp"
#include "protocol/common/log.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <deque>
#include <list>

namespace snapstream::actors {

namespace {

struct waiter {
  std::uint64_t id = 0;
  std::uint64_t after = 0;
  caf::typed_response_promise<std::vector<node_event>> promise;
};

struct bus_state {
  std::size_t capacity = 1024;
  std::uint64_t next_sequence = 1;
  std::uint64_t next_waiter = 1;
  std::deque<node_event> events;
  std::list<waiter> waiters;
  static inline const char* name = "snapstream.event_bus";

  std::vector<node_event> after(std::uint64_t seq) const {
    std::vector<node_event> out;
    for (const auto& e : events)
      if (e.sequence > seq) out.push_back(e);
    return out;
  }
};

using bus_self = event_bus_actor::stateful_pointer<bus_state>;

event_bus_actor::behavior_type bus(bus_self self, std::size_t capacity) {
  self->state.capacity = std::max<std::size_t>(1, capacity);
  tolerate_stray_messages(self, "events");
  return {
    [self](publish_atom, std::string& type, std::string& json) {
      auto& st = self->state;
      node_event e{st.next_sequence++, std::move(type), std::move(json)};
      if (e.type != "SessionProgress") log::info("events", e.type, {{"seq", e.sequence}, {"event", e.json}});
      st.events.push_back(std::move(e));
      while (st.events.size() > st.capacity) st.events.pop_front();
      for (auto it = st.waiters.begin(); it != st.waiters.end();) {
        auto ready = st.after(it->after);
        if (ready.empty()) {
          ++it;
          continue;
        }
        it->promise.deliver(std::move(ready));
        it = st.waiters.erase(it);
      }
    },
    [self](events_atom, std::uint64_t after, std::chrono::milliseconds wait)
      -> caf::result<std::vector<node_event>> {
      auto& st = self->state;
      auto ready = st.after(after);
      if (!ready.empty() || wait.count() <= 0) return ready;
      const auto id = st.next_waiter++;
      auto rp = self->make_response_promise<std::vector<node_event>>();
      st.waiters.push_back(waiter{id, after, rp});
      self->delayed_send(self, wait, events_due_atom::value, id);
      return rp;
    },
    [self](events_due_atom, std::uint64_t id) {
      auto& ws = self->state.waiters;
      for (auto it = ws.begin(); it != ws.end(); ++it) {
        if (it->id != id) continue;
        it->promise.deliver(std::vector<node_event>{});
        ws.erase(it);
        return;
      }
    },
  };
}

} // namespace

event_bus_actor spawn_event_bus(caf::actor_system& system, std::size_t capacity) {
  return system.spawn(bus, capacity);
}

} // namespace snapstream::actors
