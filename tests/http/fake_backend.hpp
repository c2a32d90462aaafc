#pragma once
/// A scripted `control_backend` for the HTTP tests. Peer ids choose the
/// answer of `start_session`:
///   "bad..." -> invalid_argument "invalid peer id: <peer>"
///   "unreachable" -> peer_unreachable, "busy" -> saturated,
///   "stopping" -> shutting_down, "boom" -> internal,
///   "throw" -> the call throws, "slow" -> waits a minute (cancellable),
///   a resume of session 999 -> resume_rejected naming chunk 7;
///   an id in `peers` starting "bad" -> invalid_argument as above;
///   a `plan_id` that is not 64 hex characters -> the node's invalid_argument;
/// anything else creates a session in state `planning`: its `peer` is the
/// first provider (empty for a discovery), and a start with `peers` lists
/// every provider, `planning`, in `peers`.
/// Thread-safe: the test thread configures it while the server's thread calls it.

#include "actors/control.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace snapstream::http::test {

namespace asio = boost::asio;
using actors::control_errc;

class fake_backend final : public actors::control_backend {
public:
  // ---- configured from the test thread ----

  /// Adds an event with the next sequence number (1, 2, ...).
  void push_event(std::string type, std::string json) {
    std::lock_guard lock(mutex_);
    events_.push_back({events_.size() + 1, std::move(type), std::move(json)});
  }
  void add_session(actors::session_status s) {
    std::lock_guard lock(mutex_);
    sessions_[s.session] = std::move(s);
  }
  void set_breakers(std::vector<actors::breaker_status> b) {
    std::lock_guard lock(mutex_);
    breakers_ = std::move(b);
  }
  void set_metrics(actors::metrics_snapshot m) {
    std::lock_guard lock(mutex_);
    metrics_ = std::move(m);
  }
  [[nodiscard]] std::optional<actors::start_command> last_command() {
    std::lock_guard lock(mutex_);
    return last_command_;
  }
  [[nodiscard]] int resets() const { return resets_; }
  /// Slow calls that ended because they were cancelled.
  [[nodiscard]] int cancelled_calls() const { return cancelled_; }

  // ---- control_backend ----

