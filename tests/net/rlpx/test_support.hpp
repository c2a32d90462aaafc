#pragma once
// Helpers for the RLPx host tests: running a coroutine test body, bounded
// waits, event capture, and a raw RLPx peer that can be told to misbehave.

#include "net/rlpx/host.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/rlpx/frame_codec.hpp"
#include "protocol/rlpx/handshake.hpp"
#include "protocol/rlpx/message_codec.hpp"
#include "protocol/rlpx/p2p_messages.hpp"
#include "protocol/rlpx/rlp.hpp"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace snapstream::net::rlpx::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Runs `body(executor)` as a coroutine on a fresh io_context, for at most
/// `limit`; rethrows what it threw (failed BOOST_REQUIREs included).
template <class Body>
void run_coroutine_test(Body body, std::chrono::seconds limit = 60s) {
  asio::io_context io;
  bool done = false;
  std::exception_ptr failure;
  asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  io.run_for(limit);
  BOOST_REQUIRE_MESSAGE(done, "test coroutine did not finish within its time bound");
  if (failure) std::rethrow_exception(failure);
}

/// Sleeps on `ex` for `d` (a wait, not an assertion on time).
inline asio::awaitable<void> sleep_for(asio::any_io_executor ex, std::chrono::milliseconds d) {
  asio::steady_timer t(ex);
  t.expires_after(d);
  auto [ec] = co_await t.async_wait(use_tuple);
  (void)ec;
}

/// Polls `done` every 10 ms for at most `limit`; true when it became true.
inline asio::awaitable<bool> wait_until(asio::any_io_executor ex, std::function<bool()> done,
                                        std::chrono::milliseconds limit = 10000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await sleep_for(ex, 10ms);
  }
  co_return true;
}

/// Records a host's events.
struct event_log {
  std::vector<peer_event> events;
  std::function<void(const peer_event&)> sink() {
    return [this](const peer_event& e) { events.push_back(e); };
  }
  [[nodiscard]] std::size_t count(peer_event_kind k) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == k ? 1 : 0;
    return n;
  }
  [[nodiscard]] const peer_event* last(peer_event_kind k) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->kind == k) return &*it;
    return nullptr;
  }
};

/// A head timestamp after mainnet's BPO2 fork (2026-05-28): the tests pin the
/// clock so fork ids do not change with the date they run on.
inline constexpr std::uint64_t mainnet_bpo2_era = 1'780'000'000;
/// Between Prague and Osaka (2025-06-15).
inline constexpr std::uint64_t mainnet_prague_era = 1'750'000'000;

/// A host config listening on an ephemeral loopback port with a fresh key, on
/// mainnet with its head time pinned after BPO2.
inline host_config loopback_config() {
  host_config c;
  c.node_key = *wire::generate_secret_key();
  c.listen = true;
  c.listen_address = "127.0.0.1";
  c.listen_port = 0;
  c.eth.head_time = mainnet_bpo2_era;
  return c;
}

/// A hand-driven RLPx initiator: the real handshake and frame codec, but every
/// frame it sends is chosen by the test (so it can send bad ones).
class raw_peer {
public:
  explicit raw_peer(asio::any_io_executor ex) : socket_(ex) {}

  asio::awaitable<bool> connect(tcp::endpoint ep) {
    auto [ec] = co_await socket_.async_connect(ep, use_tuple);
    co_return !ec;
  }

  /// Sends auth and reads the ack (EIP-8); the session keys are then set.
  asio::awaitable<bool> handshake(const wire::public_key& remote) {
    key_ = *wire::generate_secret_key();
    const auto eph = *wire::generate_secret_key();
    const auto nonce = *wire::random_nonce();
    auto auth = wire::make_auth(wire::handshake_format::eip8, key_, remote, eph, nonce, 120);
    if (!auth) co_return false;
    if (!co_await write(*auth)) co_return false;
    byte_buffer ack(2);
    if (!co_await read(ack)) co_return false;
    const std::size_t total = 2 + load_size(ack);
    ack.resize(total);
    if (!co_await read(std::span(ack).subspan(2))) co_return false;
    auto msg = wire::read_ack(wire::handshake_format::eip8, key_, ack);
    if (!msg) co_return false;
    auto s = wire::derive_session_secrets(true, eph, msg->recipient_ephemeral, nonce, msg->recipient_nonce, *auth, ack);
    if (!s) co_return false;
    codec_.emplace(std::move(*wire::frame_codec::create(*s)));
    co_return true;
  }

