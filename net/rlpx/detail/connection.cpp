#include "net/rlpx/detail/connection.hpp"

#include "net/rlpx/detail/host_state.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/rlpx/ecies.hpp"
#include "protocol/rlpx/handshake.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>

namespace snapstream::net::rlpx::detail {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using wire::p2p::disconnect_reason;

// The RLP encoding of a message code, without allocating.
struct encoded_code {
  std::array<std::uint8_t, 9> bytes{};
  std::size_t size = 0;
  explicit encoded_code(std::uint64_t code) noexcept {
    if (code == 0) {
      bytes[0] = 0x80;
      size = 1;
    } else if (code < 0x80) {
      bytes[0] = static_cast<std::uint8_t>(code);
      size = 1;
    } else {
      std::size_t n = 0;
      for (std::uint64_t v = code; v != 0; v >>= 8) ++n;
      bytes[0] = static_cast<std::uint8_t>(0x80 + n);
      for (std::size_t i = 0; i < n; ++i) bytes[1 + i] = static_cast<std::uint8_t>(code >> (8 * (n - 1 - i)));
      size = 1 + n;
    }
  }
  [[nodiscard]] bytes_view view() const noexcept { return {bytes.data(), size}; }
};

std::string capabilities_text(const std::vector<wire::shared_capability>& caps) {
  std::string s;
  for (const auto& c : caps) {
    if (!s.empty()) s += ',';
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s/%llu@0x%02llx", c.name.c_str(), static_cast<unsigned long long>(c.version),
                  static_cast<unsigned long long>(c.offset));
    s += buf;
  }
  return s;
}

bool is_protocol_breach(disconnect_reason r) noexcept {
  return r == disconnect_reason::breach_of_protocol || r == disconnect_reason::subprotocol_error;
}

} // namespace

connection::connection(std::shared_ptr<host_state> host, tcp::socket socket, bool inbound)
  : host_(std::move(host)),
    socket_(std::move(socket)),
    write_signal_(host_->strand),
    watchdog_timer_(host_->strand),
    inbound_(inbound) {
  ++host_->handshaking;
  handshake_deadline_ = steady::now() + host_->config.handshake_timeout;
  info_.inbound = inbound;
  boost::system::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    info_.remote_address = remote.address().to_string();
    info_.remote_port = remote.port();
  }
}

connection::~connection() = default;

std::string connection::label() const {
  std::string s = info_.remote_address + ":" + std::to_string(info_.remote_port);
  if (remote_id_) {
    s += '/';
    s += to_hex(bytes_view(*remote_id_).first(8));
  }
  return s;
}

void connection::start_background() {
  host_->spawn(write_loop(shared_from_this()), "rlpx.write");
  host_->spawn(watchdog(shared_from_this()), "rlpx.watchdog");
}

// ---------------------------------------------------------------- lifecycle

asio::awaitable<void> connection::run_inbound(std::shared_ptr<connection> self) {
  self->start_background();
  auto r = co_await handshake_as_recipient(self);
  if (r) r = co_await exchange_hello(self);
  if (!r) {
    self->fail_with(r.error());
    co_await finish(self);
    co_return;
  }
  co_await read_loop(self);
}

asio::awaitable<result<void>> connection::establish_outbound(std::shared_ptr<connection> self, std::string host,
                                                             std::uint16_t port, wire::public_key id) {
  self->remote_id_ = id;
  self->start_background();
  auto r = co_await connect(self, std::move(host), port);
  if (r) r = co_await handshake_as_initiator(self);
  if (r) r = co_await exchange_hello(self);
  if (!r) self->fail_with(r.error());
  co_return r;
}

asio::awaitable<void> connection::read_loop(std::shared_ptr<connection> self) {
  while (!self->closing_ && !self->closed_) {
    auto frame = co_await read_frame(self);
    if (self->closing_ || self->closed_) break;
    if (!frame) {
      self->fail_with(frame.error());
      break;
    }
    auto handled = self->dispatch(*frame);
    if (!handled && !self->closing_) self->fail_with(handled.error());
  }
  co_await finish(self);
}

asio::awaitable<void> connection::finish(std::shared_ptr<connection> self) {
  co_await drain(self);
  self->close_now();
  self->teardown();
}

