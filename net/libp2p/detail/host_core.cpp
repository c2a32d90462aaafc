#include "net/libp2p/detail/host_core.hpp"

#include "net/common/deadline.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace snapstream::net::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

error deadline_error(host_errc code, std::string what) { return make_error(code, std::move(what)); }

libp2p::multiaddr to_multiaddr(const asio::ip::tcp::endpoint& ep) {
  libp2p::multiaddr m;
  const auto addr = ep.address();
  if (addr.is_v4() || (addr.is_v6() && addr.to_v6().is_v4_mapped())) {
    m.kind = libp2p::multiaddr::host_kind::ip4;
    m.host = addr.is_v4() ? addr.to_string() : asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
  } else {
    m.kind = libp2p::multiaddr::host_kind::ip6;
    m.host = addr.to_v6().to_string();
  }
  m.port = ep.port();
  return m;
}

host_core::host_core(asio::any_io_executor ex, libp2p::identity id, host_config config)
  : ex_(std::move(ex)), identity_(std::move(id)), config_(config) {}

void host_core::spawn(awaitable<void> task, const char* name) {
  tasks_.emplace_back();
  auto slot = std::prev(tasks_.end());
  auto self = shared_from_this();
  asio::co_spawn(ex_, std::move(task),
                 asio::bind_cancellation_slot(slot->signal.slot(), [self, slot, name](std::exception_ptr e) {
                   if (e)
                     log::error(log_component, "task_failed", {{"task", name}, {"what", describe_exception(e)}});
                   // Deferred: this handler can run inside `signal.emit()` while
                   // stop() iterates the task list; erasing here would pull the
                   // node out from under that loop.
                   asio::post(self->ex_, [self, slot] {
                     self->tasks_.erase(slot);
                     if (self->tasks_.empty()) self->tasks_done_.notify_all();
                   });
                 }));
}

std::shared_ptr<connection> host_core::find_connection(const libp2p::peer_id& peer) const {
  for (const auto& c : connections_) {
    if (c->usable() && c->remote() == peer) return c;
  }
  return nullptr;
}

void host_core::on_closed(connection* conn) {
  connections_.remove_if([conn](const std::shared_ptr<connection>& c) { return c.get() == conn; });
}

