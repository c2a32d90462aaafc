#pragma once
// Many providers of one snapshot, liars and stalls, for the swarm tests.

#include "tests/actors/node_harness.hpp"

#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"
#include "storage/session_store.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <mutex>

namespace snapstream::actors::test {

/// Copies the data directory of a stopped node into `to` (checkpoints included).
inline void copy_data(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy(from, to,
                        std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
}

/// A provider node that serves a copy of another node's snapshot: same plan,
/// same chain (signed by the other node's key), its own identity.
inline void start_as_copy(provider_node& p, const std::filesystem::path& source, provider_config cfg = {},
                          std::uint32_t page_size = 16384) {
  copy_data(source, p.dir.path());
  p.start(0, false, cfg, page_size);
}

/// What a relay does with one request.
enum class relay_verdict { forward, reset };

/// A libp2p peer with its own identity that relays `/rpp/snapshots` requests
/// to an upstream provider. `before` may reset the stream instead of
/// forwarding; `after` may change the upstream's response (a liar).
class relay {
public:
  using before_fn = std::function<relay_verdict(const messages::snapshots_request&)>;
  using after_fn = std::function<bool(const messages::snapshots_request&, messages::snapshots_response&)>;

  relay(libp2p::multiaddr upstream, before_fn before, after_fn after,
        std::vector<net::protocol_spec> protocols = net::snapshot_protocols())
    : upstream_(std::move(upstream)), before_(std::move(before)), after_(std::move(after)),
      protocols_(std::move(protocols)),
      guard_(asio::make_work_guard(io_)), host_(io_.get_executor(), id_) {
    thread_ = std::thread([this] { io_.run(); });
    asio::co_spawn(io_, start(this), asio::use_future).get();
  }

  ~relay() {
    asio::co_spawn(io_, host_.stop(), asio::use_future).get();
    guard_.reset();
    thread_.join();
  }

  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  [[nodiscard]] const libp2p::identity& id() const noexcept { return id_; }
  [[nodiscard]] const libp2p::multiaddr& address() const noexcept { return address_; }
  [[nodiscard]] std::string peer() const { return id_.id().to_string(); }

private:
  static asio::awaitable<void> start(relay* r) {
    r->address_ = *r->host_.listen(loopback());
    r->host_.set_request_handler(r->protocols_, [r](libp2p::peer_id, std::string protocol,
                                                                byte_buffer request) {
      return serve(r, std::move(protocol), std::move(request));
    });
    co_return;
  }

  static asio::awaitable<result<shared_bytes>> serve(relay* r, std::string protocol, byte_buffer request) {
    const auto version = *messages::version_of(protocol);
    const auto encoding = messages::encoding_of(version);
    auto decoded_request = messages::decode_request(request, {messages::max_request_size, version});
    if (decoded_request && r->before_ && r->before_(*decoded_request) == relay_verdict::reset)
      co_return error{net::host_errc::handler_failed, "relay resets this stream"};
    std::vector<net::protocol_spec> specs; // upstream on the version negotiated here
    for (auto& s : net::snapshot_protocols())
      if (s.id == protocol) specs.push_back(s);
    auto reply = co_await r->host_.request(r->upstream_, std::move(specs), std::move(request), 20s);
    if (!reply) co_return reply.error();
    if (decoded_request && r->after_) {
      auto decoded = messages::decode_response(reply->body, {messages::max_response_size(version), version});
      if (decoded && r->after_(*decoded_request, *decoded)) {
        auto out = std::make_shared<byte_buffer>();
        messages::encode(*decoded, encoding, *out);
        co_return out;
      }
    }
    co_return std::make_shared<const byte_buffer>(reply->body.begin(), reply->body.end());
  }

  libp2p::multiaddr upstream_;
  before_fn before_;
  after_fn after_;
  std::vector<net::protocol_spec> protocols_;
  libp2p::identity id_ = libp2p::identity::generate();
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  net::host host_;
  libp2p::multiaddr address_;
  std::thread thread_;
};

/// Flips one byte of a chunk response: the first one it sees, or every one.
struct chunk_liar {
  std::atomic<int> lies{0};
  bool every_chunk = false;
  std::mutex mutex;
  std::vector<std::uint64_t> lied_about;

  relay::after_fn tamper() {
    return [this](const messages::snapshots_request&, messages::snapshots_response& r) {
      auto* c = std::get_if<messages::chunk_response>(&r.body);
      if (c == nullptr || !c->chunk || c->chunk->size() < 32) return false;
      if (!every_chunk && lies.load() > 0) return false;
      auto bytes = *c->chunk;
      bytes[20] ^= 0x01;
      c->chunk = std::make_shared<const byte_buffer>(std::move(bytes));
      ++lies;
      std::lock_guard lock(mutex);
      lied_about.push_back(c->chunk_index);
      return true;
    };
  }
};

using held_atom = caf::atom_constant<caf::atom("held")>;

/// A proxy of the persistence writer (it implements `persistence_writer_actor`)
/// that holds the consumer's writes and reads while closed (the writer's
/// queue grows) and forwards them in order once opened; `held_atom` names
/// the messages it holds (their first atom: `persist`, `load`, ...).
using writer_gate_actor =
  persistence_writer_actor::extend<caf::reacts_to<hold_atom>, caf::reacts_to<release_atom>,
                                   caf::replies_to<held_atom>::with<std::vector<std::string>>>;

struct writer_gate_state {
  persistence_writer_actor writer;
  bool closed = false;
  std::deque<std::pair<std::string, std::function<void()>>> held; ///< what, and how to forward it
};

/// The handler of one writer message: requests keep their asker (delegation),
/// one-way writes stay one-way.
template <class Reply, class Atom, class... Ts>
auto gated(writer_gate_actor::pointer self, std::shared_ptr<writer_gate_state> g) {
  return [self, g](Atom atom, Ts... xs) -> caf::result<Reply> {
    auto rp = self->make_response_promise<Reply>();
    std::function<void()> forward = [writer = g->writer, rp, atom, xs...]() mutable {
      if (rp.pending()) rp.delegate(writer, atom, std::move(xs)...);
      else caf::anon_send(writer, atom, std::move(xs)...);
    };
    if (g->closed) g->held.emplace_back(caf::to_string(Atom::value), std::move(forward));
    else forward();
    return rp;
  };
}

inline writer_gate_actor::behavior_type writer_gate(writer_gate_actor::pointer self, persistence_writer_actor writer) {
  auto g = std::make_shared<writer_gate_state>();
  g->writer = writer;
  // The gate lives as long as the writer, so the node's actor system can end.
  self->monitor(writer);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  using storage::provider_session_record;
  using storage::session_record;
  using storage::stored_session;
  return {
    gated<result<void>, persist_atom, session_record>(self, g),
    gated<result<void>, persist_atom, session_record, shared_bytes>(self, g),
    gated<result<void>, persist_atom, session_record, std::uint64_t, shared_bytes>(self, g),
    gated<result<void>, persist_atom, session_record, provider_session_record, chunk_write>(self, g),
    gated<result<void>, persist_atom, provider_session_record>(self, g),
    gated<result<void>, persist_atom, cancel_atom, std::uint64_t>(self, g),
    gated<result<void>, register_atom, shared_bytes, std::vector<shared_bytes>>(self, g),
    gated<result<void>, finalize_atom, std::string, std::uint64_t>(self, g),
    gated<result<std::optional<stored_session>>, load_atom, std::uint64_t>(self, g),
    gated<result<std::vector<stored_session>>, load_atom>(self, g),
    [g](hold_atom) { g->closed = true; },
    [g](release_atom) {
      g->closed = false;
      while (!g->held.empty()) {
        auto forward = std::move(g->held.front().second);
        g->held.pop_front();
        forward();
      }
    },
    [g](held_atom) {
      std::vector<std::string> out;
      for (const auto& [what, forward] : g->held) out.push_back(what);
      return out;
    },
  };
}

/// A consumer configured for the swarm tests.
struct swarm_consumer {
  storage::test::temp_dir dir;
  libp2p::identity id = libp2p::identity::generate();
  std::unique_ptr<node> n;
  writer_gate_actor gate; // set when started with a writer gate

  struct options {
    std::vector<libp2p::multiaddr> peers;
    snapshot::trust_config trust;
    std::chrono::milliseconds discovery_timeout{10'000};
    std::uint32_t max_retries = 20;
    bool auto_resume = true;
    bool gated_writer = false;
    std::chrono::milliseconds request_timeout{20'000};
    std::chrono::milliseconds min_timeout{2'000};
    std::vector<net::protocol_spec> protocols = net::snapshot_protocols();
  };
  options opts;

  void start(options o) {
    opts = std::move(o);
    auto c = base_config(dir.path(), id);
    c.peers = opts.peers;
    c.trust = opts.trust;
    c.consumer.auto_resume = opts.auto_resume;
    c.consumer.discovery_timeout = opts.discovery_timeout;
    c.consumer.restart.max_retries = opts.max_retries;
    c.consumer.session.request_timeout = opts.request_timeout;
    c.consumer.schedule.min_timeout = opts.min_timeout;
    c.consumer.session.protocols = opts.protocols;
    if (opts.gated_writer) {
      auto* self = this;
      c.writer_proxy = [self](persistence_writer_actor writer) -> persistence_writer_actor {
        self->gate = writer->home_system().spawn(writer_gate, writer);
        return self->gate;
      };
    }
    auto started = node::start(std::move(c));
    BOOST_REQUIRE_MESSAGE(started.has_value(), "consumer start: " << (started ? "" : started.error().message()));
    n = std::move(*started);
  }

  void restart() {
    stop();
    start(opts);
  }

  void stop() {
    if (gate) caf::anon_send(gate, release_atom::value);
    if (n) n->stop();
    n.reset();
    gate = nullptr;
  }

  result<session_status> sync(std::vector<std::string> peers, std::optional<std::string> plan_id = {},
                              std::optional<std::uint64_t> chunk_size = 65536) {
    start_command cmd;
    cmd.peers = std::move(peers);
    cmd.plan_id = std::move(plan_id);
    cmd.chunk_size = chunk_size;
    return run_on(*n, n->control().start_session(std::move(cmd)));
  }

  session_status status_of(std::uint64_t id) { return status(*n, id); }

  bool reaches(std::uint64_t session, session_state state, std::chrono::milliseconds limit = 120s) {
    return eventually(
      [&] {
        auto r = run_on(*n, n->control().session(session));
        return r && r->state == state;
      },
      limit);
  }

  storage::stored_session stored(std::uint64_t id) {
    auto s = storage::session_store(n->db()).load(id);
    BOOST_REQUIRE(s.has_value() && s->has_value());
    return **s;
  }

  void hold_writes() { caf::anon_send(gate, hold_atom::value); }
  void release_writes() { caf::anon_send(gate, release_atom::value); }

  /// What the writer gate holds (the first atom of each message).
  std::vector<std::string> held_by_gate() {
    caf::scoped_actor self{n->system()};
    std::vector<std::string> out;
    self->request(gate, 10s, held_atom::value)
      .receive([&](std::vector<std::string>& h) { out = std::move(h); },
               [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  ~swarm_consumer() { stop(); }
};

inline const peer_status* peer_in(const session_status& s, const std::string& peer) {
  for (const auto& p : s.peers)
    if (p.peer == peer) return &p;
  return nullptr;
}

} // namespace snapstream::actors::test
