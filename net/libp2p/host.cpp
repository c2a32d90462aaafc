#include "net/libp2p/host.hpp"

#include "net/libp2p/detail/host_core.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace snapstream::net {

namespace asio = boost::asio;
using asio::awaitable;
using detail::clock;

namespace {

clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  const auto now = clock::now();
  if (timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(clock::time_point::max() - now)) {
    return clock::time_point::max();
  }
  return now + timeout;
}

std::string target_name(const peer_target& t) {
  if (const auto* p = std::get_if<libp2p::peer_id>(&t)) return p->to_string();
  return std::get<libp2p::multiaddr>(t).to_string();
}

} // namespace

host::host(asio::any_io_executor executor, libp2p::identity identity, host_config config)
  : core_(std::make_shared<detail::host_core>(std::move(executor), std::move(identity), config)) {}

host::~host() {
  if (!core_->stopping_ || !core_->connections_.empty()) core_->shutdown(false);
}

const libp2p::peer_id& host::local_peer_id() const noexcept { return core_->identity_.id(); }
asio::any_io_executor host::executor() const noexcept { return core_->ex_; }
const host_config& host::config() const noexcept { return core_->config_; }

result<libp2p::multiaddr> host::listen(const libp2p::multiaddr& address) {
  using kind = libp2p::multiaddr::host_kind;
  if (core_->stopping_) return core_->stopped_error();
  if (address.kind != kind::ip4 && address.kind != kind::ip6) {
    return make_error(host_errc::invalid_argument, "can only listen on /ip4 or /ip6, not " + address.to_string());
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return make_error(host_errc::invalid_argument, address.to_string() + ": " + ec.message());
  const asio::ip::tcp::endpoint ep(ip, address.port);
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(core_->ex_);
  auto fail = [&](const char* step) {
    return make_error(host_errc::listen_failed, std::string(step) + " " + address.to_string() + ": " + ec.message());
  };
  acceptor->open(ep.protocol(), ec);
  if (ec) return fail("open");
  acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  if (ep.protocol() == asio::ip::tcp::v6()) {
    acceptor->set_option(asio::ip::v6_only(true), ec);
    if (ec) return fail("set IPV6_V6ONLY on");
  }
  acceptor->bind(ep, ec);
  if (ec) return fail("bind");
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  const auto bound = acceptor->local_endpoint(ec);
  if (ec) return fail("query");
  libp2p::multiaddr out = detail::to_multiaddr(bound);
  out.peer = local_peer_id();
  core_->listen_addresses_.push_back(out);
  core_->acceptors_.push_back(std::move(acceptor));
  core_->spawn(detail::accept_loop(core_, core_->acceptors_.back().get()), "accept_loop");
  log::info(detail::log_component, "listening", {{"address", out.to_string()}});
  return out;
}

std::vector<libp2p::multiaddr> host::listen_addresses() const { return core_->listen_addresses_; }

void host::set_request_handler(std::vector<protocol_spec> protocols, request_handler handler) {
  for (auto& spec : protocols) {
    core_->stream_handlers_.erase(spec.id);
    core_->request_handlers_[spec.id] = detail::request_registration{spec, handler};
  }
}

void host::set_stream_handler(std::string protocol, stream_handler handler) {
  core_->request_handlers_.erase(protocol);
  core_->stream_handlers_[std::move(protocol)] = std::move(handler);
}

void host::remove_handler(const std::string& protocol) {
  core_->request_handlers_.erase(protocol);
  core_->stream_handlers_.erase(protocol);
}

awaitable<result<response>> host::request(peer_target target, std::vector<protocol_spec> protocols,
                                          byte_buffer request, std::chrono::milliseconds timeout) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto core = core_;
  if (protocols.empty()) co_return make_error(host_errc::invalid_argument, "request without any protocol");
  const auto deadline = deadline_after(timeout);
  auto conn = co_await core->connect_target(target, deadline);
  if (!conn) co_return conn.error();
  auto st = (*conn)->open_stream();
  if (!st) co_return st.error();
  stream handle(*conn, *st); // resets the stream on every early return
  std::vector<std::string> ids;
  ids.reserve(protocols.size());
  for (const auto& p : protocols) ids.push_back(p.id);
  auto too_large = [&](const protocol_spec& spec) {
    return make_error(host_errc::request_too_large, "request of " + std::to_string(request.size()) +
                                                        " bytes exceeds " + spec.id + "'s cap of " +
                                                        std::to_string(spec.max_request_size));
  };
  // Negotiates `ids` from `first` on in full on the open stream, then sends
  // the request and its end.
  auto in_full = [&](std::size_t first) -> awaitable<result<std::size_t>> {
    auto chosen = co_await (*conn)->negotiate_outbound(
      *st, std::vector<std::string>(ids.begin() + static_cast<std::ptrdiff_t>(first), ids.end()), deadline);
    if (!chosen) co_return chosen.error();
    const std::size_t at = first + *chosen;
    if (request.size() > protocols[at].max_request_size) co_return too_large(protocols[at]);
    if (auto w = co_await (*conn)->write(*st, request, deadline); !w) co_return w.error();
    if (auto c = handle.close_write(); !c) co_return c.error();
    co_return at;
  };
  std::size_t index = 0;
  // The proposal, the request and its end go out at once, and the request
  // costs one round trip instead of two (docs/transport.md), when the list's
  // protocol the peer agreed to on this connection is lazy, or, before it
  // agreed to any, when the list's first choice is.
  const auto known = (*conn)->known_choice(ids);
  if (known ? protocols[*known].lazy : protocols.front().lazy) {
    index = known.value_or(0);
    if (request.size() > protocols[index].max_request_size) co_return too_large(protocols[index]);
    auto lazily = co_await (*conn)->request_lazily(*st, ids, index, request, protocols[index].max_response_size,
                                                   deadline);
    if (!lazily) {
      // A first choice proposed on trust and refused: the rest of the list
      // is negotiated in full on a new stream, and the choice is kept for
      // the list. A choice agreed before and now refused fails the request.
      if (known || ids.size() == 1 || !lazily.error().is(libp2p::libp2p_errc::protocol_not_supported))
        co_return lazily.error();
      st = (*conn)->open_stream();
      if (!st) co_return st.error();
      handle = stream(*conn, *st);
      auto chosen = co_await in_full(1);
      if (!chosen) co_return chosen.error();
      index = *chosen;
      (*conn)->remember_choice(ids, index);
    }
  } else {
    auto chosen = co_await in_full(0);
    if (!chosen) co_return chosen.error();
    index = *chosen;
  }
  const protocol_spec& spec = protocols[index];
  auto body = co_await (*conn)->read_to_end(*st, spec.max_response_size, host_errc::response_too_large, deadline);
  if (!body) {
    log::info(detail::log_component, "request_failed",
              {{"peer", target_name(target)}, {"protocol", spec.id},
               {"code", body.error().code().message()}, {"reason", body.error().message()}});
    co_return body.error();
  }
  co_return response{spec.id, std::move(*body)};
}