std::vector<std::string> host_core::supported_protocols() const {
  std::vector<std::string> out;
  for (const auto& [id, reg] : request_handlers_) out.push_back(id);
  for (const auto& [id, handler] : stream_handlers_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

void host_core::on_inbound_stream(std::shared_ptr<connection> conn, std::shared_ptr<stream_state> st) {
  if (stopping_) return;
  spawn(serve_inbound_stream(shared_from_this(), std::move(conn), std::move(st)), "inbound_stream");
}

// ------------------------------------------------------------------ dialling

awaitable<result<std::shared_ptr<connection>>> host_core::dial(std::shared_ptr<host_core> self,
                                                               libp2p::multiaddr address, clock::time_point deadline) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto hs_deadline = std::min(deadline, clock::now() + self->config_.handshake_timeout);
  const std::string where = address.to_string();

  // Resolve.
  std::vector<asio::ip::tcp::endpoint> endpoints;
  using kind = libp2p::multiaddr::host_kind;
  if (address.kind == kind::ip4 || address.kind == kind::ip6) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (ec) co_return make_error(host_errc::dial_failed, where + ": " + ec.message());
    endpoints.emplace_back(ip, address.port);
  } else {
    asio::ip::tcp::resolver resolver(self->ex_);
    const auto family = address.kind == kind::dns4 ? asio::ip::tcp::v4() : asio::ip::tcp::v6();
    auto resolve = resolver.async_resolve(family, address.host, std::to_string(address.port), asio::deferred);
    auto resolved = co_await with_deadline(std::move(resolve), hs_deadline);
    if (!resolved) co_return make_error(host_errc::handshake_timeout, where + ": DNS resolution timed out");
    auto [ec, results] = std::move(*resolved);
    if (ec) co_return make_error(host_errc::dial_failed, where + ": " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
    if (endpoints.empty()) co_return make_error(host_errc::dial_failed, where + ": no address found");
  }
  if (self->stopping_) co_return self->stopped_error();
  if (self->connections_.size() >= self->config_.max_connections) {
    co_return make_error(host_errc::connection_limit,
                         "cannot dial " + where + ": " + std::to_string(self->config_.max_connections) +
                             " connections open");
  }

  auto conn = std::make_shared<connection>(self, asio::ip::tcp::socket(self->ex_), true);
  self->connections_.push_back(conn);
  auto tcp_connect = asio::async_connect(conn->socket(), endpoints, asio::deferred);
  auto connected = co_await with_deadline(std::move(tcp_connect), hs_deadline);
  const auto ec = connected ? std::get<0>(*connected) : boost::system::error_code();
  if (!connected || ec) {
    error e = !connected ? make_error(host_errc::handshake_timeout, where + ": TCP connect timed out")
                         : make_error(host_errc::dial_failed, where + ": " + ec.message());
    conn->close(e);
    co_return e;
  }
  boost::system::error_code ignored;
  conn->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  auto up = co_await conn->upgrade(address.peer, hs_deadline);
  if (!up) {
    log::warn(log_component, "dial_failed",
              {{"address", where}, {"code", up.error().code().message()}, {"reason", up.error().message()}});
    conn->close(up.error());
    co_return up.error();
  }
  if (self->stopping_) {
    conn->close(self->stopped_error());
    co_return self->stopped_error();
  }
  self->address_book_[conn->remote()] = address.without_peer();
  conn->start();
  co_return conn;
}

awaitable<result<std::shared_ptr<connection>>> host_core::connect(libp2p::multiaddr address,
                                                                  clock::time_point deadline) {
  auto self = shared_from_this();
  if (stopping_) co_return stopped_error();
  if (!address.peer) co_return co_await dial(self, std::move(address), deadline);
  const libp2p::peer_id peer = *address.peer;
  if (auto c = find_connection(peer)) co_return c;

  if (auto it = dials_.find(peer); it != dials_.end()) {
    auto pending = it->second;
    while (!pending->done) {
      const wake w = co_await pending->waiters.wait_until(deadline);
      if (w == wake::cancelled) co_return stopped_error();
      if (w == wake::deadline && !pending->done && clock::now() >= deadline) {
        co_return make_error(host_errc::timeout, "dial of " + peer.to_string() + " passed the request deadline");
      }
    }
    co_return pending->outcome;
  }

  auto pending = std::make_shared<dial_state>();
  dials_.emplace(peer, pending);
  auto outcome = co_await dial(self, std::move(address), deadline);
  dials_.erase(peer);
  pending->outcome = outcome;
  pending->done = true;
  pending->waiters.notify_all();
  co_return outcome;
}

awaitable<result<std::shared_ptr<connection>>> host_core::connect_target(peer_target target,
                                                                         clock::time_point deadline) {
  if (auto* addr = std::get_if<libp2p::multiaddr>(&target)) {
    if (!addr->peer) {
      co_return make_error(host_errc::invalid_argument,
                           "multiaddr " + addr->to_string() + " lacks /p2p/<peer id>");
    }
    co_return co_await connect(std::move(*addr), deadline);
  }
  const auto& peer = std::get<libp2p::peer_id>(target);
  if (stopping_) co_return stopped_error();
  if (auto c = find_connection(peer)) co_return c;
  auto it = address_book_.find(peer);
  if (it == address_book_.end()) {
    co_return make_error(host_errc::no_address, "no connection to and no address for " + peer.to_string());
  }
  libp2p::multiaddr address = it->second;
  address.peer = peer;
  co_return co_await connect(std::move(address), deadline);
}

// ------------------------------------------------------------------ accepting

awaitable<void> serve_inbound_connection(std::shared_ptr<host_core> core, std::shared_ptr<connection> conn) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto up = co_await conn->upgrade(std::nullopt, clock::now() + core->config_.handshake_timeout);
  if (!up) {
    log::warn(log_component, "inbound_upgrade_failed",
              {{"address", conn->remote_address().to_string()},
               {"code", up.error().code().message()},
               {"reason", up.error().message()}});
    conn->close(up.error());
    co_return;
  }
  if (core->stopping_) {
    conn->close(core->stopped_error());
    co_return;
  }
  conn->start();
}

awaitable<void> accept_loop(std::shared_ptr<host_core> core, asio::ip::tcp::acceptor* acceptor) {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(use_awaitable));
    if (core->stopping_) break;
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      log::warn(log_component, "accept_failed", {{"error", ec.message()}});
      // Out of descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(core->ex_, std::chrono::milliseconds(100));
      auto [pause_ec] = co_await pause.async_wait(asio::as_tuple(use_awaitable));
      if (pause_ec || core->stopping_) break;
      continue;
    }
    boost::system::error_code ignored;
    if (core->connections_.size() >= core->config_.max_connections) {
      const auto ep = socket.remote_endpoint(ignored);
      log::warn(log_component, "connection_refused",
                {{"address", to_multiaddr(ep).to_string()},
                 {"code", to_string(host_errc::connection_limit)},
                 {"reason", std::to_string(core->config_.max_connections) + " connections open"}});
      socket.close(ignored);
      continue;
    }
    const auto remote = socket.remote_endpoint(ignored);
    const address_group group = group_of(remote.address());
    const auto same_address = std::count_if(core->connections_.begin(), core->connections_.end(),
                                            [&](const std::shared_ptr<connection>& c) {
                                              return !c->outbound() && c->remote_group() == group;
                                            });
    if (static_cast<std::size_t>(same_address) >= core->config_.max_connections_per_ip) {
      log::warn(log_component, "connection_refused",
                {{"address", to_multiaddr(remote).to_string()},
                 {"code", to_string(host_errc::connection_limit_per_ip)},
                 {"reason", std::to_string(same_address) + " connections open from this address"}});
      socket.close(ignored);
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    auto conn = std::make_shared<connection>(core, std::move(socket), false);
    core->connections_.push_back(conn);
    core->spawn(serve_inbound_connection(core, std::move(conn)), "inbound_connection");
  }
}