  asio::awaitable<result<actors::session_status>> start_session(actors::start_command cmd) override {
    {
      std::lock_guard lock(mutex_);
      last_command_ = cmd;
    }
    if (cmd.peer == "slow") {
      co_await sleep(std::chrono::minutes(1));
      co_return error{control_errc::internal, "slow call was not cancelled"};
    }
    if (cmd.peer == "throw") throw std::runtime_error("backend exploded");
    if (cmd.peer.rfind("bad", 0) == 0) co_return error{control_errc::invalid_argument, "invalid peer id: " + cmd.peer};
    for (const auto& p : cmd.peers)
      if (p.rfind("bad", 0) == 0) co_return error{control_errc::invalid_argument, "invalid peer id: " + p};
    if (cmd.plan_id && (cmd.plan_id->size() != 64 ||
                        cmd.plan_id->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
      co_return error{control_errc::invalid_argument,
                      "invalid plan_id: expected 64 hex characters, got '" + *cmd.plan_id + "'"};
    if (cmd.peer == "unreachable")
      co_return error{control_errc::peer_unreachable, "provider unreachable did not answer: connection refused"};
    if (cmd.peer == "busy") co_return error{control_errc::saturated, "too many sessions: 4 running"};
    if (cmd.peer == "stopping") co_return error{control_errc::shutting_down, "the node is shutting down"};
    if (cmd.peer == "boom") co_return error{control_errc::internal, "database write failed"};
    if (cmd.resume && cmd.resume->session == 999)
      co_return error{control_errc::resume_rejected,
                      "resume rejected: chunk 7 is beyond the plan's last chunk 5"};
    std::lock_guard lock(mutex_);
    actors::session_status s;
    s.session = cmd.resume ? cmd.resume->session : next_id_++;
    s.peer = cmd.peer.empty() && !cmd.peers.empty() ? cmd.peers.front() : cmd.peer;
    s.chunk_size = cmd.chunk_size;
    if (cmd.resume) s.plan_id = cmd.resume->plan_id;
    if (cmd.plan_id) s.plan_id = cmd.plan_id;
    if (!cmd.peers.empty()) {
      std::vector<std::string> providers;
      if (!cmd.peer.empty()) providers.push_back(cmd.peer);
      providers.insert(providers.end(), cmd.peers.begin(), cmd.peers.end());
      for (auto& p : providers) {
        actors::peer_status ps;
        ps.peer = std::move(p);
        ps.state = "planning";
        s.peers.push_back(std::move(ps));
      }
    }
    sessions_[s.session] = s;
    co_return s;
  }

  asio::awaitable<result<actors::session_status>> session(std::uint64_t id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) co_return error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)};
    co_return it->second;
  }

  asio::awaitable<result<std::vector<actors::session_status>>> sessions() override {
    std::lock_guard lock(mutex_);
    std::vector<actors::session_status> out;
    for (const auto& [id, s] : sessions_) out.push_back(s);
    co_return out;
  }

  asio::awaitable<result<void>> cancel_session(std::uint64_t id) override {
    std::lock_guard lock(mutex_);
    if (sessions_.erase(id) == 0)
      co_return error{control_errc::not_found, "unknown snapshot session " + std::to_string(id)};
    co_return result<void>{};
  }

  asio::awaitable<result<std::vector<actors::breaker_status>>> breakers() override {
    std::lock_guard lock(mutex_);
    co_return breakers_;
  }

  asio::awaitable<result<void>> reset_breakers() override {
    std::lock_guard lock(mutex_);
    breakers_.clear();
    ++resets_;
    co_return result<void>{};
  }

  asio::awaitable<result<std::vector<actors::peer_info>>> peers() override {
    actors::peer_info p;
    p.peer_id = "12D3KooWProvider";
    p.transport = "libp2p";
    p.addresses = {"/ip4/127.0.0.1/tcp/4001"};
    p.protocols = {"/rpp/snapshots/1.0.0"};
    actors::peer_info r;
    r.peer_id = "enode-a1";
    r.transport = "rlpx";
    r.protocols = {"eth/68"};
    r.offsets = {{"eth", 68, 16, 17}};
    std::vector<actors::peer_info> out{p, r};
    co_return out;
  }

  asio::awaitable<result<actors::snapshot_info>> create_snapshot() override {
    actors::snapshot_info info;
    info.plan_id = "plan-42";
    info.height = 42;
    info.page_count = 3;
    info.record_count = 1000;
    info.total_bytes = 65536;
    info.update_count = 2;
    co_return info;
  }

  asio::awaitable<result<actors::node_description>> describe_node() override {
    actors::node_description d;
    d.peer_id = "12D3KooWfakenode";
    d.addresses = {"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWfakenode"};
    d.version = "0.1.0";
    d.uptime_s = 12;
    d.snapshots = {{std::string(64, 'a'), 7, 3, 30, 3000, 2}};
    co_return d;
  }

  asio::awaitable<result<std::uint64_t>> open_event_stream() override {
    std::lock_guard lock(mutex_);
    const auto id = next_stream_++;
    open_streams_.insert(id);
    co_return id;
  }

  void close_event_stream(std::uint64_t stream) noexcept override {
    std::lock_guard lock(mutex_);
    open_streams_.erase(stream);
  }

  asio::awaitable<result<std::vector<actors::node_event>>> events_after(std::uint64_t /*stream*/,
                                                                       std::uint64_t after,
                                                                       std::chrono::milliseconds wait) override {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        std::vector<actors::node_event> out;
        for (const auto& e : events_)
          if (e.sequence > after) out.push_back(e);
        if (!out.empty()) co_return out;
      }
      if (std::chrono::steady_clock::now() >= deadline) co_return std::vector<actors::node_event>{};
      if (!co_await sleep(std::chrono::milliseconds(5)))
        co_return error{control_errc::shutting_down, "event wait cancelled"};
    }
  }

  asio::awaitable<result<actors::metrics_snapshot>> metrics() override {
    std::lock_guard lock(mutex_);
    auto m = metrics_;
    m.http = stats_;
    m.http.set_event_streams(open_streams_.size());
    co_return m;
  }

  // The accounting the HTTP control actor keeps, kept the same way here.
  void request_done(unsigned status, double seconds, bool timed) noexcept override {
    std::lock_guard lock(mutex_);
    stats_.record(status, seconds, timed);
  }

  void connections_changed(std::uint64_t open) noexcept override {
    std::lock_guard lock(mutex_);
    stats_.set_connections(open);
  }

  /// Event streams the server has open right now.
  [[nodiscard]] std::size_t open_event_streams() {
    std::lock_guard lock(mutex_);
    return open_streams_.size();
  }

private:
  /// Sleeps; false when cancelled.
  asio::awaitable<bool> sleep(std::chrono::steady_clock::duration d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(d);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) ++cancelled_;
    co_return !ec;
  }

  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, actors::session_status> sessions_;
  std::vector<actors::node_event> events_;
  std::vector<actors::breaker_status> breakers_;
  actors::metrics_snapshot metrics_;
  actors::control_plane_stats stats_;
  std::uint64_t next_stream_ = 1;
  std::set<std::uint64_t> open_streams_;
  std::optional<actors::start_command> last_command_;
  std::atomic<int> resets_{0};
  std::atomic<int> cancelled_{0};
};

} // namespace snapstream::http::test
