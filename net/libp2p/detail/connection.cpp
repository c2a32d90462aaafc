#include "net/libp2p/detail/connection.hpp"

#include "net/common/deadline.hpp"
#include "net/libp2p/detail/host_core.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/multistream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>
#include <functional>

namespace snapstream::net::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

/// Socket read buffer: several maximal Noise frames.
constexpr std::size_t rx_capacity = 256 * 1024;
constexpr std::size_t max_noise_frame = libp2p::noise_length_prefix + libp2p::noise_max_message;
constexpr std::size_t simdjson_padding = 64;

/// Appends `data`, growing geometrically and always leaving 64 spare bytes.
void append_padded(byte_buffer& out, bytes_view data) {
  const std::size_t need = out.size() + data.size() + simdjson_padding;
  if (out.capacity() < need) out.reserve(std::max(need, out.capacity() * 2));
  out.insert(out.end(), data.begin(), data.end());
}

std::string stream_name(const stream_state& st) { return "stream " + std::to_string(st.id); }

bool quiet_reason(const error& e) {
  return e.is(host_errc::stopped) || e.is(host_errc::idle_timeout) || e.is(host_errc::connection_closed);
}

} // namespace

address_group group_of(const asio::ip::address& address) {
  if (address.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
  address_group g = address.to_v6().to_bytes();
  if (address.to_v6().is_v4_mapped()) return g;
  std::fill(g.begin() + 7, g.end(), std::uint8_t{0}); // /56
  return g;
}

/// Where a multistream-select negotiation reads and writes: the socket
/// (raw, or sealed by Noise) during the upgrade, or a Yamux stream. What the
/// negotiation does is the same on every channel and for either role.
struct negotiation_channel {
  std::function<bytes_view()> available;      ///< received bytes not yet consumed
  std::function<void(std::size_t)> consume;   ///< drops the first n of them
  std::function<awaitable<result<void>>(bytes_view)> send;
  std::function<awaitable<result<void>>()> receive_more; ///< waits for more bytes, or fails
  std::function<void(const error&)> on_refused; ///< optional: sees the machine's error first
};

namespace {

/// The negotiation loop of both roles: `machine` is a `multistream_dialer`
/// or `multistream_listener`; `opening` is what the role says before it
/// hears anything (the dialer's header and first proposal, nothing for a
/// listener). Ends once a protocol is agreed; bytes after it stay unconsumed.
template <class Machine>
awaitable<result<void>> run_negotiation(Machine& machine, byte_buffer opening, negotiation_channel channel) {
  if (!opening.empty()) {
    if (auto r = co_await channel.send(opening); !r) co_return r;
  }
  byte_buffer out;
  for (;;) {
    auto progress = machine.receive(channel.available(), out);
    if (!progress) {
      if (channel.on_refused) channel.on_refused(progress.error());
      co_return progress.error();
    }
    channel.consume(progress->consumed);
    const std::size_t left = channel.available().size();
    if (!out.empty()) {
      if (auto r = co_await channel.send(out); !r) co_return r;
      out.clear();
    }
    if (progress->done) co_return result<void>{};
    // Bytes that came while we sent (a lazy dialer's proposal and request,
    // perhaps with its end of stream) are read before waiting for more.
    if (channel.available().size() > left) continue;
    if (auto r = co_await channel.receive_more(); !r) co_return r;
  }
}

} // namespace

connection::connection(std::shared_ptr<host_core> host, asio::ip::tcp::socket socket, bool outbound)
  : host_(std::move(host)),
    socket_(std::move(socket)),
    outbound_(outbound),
    session_(outbound, [&] {
      libp2p::yamux_config c;
      c.max_streams = host_->config_.max_streams_per_connection;
      c.max_stream_window = host_->config_.max_stream_window;
      c.max_session_window = host_->config_.max_connection_window;
      c.max_frame = host_->config_.max_yamux_frame;
      return c;
    }()),
    idle_since_(clock::now()) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_address_ = to_multiaddr(ep);
    remote_group_ = group_of(ep.address());
  }
}

connection::~connection() = default;

const host_config& connection::config() const noexcept { return host_->config_; }

