#include "actors/http_control_actor.hpp"

#include "actors/actors_errc.hpp"
#include "actors/bridge.hpp"
#include "protocol/common/log.hpp"
#include "storage/errors.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <utility>

namespace snapstream::actors {

namespace {

using namespace std::chrono_literals;

/// How long the actor waits for the node actor. A resume waits for the
/// provider's answer (allow for a slow dial); a build takes as long as the
/// state is large (no timeout shorter than an hour).
constexpr std::chrono::milliseconds command_timeout = 10s;
constexpr std::chrono::milliseconds start_timeout = 150s;
constexpr std::chrono::milliseconds metrics_timeout = 20s;
constexpr std::chrono::milliseconds build_timeout = std::chrono::hours(1);
/// The bridge waits this much longer than the actor waits for the node, so
/// that the actor's own (typed) timeout answer arrives first.
constexpr std::chrono::milliseconds bridge_margin = 5s;

/// A node actor's answer as a control error: the node's own `control_errc`
/// passes unchanged; an actor that is gone means the node is stopping.
error to_control_error(error e) {
  if (e.code().category() == make_error_code(control_errc::internal).category()) return e;
  if (e.is(actors_errc::unavailable) || e.is(actors_errc::cancelled))
    return {control_errc::shutting_down, "the node is shutting down"};
  if (e.is(actors_errc::timeout)) return {control_errc::internal, "the node did not answer in time"};
  return {control_errc::internal, e.message()};
}

caf::error control_failure(const caf::error& e) { return to_caf_error(to_control_error(from_caf_error(e))); }

/// The bridge's own failures (this actor gone or late) as control errors.
template <class T>
result<T> control_result(result<T> r) {
  if (r) return r;
  return to_control_error(r.error());
}

snapshot_info to_snapshot_info(const storage::snapshot_info& s) {
  return {s.plan_id, s.height, s.page_count, s.record_count, s.total_bytes, s.update_count};
}

struct control_state {
  control_state() = default; // not an aggregate: CAF would build it from the actor pointer
  node_actor node;
  node_identity identity;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  control_plane_stats stats;
  std::map<std::uint64_t, event_subscriber> subscribers;
  std::uint64_t next_subscriber = 1;