asio::awaitable<void> connection::drain(std::shared_ptr<connection> self) {
  // After our Disconnect: read and discard until the peer closes (or the
  // watchdog closes at the linger deadline), so the Disconnect is not lost to
  // a reset caused by unread input.
  std::array<std::uint8_t, 4096> sink;
  while (!self->closed_ && !self->read_ended_) {
    auto [ec, n] = co_await self->socket_.async_read_some(asio::buffer(sink), use_tuple);
    (void)n;
    if (ec) {
      self->read_ended_ = true;
      break;
    }
  }
}

void connection::fail_with(const error& e) {
  if (closing_ || closed_) return;
  if (e.is(host_errc::connection_lost)) {
    // Nothing to tell a peer whose connection is gone.
    closing_ = true;
    reason_ = disconnect_reason::tcp_error;
    by_us_ = false;
    detail_ = e.message();
    log::info("rlpx", "peer_lost", {{"peer", label()}, {"detail", detail_}});
    close_now();
    return;
  }
  if (e.is(host_errc::disconnected)) {
    close_now(); // the remote's Disconnect was recorded when it arrived
    return;
  }
  fail(disconnect_reason_for(e), e.message());
}

void connection::fail(disconnect_reason reason, std::string detail, bool by_us) {
  if (closing_ || closed_) return;
  closing_ = true;
  reason_ = reason;
  by_us_ = by_us;
  detail_ = std::move(detail);
  const auto reason_name = std::string(wire::p2p::to_string(reason));
  if (is_protocol_breach(reason) || reason == disconnect_reason::ping_timeout ||
      reason == disconnect_reason::unexpected_identity)
    log::warn("rlpx", "peer_dropped", {{"peer", label()}, {"reason", reason_name}, {"detail", detail_}});
  else
    log::info("rlpx", "peer_dropped", {{"peer", label()}, {"reason", reason_name}, {"detail", detail_}});
  if (!codec_ || remote_disconnected_) {
    close_now(); // before the session keys exist there is no way to say why
    return;
  }
  const auto payload = wire::p2p::encode_disconnect(reason);
  if (!queue_frame(wire::p2p::disconnect_code, payload, snappy_)) {
    close_now();
    return;
  }
  linger_deadline_ = steady::now() + host_->config.disconnect_linger;
  wake();
}

void connection::close_now() noexcept {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  if (resolver_) resolver_->cancel();
  write_signal_.cancel();
  watchdog_timer_.cancel();
}

void connection::abandon() noexcept {
  if (!closing_) {
    closing_ = true;
    reason_ = disconnect_reason::client_quitting;
    by_us_ = true;
  }
  close_now();
}

void connection::teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  if (counted_handshake_) {
    counted_handshake_ = false;
    --host_->handshaking;
  }
  auto self = shared_from_this();
  host_->connections.erase(self);
  if (!active_) return;
  if (auto it = host_->peers.find(info_.id); it != host_->peers.end() && it->second == self) host_->peers.erase(it);
  host_->unpublish(info_.id);
  if (!host_->detached.load(std::memory_order_acquire))
    for (auto& h : handlers_) h->on_stop(*this);
  peer_event e;
  e.kind = peer_event_kind::disconnected;
  e.peer = info_;
  e.reason = reason_;
  e.by_us = by_us_;
  e.detail = detail_;
  log::info("rlpx", "peer_disconnected",
            {{"peer", label()},
             {"reason", reason_ ? std::string(wire::p2p::to_string(*reason_)) : std::string("none")},
             {"by_us", by_us_}});
  host_->emit(e);
}

// ---------------------------------------------------------------- raw I/O

error connection::io_error(const boost::system::error_code& ec, std::string_view during) const {
  if (closing_ || closed_)
    return make_error(host_errc::closed, std::string(during) + " stopped: " + (detail_.empty() ? "closing" : detail_));
  if (ec == asio::error::eof) return make_error(host_errc::connection_lost, "remote closed the connection");
  return make_error(host_errc::connection_lost, std::string(during) + " failed: " + ec.message());
}

asio::awaitable<result<void>> connection::read_exact(std::shared_ptr<connection> self,
                                                     std::span<std::uint8_t> out) {
  auto [ec, n] = co_await asio::async_read(self->socket_, asio::buffer(out.data(), out.size()), use_tuple);
  (void)n;
  if (ec) {
    // Asio does not complete another read after end of stream (edge-triggered
    // epoll): remember it so the drain does not wait for the linger deadline.
    if (ec != asio::error::operation_aborted) self->read_ended_ = true;
    co_return self->io_error(ec, "read");
  }
  co_return result<void>();
}