error connection::closed_error() const {
  if (close_reason_.code() && close_reason_.is(host_errc::stopped)) return close_reason_;
  return make_error(host_errc::connection_closed,
                    "connection to " + (remote_.empty() ? remote_address_.to_string() : remote_.to_string()) +
                        " closed" + (close_reason_.code() ? ": " + close_reason_.message() : std::string()));
}

// ------------------------------------------------------------------ upgrade

awaitable<result<void>> connection::read_more(clock::time_point deadline) {
  if (rx_begin_ == rx_end_) {
    rx_begin_ = rx_end_ = 0;
  } else if (rx_.size() - rx_end_ < max_noise_frame) {
    std::memmove(rx_.data(), rx_.data() + rx_begin_, rx_end_ - rx_begin_);
    rx_end_ -= rx_begin_;
    rx_begin_ = 0;
  }
  auto read = socket_.async_read_some(asio::buffer(rx_.data() + rx_end_, rx_.size() - rx_end_), asio::deferred);
  auto got = co_await with_deadline(std::move(read), deadline);
  if (!got) {
    co_return make_error(host_errc::handshake_timeout, "upgrade with " + remote_address_.to_string() + " timed out");
  }
  auto [ec, n] = *got;
  if (ec == asio::error::eof) {
    co_return make_error(host_errc::connection_closed, "remote closed the connection during the upgrade");
  }
  if (ec) co_return make_error(host_errc::io_error, "read during the upgrade: " + ec.message());
  rx_end_ += n;
  co_return result<void>{};
}

awaitable<result<void>> connection::write_raw(bytes_view data, clock::time_point deadline) {
  auto send = asio::async_write(socket_, asio::buffer(data.data(), data.size()), asio::deferred);
  auto sent = co_await with_deadline(std::move(send), deadline);
  if (!sent) {
    co_return make_error(host_errc::handshake_timeout, "upgrade with " + remote_address_.to_string() + " timed out");
  }
  const auto ec = std::get<0>(*sent);
  if (ec) co_return make_error(host_errc::io_error, "write during the upgrade: " + ec.message());
  co_return result<void>{};
}

awaitable<result<void>> connection::write_sealed(bytes_view plain, clock::time_point deadline) {
  byte_buffer wire;
  if (auto r = transport_->seal(plain, wire); !r) co_return r;
  co_return co_await write_raw(wire, deadline);
}

result<void> connection::decrypt_available(byte_buffer& plain) {
  for (;;) {
    auto f = transport_->open_in_place(std::span<std::uint8_t>(rx_.data() + rx_begin_, rx_end_ - rx_begin_));
    if (!f) return f.error();
    if (f->consumed == 0) return {};
    append(plain, f->plaintext);
    rx_begin_ += f->consumed;
  }
}

awaitable<result<void>> connection::read_plain(clock::time_point deadline) {
  const std::size_t before = upgrade_plain_.size();
  const std::size_t begin = rx_begin_;
  if (auto r = decrypt_available(upgrade_plain_); !r) co_return r;
  if (upgrade_plain_.size() > before || rx_begin_ != begin) co_return result<void>{};
  if (auto r = co_await read_more(deadline); !r) co_return r;
  co_return decrypt_available(upgrade_plain_);
}

negotiation_channel connection::upgrade_channel(bool encrypted, clock::time_point deadline) {
  negotiation_channel c;
  if (encrypted) {
    c.available = [this] { return bytes_view(upgrade_plain_); };
    c.consume = [this](std::size_t n) {
      upgrade_plain_.erase(upgrade_plain_.begin(), upgrade_plain_.begin() + static_cast<std::ptrdiff_t>(n));
    };
    c.send = [this, deadline](bytes_view data) { return write_sealed(data, deadline); };
    c.receive_more = [this, deadline] { return read_plain(deadline); };
  } else {
    c.available = [this] { return bytes_view(rx_.data() + rx_begin_, rx_end_ - rx_begin_); };
    c.consume = [this](std::size_t n) { rx_begin_ += n; };
    c.send = [this, deadline](bytes_view data) { return write_raw(data, deadline); };
    c.receive_more = [this, deadline] { return read_more(deadline); };
  }
  return c;
}

