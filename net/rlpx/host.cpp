#include "net/rlpx/host.hpp"

#include "net/rlpx/detail/connection.hpp"
#include "net/rlpx/detail/handlers.hpp"
#include "net/rlpx/detail/host_state.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/rlpx/enode.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>

namespace snapstream::net::rlpx {

namespace {
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
} // namespace

wire::p2p::disconnect_reason disconnect_reason_for(const error& e) noexcept {
  using wire::p2p::disconnect_reason;
  const auto& code = e.code();
  if (code.category() == make_error_code(wire::rlpx_errc::invalid_message).category()) {
    switch (static_cast<wire::rlpx_errc>(code.value())) {
      case wire::rlpx_errc::status_mismatch:
      case wire::rlpx_errc::fork_incompatible:
      case wire::rlpx_errc::fork_remote_stale: return disconnect_reason::subprotocol_error;
      case wire::rlpx_errc::code_out_of_range:
      case wire::rlpx_errc::capability_not_shared:
      case wire::rlpx_errc::crypto_failure: return disconnect_reason::subprotocol_error;
      default: return disconnect_reason::breach_of_protocol;
    }
  }
  if (code.category() == make_error_code(host_errc::timeout).category()) {
    switch (static_cast<host_errc>(code.value())) {
      case host_errc::timeout: return disconnect_reason::ping_timeout;
      case host_errc::connection_lost: return disconnect_reason::tcp_error;
      case host_errc::shutting_down: return disconnect_reason::client_quitting;
      case host_errc::refused: return disconnect_reason::useless_peer;
      default: return disconnect_reason::subprotocol_error;
    }
  }
  return disconnect_reason::subprotocol_error;
}

namespace detail {

host_state::host_state(asio::any_io_executor executor, host_config cfg, wire::eth::fork_filter fork_schedule,
                       wire::public_key id)
  : strand(asio::make_strand(executor)), config(std::move(cfg)), forks(std::move(fork_schedule)), node_id(id),
    idle_signal(strand) {
  // The handlers keep references into `config` and `forks`, which live as
  // long as this state (every connection holds it).
  if (config.eth.enabled) {
    for (const auto version : config.eth.versions) {
      const eth_config* eth = &config.eth;
      const wire::eth::fork_filter* schedule = &forks;
      registrations.push_back({*wire::eth_capability(version), [eth, schedule, version]() {
                                 return std::unique_ptr<capability_handler>(
                                   std::make_unique<eth_handler>(*eth, *schedule, version));
                               }});
    }
  }
  if (config.snap.enabled) {
    const snap_config* snap = &config.snap;
    registrations.push_back({*wire::snap_capability(1),
                             [snap]() -> std::unique_ptr<capability_handler> { return std::make_unique<snap_handler>(*snap); }});
  }
  for (auto& extra : config.extra_capabilities) registrations.push_back(extra);
  for (const auto& r : registrations) local_capabilities.push_back(r.spec);
}

void host_state::spawn(asio::awaitable<void> task, const char* what) {
  ++running;
  auto self = shared_from_this();
  asio::co_spawn(strand, std::move(task), [self, what](std::exception_ptr ep) {
    if (ep) log::error("rlpx", "coroutine_failed", {{"task", what}, {"what", describe_exception(ep)}});
    if (--self->running == 0 && self->stopping) self->idle_signal.cancel();
  });
}

void host_state::emit(const peer_event& e) const {
  if (!config.on_event || detached.load(std::memory_order_acquire)) return;
  try {
    config.on_event(e);
  } catch (const std::exception& ex) {
    log::error("rlpx", "event_handler_failed", {{"what", ex.what()}});
  }
}

void host_state::publish(const peer_info& info) {
  std::lock_guard lock(snapshot_mutex);
  snapshot.insert_or_assign(info.id, info);
}

void host_state::unpublish(const wire::public_key& id) {
  std::lock_guard lock(snapshot_mutex);
  snapshot.erase(id);
}

asio::awaitable<void> host_state::accept_loop(std::shared_ptr<host_state> self) {
  asio::steady_timer backoff(self->strand);
  while (!self->stopping && self->acceptor && self->acceptor->is_open()) {
    auto [ec, socket] = co_await self->acceptor->async_accept(use_tuple);
    if (self->stopping) break;
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      // E.g. out of file descriptors: wait a little instead of spinning.
      log::warn("rlpx", "accept_failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(100));
      auto [wec] = co_await backoff.async_wait(use_tuple);
      (void)wec;
      continue;
    }
    if (self->handshaking >= self->config.max_pending_handshakes) {
      log::warn("rlpx", "inbound_refused", {{"reason", "too many pending handshakes"}});
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto conn = std::make_shared<connection>(self, std::move(socket), true);
    self->connections.insert(conn);
    self->spawn(connection::run_inbound(conn), "rlpx.inbound");
  }
}

// A snap request to `peer`, waiting for its response (already validated by the handler).
asio::awaitable<result<shared_bytes>> snap_request(std::shared_ptr<host_state> st, wire::public_key peer,
                                                   std::uint64_t code, std::uint64_t request_id,
                                                   byte_buffer payload) {
  auto it = st->peers.find(peer);
  if (it == st->peers.end())
    co_return make_error(host_errc::peer_not_found, "no peer " + to_hex(bytes_view(peer).first(8)));
  auto conn = it->second;
  auto* snap = dynamic_cast<snap_handler*>(conn->handler("snap"));
  if (snap == nullptr)
    co_return wire::make_error(wire::rlpx_errc::capability_not_shared, "peer does not share snap");
  auto pending = std::make_shared<snap_handler::pending>(st->strand);
  pending->request_code = code;
  if (auto a = snap->add_pending(request_id, pending); !a) co_return a.error();
  if (auto s = conn->send("snap", code, payload); !s) {
    snap->remove_pending(request_id);
    co_return s.error();
  }
  // One timer is both the wake-up (the handler cancels it when the response
  // arrives) and the timeout: a wait for a signal, not an operation to race.
  pending->signal.expires_after(st->config.snap.request_timeout);
  auto [ec] = co_await pending->signal.async_wait(use_tuple);
  (void)ec;
  if (pending->outcome) co_return std::move(*pending->outcome);
  snap->remove_pending(request_id); // `conn` (held here) keeps the handler alive
  co_return make_error(host_errc::timeout, std::string("snap ") + std::string(wire::snap::message_name(code)) +
                                               " " + std::to_string(request_id) + " unanswered after " +
                                               std::to_string(st->config.snap.request_timeout.count()) + " ms");
}

} // namespace detail

// ---------------------------------------------------------------- host

result<std::unique_ptr<host>> host::create(boost::asio::any_io_executor executor, host_config config) {
  auto id = wire::derive_public_key(config.node_key);
  if (!id) return make_error(host_errc::invalid_config, "node key: " + id.error().message());
  if (config.eth.enabled) {
    if (config.eth.versions.empty()) return make_error(host_errc::invalid_config, "eth enabled with no version");
    for (const auto v : config.eth.versions)
      if (v < wire::eth::min_version || v > wire::eth::max_version)
        return make_error(host_errc::invalid_config, "eth version " + std::to_string(v) +
                                                         " unsupported (the Status layouts of 66-69 are implemented)");
  }
  auto forks = wire::eth::fork_filter::create(config.eth.chain);
  if (!forks) return make_error(host_errc::invalid_config, forks.error().message());
  if (config.max_frame_size == 0 || config.max_frame_size > wire::frame_codec::max_frame_size)
    return make_error(host_errc::invalid_config, "max_frame_size must be 1 to 16777215");
  if (config.max_message_size == 0 || config.max_peers == 0 || config.max_pending_handshakes == 0 ||
      config.max_write_queue == 0)
    return make_error(host_errc::invalid_config, "limits must be positive");
  std::vector<wire::capability_spec> specs;
  if (config.eth.enabled)
    for (const auto v : config.eth.versions) specs.push_back(*wire::eth_capability(v));
  if (config.snap.enabled) specs.push_back(*wire::snap_capability(1));
  for (const auto& e : config.extra_capabilities) {
    if (!e.make_handler) return make_error(host_errc::invalid_config, "capability " + e.spec.name + " has no handler");
    specs.push_back(e.spec);
  }
  if (specs.empty()) return make_error(host_errc::invalid_config, "no capability enabled");
  if (auto v = wire::validate_capabilities(specs); !v) return make_error(host_errc::invalid_config, v.error().message());
  auto state = std::make_shared<detail::host_state>(std::move(executor), std::move(config), std::move(*forks), *id);
  return std::unique_ptr<host>(new host(std::move(state)));
}

host::host(std::shared_ptr<detail::host_state> state) : state_(std::move(state)) {}

host::~host() {
  // shutdown() is the orderly way; this only makes sure nothing stays open and
  // that no callback reaches objects that may die with the host's owner.
  auto st = state_;
  st->detached.store(true, std::memory_order_release);
  boost::asio::dispatch(st->strand, [st] {
    st->stopping = true;
    if (st->acceptor) {
      boost::system::error_code ignored;
      st->acceptor->close(ignored);
    }
    auto live = st->connections;
    for (const auto& c : live) c->abandon();
  });
}

boost::asio::strand<boost::asio::any_io_executor> host::executor() const { return state_->strand; }

const wire::public_key& host::node_id() const noexcept { return state_->node_id; }

result<boost::asio::ip::tcp::endpoint> host::start() {
  auto& st = *state_;
  if (!st.config.listen) return make_error(host_errc::not_listening, "listening is disabled in the configuration");
  if (st.acceptor) return st.acceptor->local_endpoint();
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(st.config.listen_address, ec);
  if (ec) return make_error(host_errc::not_listening, "listen address '" + st.config.listen_address + "': " + ec.message());
  const detail::tcp::endpoint endpoint(address, st.config.listen_port);
  detail::tcp::acceptor acceptor(st.strand);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(detail::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(host_errc::not_listening, "listen on " + st.config.listen_address + ":" +
                                                    std::to_string(st.config.listen_port) + ": " + ec.message());
  const auto local = acceptor.local_endpoint(ec);
  if (ec) return make_error(host_errc::not_listening, "listener endpoint: " + ec.message());
  st.acceptor.emplace(std::move(acceptor));
  {
    std::lock_guard lock(st.snapshot_mutex);
    st.listen_endpoint = local;
  }
  log::info("rlpx", "listening", {{"address", local.address().to_string()}, {"port", local.port()},
                                  {"node", to_hex(bytes_view(st.node_id).first(8))}});
  state_->spawn(detail::host_state::accept_loop(state_), "rlpx.accept");
  return local;
}

std::string host::enode(std::string_view host_address) const {
  wire::enode_url e;
  e.id = state_->node_id;
  e.host = std::string(host_address);
  {
    std::lock_guard lock(state_->snapshot_mutex);
    e.port = state_->listen_endpoint ? state_->listen_endpoint->port() : state_->config.listen_port;
  }
  return wire::format_enode(e);
}

namespace detail {

asio::awaitable<result<peer_info>> dial(std::shared_ptr<host_state> st, std::string enode_url) {
  auto target = wire::parse_enode(enode_url);
  if (!target) co_return target.error();
  if (st->stopping) co_return make_error(host_errc::shutting_down, "host is shutting down");
  if (target->id == st->node_id) co_return make_error(host_errc::refused, "refusing to dial ourselves");
  if (st->peers.contains(target->id)) co_return make_error(host_errc::refused, "already connected to that node");
  if (st->handshaking >= st->config.max_pending_handshakes)
    co_return make_error(host_errc::refused, "too many pending handshakes");
  auto conn = std::make_shared<detail::connection>(st, detail::tcp::socket(st->strand), false);
  st->connections.insert(conn);
  auto r = co_await detail::connection::establish_outbound(conn, target->host, target->port, target->id);
  if (!r) {
    log::info("rlpx", "dial_failed", {{"enode", enode_url.substr(0, 24)}, {"error", to_string(r.error())}});
    if (st->stopping)
      co_await detail::connection::finish(conn);
    else
      st->spawn(detail::connection::finish(conn), "rlpx.finish");
    co_return r.error();
  }
  st->spawn(detail::connection::read_loop(conn), "rlpx.read");
  co_return conn->info();
}

asio::awaitable<result<void>> disconnect(std::shared_ptr<host_state> st, wire::public_key peer,
                                         wire::p2p::disconnect_reason reason) {
  auto it = st->peers.find(peer);
  if (it == st->peers.end())
    co_return make_error(host_errc::peer_not_found, "no peer " + to_hex(bytes_view(peer).first(8)));
  it->second->fail(reason, "disconnect requested locally");
  co_return result<void>();
}

asio::awaitable<void> shutdown(std::shared_ptr<host_state> st) {
  if (!st->stopping) {
    st->stopping = true;
    if (st->acceptor) {
      boost::system::error_code ignored;
      st->acceptor->close(ignored);
    }
    auto live = st->connections;
    for (const auto& c : live) c->fail(wire::p2p::disconnect_reason::client_quitting, "host shutting down");
    log::info("rlpx", "shutting_down", {{"connections", live.size()}});
  }
  while (st->running > 0) {
    st->idle_signal.expires_at(std::chrono::steady_clock::time_point::max());
    auto [ec] = co_await st->idle_signal.async_wait(use_tuple);
    (void)ec;
  }
}

} // namespace detail

boost::asio::awaitable<result<peer_info>> host::dial(std::string enode_url) {
  co_return co_await boost::asio::co_spawn(state_->strand, detail::dial(state_, std::move(enode_url)),
                                           boost::asio::use_awaitable);
}

std::vector<peer_info> host::peers() const {
  std::lock_guard lock(state_->snapshot_mutex);
  std::vector<peer_info> out;
  out.reserve(state_->snapshot.size());
  for (const auto& [id, info] : state_->snapshot) out.push_back(info);
  return out;
}

boost::asio::awaitable<result<void>> host::disconnect(wire::public_key peer, wire::p2p::disconnect_reason reason) {
  co_return co_await boost::asio::co_spawn(state_->strand, detail::disconnect(state_, peer, reason),
                                           boost::asio::use_awaitable);
}

namespace {

template <class Message, class Decode>
boost::asio::awaitable<result<snap_reply<Message>>> typed_snap_request(std::shared_ptr<detail::host_state> st,
                                                                       wire::public_key peer, std::uint64_t code,
                                                                       std::uint64_t id, byte_buffer payload,
                                                                       Decode decode) {
  auto raw = co_await boost::asio::co_spawn(st->strand, detail::snap_request(st, peer, code, id, std::move(payload)),
                                            boost::asio::use_awaitable);
  if (!raw) co_return raw.error();
  auto message = decode(**raw);
  if (!message) co_return message.error();
  snap_reply<Message> reply{std::move(*raw), std::move(*message)};
  co_return reply;
}

} // namespace

boost::asio::awaitable<result<snap_reply<wire::snap::account_range>>>
host::request_account_range(wire::public_key peer, wire::snap::get_account_range request) {
  request.request_id = state_->next_request_id.fetch_add(1, std::memory_order_relaxed);
  auto payload = wire::snap::encode(request);
  co_return co_await typed_snap_request<wire::snap::account_range>(
    state_, peer, wire::snap::get_account_range_code, request.request_id, std::move(payload),
    &wire::snap::decode_account_range);
}

boost::asio::awaitable<result<snap_reply<wire::snap::storage_ranges>>>
host::request_storage_ranges(wire::public_key peer, wire::snap::get_storage_ranges request) {
  request.request_id = state_->next_request_id.fetch_add(1, std::memory_order_relaxed);
  auto payload = wire::snap::encode(request);
  co_return co_await typed_snap_request<wire::snap::storage_ranges>(
    state_, peer, wire::snap::get_storage_ranges_code, request.request_id, std::move(payload),
    &wire::snap::decode_storage_ranges);
}

boost::asio::awaitable<result<snap_reply<wire::snap::byte_codes>>>
host::request_byte_codes(wire::public_key peer, wire::snap::get_byte_codes request) {
  request.request_id = state_->next_request_id.fetch_add(1, std::memory_order_relaxed);
  auto payload = wire::snap::encode(request);
  co_return co_await typed_snap_request<wire::snap::byte_codes>(
    state_, peer, wire::snap::get_byte_codes_code, request.request_id, std::move(payload),
    &wire::snap::decode_byte_codes);
}

boost::asio::awaitable<result<snap_reply<wire::snap::trie_nodes>>>
host::request_trie_nodes(wire::public_key peer, wire::snap::get_trie_nodes request) {
  request.request_id = state_->next_request_id.fetch_add(1, std::memory_order_relaxed);
  auto payload = wire::snap::encode(request);
  co_return co_await typed_snap_request<wire::snap::trie_nodes>(
    state_, peer, wire::snap::get_trie_nodes_code, request.request_id, std::move(payload),
    &wire::snap::decode_trie_nodes);
}

boost::asio::awaitable<void> host::shutdown() {
  co_await boost::asio::co_spawn(state_->strand, detail::shutdown(state_), boost::asio::use_awaitable);
}

} // namespace snapstream::net::rlpx