  void streams_changed() { stats.set_event_streams(subscribers.size()); }
};

using control_self = http_control_actor::stateful_pointer<control_state>;

/// Asks the node actor and answers the asker with the reply of type `T`, or
/// with the node's failure as a `control_errc`.
template <class T, class... Ts>
caf::result<T> forward(control_self self, std::chrono::milliseconds timeout, Ts&&... xs) {
  auto rp = self->make_response_promise(); // untyped: a typed promise cannot deliver void
  auto& node = self->state.node;
  if (!node) {
    rp.deliver(to_caf_error(error{control_errc::shutting_down, "the node is shutting down"}));
    return rp;
  }
  auto failed = [rp](caf::error& e) mutable { rp.deliver(control_failure(e)); };
  if constexpr (std::is_void_v<T>) {
    self->request(node, timeout, std::forward<Ts>(xs)...).then([rp]() mutable { rp.deliver(caf::unit); }, failed);
  } else {
    self->request(node, timeout, std::forward<Ts>(xs)...)
      .then([rp](T& value) mutable { rp.deliver(std::move(value)); }, failed);
  }
  return rp;
}

http_control_actor::behavior_type control(control_self self, node_actor node, node_identity identity) {
  self->state.node = std::move(node);
  self->state.identity = std::move(identity);
  self->set_down_handler([self](caf::down_msg&) { self->state.node = nullptr; });
  self->monitor(self->state.node);
  return {
    [self](start_atom a, start_command& cmd) -> caf::result<session_status> {
      return forward<session_status>(self, start_timeout, a, std::move(cmd));
    },
    [self](status_atom a, std::uint64_t id) -> caf::result<session_status> {
      return forward<session_status>(self, command_timeout, a, id);
    },
    [self](list_atom a) -> caf::result<std::vector<session_status>> {
      return forward<std::vector<session_status>>(self, command_timeout, a);
    },
    [self](cancel_atom a, std::uint64_t id) -> caf::result<void> {
      return forward<void>(self, command_timeout, a, id);
    },
    [self](breakers_atom) -> caf::result<std::vector<breaker_status>> {
      // Both sides, as the node actor merges them for the metrics: the peers
      // this node's provider refuses, then the providers its jobs leave out.
      auto rp = self->make_response_promise<std::vector<breaker_status>>();
      self->request(self->state.node, metrics_timeout, metrics_atom::value)
        .then([rp](metrics_snapshot& m) mutable { rp.deliver(std::move(m.breakers)); },
              [rp](caf::error& e) mutable { rp.deliver(control_failure(e)); });
      return rp;
    },
    [self](breaker_reset_atom a) -> caf::result<void> { return forward<void>(self, command_timeout, a); },
    [self](build_snapshot_atom a) -> caf::result<snapshot_info> {
      auto rp = self->make_response_promise<snapshot_info>();
      auto failed = [rp](caf::error& e) mutable { rp.deliver(control_failure(e)); };
      self->request(self->state.node, build_timeout, a)
        .then(
          [self, rp, failed](result<storage::snapshot_info>& built) mutable {
            if (built) {
              rp.deliver(to_snapshot_info(*built));
              return;
            }
            auto e = built.error();
            if (!e.is(storage::storage_errc::snapshot_exists)) {
              rp.deliver(to_caf_error(error{control_errc::internal, "snapshot build failed: " + e.message()}));
              return;
            }
            // The state has not changed since the last snapshot: that one is current.
            self->request(self->state.node, command_timeout, list_snapshots_atom::value)
              .then(
                [rp, e](result<std::vector<storage::snapshot_info>>& all) mutable {
                  if (all && !all->empty()) rp.deliver(to_snapshot_info(all->back()));
                  else rp.deliver(to_caf_error(error{control_errc::internal, "snapshot build failed: " + e.message()}));
                },
                failed);
          },
          failed);
      return rp;
    },
    [self](describe_atom) -> caf::result<node_description> {
      auto rp = self->make_response_promise<node_description>();
      self->request(self->state.node, command_timeout, list_snapshots_atom::value)
        .then(
          [self, rp](result<std::vector<storage::snapshot_info>>& all) mutable {
            if (!all) {
              rp.deliver(to_caf_error(error{control_errc::internal, "cannot list snapshots: " + all.error().message()}));
              return;
            }
            const auto& st = self->state;
            node_description d;
            d.peer_id = st.identity.peer_id;
            d.addresses = st.identity.addresses;
            d.version = st.identity.version;
            d.uptime_s = static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - st.started).count());
            for (const auto& s : *all) d.snapshots.push_back(to_snapshot_info(s));
            rp.deliver(std::move(d));
          },
          [rp](caf::error& e) mutable { rp.deliver(control_failure(e)); });
      return rp;
    },
    [self](metrics_atom a) -> caf::result<metrics_snapshot> {
      auto rp = self->make_response_promise<metrics_snapshot>();
      self->request(self->state.node, metrics_timeout, a)
        .then(
          [self, rp](metrics_snapshot& m) mutable {
            m.http = self->state.stats;
            rp.deliver(std::move(m));
          },
          [rp](caf::error& e) mutable { rp.deliver(control_failure(e)); });
      return rp;
    },
    [self](subscribe_atom) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      const auto id = st.next_subscriber++;
      st.subscribers.emplace(id, event_subscriber{id, 0, 0});
      st.streams_changed();
      return id;
    },
    [self](events_atom a, std::uint64_t stream, std::uint64_t after, std::chrono::milliseconds wait)
      -> caf::result<std::vector<node_event>> {
      auto rp = self->make_response_promise<std::vector<node_event>>();
      self->request(self->state.node, wait + command_timeout, a, after, wait)
        .then(
          [self, rp, stream](std::vector<node_event>& events) mutable {
            auto it = self->state.subscribers.find(stream);
            if (it != self->state.subscribers.end() && !events.empty()) {
              it->second.events += events.size();
              it->second.delivered_up_to = std::max(it->second.delivered_up_to, events.back().sequence);
            }
            rp.deliver(std::move(events));
          },
          [rp](caf::error& e) mutable { rp.deliver(control_failure(e)); });
      return rp;
    },
    [self](unsubscribe_atom, std::uint64_t stream) {
      auto& st = self->state;
      st.subscribers.erase(stream);
      st.streams_changed();
    },
    [self](request_done_atom, const answered_request& r) {
      self->state.stats.record(r.status, r.seconds, r.timed);
    },
    [self](connections_atom, std::uint64_t open) { self->state.stats.set_connections(open); },
  };
}

} // namespace