awaitable<result<void>> connection::listen_upgrade(std::string protocol, bool encrypted,
                                                    clock::time_point deadline) {
  libp2p::multistream_listener machine({std::move(protocol)});
  co_return co_await run_negotiation(machine, byte_buffer(), upgrade_channel(encrypted, deadline));
}

awaitable<result<void>> connection::secure(libp2p::noise_handshake hs, clock::time_point deadline) {
  while (!hs.complete()) {
    if (hs.my_turn()) {
      byte_buffer msg;
      if (auto r = hs.write(msg); !r) co_return r;
      if (auto r = co_await write_raw(msg, deadline); !r) co_return r;
      continue;
    }
    while (rx_end_ - rx_begin_ < libp2p::noise_length_prefix ||
           rx_end_ - rx_begin_ < libp2p::noise_length_prefix + load_be16(rx_.data() + rx_begin_)) {
      if (auto r = co_await read_more(deadline); !r) co_return r;
    }
    const std::size_t len = load_be16(rx_.data() + rx_begin_);
    const bytes_view body(rx_.data() + rx_begin_ + libp2p::noise_length_prefix, len);
    rx_begin_ += libp2p::noise_length_prefix + len;
    if (auto r = hs.read(body); !r) co_return r;
  }
  remote_ = hs.remote_peer();
  remote_address_.peer = remote_;
  transport_.emplace(hs.into_transport());
  co_return result<void>{};
}

// The dialer proposes each protocol of the upgrade and goes on as if it
// was accepted, without waiting a round trip for the listener's answer (as
// rust-libp2p's `V1Lazy` and js-libp2p's lazy select do; every listener
// reads what follows a proposal once it has agreed to it): the proposal of
// /noise goes out with the first handshake message, and the proposal of
// /yamux/1.0.0 right after the last one, followed by the first streams.
// The listener's answers are checked when they arrive: /noise's before the
// second handshake message, /yamux/1.0.0's in front of the first Yamux
// frames (`process_frames`). A refusal fails the upgrade or closes the
// connection with `protocol_not_supported`. The upgrade costs one round
// trip after TCP's instead of three (docs/transport.md, "The upgrade").
awaitable<result<void>> connection::dial_upgrade(std::optional<libp2p::peer_id> expected,
                                                 clock::time_point deadline) {
  libp2p::multistream_dialer security({std::string(libp2p::noise_protocol_id)});
  byte_buffer opening;
  security.start(opening);
  auto hs = libp2p::noise_handshake::initiator(host_->identity_, std::move(expected));
  if (auto r = hs.write(opening); !r) co_return r;
  if (auto r = co_await write_raw(opening, deadline); !r) co_return r;
  if (auto r = co_await run_negotiation(security, byte_buffer(), upgrade_channel(false, deadline)); !r) co_return r;
  if (auto r = co_await secure(std::move(hs), deadline); !r) co_return r;
  muxer_answer_.emplace(std::vector<std::string>{std::string(libp2p::yamux_protocol_id)});
  byte_buffer proposal;
  muxer_answer_->start(proposal);
  co_return co_await write_sealed(proposal, deadline);
}

result<void> connection::take_muxer_answer(bytes_view plain) {
  append(upgrade_plain_, plain);
  byte_buffer out;
  auto progress = muxer_answer_->receive(upgrade_plain_, out);
  if (!progress) return progress.error();
  upgrade_plain_.erase(upgrade_plain_.begin(), upgrade_plain_.begin() + static_cast<std::ptrdiff_t>(progress->consumed));
  if (!progress->done) return {};
  muxer_answer_.reset();
  if (upgrade_plain_.empty()) return {};
  byte_buffer early;
  early.swap(upgrade_plain_);
  return session_.receive(early, *this);
}