asio::awaitable<result<void>> connection::write_direct(std::shared_ptr<connection> self, bytes_view data) {
  auto [ec, n] = co_await asio::async_write(self->socket_, asio::buffer(data.data(), data.size()), use_tuple);
  (void)n;
  if (ec) co_return self->io_error(ec, "write");
  co_return result<void>();
}

asio::awaitable<result<void>> connection::connect(std::shared_ptr<connection> self, std::string host,
                                                  std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    const tcp::endpoint endpoint(address, port);
    auto [cec] = co_await self->socket_.async_connect(endpoint, use_tuple);
    if (cec) co_return make_error(host_errc::dial_failed, "connect to " + host + ":" + std::to_string(port) + ": " +
                                                              (self->closed_ ? self->detail_ : cec.message()));
  } else {
    self->resolver_.emplace(self->host_->strand);
    auto [rec, endpoints] = co_await self->resolver_->async_resolve(host, std::to_string(port), use_tuple);
    if (rec) co_return make_error(host_errc::dial_failed, "resolve " + host + ": " + rec.message());
    auto [cec, endpoint] = co_await asio::async_connect(self->socket_, endpoints, use_tuple);
    (void)endpoint;
    if (cec) co_return make_error(host_errc::dial_failed, "connect to " + host + ":" + std::to_string(port) + ": " +
                                                              (self->closed_ ? self->detail_ : cec.message()));
  }
  const auto remote = self->socket_.remote_endpoint(ec);
  if (!ec) {
    self->info_.remote_address = remote.address().to_string();
    self->info_.remote_port = remote.port();
  }
  self->socket_.set_option(tcp::no_delay(true), ec);
  co_return result<void>();
}

// ---------------------------------------------------------------- handshake

result<void> connection::install_session(const wire::session_secrets& secrets) {
  auto codec = wire::frame_codec::create(secrets);
  if (!codec) return codec.error();
  codec_.emplace(std::move(*codec));
  return {};
}

asio::awaitable<result<void>> connection::handshake_as_recipient(std::shared_ptr<connection> self) {
  const auto& key = self->host_->config.node_key;
  // Two bytes decide the form: a legacy auth starts with the ECIES point's
  // 0x04; an EIP-8 auth with its size. (An EIP-8 size of 0x04xx is tried as
  // legacy first, then as EIP-8.)
  byte_buffer packet(2);
  auto r = co_await read_exact(self, packet);
  if (!r) co_return r.error();
  std::optional<wire::auth_message> auth;
  auto format = wire::handshake_format::eip8;
  if (packet[0] == 0x04) {
    packet.resize(wire::legacy_auth_size);
    r = co_await read_exact(self, std::span(packet).subspan(2));
    if (!r) co_return r.error();
    if (auto legacy = wire::read_auth(wire::handshake_format::legacy, key, packet)) {
      auth = *legacy;
      format = wire::handshake_format::legacy;
    }
  }
  if (!auth) {
    const std::size_t total = 2 + load_be16(packet.data());
    if (total < 2 + wire::ecies_overhead || total > wire::max_eip8_packet_size || total < packet.size())
      co_return wire::make_error(wire::rlpx_errc::handshake_invalid,
                                 "auth: size prefix " + std::to_string(total - 2) + " out of range");
    const std::size_t have = packet.size();
    packet.resize(total);
    r = co_await read_exact(self, std::span(packet).subspan(have));
    if (!r) co_return r.error();
    auto eip8 = wire::read_auth(wire::handshake_format::eip8, key, packet);
    if (!eip8) co_return eip8.error();
    auth = *eip8;
  }
  self->remote_id_ = auth->initiator_id;

  auto ephemeral = wire::generate_secret_key();
  if (!ephemeral) co_return ephemeral.error();
  auto nonce = wire::random_nonce();
  if (!nonce) co_return nonce.error();
  auto ack = wire::make_ack(format, auth->initiator_id, *ephemeral, *nonce, wire::random_handshake_padding());
  if (!ack) co_return ack.error();
  r = co_await write_direct(self, *ack);
  if (!r) co_return r.error();
  auto secrets = wire::derive_session_secrets(false, *ephemeral, auth->initiator_ephemeral, auth->initiator_nonce,
                                              *nonce, packet, *ack);
  if (!secrets) co_return secrets.error();
  co_return self->install_session(*secrets);
}