// ------------------------------------------------------------------ inbound streams

awaitable<void> serve_inbound_stream(std::shared_ptr<host_core> core, std::shared_ptr<connection> conn,
                                     std::shared_ptr<stream_state> st) {
  co_await asio::this_coro::throw_if_cancelled(false);
  stream handle(conn, st); // resets the stream if this coroutine ends early
  auto proto = co_await conn->negotiate_inbound(st, core->supported_protocols(),
                                                clock::now() + core->config_.handshake_timeout);
  if (!proto) {
    log::info(log_component, "inbound_negotiation_failed",
              {{"peer", conn->remote().to_string()}, {"stream", st->id},
               {"code", proto.error().code().message()}, {"reason", proto.error().message()}});
    co_return;
  }

  if (auto sh = core->stream_handlers_.find(*proto); sh != core->stream_handlers_.end()) {
    stream_handler handler = sh->second;
    try {
      co_await handler(std::move(handle));
    } catch (const std::exception& e) {
      log::error(log_component, "stream_handler_failed", {{"protocol", *proto}, {"what", e.what()}});
    }
    co_return;
  }

  auto rh = core->request_handlers_.find(*proto);
  if (rh == core->request_handlers_.end()) co_return; // handler removed meanwhile: the handle resets
  const protocol_spec spec = rh->second.spec;
  request_handler handler = rh->second.handler;
  const auto deadline = clock::now() + core->config_.inbound_request_timeout;

  auto request = co_await conn->read_to_end(st, spec.max_request_size, host_errc::request_too_large, deadline);
  if (!request) {
    log::info(log_component, "inbound_request_failed",
              {{"peer", conn->remote().to_string()}, {"protocol", *proto},
               {"code", request.error().code().message()}, {"reason", request.error().message()}});
    co_return;
  }

  result<shared_bytes> reply = make_error(host_errc::handler_failed, "request handler threw");
  try {
    reply = co_await handler(conn->remote(), *proto, std::move(*request));
  } catch (const std::exception& e) {
    reply = make_error(host_errc::handler_failed, std::string("request handler threw: ") + e.what());
  }
  if (!reply || !*reply) {
    const error e = !reply ? reply.error() : make_error(host_errc::handler_failed, "request handler returned no body");
    log::warn(log_component, "request_handler_failed",
              {{"peer", conn->remote().to_string()}, {"protocol", *proto},
               {"code", e.code().message()}, {"reason", e.message()}});
    handle.reset();
    co_return;
  }
  const shared_bytes body = *reply;
  if (body->size() > spec.max_response_size) {
    log::warn(log_component, "response_too_large",
              {{"peer", conn->remote().to_string()}, {"protocol", *proto},
               {"bytes", body->size()}, {"cap", spec.max_response_size}});
    handle.reset();
    co_return;
  }
  if (auto w = co_await conn->write(st, *body, deadline); !w) {
    log::info(log_component, "response_write_failed",
              {{"peer", conn->remote().to_string()}, {"protocol", *proto},
               {"code", w.error().code().message()}, {"reason", w.error().message()}});
    co_return;
  }
  (void)handle.close_write();
}

// ------------------------------------------------------------------ shutdown

void host_core::shutdown(bool graceful) {
  stopping_ = true;
  boost::system::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
  auto conns = connections_;
  for (auto& c : conns) c->close(stopped_error(), graceful);
  for (auto& [peer, d] : dials_) d->waiters.notify_all();
}

awaitable<void> host_core::stop() {
  auto self = shared_from_this();
  if (!stopping_) log::info(log_component, "host_stopping", {{"peer", identity_.id().to_string()}});
  shutdown(true);
  const auto grace_end = clock::now() + config_.shutdown_grace;
  while (!tasks_.empty() && clock::now() < grace_end) {
    const wake w = co_await tasks_done_.wait_until(grace_end);
    if (w == wake::cancelled) break;
  }
  // Whatever is still running (a writer blocked on a peer that stopped
  // reading, a handler awaiting something else) is cancelled now.
  for (auto& t : tasks_) t.signal.emit(asio::cancellation_type::all);
  for (auto& c : std::list<std::shared_ptr<connection>>(connections_)) c->close(stopped_error());
  while (!tasks_.empty()) {
    (void)co_await tasks_done_.wait_until(clock::now() + std::chrono::seconds(1));
    for (auto& t : tasks_) t.signal.emit(asio::cancellation_type::all);
  }
  log::info(log_component, "host_stopped", {{"peer", identity_.id().to_string()}});
}

} // namespace snapstream::net::detail