awaitable<result<void>> connection::upgrade(std::optional<libp2p::peer_id> expected, clock::time_point deadline) {
  rx_.resize(rx_capacity);
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = to_multiaddr(ep);
  if (outbound_) {
    if (auto r = co_await dial_upgrade(std::move(expected), deadline); !r) co_return r;
  } else {
    if (auto r = co_await listen_upgrade(std::string(libp2p::noise_protocol_id), false, deadline); !r) {
      co_return r;
    }
    if (auto r = co_await secure(libp2p::noise_handshake::responder(host_->identity_), deadline); !r) co_return r;
    if (auto r = co_await listen_upgrade(std::string(libp2p::yamux_protocol_id), true, deadline); !r) {
      co_return r;
    }
  }
  if (closed_) co_return closed_error();
  upgraded_ = true;
  connected_at_ = std::chrono::system_clock::now();
  idle_since_ = clock::now();
  log::info(log_component, "connection_opened",
            {{"peer", remote_.to_string()}, {"address", remote_address_.without_peer().to_string()},
             {"direction", outbound_ ? "outbound" : "inbound"}});
  co_return result<void>{};
}

// ------------------------------------------------------------------ loops

void connection::start() {
  host_->spawn(read_loop(shared_from_this()), "connection_reader");
  host_->spawn(write_loop(shared_from_this()), "connection_writer");
}

result<void> connection::process_frames() {
  for (;;) {
    auto f = transport_->open_in_place(std::span<std::uint8_t>(rx_.data() + rx_begin_, rx_end_ - rx_begin_));
    if (!f) return f.error();
    if (f->consumed == 0) return {};
    rx_begin_ += f->consumed;
    if (muxer_answer_) {
      if (auto r = take_muxer_answer(f->plaintext); !r) return r;
      continue;
    }
    if (auto r = session_.receive(f->plaintext, *this); !r) return r;
    if (closed_) return {};
  }
}

awaitable<void> connection::read_loop(std::shared_ptr<connection> self) {
  co_await asio::this_coro::throw_if_cancelled(false);
  if (!self->upgrade_plain_.empty()) {
    byte_buffer early;
    early.swap(self->upgrade_plain_);
    if (auto r = self->session_.receive(early, *self); !r) self->close(r.error());
  }
  while (!self->closed_) {
    if (auto r = self->process_frames(); !r) {
      self->close(r.error());
      break;
    }
    if (!self->session_.output().empty()) self->wake_writer();
    if (self->closed_) break;
    // Frames the peer provokes (pongs, ACKs, RSTs, window updates) queue up
    // without bound if it sends but never reads: stop reading until the
    // writer drains the queue (or its stall timeout closes the connection).
    while (!self->closed_ && self->session_.output().size() > self->read_pause_threshold()) {
      self->wake_writer();
      if (co_await self->drained_.wait_until(clock::time_point::max()) == wake::cancelled) {
        self->close(self->host_->stopped_error());
      }
    }
    if (self->closed_) break;
    if (self->rx_begin_ == self->rx_end_) {
      self->rx_begin_ = self->rx_end_ = 0;
    } else if (self->rx_.size() - self->rx_end_ < max_noise_frame) {
      std::memmove(self->rx_.data(), self->rx_.data() + self->rx_begin_, self->rx_end_ - self->rx_begin_);
      self->rx_end_ -= self->rx_begin_;
      self->rx_begin_ = 0;
    }
    auto [ec, n] = co_await self->socket_.async_read_some(
        asio::buffer(self->rx_.data() + self->rx_end_, self->rx_.size() - self->rx_end_),
        asio::as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::eof) {
        self->close(make_error(host_errc::connection_closed, "remote closed the connection"));
      } else if (ec == asio::error::operation_aborted) {
        self->close(self->host_->stopping_ ? self->host_->stopped_error()
                                           : make_error(host_errc::connection_closed, "read cancelled"));
      } else {
        self->close(make_error(host_errc::io_error, "read: " + ec.message()));
      }
      break;
    }
    self->rx_end_ += n;
  }
  self->reader_done_ = true;
}