asio::awaitable<result<void>> connection::handshake_as_initiator(std::shared_ptr<connection> self) {
  const auto& cfg = self->host_->config;
  auto ephemeral = wire::generate_secret_key();
  if (!ephemeral) co_return ephemeral.error();
  auto nonce = wire::random_nonce();
  if (!nonce) co_return nonce.error();
  auto auth = wire::make_auth(cfg.dial_format, cfg.node_key, *self->remote_id_, *ephemeral, *nonce,
                              wire::random_handshake_padding());
  if (!auth) co_return auth.error();
  auto r = co_await write_direct(self, *auth);
  if (!r) co_return r.error();

  byte_buffer packet(2);
  r = co_await read_exact(self, packet);
  if (!r) co_return r.error();
  std::optional<wire::ack_message> ack;
  if (packet[0] == 0x04) {
    packet.resize(wire::legacy_ack_size);
    r = co_await read_exact(self, std::span(packet).subspan(2));
    if (!r) co_return r.error();
    if (auto legacy = wire::read_ack(wire::handshake_format::legacy, cfg.node_key, packet)) ack = *legacy;
  }
  if (!ack) {
    const std::size_t total = 2 + load_be16(packet.data());
    if (total < 2 + wire::ecies_overhead || total > wire::max_eip8_packet_size || total < packet.size())
      co_return wire::make_error(wire::rlpx_errc::handshake_invalid,
                                 "ack: size prefix " + std::to_string(total - 2) + " out of range");
    const std::size_t have = packet.size();
    packet.resize(total);
    r = co_await read_exact(self, std::span(packet).subspan(have));
    if (!r) co_return r.error();
    auto eip8 = wire::read_ack(wire::handshake_format::eip8, cfg.node_key, packet);
    if (!eip8) co_return eip8.error();
    ack = *eip8;
  }
  auto secrets = wire::derive_session_secrets(true, *ephemeral, ack->recipient_ephemeral, *nonce,
                                              ack->recipient_nonce, *auth, packet);
  if (!secrets) co_return secrets.error();
  co_return self->install_session(*secrets);
}

asio::awaitable<result<void>> connection::exchange_hello(std::shared_ptr<connection> self) {
  const auto& cfg = self->host_->config;
  wire::p2p::hello ours;
  ours.client_id = cfg.client_id;
  for (const auto& c : self->host_->local_capabilities) ours.capabilities.push_back({c.name, c.version});
  if (self->host_->acceptor) {
    boost::system::error_code ec;
    const auto local = self->host_->acceptor->local_endpoint(ec);
    if (!ec) ours.listen_port = local.port();
  }
  ours.node_id = self->host_->node_id;
  // Hello is never compressed.
  if (auto s = self->queue_frame(wire::p2p::hello_code, wire::p2p::encode(ours), false); !s) co_return s.error();

  auto frame = co_await read_frame(self);
  if (!frame) co_return frame.error();
  if (frame->code == wire::p2p::disconnect_code) {
    self->on_remote_disconnect(frame->payload);
    co_return make_error(host_errc::disconnected,
                         "remote sent Disconnect (" + std::string(wire::p2p::to_string(*self->reason_)) +
                           ") instead of Hello");
  }
  if (frame->code != wire::p2p::hello_code)
    co_return wire::make_error(wire::rlpx_errc::invalid_message,
                               "expected Hello, received message code " + std::to_string(frame->code));
  if (frame->payload.size() > wire::p2p::max_message_size)
    co_return wire::make_error(wire::rlpx_errc::message_too_large,
                               "Hello of " + std::to_string(frame->payload.size()) + " bytes");
  auto hello = wire::p2p::decode_hello(frame->payload);
  if (!hello) co_return hello.error();
  co_return self->activate(*hello);
}

