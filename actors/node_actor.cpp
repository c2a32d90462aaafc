#include "actors/node_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/resilience.hpp"
#include "protocol/common/log.hpp"

#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/response_type.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace snapstream::actors {

namespace {

using namespace std::chrono_literals;

struct node_data {
  node_children children;
  bool shutting_down = false;
  caf::error shutdown_reason;
  static inline const char* name = "snapstream.node";
};

using self_pointer = node_actor::stateful_pointer<node_data>;

const char* child_name(const node_children& c, const caf::actor_addr& who) {
  if (who == c.supervisor.address()) return "sync_supervisor";
  if (who == c.provider.address()) return "provider";
  if (who == c.writer.address()) return "persistence_writer";
  if (who == c.events.address()) return "event_bus";
  return nullptr;
}

/// Stops the children in order: sessions (through their supervisor) first,
/// then the provider, then the writer and the event bus. Each step waits for
/// the previous child's DOWN.
void stop_next_child(self_pointer self) {
  auto& c = self->state.children;
  const auto stop = [self](const auto& child) {
    if (!child) return false;
    self->send_exit(child, caf::exit_reason::user_shutdown);
    return true;
  };
  if (stop(c.supervisor) || stop(c.provider) || stop(c.writer) || stop(c.events)) return;
  self->quit(self->state.shutdown_reason);
}

void on_child_down(self_pointer self, const caf::down_msg& dm) {
  auto& st = self->state;
  const char* name = child_name(st.children, dm.source);
  if (name == nullptr) return;
  const auto forget = [&dm](auto& child) {
    if (child.address() == dm.source) child = nullptr;
  };
  forget(st.children.supervisor);
  forget(st.children.provider);
  forget(st.children.writer);
  forget(st.children.events);
  if (st.shutting_down) {
    stop_next_child(self);
    return;
  }
  // An essential child died on its own: the node cannot go on without it.
  log::error("node", "child_failed", {{"child", name}, {"reason", caf::to_string(dm.reason)}});
  st.shutting_down = true;
  st.shutdown_reason = dm.reason ? dm.reason : caf::error(caf::exit_reason::unhandled_exception);
  stop_next_child(self);
}

/// Hands a command to `child`, which answers the asker directly (typed
/// delegation: the reply type is the child's); while the node shuts down a
/// child may already be gone, and the asker then gets `unavailable` at once
/// instead of waiting for its timeout.
template <class Child, class... Ts>
auto route(self_pointer self, const Child& child, Ts... xs) ->
  typename caf::response_type<typename Child::signatures, Ts...>::delegated_type {
  if (!child) {
    auto rp = self->make_response_promise();
    rp.deliver(to_caf_error(error{actors_errc::unavailable, "the node is shutting down"}));
    return {};
  }
  return self->delegate(child, std::move(xs)...);
}

node_actor::behavior_type node(self_pointer self, node_actor_config config) {
  tolerate_stray_messages(self, "node");
  auto& sys = self->system();
  auto& c = self->state.children;
  c.writer = spawn_persistence_writer(sys, config.db);
  c.events = spawn_event_bus(sys);
  c.provider = spawn_provider(sys, config.db, std::move(config.key), config.provider);
  auto env = std::make_shared<session_env>(std::move(config.env));
  env->writer = config.writer_proxy ? config.writer_proxy(c.writer) : c.writer;
  env->events = c.events;
  c.supervisor = spawn_sync_supervisor(sys, env, config.consumer);
  self->monitor(c.writer);
  self->monitor(c.events);
  self->monitor(c.provider);
  self->monitor(c.supervisor);

  self->set_down_handler([self](caf::down_msg& dm) { on_child_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& st = self->state;
    if (st.shutting_down) return;
    st.shutting_down = true;
    st.shutdown_reason = em.reason;
    stop_next_child(self);
  });

  return {
    // Consumer commands: the session supervisor answers.
    [self](start_atom a, start_command& cmd) { return route(self, self->state.children.supervisor, a, std::move(cmd)); },
    [self](status_atom a, std::uint64_t id) { return route(self, self->state.children.supervisor, a, id); },
    [self](list_atom a) { return route(self, self->state.children.supervisor, a); },
    [self](cancel_atom a, std::uint64_t id) { return route(self, self->state.children.supervisor, a, id); },
    [self](fetch_atom a, std::uint64_t id) { return route(self, self->state.children.supervisor, a, id); },
    [self](consumer_stats_atom a) { return route(self, self->state.children.supervisor, a); },
    // Provider commands.
    [self](provider_stats_atom a) { return route(self, self->state.children.provider, a); },
    [self](breaker_reset_atom a) {
      // Both sides' breakers: the consumers this node refuses, and the
      // providers it left out of its jobs.
      if (self->state.children.supervisor) self->send(self->state.children.supervisor, a);
      return route(self, self->state.children.provider, a);
    },
    [self](build_snapshot_atom a) { return route(self, self->state.children.provider, a); },
    [self](list_snapshots_atom a) { return route(self, self->state.children.provider, a); },
    // Events.
    [self](events_atom a, std::uint64_t after, std::chrono::milliseconds wait) {
      return route(self, self->state.children.events, a, after, wait);
    },
    [self](node_children_atom) { return self->state.children; },
    // Metrics: the provider's and the consumer's counters together.
    [self](metrics_atom) -> caf::result<metrics_snapshot> {
      auto rp = self->make_response_promise();
      auto supervisor = self->state.children.supervisor;
      if (!supervisor || !self->state.children.provider) {
        rp.deliver(to_caf_error(error{actors_errc::unavailable, "the node is shutting down"}));
        return rp;
      }
      self->request(self->state.children.provider, 10s, provider_stats_atom::value)
        .then(
          [self, rp, supervisor](provider_stats& provided) mutable {
            self->request(supervisor, 10s, consumer_stats_atom::value)
              .then(
                [rp, provided](consumer_stats& consumed) mutable {
                  metrics_snapshot m;
                  m.sessions_by_state = std::move(consumed.sessions_by_state);
                  m.bytes_received = consumed.bytes_received;
                  m.chunks_received = consumed.chunks_received;
                  m.chunks_asked_ahead = consumed.chunks_asked_ahead;
                  m.verification_failures = consumed.verification_failures;
                  m.latency_bounds = std::move(consumed.latency_bounds);
                  m.latency_buckets = std::move(consumed.latency_buckets);
                  m.latency_sum = consumed.latency_sum;
                  m.latency_count = consumed.latency_count;
                  m.bytes_served = provided.bytes_served;
                  m.chunks_served = provided.chunks_served;
                  m.inbound_sessions = provided.active_sessions;
                  m.requests_served = provided.requests_served;
                  m.requests_refused = provided.requests_refused;
                  m.breakers = std::move(provided.breakers);
                  m.breakers.insert(m.breakers.end(), consumed.provider_breakers.begin(),
                                    consumed.provider_breakers.end());
                  m.sync_restarts = consumed.restarts;
                  m.peers_banned = consumed.peers_banned;
                  m.sync_peers = std::move(consumed.peers);
                  m.upload_limit = provided.upload_limit.bytes_per_second;
                  m.upload_limit_per_peer = provided.upload_limit.per_peer_bytes_per_second;
                  m.throttled_responses = provided.throttled_responses;
                  m.throttle_wait_ms = provided.throttle_wait_ms;
                  m.offers_served = provided.offers_served;
                  m.carried_acks = provided.carried_acks;
                  m.prepared_hits = provided.prepared_hits;
                  m.not_available_refusals = provided.not_available_refusals;
                  m.sessions_expired = provided.sessions_expired;
                  for (const auto& p : provided.peers)
                    m.served_peers.push_back({p.peer, p.bytes_served, p.chunks_served});
                  rp.deliver(std::move(m));
                },
                [rp](caf::error& e) mutable { rp.deliver(e); });
          },
          [rp](caf::error& e) mutable { rp.deliver(e); });
      return rp;
    },
  };
}

} // namespace

node_actor spawn_node_actor(caf::actor_system& system, node_actor_config config) {
  return system.spawn(node, std::move(config));
}

} // namespace snapstream::actors