awaitable<void> connection::write_loop(std::shared_ptr<connection> self) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto idle = self->config().idle_timeout;
  for (;;) {
    if (self->session_.output().empty()) {
      if (self->closed_) break;
      const auto until = self->streams_.empty() ? self->idle_since_ + idle : clock::now() + idle;
      const wake w = co_await self->write_wake_.wait_until(until);
      if (w == wake::cancelled) {
        self->close(self->host_->stopped_error());
        break;
      }
      if (!self->closed_ && self->streams_.empty() && self->session_.output().empty() &&
          clock::now() >= self->idle_since_ + idle) {
        self->close(make_error(host_errc::idle_timeout,
                               "no stream for " + std::to_string(idle.count()) + " ms"),
                    true);
      }
      continue;
    }
    self->plain_out_.clear();
    self->plain_out_.swap(self->session_.output());
    const std::size_t need = libp2p::noise_transport::sealed_size(self->plain_out_.size());
    if (self->wire_.size() < need) self->wire_.resize(need);
    if (auto r = self->transport_->seal_into(self->plain_out_, self->wire_.data()); !r) {
      self->close(r.error());
      break;
    }
    self->writing_ = true;
    self->drained_.notify_all();
    // A peer that stops reading would block this write forever and keep the
    // connection (and its slot) alive: the stall timeout bounds it.
    const auto stall = self->config().stream_stall_timeout;
    auto send = asio::async_write(self->socket_, asio::buffer(self->wire_.data(), need), asio::deferred);
    auto sent = co_await with_deadline(std::move(send), clock::now() + stall);
    self->writing_ = false;
    const auto ec = sent ? std::get<0>(*sent) : boost::system::error_code();
    if (!sent || ec) {
      if (!sent) {
        self->close(make_error(host_errc::stream_stalled, "remote read nothing for " +
                                                              std::to_string(stall.count()) + " ms"));
      } else if (ec == asio::error::operation_aborted && self->host_->stopping_) {
        self->close(self->host_->stopped_error());
      } else {
        self->close(make_error(host_errc::io_error, "write: " + ec.message()));
      }
      break;
    }
  }
  boost::system::error_code ignored;
  if (self->graceful_close_) self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  self->socket_.close(ignored);
  self->writer_done_ = true;
}