  /// Sends a frame with `code` and `payload` (compressed when `compress`).
  asio::awaitable<bool> send(std::uint64_t code, bytes_view payload, bool compress) {
    byte_buffer body;
    if (compress) wire::snappy_compress(payload, body);
    else body.assign(payload.begin(), payload.end());
    byte_buffer frame;
    if (!codec_->write_frame(wire::rlp_encode_uint(code), body, frame)) co_return false;
    co_return co_await write(frame);
  }

  /// Sends our Hello advertising `caps`.
  asio::awaitable<bool> send_hello(std::vector<wire::capability> caps) {
    wire::p2p::hello h;
    h.client_id = "raw-test-peer";
    h.capabilities = std::move(caps);
    h.node_id = *wire::derive_public_key(key_);
    co_return co_await send(wire::p2p::hello_code, wire::p2p::encode(h), false);
  }

  /// Reads one frame; returns its code and (decompressed when `compressed`) payload.
  asio::awaitable<std::optional<std::pair<std::uint64_t, byte_buffer>>> receive(bool compressed) {
    std::array<std::uint8_t, 32> header{};
    if (!co_await read(header)) co_return std::nullopt;
    auto size = codec_->read_header(header, wire::frame_codec::max_frame_size);
    if (!size) co_return std::nullopt;
    byte_buffer body(wire::frame_codec::body_wire_size(*size));
    if (!co_await read(body)) co_return std::nullopt;
    auto data = codec_->read_body(body, *size);
    if (!data) co_return std::nullopt;
    auto m = wire::split_frame_data(*data);
    if (!m) co_return std::nullopt;
    byte_buffer payload(m->payload.begin(), m->payload.end());
    if (compressed) {
      byte_buffer out;
      if (wire::snappy_decompress(payload, wire::max_message_size, out)) payload = std::move(out);
    }
    std::pair<std::uint64_t, byte_buffer> out(m->code, std::move(payload));
    co_return out;
  }

  /// Reads frames until a Disconnect arrives; its reason, or nothing when the
  /// connection closes first.
  asio::awaitable<std::optional<wire::p2p::disconnect_reason>> await_disconnect(bool compressed) {
    for (;;) {
      auto f = co_await receive(compressed);
      if (!f) co_return std::nullopt;
      if (f->first == wire::p2p::disconnect_code) {
        auto r = wire::p2p::decode_disconnect(f->second);
        if (!r) co_return std::nullopt;
        co_return *r;
      }
    }
  }

  /// True when the other side closes the connection (EOF) before `limit`.
  asio::awaitable<bool> closed_by_remote() {
    std::array<std::uint8_t, 512> sink{};
    for (;;) {
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(sink), use_tuple);
      (void)n;
      if (ec) co_return true;
    }
  }

  asio::awaitable<bool> write(bytes_view data) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()), use_tuple);
    (void)n;
    co_return !ec;
  }

  [[nodiscard]] wire::public_key id() const { return *wire::derive_public_key(key_); }
  tcp::socket& socket() { return socket_; }

private:
  static std::size_t load_size(const byte_buffer& b) { return (std::size_t{b[0]} << 8) | b[1]; }
  asio::awaitable<bool> read(std::span<std::uint8_t> out) {
    auto [ec, n] = co_await asio::async_read(socket_, asio::buffer(out.data(), out.size()), use_tuple);
    (void)n;
    co_return !ec;
  }

  tcp::socket socket_;
  wire::secret_key key_{};
  std::optional<wire::frame_codec> codec_;
};

} // namespace snapstream::net::rlpx::test