result<void> connection::activate(const wire::p2p::hello& remote) {
  auto& host = *host_;
  info_.id = remote.node_id;
  info_.client_id = remote.client_id;
  info_.p2p_version = remote.protocol_version;
  info_.listen_port = remote.listen_port;
  info_.remote_capabilities = remote.capabilities;
  auto refuse = [this](disconnect_reason reason, std::string why) {
    fail(reason, why);
    return make_error(host_errc::refused, std::move(why));
  };
  if (remote.node_id != *remote_id_)
    return refuse(disconnect_reason::unexpected_identity, "Hello node id differs from the handshake's");
  if (remote.node_id == host.node_id) return refuse(disconnect_reason::connected_to_self, "connected to ourselves");
  if (host.stopping) return refuse(disconnect_reason::client_quitting, "host is shutting down");
  if (host.peers.contains(remote.node_id)) return refuse(disconnect_reason::already_connected, "already connected");
  if (host.peers.size() >= host.config.max_peers)
    return refuse(disconnect_reason::too_many_peers, std::to_string(host.peers.size()) + " peers connected");

  auto table = wire::capability_table::negotiate(host.local_capabilities, remote.capabilities);
  if (!table) return table.error();
  if (table->empty()) return refuse(disconnect_reason::useless_peer, "no shared capability");
  table_ = std::move(*table);
  // One handler per shared capability, found by name and version: the order in
  // which capabilities were registered plays no part.
  for (const auto& cap : table_.shared()) {
    auto reg = std::find_if(host.registrations.begin(), host.registrations.end(), [&](const auto& r) {
      return r.spec.name == cap.name && r.spec.version == cap.version;
    });
    if (reg == host.registrations.end() || !reg->make_handler)
      return make_error(host_errc::invalid_config, "no handler for " + cap.name + "/" + std::to_string(cap.version));
    auto handler = reg->make_handler();
    if (!handler)
      return make_error(host_errc::invalid_config, "no handler for " + cap.name + "/" + std::to_string(cap.version));
    handlers_.push_back(std::move(handler));
  }
  info_.capabilities = table_.shared();
  info_.connected_at = std::chrono::system_clock::now();
  snappy_ = remote.protocol_version >= wire::snappy_p2p_version;
  active_ = true;
  counted_handshake_ = false;
  --host.handshaking;
  host.peers.insert_or_assign(info_.id, shared_from_this());
  next_ping_ = steady::now() + host.config.ping_interval;
  host.publish(info_);
  log::info("rlpx", "peer_connected",
            {{"peer", label()},
             {"client", info_.client_id},
             {"inbound", inbound_},
             {"p2p", info_.p2p_version},
             {"capabilities", capabilities_text(info_.capabilities)}});
  peer_event e;
  e.kind = peer_event_kind::connected;
  e.peer = info_;
  host.emit(e);
  if (host.detached.load(std::memory_order_acquire))
    return refuse(disconnect_reason::client_quitting, "host object destroyed");
  for (auto& h : handlers_)
    if (auto r = h->on_start(*this); !r) return r.error();
  wake();
  return {};
}

// ---------------------------------------------------------------- frames in

asio::awaitable<result<wire::frame_message>> connection::read_frame(std::shared_ptr<connection> self) {
  std::array<std::uint8_t, wire::frame_codec::header_wire_size> header{};
  auto r = co_await read_exact(self, header);
  if (!r) co_return r.error();
  auto size = self->codec_->read_header(header, self->host_->config.max_frame_size);
  if (!size) co_return size.error();
  self->frame_buf_.resize(wire::frame_codec::body_wire_size(*size));
  r = co_await read_exact(self, self->frame_buf_);
  if (!r) co_return r.error();
  auto data = self->codec_->read_body(self->frame_buf_, *size);
  if (!data) co_return data.error();
  co_return wire::split_frame_data(*data);
}

result<void> connection::dispatch(const wire::frame_message& m) {
  if (m.code < wire::base_protocol_length) return dispatch_base(m);
  if (host_->detached.load(std::memory_order_acquire)) {
    abandon(); // no handler may run once the host object is gone
    return {};
  }
  auto routed = table_.route(m.code);
  if (!routed) return routed.error();
  bytes_view payload = m.payload;
  if (snappy_) {
    if (auto d = wire::snappy_decompress(m.payload, host_->config.max_message_size, inflate_); !d) return d.error();
    payload = inflate_;
  } else if (payload.size() > host_->config.max_message_size) {
    return wire::make_error(wire::rlpx_errc::message_too_large,
                            "message of " + std::to_string(payload.size()) + " bytes");
  }
  const auto& cap = table_.shared()[routed->index];
  if (log::enabled(log::level::debug))
    log::debug("rlpx", "message_received", {{"peer", label()}, {"capability", cap.name}, {"wire_code", m.code},
                                            {"code", routed->code}, {"bytes", payload.size()}});
  return handlers_[routed->index]->on_message(*this, routed->code, payload);
}