void connection::close(const error& reason, bool graceful) {
  if (closed_) return;
  auto keep = shared_from_this();
  closed_ = true;
  close_reason_ = reason;
  graceful_close_ = graceful && upgraded_ && transport_.has_value();
  if (upgraded_) {
    const bool quiet = quiet_reason(reason);
    (quiet ? log::info : log::warn)(log_component, "connection_closed",
                                    {{"peer", remote_.to_string()},
                                     {"address", remote_address_.without_peer().to_string()},
                                     {"code", reason.code().message()},
                                     {"reason", reason.message()}});
  }
  auto streams = std::move(streams_);
  streams_.clear();
  const error failed = closed_error();
  for (auto& [id, st] : streams) finish(*st, failed);
  if (graceful_close_) {
    session_.go_away(libp2p::yamux_go_away::normal);
  } else {
    send_final_frames();
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  wake_writer();
  drained_.notify_all();
  host_->on_closed(this);
}

void connection::send_final_frames() {
  // Only between writes: a write in progress may have sent part of a frame.
  if (!upgraded_ || !transport_ || writing_ || session_.output().empty()) return;
  byte_buffer wire;
  if (!transport_->seal(session_.output(), wire)) return;
  session_.output().clear();
  // Best effort and never blocking: a peer that does not read loses them.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  (void)socket_.write_some(asio::buffer(wire.data(), wire.size()), ignored);
}

std::size_t connection::read_pause_threshold() const noexcept {
  // Stream writers stop adding at `max_write_buffer` and may overshoot by one
  // chunk of the same size; beyond that the queue is the peer's doing.
  return 2 * std::max<std::size_t>(config().max_write_buffer, 1) + 64 * 1024;
}

// ------------------------------------------------------------------ yamux events

std::shared_ptr<stream_state> connection::find(std::uint32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

void connection::forget(std::uint32_t id) {
  if (streams_.erase(id) > 0 && streams_.empty()) {
    idle_since_ = clock::now();
    wake_writer(); // re-arms the idle timer
  }
}

void connection::finish(stream_state& st, const error& reason) {
  if (st.finished) return;
  st.finished = true;
  st.failure = reason;
  st.readable.notify_all();
  st.writable.notify_all();
}

void connection::on_stream_opened(std::uint32_t id) {
  if (closed_) return;
  auto st = std::make_shared<stream_state>();
  st->id = id;
  st->inbound = true;
  st->remote = remote_;
  streams_.emplace(id, st);
  host_->on_inbound_stream(shared_from_this(), std::move(st));
}

void connection::on_data(std::uint32_t id, bytes_view data) {
  const auto st = find(id);
  if (!st) return;
  if (st->collect != nullptr) {
    if (st->collect->size() + data.size() > st->collect_cap) {
      reset(*st, make_error(st->collect_too_large,
                            stream_name(*st) + " from " + remote_.to_string() + " sent more than " +
                                std::to_string(st->collect_cap) + " bytes"));
      return;
    }
    append_padded(*st->collect, data);
    session_.consumed(id, data.size());
  } else {
    if (st->rx_pos == st->rx.size()) {
      st->rx.clear();
      st->rx_pos = 0;
    }
    append(st->rx, data);
  }
  st->readable.notify_all();
}

void connection::on_remote_close(std::uint32_t id) {
  const auto st = find(id);
  if (!st) return;
  st->remote_closed = true;
  st->readable.notify_all();
  if (st->local_closed) forget(id);
}

void connection::on_reset(std::uint32_t id) {
  const auto st = find(id);
  if (!st) return;
  forget(id);
  finish(*st, make_error(host_errc::stream_reset, "remote " + remote_.to_string() + " reset " + stream_name(*st)));
}

void connection::on_send_window(std::uint32_t id) {
  if (const auto st = find(id)) st->writable.notify_all();
}

void connection::on_go_away(libp2p::yamux_go_away code) {
  (code == libp2p::yamux_go_away::normal ? log::info : log::warn)(
      log_component, "go_away_received",
      {{"peer", remote_.to_string()}, {"code", static_cast<std::uint32_t>(code)}});
}

void connection::on_pong(std::uint32_t) {}

// ------------------------------------------------------------------ streams

result<std::shared_ptr<stream_state>> connection::open_stream() {
  if (!usable()) return closed_error();
  auto id = session_.open_stream();
  if (!id) {
    if (id.error().is(libp2p::libp2p_errc::yamux_stream_limit)) {
      return make_error(host_errc::stream_limit, "connection to " + remote_.to_string() + ": " + id.error().message());
    }
    return make_error(host_errc::connection_closed, "connection to " + remote_.to_string() + ": " + id.error().message());
  }
  auto st = std::make_shared<stream_state>();
  st->id = *id;
  st->remote = remote_;
  streams_.emplace(*id, st);
  wake_writer();
  return st;
}

awaitable<result<void>> connection::wait(wait_list& list, stream_state& st, clock::time_point deadline) {
  const auto stall_at = clock::now() + config().stream_stall_timeout;
  const auto until = std::min(deadline, stall_at);
  const wake w = co_await list.wait_until(until);
  if (w == wake::cancelled) {
    error e = host_->stopping_ ? host_->stopped_error() : make_error(host_errc::timeout, stream_name(st) + " wait cancelled");
    reset(st, e);
    co_return e;
  }
  if (w == wake::deadline && clock::now() >= until) {
    error e = deadline <= stall_at
                  ? make_error(host_errc::timeout, stream_name(st) + " with " + remote_.to_string() + " passed its deadline")
                  : make_error(host_errc::stream_stalled,
                               stream_name(st) + " with " + remote_.to_string() + " made no progress for " +
                                   std::to_string(config().stream_stall_timeout.count()) + " ms");
    reset(st, e);
    co_return e;
  }
  co_return result<void>{};
}

negotiation_channel connection::stream_channel(std::shared_ptr<stream_state> st, clock::time_point deadline) {
  negotiation_channel c;
  c.available = [st] { return bytes_view(st->rx).subspan(st->rx_pos); };
  c.consume = [this, st](std::size_t n) {
    st->rx_pos += n;
    session_.consumed(st->id, n);
  };
  c.send = [this, st, deadline](bytes_view data) { return write(st, data, deadline); };
  c.receive_more = [this, st, deadline] { return await_stream_bytes(st, deadline); };
  c.on_refused = [this, st](const error& e) { reset(*st, e); };
  return c;
}

awaitable<result<void>> connection::await_stream_bytes(std::shared_ptr<stream_state> st, clock::time_point deadline) {
  if (st->finished) co_return st->failure;
  if (st->remote_closed) {
    error e = make_error(host_errc::stream_reset, stream_name(*st) + " closed during protocol negotiation");
    reset(*st, e);
    co_return e;
  }
  co_return co_await wait(st->readable, *st, deadline);
}

awaitable<result<std::size_t>> connection::negotiate_outbound(std::shared_ptr<stream_state> st,
                                                              std::vector<std::string> protocols,
                                                              clock::time_point deadline) {
  libp2p::multistream_dialer dialer(protocols);
  byte_buffer opening;
  dialer.start(opening);
  auto channel = stream_channel(st, deadline);
  if (auto r = co_await run_negotiation(dialer, std::move(opening), std::move(channel)); !r) co_return r.error();
  st->protocol = dialer.selected();
  protocols_.insert(st->protocol);
  remember_choice(protocols, dialer.selected_index());
  co_return dialer.selected_index();
}

void connection::remember_choice(const std::vector<std::string>& protocols, std::size_t index) {
  // A handful of preference lists per connection in practice; a peer that
  // made us negotiate many kinds only costs us full negotiations again.
  if (outbound_choices_.size() >= max_outbound_choices && !outbound_choices_.contains(protocols)) {
    outbound_choices_.clear();
    agreed_outbound_.clear();
  }
  agreed_outbound_.insert(protocols[index]);
  outbound_choices_[protocols] = index;
}

std::optional<std::size_t> connection::known_choice(const std::vector<std::string>& protocols) const {
  auto it = outbound_choices_.find(protocols);
  if (it != outbound_choices_.end()) return it->second;
  if (!protocols.empty() && agreed_outbound_.contains(protocols.front())) return 0;
  return std::nullopt;
}

awaitable<result<void>> connection::request_lazily(std::shared_ptr<stream_state> st,
                                                   const std::vector<std::string>& protocols, std::size_t index,
                                                   bytes_view request, std::size_t response_cap,
                                                   clock::time_point deadline) {
  grant_body_window(*st, response_cap);
  libp2p::multistream_dialer dialer({protocols[index]});
  byte_buffer first;
  dialer.start(first);
  append(first, request);
  if (auto w = co_await write(st, first, deadline); !w) co_return w;
  if (auto c = close_write(*st); !c) co_return c;
  auto channel = stream_channel(st, deadline);
  if (auto r = co_await run_negotiation(dialer, byte_buffer(), std::move(channel)); !r) {
    // The peer refused what it accepted before on this connection (or broke
    // the exchange): the next request negotiates in full.
    outbound_choices_.erase(protocols);
    agreed_outbound_.erase(protocols[index]);
    co_return r;
  }
  st->protocol = protocols[index];
  protocols_.insert(st->protocol);
  remember_choice(protocols, index);
  co_return result<void>{};
}

awaitable<result<std::string>> connection::negotiate_inbound(std::shared_ptr<stream_state> st,
                                                             std::vector<std::string> supported,
                                                             clock::time_point deadline) {
  libp2p::multistream_listener listener(std::move(supported));
  auto channel = stream_channel(st, deadline);
  if (auto r = co_await run_negotiation(listener, byte_buffer(), std::move(channel)); !r) co_return r.error();
  st->protocol = listener.selected();
  protocols_.insert(st->protocol);
  co_return listener.selected();
}

awaitable<result<std::size_t>> connection::read_some(std::shared_ptr<stream_state> st, std::span<std::uint8_t> into,
                                                     clock::time_point deadline) {
  if (!st->window_grown && !st->finished) {
    st->window_grown = true;
    session_.set_receive_window(st->id, config().stream_receive_window);
    wake_writer();
  }
  for (;;) {
    const std::size_t available = st->rx.size() - st->rx_pos;
    if (available > 0) {
      const std::size_t n = std::min(available, into.size());
      std::memcpy(into.data(), st->rx.data() + st->rx_pos, n);
      st->rx_pos += n;
      if (st->rx_pos == st->rx.size()) {
        st->rx.clear();
        st->rx_pos = 0;
      }
      session_.consumed(st->id, n);
      if (!session_.output().empty()) wake_writer();
      co_return n;
    }
    if (st->remote_closed) co_return std::size_t{0};
    if (st->finished) co_return st->failure;
    if (into.empty()) co_return std::size_t{0};
    if (auto r = co_await wait(st->readable, *st, deadline); !r) co_return r.error();
  }
}

awaitable<result<byte_buffer>> connection::read_to_end(std::shared_ptr<stream_state> st, std::size_t cap,
                                                       host_errc too_large, clock::time_point deadline) {
  byte_buffer out;
  const std::size_t buffered = st->rx.size() - st->rx_pos;
  if (buffered > cap) {
    error e = make_error(too_large, stream_name(*st) + " from " + remote_.to_string() + " sent more than " +
                                        std::to_string(cap) + " bytes");
    reset(*st, e);
    co_return e;
  }
  out.reserve(std::min<std::size_t>(cap, 64 * 1024) + simdjson_padding);
  append_padded(out, bytes_view(st->rx).subspan(st->rx_pos));
  session_.consumed(st->id, buffered);
  st->rx.clear();
  st->rx_pos = 0;
  if (st->finished && !st->remote_closed) co_return st->failure;
  if (st->remote_closed) co_return out;

  st->collect = &out;
  st->collect_cap = cap;
  st->collect_too_large = too_large;
  struct detach {
    stream_state& s;
    ~detach() { s.collect = nullptr; }
  } guard{*st};
  grant_body_window(*st, cap);
  wake_writer();
  for (;;) {
    if (st->remote_closed) co_return out;
    if (st->finished) co_return st->failure;
    if (auto r = co_await wait(st->readable, *st, deadline); !r) co_return r.error();
  }
}

awaitable<result<void>> connection::write(std::shared_ptr<stream_state> st, bytes_view data,
                                          clock::time_point deadline) {
  const std::size_t max_chunk = std::max<std::size_t>(config().max_write_buffer, 1);
  while (!data.empty()) {
    if (st->finished) co_return st->failure;
    if (closed_) co_return closed_error();
    if (st->local_closed) {
      co_return make_error(host_errc::connection_closed, stream_name(*st) + " is closed for writing");
    }
    if (session_.output().size() >= max_chunk) {
      if (auto r = co_await wait(drained_, *st, deadline); !r) co_return r;
      continue;
    }
    auto n = session_.write(st->id, data.first(std::min(data.size(), max_chunk)));
    if (!n) {
      error e = make_error(host_errc::stream_reset, n.error().message());
      finish(*st, e);
      co_return e;
    }
    if (*n > 0) {
      data = data.subspan(*n);
      wake_writer();
      continue;
    }
    if (auto r = co_await wait(st->writable, *st, deadline); !r) co_return r;
  }
  co_return result<void>{};
}

void connection::grant_body_window(stream_state& st, std::size_t cap) {
  const std::uint64_t window = std::min<std::uint64_t>(std::uint64_t{cap} + 1, config().max_stream_window);
  session_.set_receive_window(st.id, static_cast<std::uint32_t>(window));
  st.window_grown = true;
}

result<void> connection::close_write(stream_state& st) {
  if (st.finished) return st.failure;
  if (st.local_closed) return {};
  if (auto r = session_.close(st.id); !r) {
    error e = make_error(host_errc::stream_reset, r.error().message());
    finish(st, e);
    return e;
  }
  st.local_closed = true;
  wake_writer();
  if (st.remote_closed) forget(st.id);
  return {};
}

void connection::reset(stream_state& st, const error& reason) {
  if (st.finished) return;
  if (!closed_) {
    session_.reset(st.id);
    wake_writer();
  }
  forget(st.id);
  if (!quiet_reason(reason) && !reason.is(host_errc::stream_reset)) {
    log::warn(log_component, "stream_reset",
              {{"peer", remote_.to_string()}, {"stream", st.id}, {"protocol", st.protocol},
               {"code", reason.code().message()}, {"reason", reason.message()}});
  }
  finish(st, reason);
}

void connection::release(stream_state& st) {
  if (st.finished) return;
  if (st.local_closed && st.remote_closed) {
    forget(st.id);
    st.finished = true;
    st.failure = make_error(host_errc::connection_closed, stream_name(st) + " is closed");
    return;
  }
  reset(st, make_error(host_errc::stream_reset, stream_name(st) + " dropped before it was closed"));
}

} // namespace snapstream::net::detail