http_control_actor spawn_http_control_actor(caf::actor_system& system, node_actor node, node_identity identity) {
  return system.spawn(control, std::move(node), std::move(identity));
}

actor_control::actor_control(bridge& b, http_control_actor actor, peers_function peers)
  : bridge_(b), actor_(std::move(actor)) {
  add_peer_source(std::move(peers));
}

void actor_control::add_peer_source(peers_function peers) {
  if (peers) peer_sources_.push_back(std::move(peers));
}

boost::asio::awaitable<result<session_status>> actor_control::start_session(start_command cmd) {
  co_return control_result(co_await bridge_.ask<session_status>(actor_, start_timeout + bridge_margin, start_atom::value,
                                                 std::move(cmd)));
}

boost::asio::awaitable<result<session_status>> actor_control::session(std::uint64_t id) {
  co_return control_result(co_await bridge_.ask<session_status>(actor_, command_timeout + bridge_margin, status_atom::value, id));
}

boost::asio::awaitable<result<std::vector<session_status>>> actor_control::sessions() {
  co_return control_result(co_await bridge_.ask<std::vector<session_status>>(actor_, command_timeout + bridge_margin,
                                                              list_atom::value));
}

boost::asio::awaitable<result<void>> actor_control::cancel_session(std::uint64_t id) {
  co_return control_result(co_await bridge_.ask<void>(actor_, command_timeout + bridge_margin, cancel_atom::value, id));
}

boost::asio::awaitable<result<std::vector<breaker_status>>> actor_control::breakers() {
  co_return control_result(co_await bridge_.ask<std::vector<breaker_status>>(actor_, metrics_timeout + bridge_margin,
                                                              breakers_atom::value));
}

boost::asio::awaitable<result<void>> actor_control::reset_breakers() {
  co_return control_result(co_await bridge_.ask<void>(actor_, command_timeout + bridge_margin, breaker_reset_atom::value));
}

boost::asio::awaitable<result<std::vector<peer_info>>> actor_control::peers() {
  std::vector<peer_info> out;
  for (const auto& source : peer_sources_) {
    auto more = source();
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  co_return out;
}

boost::asio::awaitable<result<snapshot_info>> actor_control::create_snapshot() {
  co_return control_result(co_await bridge_.ask<snapshot_info>(actor_, build_timeout + bridge_margin, build_snapshot_atom::value));
}

boost::asio::awaitable<result<node_description>> actor_control::describe_node() {
  co_return control_result(co_await bridge_.ask<node_description>(actor_, command_timeout + bridge_margin,
                                                                  describe_atom::value));
}

boost::asio::awaitable<result<std::uint64_t>> actor_control::open_event_stream() {
  co_return control_result(co_await bridge_.ask<std::uint64_t>(actor_, command_timeout, subscribe_atom::value));
}

boost::asio::awaitable<result<std::vector<node_event>>>
actor_control::events_after(std::uint64_t stream, std::uint64_t after, std::chrono::milliseconds wait) {
  co_return control_result(co_await bridge_.ask<std::vector<node_event>>(actor_, wait + command_timeout + bridge_margin,
                                                          events_atom::value, stream, after, wait));
}

void actor_control::close_event_stream(std::uint64_t stream) noexcept {
  caf::anon_send(actor_, unsubscribe_atom::value, stream);
}

boost::asio::awaitable<result<metrics_snapshot>> actor_control::metrics() {
  co_return control_result(co_await bridge_.ask<metrics_snapshot>(actor_, metrics_timeout + bridge_margin, metrics_atom::value));
}

void actor_control::request_done(unsigned status, double seconds, bool timed) noexcept {
  caf::anon_send(actor_, request_done_atom::value, answered_request{status, seconds, timed});
}

void actor_control::connections_changed(std::uint64_t open) noexcept {
  caf::anon_send(actor_, connections_atom::value, open);
}

} // namespace snapstream::actors