result<void> connection::dispatch_base(const wire::frame_message& m) {
  switch (m.code) {
    case wire::p2p::disconnect_code:
      on_remote_disconnect(m.payload);
      close_now();
      return {};
    case wire::p2p::ping_code:
    case wire::p2p::pong_code: {
      bytes_view payload = m.payload;
      if (snappy_) {
        auto d = wire::snappy_decompress(m.payload, wire::p2p::max_message_size, inflate_);
        if (!d) return d.error();
        payload = inflate_;
      }
      if (auto p = wire::p2p::decode_ping_or_pong(payload); !p) return p.error();
      if (m.code == wire::p2p::pong_code) {
        pong_deadline_.reset();
        return {};
      }
      return send_wire(wire::p2p::pong_code, wire::p2p::encode_pong(), snappy_);
    }
    default:
      // A second Hello and the reserved codes 0x04-0x0f are ignored, as go-ethereum does.
      log::debug("rlpx", "base_message_ignored", {{"peer", label()}, {"code", m.code}});
      return {};
  }
}

void connection::on_remote_disconnect(bytes_view payload) {
  // Clients differ: go-ethereum compresses Disconnect after Hello, ethereumjs
  // never does and sends a bare integer. Try the compressed reading first.
  std::optional<disconnect_reason> reason;
  if (snappy_ && wire::snappy_decompress(payload, wire::p2p::max_message_size, inflate_)) {
    if (auto r = wire::p2p::decode_disconnect(inflate_)) reason = *r;
  }
  if (!reason) {
    if (auto r = wire::p2p::decode_disconnect(payload)) reason = *r;
  }
  remote_disconnected_ = true;
  if (!closing_) {
    closing_ = true;
    reason_ = reason.value_or(disconnect_reason::requested);
    by_us_ = false;
    detail_ = reason ? "remote sent Disconnect" : "remote sent an unreadable Disconnect";
    log::info("rlpx", "peer_disconnected_us",
              {{"peer", label()}, {"reason", std::string(wire::p2p::to_string(*reason_))}});
  }
}

// ---------------------------------------------------------------- frames out

result<void> connection::send(std::string_view capability, std::uint64_t code, bytes_view payload) {
  auto wire_code = table_.wire_code(capability, code);
  if (!wire_code) return wire_code.error();
  return send_wire(*wire_code, payload, snappy_);
}

result<void> connection::send_wire(std::uint64_t wire_code, bytes_view payload, bool compress) {
  if (closing_ || closed_ || !codec_)
    return make_error(host_errc::closed, "peer " + label() + " is closing");
  auto r = queue_frame(wire_code, payload, compress);
  if (!r) return r;
  if (out_.size() > host_->config.max_write_queue) {
    fail(disconnect_reason::tcp_error, "write queue above " + std::to_string(host_->config.max_write_queue) +
                                         " bytes: the peer does not read");
    return make_error(host_errc::closed, "peer " + label() + " does not read");
  }
  return {};
}

result<void> connection::queue_frame(std::uint64_t wire_code, bytes_view payload, bool compress) {
  if (payload.size() > host_->config.max_message_size)
    return wire::make_error(wire::rlpx_errc::message_too_large,
                            "refusing to send a message of " + std::to_string(payload.size()) + " bytes");
  bytes_view body = payload;
  if (compress) {
    scratch_.clear();
    wire::snappy_compress(payload, scratch_);
    body = scratch_;
  }
  const encoded_code id(wire_code);
  if (auto w = codec_->write_frame(id.view(), body, out_); !w) return w.error();
  write_signal_.cancel();
  return {};
}

