#pragma once
// Helpers of the flood tests (floods_test.cpp): what the process holds
// (resident memory, open descriptors), a record of the host's log lines to
// wait for the typed reason of a close, and `raw_peer`, a libp2p dialer driven
// by hand from the protocol/libp2p codecs so a test can send what no honest
// host would.

#include "net/common/deadline.hpp"
#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/common/log.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/multistream.hpp"
#include "protocol/libp2p/noise.hpp"
#include "protocol/libp2p/yamux.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace snapstream::net::test {

using steady = std::chrono::steady_clock;

/// A field of /proc/self/status in KiB (`VmRSS`: resident memory now,
/// `VmHWM`: its peak).
inline std::size_t status_kib(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoul(line.substr(key.size()));
  }
  return 0;
}
/// Resident memory of this process now, KiB.
inline std::size_t resident_kib() { return status_kib("VmRSS"); }
/// The peak of resident memory since the last `reset_peak_resident`, KiB.
/// (Freed buffers leave RSS at once, so only the peak shows what a flood held.)
inline std::size_t peak_resident_kib() { return status_kib("VmHWM"); }
/// Starts a new peak: VmHWM becomes VmRSS (Linux `clear_refs` value 5).
inline bool reset_peak_resident() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

/// File descriptors this process holds open.
inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1; // the directory iterator's own descriptor
}

/// Sleeps on the calling coroutine's executor.
inline boost::asio::awaitable<void> pause_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
  co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

/// Keeps every log line written while it lives (instead of stderr), so a
/// test can wait for the line that names a typed failure. Single-threaded use.
class log_record {
public:
  log_record() {
    log::set_sink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  ~log_record() { log::set_sink({}); }
  log_record(const log_record&) = delete;
  log_record& operator=(const log_record&) = delete;

  /// Lines of `event` whose `code` field is the message of `code` (the typed
  /// error the host logged), counted from line `from` on.
  [[nodiscard]] std::size_t count(std::string_view event, std::error_code code, std::size_t from = 0) const {
    const std::string ev = " " + std::string(event) + " ";
    const std::string msg = code.message();
    const bool quoted = msg.find(' ') != std::string::npos;
    const std::string field = "code=" + (quoted ? "\"" + msg + "\"" : msg);
    std::size_t n = 0;
    for (std::size_t i = from; i < lines_.size(); ++i) {
      const auto& l = lines_[i];
      if (l.find(ev) != std::string::npos && l.find(field) != std::string::npos) ++n;
    }
    return n;
  }
  /// Waits until `count(event, code, from) >= n` or `deadline`; true when reached.
  boost::asio::awaitable<bool> wait_for(std::string_view event, std::error_code code, std::size_t n,
                                        steady::time_point deadline, std::size_t from = 0) const {
    while (count(event, code, from) < n) {
      if (steady::now() >= deadline) co_return false;
      co_await pause_for(std::chrono::milliseconds(5));
    }
    co_return true;
  }
  [[nodiscard]] std::size_t size() const noexcept { return lines_.size(); }

private:
  std::vector<std::string> lines_;
};

/// Waits until `condition()` holds or `deadline`; true when it held.
template <class Condition>
boost::asio::awaitable<bool> eventually(Condition condition, steady::time_point deadline) {
  while (!condition()) {
    if (steady::now() >= deadline) co_return false;
    co_await pause_for(std::chrono::milliseconds(5));
  }
  co_return true;
}

/// One Yamux frame as the server sent it.
struct yamux_frame {
  libp2p::yamux_type type{};
  std::uint16_t flags = 0;
  std::uint32_t stream = 0;
  std::uint32_t length = 0;
  byte_buffer payload; ///< Data frames only
};

/// A dialer that performs each step of the libp2p upgrade on request
/// (multistream-select for /noise, Noise XX as initiator, multistream-select
/// for /yamux/1.0.0) and then reads and writes Yamux frames by hand. It
/// checks nothing the server sends beyond what it needs to go on.
class raw_peer {
public:
  explicit raw_peer(boost::asio::any_io_executor ex) : socket_(std::move(ex)) {}

  [[nodiscard]] boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }

  /// Connects to `server` from `local` (any port). `receive_buffer`, when
  /// set, fixes SO_RCVBUF (bytes) before connecting, so a peer that stops
  /// reading fills the path quickly.
  boost::asio::awaitable<bool> connect(boost::asio::ip::tcp::endpoint server, boost::asio::ip::address local,
                                       std::optional<int> receive_buffer = std::nullopt) {
    boost::system::error_code ec;
    socket_.open(server.protocol(), ec);
    if (!ec && receive_buffer) socket_.set_option(boost::asio::socket_base::receive_buffer_size(*receive_buffer), ec);
    if (!ec) socket_.bind(boost::asio::ip::tcp::endpoint(local, 0), ec);
    if (ec) co_return false;
    auto [cec] = co_await socket_.async_connect(server, boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !cec;
  }

  /// Writes raw bytes to the socket.
  boost::asio::awaitable<bool> send(bytes_view raw) {
    auto [ec, n] = co_await boost::asio::async_write(socket_, boost::asio::buffer(raw.data(), raw.size()),
                                                     boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }
  /// Seals `plain` into Noise transport frames and writes them.
  boost::asio::awaitable<bool> send_sealed(bytes_view plain) {
    byte_buffer wire;
    if (!transport_->seal(plain, wire)) co_return false;
    co_return co_await send(wire);
  }

  /// multistream-select as dialer for `protocol`, on the raw socket or (after
  /// `secure`) inside Noise.
  boost::asio::awaitable<result<void>> negotiate(std::string protocol, bool sealed, steady::time_point deadline) {
    libp2p::multistream_dialer dialer({std::move(protocol)});
    byte_buffer out;
    dialer.start(out);
    for (;;) {
      if (!out.empty()) {
        if (!(sealed ? co_await send_sealed(out) : co_await send(out))) co_return io_failure("send");
        out.clear();
      }
      byte_buffer& in = sealed ? plain_ : rx_;
      auto p = dialer.receive(in, out);
      if (!p) co_return p.error();
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(p->consumed));
      if (p->done) {
        if (!out.empty() && !(sealed ? co_await send_sealed(out) : co_await send(out))) co_return io_failure("send");
        co_return result<void>{};
      }
      if (out.empty() && !(sealed ? co_await read_plain(deadline) : co_await read_more(deadline))) {
        co_return io_failure("receive");
      }
    }
  }

  /// The Noise XX handshake as initiator, any responder accepted.
  boost::asio::awaitable<result<void>> secure(steady::time_point deadline) {
    auto hs = libp2p::noise_handshake::initiator(libp2p::identity::generate(), std::nullopt);
    while (!hs.complete()) {
      if (hs.my_turn()) {
        byte_buffer msg;
        if (auto r = hs.write(msg); !r) co_return r;
        if (!co_await send(msg)) co_return io_failure("send");
        continue;
      }
      auto body = co_await handshake_message(deadline);
      if (!body) co_return io_failure("receive");
      if (auto r = hs.read(*body); !r) co_return r;
    }
    transport_.emplace(hs.into_transport());
    co_return result<void>{};
  }

  /// The next Noise handshake message body (2-byte length removed).
  boost::asio::awaitable<std::optional<byte_buffer>> handshake_message(steady::time_point deadline) {
    while (rx_.size() < 2 || rx_.size() < 2u + ((rx_[0] << 8) | rx_[1])) {
      if (!co_await read_more(deadline)) co_return std::nullopt;
    }
    const std::size_t len = (rx_[0] << 8) | rx_[1];
    byte_buffer body(rx_.begin() + 2, rx_.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    rx_.erase(rx_.begin(), rx_.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    co_return body;
  }

  /// /noise, Noise XX, /yamux/1.0.0.
  boost::asio::awaitable<result<void>> upgrade(steady::time_point deadline) {
    if (auto r = co_await negotiate(std::string(libp2p::noise_protocol_id), false, deadline); !r) co_return r;
    if (auto r = co_await secure(deadline); !r) co_return r;
    co_return co_await negotiate(std::string(libp2p::yamux_protocol_id), true, deadline);
  }

  /// The next Yamux frame, or nothing when the connection ended or `deadline` passed.
  boost::asio::awaitable<std::optional<yamux_frame>> next_frame(steady::time_point deadline) {
    while (plain_.size() < libp2p::yamux_header_size) {
      if (!co_await read_plain(deadline)) co_return std::nullopt;
    }
    yamux_frame f;
    f.type = static_cast<libp2p::yamux_type>(plain_[1]);
    f.flags = static_cast<std::uint16_t>((plain_[2] << 8) | plain_[3]);
    f.stream = load_u32(plain_.data() + 4);
    f.length = load_u32(plain_.data() + 8);
    std::size_t take = libp2p::yamux_header_size;
    if (f.type == libp2p::yamux_type::data) {
      while (plain_.size() < libp2p::yamux_header_size + f.length) {
        if (!co_await read_plain(deadline)) co_return std::nullopt;
      }
      f.payload.assign(plain_.begin() + libp2p::yamux_header_size,
                       plain_.begin() + static_cast<std::ptrdiff_t>(libp2p::yamux_header_size + f.length));
      take += f.length;
    }
    plain_.erase(plain_.begin(), plain_.begin() + static_cast<std::ptrdiff_t>(take));
    co_return f;
  }

  /// Reads and drops whatever comes until the server closes the connection;
  /// true when it did before `deadline`.
  boost::asio::awaitable<bool> closed_by_server(steady::time_point deadline) {
    std::uint8_t buf[16 * 1024];
    for (;;) {
      auto got = co_await with_deadline(socket_.async_read_some(boost::asio::buffer(buf), boost::asio::deferred),
                                        deadline);
      if (!got) co_return false;
      if (std::get<0>(*got)) co_return true; // eof or reset
    }
  }

  /// Raw bytes received and not yet consumed (before `secure`).
  [[nodiscard]] byte_buffer& raw_input() noexcept { return rx_; }

  /// Reads more raw bytes; false on end of stream, error or `deadline`.
  boost::asio::awaitable<bool> read_more(steady::time_point deadline) {
    std::uint8_t buf[64 * 1024];
    auto got = co_await with_deadline(socket_.async_read_some(boost::asio::buffer(buf), boost::asio::deferred),
                                      deadline);
    if (!got) co_return false;
    auto [ec, n] = *got;
    if (ec) co_return false;
    rx_.insert(rx_.end(), buf, buf + n);
    co_return true;
  }

private:
  static std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  }
  static error io_failure(const char* what) {
    return error(std::make_error_code(std::errc::connection_aborted), std::string("raw peer: ") + what + " failed");
  }

  /// Opens one more Noise frame into `plain_`.
  boost::asio::awaitable<bool> read_plain(steady::time_point deadline) {
    for (;;) {
      auto f = transport_->open_in_place(std::span<std::uint8_t>(rx_.data(), rx_.size()));
      if (!f) co_return false;
      if (f->consumed > 0) {
        plain_.insert(plain_.end(), f->plaintext.begin(), f->plaintext.end());
        rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(f->consumed));
        co_return true;
      }
      if (!co_await read_more(deadline)) co_return false;
    }
  }

  boost::asio::ip::tcp::socket socket_;
  byte_buffer rx_;    ///< raw bytes not yet consumed
  byte_buffer plain_; ///< decrypted bytes not yet consumed
  std::optional<libp2p::noise_transport> transport_;
};

/// One Yamux frame header (and payload) appended to `out`.
inline void put_frame(byte_buffer& out, libp2p::yamux_type type, std::uint16_t flags, std::uint32_t stream,
                      std::uint32_t length, bytes_view payload = {}) {
  libp2p::yamux_put_header(out, type, flags, stream, length);
  append(out, payload);
}

/// multistream-select messages: the header, then each of `texts`.
inline byte_buffer multistream_messages(const std::vector<std::string>& texts, bool header = true) {
  byte_buffer out;
  if (header) libp2p::multistream_write_message(out, libp2p::multistream_protocol_id);
  for (const auto& t : texts) libp2p::multistream_write_message(out, t);
  return out;
}

} // namespace snapstream::net::test