awaitable<result<stream>> host::open_stream(peer_target target, std::vector<std::string> protocols,
                                            std::chrono::milliseconds timeout) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto core = core_;
  if (protocols.empty()) co_return make_error(host_errc::invalid_argument, "stream without any protocol");
  const auto deadline = deadline_after(timeout);
  auto conn = co_await core->connect_target(target, deadline);
  if (!conn) co_return conn.error();
  auto st = (*conn)->open_stream();
  if (!st) co_return st.error();
  stream handle(*conn, *st);
  auto chosen = co_await (*conn)->negotiate_outbound(*st, std::move(protocols), deadline);
  if (!chosen) co_return chosen.error();
  co_return std::move(handle);
}

awaitable<result<libp2p::peer_id>> host::connect(libp2p::multiaddr address, std::chrono::milliseconds timeout) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto core = core_;
  auto conn = co_await core->connect(std::move(address), deadline_after(timeout));
  if (!conn) co_return conn.error();
  co_return (*conn)->remote();
}

void host::add_address(const libp2p::peer_id& peer, const libp2p::multiaddr& address) {
  core_->address_book_[peer] = address.without_peer();
}

std::vector<libp2p::peer_id> host::known_peers() const {
  std::vector<libp2p::peer_id> out;
  for (const auto& [id, address] : core_->address_book_) out.push_back(id);
  for (const auto& c : core_->connections_)
    if (c->is_open() && std::find(out.begin(), out.end(), c->remote()) == out.end()) out.push_back(c->remote());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.to_string() < b.to_string(); });
  return out;
}

std::vector<peer_info> host::peers() const {
  std::vector<peer_info> out;
  for (const auto& c : core_->connections_) {
    if (!c->is_open()) continue;
    peer_info info;
    info.id = c->remote();
    info.address = c->remote_address();
    info.outbound = c->outbound();
    info.protocols.assign(c->protocols().begin(), c->protocols().end());
    info.open_streams = c->stream_count();
    info.connected_at = c->connected_at();
    out.push_back(std::move(info));
  }
  return out;
}

std::size_t host::connection_count() const noexcept { return core_->connections_.size(); }

std::size_t host::stream_count() const noexcept {
  std::size_t n = 0;
  for (const auto& c : core_->connections_) n += c->stream_count();
  return n;
}

void host::disconnect(const libp2p::peer_id& peer) {
  auto conns = core_->connections_;
  for (auto& c : conns) {
    if (c->remote() == peer) c->close(make_error(host_errc::connection_closed, "disconnected locally"), true);
  }
}

awaitable<void> host::stop() {
  auto core = core_;
  co_await core->stop();
}

} // namespace snapstream::net