asio::awaitable<void> connection::write_loop(std::shared_ptr<connection> self) {
  while (!self->closed_) {
    if (self->out_.empty()) {
      if (self->closing_ && self->codec_) {
        // Everything up to our Disconnect is out: half-close and let the
        // reader drain until the peer closes.
        boost::system::error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
        break;
      }
      self->write_signal_.expires_at(steady::time_point::max());
      auto [ec] = co_await self->write_signal_.async_wait(use_tuple);
      (void)ec;
      continue;
    }
    std::swap(self->out_, self->sending_);
    auto [ec, n] = co_await asio::async_write(self->socket_, asio::buffer(self->sending_), use_tuple);
    (void)n;
    self->sending_.clear();
    if (ec) {
      self->fail_with(self->io_error(ec, "write"));
      break;
    }
  }
}

// ---------------------------------------------------------------- timers
//
// The watchdog is not `with_deadline` (net/common/deadline.hpp, which bounds
// one operation by time) on purpose: its deadlines belong to the connection,
// not to an operation. The handshake deadline spans TCP connect, auth/ack and
// Hello (several reads plus a write through the queue); then come the ping
// interval, the Pong deadline, each capability handler's deadline and the
// linger after our Disconnect, re-armed by `wake()` as state changes. A
// missed deadline must end in Disconnect(ping_timeout) with the session keys
// when they exist, which only the connection-level `fail` can send; closing
// the socket then ends whichever read or write was pending.

void connection::wake() noexcept { watchdog_timer_.cancel(); }

steady::time_point connection::next_deadline() const {
  if (closing_) return linger_deadline_;
  if (!active_) return handshake_deadline_;
  auto next = next_ping_;
  if (pong_deadline_) next = std::min(next, *pong_deadline_);
  for (const auto& h : handlers_)
    if (auto d = h->deadline()) next = std::min(next, *d);
  return next;
}

void connection::check_deadlines(steady::time_point now) {
  const auto& cfg = host_->config;
  if (closing_) {
    if (codec_ && now >= linger_deadline_) close_now();
    return;
  }
  if (!active_) {
    if (now >= handshake_deadline_)
      fail(disconnect_reason::ping_timeout,
           "handshake did not complete within " + std::to_string(cfg.handshake_timeout.count()) + " ms");
    return;
  }
  if (pong_deadline_ && now >= *pong_deadline_) {
    fail(disconnect_reason::ping_timeout, "no Pong within " + std::to_string(cfg.pong_timeout.count()) + " ms");
    return;
  }
  if (now >= next_ping_) {
    if (!send_wire(wire::p2p::ping_code, wire::p2p::encode_ping(), snappy_)) return;
    if (!pong_deadline_) pong_deadline_ = now + cfg.pong_timeout;
    next_ping_ = now + cfg.ping_interval;
  }
  if (host_->detached.load(std::memory_order_acquire)) return;
  for (auto& h : handlers_) {
    auto d = h->deadline();
    if (!d || now < *d) continue;
    if (auto r = h->on_deadline(*this); !r) {
      fail_with(r.error());
      return;
    }
  }
}

asio::awaitable<void> connection::watchdog(std::shared_ptr<connection> self) {
  while (!self->closed_) {
    self->check_deadlines(steady::now());
    if (self->closed_) break;
    self->watchdog_timer_.expires_at(self->next_deadline());
    auto [ec] = co_await self->watchdog_timer_.async_wait(use_tuple);
    (void)ec;
  }
}

void connection::set_eth_status(const wire::eth::status& status) {
  info_.eth_status = status;
  host_->publish(info_);
  log::info("rlpx", "eth_status_accepted", {{"peer", label()},
                                            {"version", status.version},
                                            {"network", status.network_id},
                                            {"genesis", to_hex(bytes_view(status.genesis_hash).first(8))},
                                            {"fork", to_hex(status.fork.hash)},
                                            {"fork_next", status.fork.next}});
  peer_event e;
  e.kind = peer_event_kind::eth_status;
  e.peer = info_;
  host_->emit(e);
}

void connection::set_block_range(const wire::eth::block_range& range) {
  if (!info_.eth_status) return;
  info_.eth_status->range = range;
  host_->publish(info_);
  log::debug("rlpx", "eth_block_range", {{"peer", label()}, {"earliest", range.earliest}, {"latest", range.latest}});
}

capability_handler* connection::handler(std::string_view name) const noexcept {
  auto i = table_.index_of(name);
  return i ? handlers_[*i].get() : nullptr;
}

} // namespace snapstream::net::rlpx::detail
