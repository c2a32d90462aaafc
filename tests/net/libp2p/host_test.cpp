#define BOOST_TEST_MODULE libp2p_host
#include <boost/test/unit_test.hpp>

#include "net/libp2p/host.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/libp2p/multistream.hpp"
#include "protocol/libp2p/noise.hpp"
#include "protocol/libp2p/yamux.hpp"
#include "tests/net/run_coroutine.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <exception>
#include <optional>

using namespace snapstream;
using namespace snapstream::net;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using snapstream::net::test::run;
using asio::awaitable;
using asio::use_awaitable;

namespace {

const libp2p::multiaddr loopback = *libp2p::multiaddr::parse("/ip4/127.0.0.1/tcp/0");

shared_bytes bytes_of(std::string_view s) { return std::make_shared<const byte_buffer>(to_buffer(as_bytes(s))); }

/// Deterministic payload of `n` bytes.
byte_buffer pattern(std::size_t n, std::uint8_t seed) {
  byte_buffer b(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<std::uint8_t>(x);
  }
  return b;
}

/// Echo handler: replies "<protocol>:<request>".
awaitable<result<shared_bytes>> echo(libp2p::peer_id, std::string protocol, byte_buffer request) {
  byte_buffer out = to_buffer(as_bytes(protocol + ":"));
  append(out, request);
  co_return std::make_shared<const byte_buffer>(std::move(out));
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(use_awaitable));
}

struct two_hosts {
  asio::io_context io;
  host server;
  host client;
  libp2p::multiaddr server_addr;
  explicit two_hosts(host_config server_cfg = {}, host_config client_cfg = {})
    : server(io.get_executor(), libp2p::identity::generate(), server_cfg),
      client(io.get_executor(), libp2p::identity::generate(), client_cfg) {
    auto a = server.listen(loopback);
    BOOST_REQUIRE(a.has_value());
    server_addr = *a;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(request_gets_the_response_on_the_preferred_protocol) {
  two_hosts h;
  h.server.set_request_handler(snapshot_protocols(), echo);
  BOOST_TEST(h.server_addr.peer.has_value());
  BOOST_TEST((*h.server_addr.peer == h.server.local_peer_id()));
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const byte_buffer arg1 = to_buffer(as_bytes("{\"type\":\"plan\"}"));
    auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), arg1, 5s);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : to_string(r.error())));
    BOOST_TEST(r->protocol == "/rpp/snapshots/1.3.0");
    BOOST_TEST(as_chars(r->body) == "/rpp/snapshots/1.3.0:{\"type\":\"plan\"}");
    BOOST_TEST(r->body.capacity() >= r->body.size() + 64);
    // The connection is reused and both sides see each other.
    const byte_buffer arg2 = to_buffer(as_bytes("x"));
    auto again = co_await h.client.request(h.server.local_peer_id(), snapshot_protocols(), arg2, 5s);
    BOOST_REQUIRE(again.has_value());
    BOOST_TEST(h.client.connection_count() == 1u);
    BOOST_TEST(h.server.connection_count() == 1u);
    const auto peers = h.client.peers();
    BOOST_REQUIRE(peers.size() == 1u);
    BOOST_TEST((peers[0].id == h.server.local_peer_id()));
    BOOST_TEST(peers[0].outbound);
    BOOST_TEST(peers[0].protocols == std::vector<std::string>{"/rpp/snapshots/1.3.0"});
    const auto server_peers = h.server.peers();
    BOOST_REQUIRE(server_peers.size() == 1u);
    BOOST_TEST((server_peers[0].id == h.client.local_peer_id()));
    BOOST_TEST(!server_peers[0].outbound);
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(request_falls_back_to_1_0_0_when_the_server_lacks_1_1_0) {
  two_hosts h;
  h.server.set_request_handler({snapshots_v1_0()}, echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const byte_buffer arg3 = to_buffer(as_bytes("req"));
    auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), arg3, 5s);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : to_string(r.error())));
    BOOST_TEST(r->protocol == "/rpp/snapshots/1.0.0");
    BOOST_TEST(as_chars(r->body) == "/rpp/snapshots/1.0.0:req");
    const byte_buffer arg4 = to_buffer(as_bytes("x"));
    const std::vector<protocol_spec> arg5 = std::vector<protocol_spec>{protocol_spec{"/other/1"}};
    auto none = co_await h.client.request(h.server_addr, arg5, arg4, 5s);
    BOOST_REQUIRE(!none.has_value());
    BOOST_TEST(none.error().is(libp2p::libp2p_errc::protocol_not_supported));
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(later_requests_propose_the_agreed_lazy_protocol_alone_with_the_request) {
  // The server serves 1.2.0 (a lazy protocol) and 1.0.0. The first request
  // negotiates in full and agrees on 1.2.0; the next ones are sent lazily
  // (1.2.0 alone, with the request). Then the server stops serving 1.2.0: a
  // full negotiation would fall back to 1.0.0, but the lazy request proposes
  // 1.2.0 alone and is refused; the request after it negotiates in full again
  // and gets 1.0.0. All of it on one connection.
  two_hosts h;
  h.server.set_request_handler({snapshots_v1_2(), snapshots_v1_0()}, echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const std::vector<protocol_spec> both{snapshots_v1_2(), snapshots_v1_0()};
    const byte_buffer req = to_buffer(as_bytes("req"));
    for (int i = 0; i < 3; ++i) {
      auto r = co_await h.client.request(h.server_addr, both, req, 5s);
      BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : to_string(r.error())));
      BOOST_TEST(as_chars(r->body) == "/rpp/snapshots/1.2.0:req");
    }
    // Another list whose first choice is the agreed lazy protocol is lazy
    // too (a full negotiation of it would fall back to 1.0.0 below).
    const std::vector<protocol_spec> other{snapshots_v1_2(), snapshots_v1_0(), snapshots_v1_1()};
    h.server.remove_handler("/rpp/snapshots/1.2.0");
    auto refused_other = co_await h.client.request(h.server_addr, other, req, 5s);
    BOOST_REQUIRE(!refused_other.has_value());
    BOOST_TEST(refused_other.error().is(libp2p::libp2p_errc::protocol_not_supported), to_string(refused_other.error()));
    h.server.set_request_handler({snapshots_v1_2(), snapshots_v1_0()}, echo);
    auto agreed_again = co_await h.client.request(h.server_addr, both, req, 5s);
    BOOST_REQUIRE(agreed_again.has_value());
    BOOST_TEST(as_chars(agreed_again->body) == "/rpp/snapshots/1.2.0:req");
    h.server.remove_handler("/rpp/snapshots/1.2.0");
    auto refused = co_await h.client.request(h.server_addr, both, req, 5s);
    BOOST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error().is(libp2p::libp2p_errc::protocol_not_supported), to_string(refused.error()));
    auto fallback = co_await h.client.request(h.server_addr, both, req, 5s);
    BOOST_REQUIRE_MESSAGE(fallback.has_value(), (fallback ? "" : to_string(fallback.error())));
    BOOST_TEST(as_chars(fallback->body) == "/rpp/snapshots/1.0.0:req");
    // 1.0.0 is now the agreed choice, but not a lazy protocol: every request
    // negotiates in full, and so sees 1.2.0 as soon as the server serves it again.
    h.server.set_request_handler({snapshots_v1_2()}, echo);
    auto again = co_await h.client.request(h.server_addr, both, req, 5s);
    BOOST_REQUIRE_MESSAGE(again.has_value(), (again ? "" : to_string(again.error())));
    BOOST_TEST(as_chars(again->body) == "/rpp/snapshots/1.2.0:req");
    BOOST_TEST(h.client.connection_count() == 1u);
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(the_dialer_sends_its_first_request_before_any_answer_and_a_refused_muxer_closes_it) {
  // A listener driven by hand that answers nothing until the dialer's next
  // step is in: the /noise proposal must come with the first handshake
  // message, and the /yamux/1.0.0 proposal with the first stream, which
  // holds the whole request, proposal included. It then refuses
  // /yamux/1.0.0: the request fails and the connection closes.
  asio::io_context io;
  host client(io.get_executor(), libp2p::identity::generate(), host_config{});
  run(io, [](asio::io_context& io, host& client) -> awaitable<void> {
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto server_id = libp2p::identity::generate();
    libp2p::multiaddr addr = loopback;
    addr.port = acceptor.local_endpoint().port();
    addr.peer = server_id.id();
    std::optional<result<response>> outcome;
    asio::steady_timer finished(io, std::chrono::steady_clock::time_point::max()); // cancelled when it ends
    asio::co_spawn(io, [&]() -> awaitable<void> {
      outcome = co_await client.request(addr, snapshot_protocols(), to_buffer(as_bytes("x")), 5s);
      finished.cancel();
    }, asio::detached);
    auto socket = co_await acceptor.async_accept(use_awaitable);
    byte_buffer rx;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    auto read_more = [&]() -> awaitable<void> {
      std::uint8_t buf[4096];
      asio::steady_timer timer(io, deadline);
      timer.async_wait([&](boost::system::error_code ec) {
        if (!ec) socket.cancel();
      });
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(use_awaitable));
      BOOST_REQUIRE_MESSAGE(!ec, "the dialer sent nothing more: " << ec.message());
      rx.insert(rx.end(), buf, buf + n);
    };
    // 1. The /noise proposal and, unanswered, the first handshake message.
    libp2p::multistream_listener security({std::string(libp2p::noise_protocol_id)});
    byte_buffer answer;
    std::size_t consumed = 0;
    for (;;) {
      answer.clear();
      auto p = security.receive(rx, answer);
      BOOST_REQUIRE(p.has_value());
      if (p->done) {
        consumed = p->consumed;
        break;
      }
      co_await read_more();
    }
    rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(consumed));
    auto handshake_message = [&]() -> awaitable<byte_buffer> {
      while (rx.size() < 2 || rx.size() < 2u + load_be16(rx.data())) co_await read_more();
      const std::size_t len = load_be16(rx.data());
      byte_buffer body(rx.begin() + 2, rx.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      rx.erase(rx.begin(), rx.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      co_return body;
    };
    auto hs = libp2p::noise_handshake::responder(server_id);
    BOOST_REQUIRE(hs.read(co_await handshake_message()).has_value());
    // 2. Answer /noise and finish the handshake.
    BOOST_REQUIRE(hs.write(answer).has_value());
    co_await asio::async_write(socket, asio::buffer(answer), use_awaitable);
    BOOST_REQUIRE(hs.read(co_await handshake_message()).has_value());
    BOOST_REQUIRE(hs.complete());
    auto transport = hs.into_transport();
    // 3. The /yamux/1.0.0 proposal and, unanswered, the first stream with
    // the whole request: its proposal of /rpp/snapshots/1.3.0 (the lazy
    // first choice), the request and its end.
    byte_buffer plain;
    const std::string yamux_proposal = "\x13/multistream/1.0.0\n\x0d/yamux/1.0.0\n";
    const std::string first_stream = "\x13/multistream/1.0.0\n\x15/rpp/snapshots/1.3.0\nx";
    std::string stream_data;
    bool fin = false;
    std::size_t at = yamux_proposal.size();
    for (;;) {
      for (;;) {
        auto f = transport.open_in_place(std::span<std::uint8_t>(rx.data(), rx.size()));
        BOOST_REQUIRE(f.has_value());
        if (f->consumed == 0) break;
        plain.insert(plain.end(), f->plaintext.begin(), f->plaintext.end());
        rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(f->consumed));
      }
      while (plain.size() >= at + libp2p::yamux_header_size) {
        const std::uint8_t* h = plain.data() + at;
        const auto type = static_cast<libp2p::yamux_type>(h[1]);
        const std::uint32_t length = load_be32(h + 8);
        const std::size_t body = type == libp2p::yamux_type::data ? length : 0;
        if (plain.size() < at + libp2p::yamux_header_size + body) break;
        BOOST_TEST(load_be32(h + 4) == 1u); // the dialer's first stream
        stream_data.append(reinterpret_cast<const char*>(h) + libp2p::yamux_header_size, body);
        fin = fin || (load_be16(h + 2) & 0x4) != 0;
        at += libp2p::yamux_header_size + body;
      }
      if (fin) break;
      co_await read_more();
    }
    BOOST_TEST(as_chars(bytes_view(plain).first(yamux_proposal.size())) == yamux_proposal);
    BOOST_TEST(stream_data == first_stream);
    libp2p::multistream_listener muxer({"/mplex/6.7.0"}); // refuses /yamux/1.0.0
    byte_buffer refusal;
    auto refused = muxer.receive(bytes_view(plain).first(yamux_proposal.size()), refusal);
    BOOST_REQUIRE(refused.has_value());
    BOOST_TEST(!refused->done);
    byte_buffer wire;
    BOOST_REQUIRE(transport.seal(refusal, wire).has_value());
    co_await asio::async_write(socket, asio::buffer(wire), use_awaitable);
    if (!outcome) co_await finished.async_wait(asio::as_tuple(use_awaitable)); // the request has a 5 s deadline
    BOOST_REQUIRE(!outcome->has_value());
    BOOST_TEST(outcome->error().is(host_errc::connection_closed), to_string(outcome->error()));
    BOOST_TEST(outcome->error().message().find("/yamux/1.0.0") != std::string::npos, outcome->error().message());
    BOOST_TEST(client.connection_count() == 0u);
    co_await client.stop();
  }(io, client));
}

BOOST_AUTO_TEST_CASE(dialling_the_wrong_peer_id_fails_authentication) {
  two_hosts h;
  h.server.set_request_handler(snapshot_protocols(), echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    libp2p::multiaddr wrong = h.server_addr;
    wrong.peer = libp2p::identity::generate().id();
    const byte_buffer arg6 = to_buffer(as_bytes("x"));
    auto r = co_await h.client.request(wrong, snapshot_protocols(), arg6, 5s);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().is(libp2p::libp2p_errc::peer_id_mismatch));
    BOOST_TEST(h.client.connection_count() == 0u);
    co_await sleep_for(100ms);
    BOOST_TEST(h.server.connection_count() == 0u);
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(many_concurrent_requests_on_one_connection_all_complete) {
  two_hosts h;
  h.server.set_request_handler(snapshot_protocols(), echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    constexpr int n = 100;
    int ok = 0, done = 0;
    asio::steady_timer all_done(h.io, std::chrono::steady_clock::time_point::max());
    for (int i = 0; i < n; ++i) {
      asio::co_spawn(
          h.io,
          [](two_hosts& h, int i, int& ok, int& done, asio::steady_timer& all_done) -> awaitable<void> {
            const byte_buffer body = pattern(1000 + static_cast<std::size_t>(i) * 997, static_cast<std::uint8_t>(i));
            auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), body, 20s);
            byte_buffer expected = to_buffer(as_bytes("/rpp/snapshots/1.3.0:"));
            append(expected, body);
            if (r && r->body == expected) ++ok;
            if (++done == n) all_done.cancel();
          }(h, i, ok, done, all_done),
          asio::detached);
    }
    co_await all_done.async_wait(asio::as_tuple(use_awaitable));
    BOOST_TEST(ok == n);
    BOOST_TEST(h.client.connection_count() == 1u);
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(twelve_mib_response_crosses_intact) {
  two_hosts h;
  static const byte_buffer big = pattern(12 * 1024 * 1024, 7);
  h.server.set_request_handler(snapshot_protocols(),
                               [](libp2p::peer_id, std::string, byte_buffer) -> awaitable<result<shared_bytes>> {
                                 co_return std::make_shared<const byte_buffer>(big);
                               });
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const byte_buffer arg7 = to_buffer(as_bytes("big"));
    auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), arg7, 30s);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : to_string(r.error())));
    BOOST_TEST(r->body.size() == big.size());
    BOOST_TEST((r->body == big));
    // A requester whose cap is lower refuses it and resets the stream.
    const std::vector<protocol_spec> small_cap{protocol_spec{"/rpp/snapshots/1.1.0", 1024, 1024 * 1024}};
    auto capped = co_await h.client.request(h.server_addr, small_cap, arg7, 30s);
    BOOST_REQUIRE(!capped.has_value());
    BOOST_TEST(capped.error().is(host_errc::response_too_large));
    // Over 1.0.0 the responder's own 10 MiB cap refuses to send it.
    const std::vector<protocol_spec> v1_0{snapshots_v1_0()};
    auto refused = co_await h.client.request(h.server_addr, v1_0, arg7, 30s);
    BOOST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error().is(host_errc::stream_reset));
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(oversized_requests_are_refused_on_both_sides) {
  two_hosts h;
  h.server.set_request_handler({protocol_spec{"/small/1", 1000, 1000}}, echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    // Our own cap: refused before sending.
    const std::vector<protocol_spec> arg10 = std::vector<protocol_spec>{protocol_spec{"/small/1", 1000, 1000}};
    auto local = co_await h.client.request(h.server_addr, arg10, byte_buffer(1001), 5s);
    BOOST_REQUIRE(!local.has_value());
    BOOST_TEST(local.error().is(host_errc::request_too_large));
    // The server's cap: it resets the stream.
    const std::vector<protocol_spec> arg11 = std::vector<protocol_spec>{protocol_spec{"/small/1", 5000, 1000}};
    auto remote = co_await h.client.request(h.server_addr, arg11, byte_buffer(4000), 5s);
    BOOST_REQUIRE(!remote.has_value());
    BOOST_TEST(remote.error().is(host_errc::stream_reset));
    // The connection survives both.
    const byte_buffer arg12 = to_buffer(as_bytes("ok"));
    const std::vector<protocol_spec> arg13 = std::vector<protocol_spec>{protocol_spec{"/small/1", 1000, 1000}};
    auto fine = co_await h.client.request(h.server_addr, arg13, arg12, 5s);
    BOOST_REQUIRE(fine.has_value());
    BOOST_TEST(as_chars(fine->body) == "/small/1:ok");
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(handler_failure_resets_the_stream) {
  two_hosts h;
  h.server.set_request_handler(snapshot_protocols(),
                               [](libp2p::peer_id, std::string, byte_buffer) -> awaitable<result<shared_bytes>> {
                                 co_return make_error(host_errc::handler_failed, "no snapshot");
                               });
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const byte_buffer arg14 = to_buffer(as_bytes("x"));
    auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), arg14, 5s);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().is(host_errc::stream_reset));
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(a_stalling_responder_trips_the_stall_timeout_and_the_deadline) {
  host_config client_cfg;
  client_cfg.stream_stall_timeout = 300ms;
  two_hosts h({}, client_cfg);
  h.server.set_request_handler(snapshot_protocols(),
                               [](libp2p::peer_id, std::string, byte_buffer) -> awaitable<result<shared_bytes>> {
                                 co_await sleep_for(3s);
                                 co_return bytes_of("late");
                               });
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const byte_buffer arg15 = to_buffer(as_bytes("x"));
    auto stalled = co_await h.client.request(h.server_addr, snapshot_protocols(), arg15, 10s);
    BOOST_REQUIRE(!stalled.has_value());
    BOOST_TEST(stalled.error().is(host_errc::stream_stalled));
    const byte_buffer arg16 = to_buffer(as_bytes("x"));
    auto late = co_await h.client.request(h.server_addr, snapshot_protocols(), arg16, 200ms);
    BOOST_REQUIRE(!late.has_value());
    BOOST_TEST(late.error().is(host_errc::timeout));
    // Only the streams failed: the connection still works.
    BOOST_TEST(h.client.connection_count() == 1u);
    co_await h.client.stop();
    co_await h.server.stop(); // cancels the sleeping handlers
  }(h));
}

BOOST_AUTO_TEST_CASE(connection_cap_refuses_the_extra_connection) {
  host_config server_cfg;
  server_cfg.max_connections = 1;
  two_hosts h(server_cfg);
  h.server.set_request_handler(snapshot_protocols(), echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    host third(h.io.get_executor(), libp2p::identity::generate());
    const byte_buffer arg17 = to_buffer(as_bytes("1"));
    auto first = co_await h.client.request(h.server_addr, snapshot_protocols(), arg17, 5s);
    BOOST_REQUIRE(first.has_value());
    const byte_buffer arg18 = to_buffer(as_bytes("2"));
    auto second = co_await third.request(h.server_addr, snapshot_protocols(), arg18, 5s);
    BOOST_REQUIRE(!second.has_value());
    BOOST_TEST(second.error().is(host_errc::connection_closed));
    BOOST_TEST(h.server.connection_count() == 1u);
    // The first connection is unaffected.
    const byte_buffer arg19 = to_buffer(as_bytes("3"));
    auto again = co_await h.client.request(h.server_addr, snapshot_protocols(), arg19, 5s);
    BOOST_TEST(again.has_value());
    co_await third.stop();
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(garbage_and_silent_peers_are_dropped_without_harm) {
  host_config server_cfg;
  server_cfg.handshake_timeout = 300ms;
  two_hosts h(server_cfg);
  h.server.set_request_handler(snapshot_protocols(), echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), h.server_addr.port);
    // A peer that speaks HTTP instead of multistream-select.
    asio::ip::tcp::socket garbage(h.io);
    co_await garbage.async_connect(ep, use_awaitable);
    const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    co_await asio::async_write(garbage, asio::buffer(http), use_awaitable);
    char buf[64];
    auto [ec, n] = co_await garbage.async_read_some(asio::buffer(buf), asio::as_tuple(use_awaitable));
    BOOST_TEST(ec == asio::error::eof); // closed without a reply
    BOOST_TEST(n == 0u);
    // A peer that connects and says nothing: closed after the handshake timeout.
    asio::ip::tcp::socket silent(h.io);
    co_await silent.async_connect(ep, use_awaitable);
    auto [ec2, n2] = co_await silent.async_read_some(asio::buffer(buf), asio::as_tuple(use_awaitable));
    BOOST_TEST(ec2 == asio::error::eof);
    (void)n2;
    BOOST_TEST(h.server.connection_count() == 0u);
    // A well-behaved client is still served.
    const byte_buffer arg20 = to_buffer(as_bytes("hi"));
    auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), arg20, 5s);
    BOOST_TEST(r.has_value());
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(idle_connections_are_closed) {
  host_config cfg;
  cfg.idle_timeout = 200ms;
  two_hosts h(cfg, cfg);
  h.server.set_request_handler(snapshot_protocols(), echo);
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const byte_buffer arg21 = to_buffer(as_bytes("x"));
    auto r = co_await h.client.request(h.server_addr, snapshot_protocols(), arg21, 5s);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(h.client.connection_count() == 1u);
    co_await sleep_for(700ms);
    BOOST_TEST(h.client.connection_count() == 0u);
    BOOST_TEST(h.server.connection_count() == 0u);
    // A new request dials again.
    const byte_buffer arg22 = to_buffer(as_bytes("y"));
    auto again = co_await h.client.request(h.server.local_peer_id(), snapshot_protocols(), arg22, 5s);
    BOOST_TEST(again.has_value());
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(raw_streams_carry_bulk_data_both_ways) {
  two_hosts h;
  h.server.set_stream_handler("/echo/1", [](stream s) -> awaitable<void> {
    byte_buffer buf(64 * 1024);
    for (;;) {
      auto n = co_await s.read_some(buf);
      if (!n || *n == 0) break;
      if (!co_await s.write(bytes_view(buf.data(), *n))) co_return;
    }
    (void)s.close_write();
  });
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    const std::vector<std::string> arg23 = std::vector<std::string>{"/echo/1"};
    auto s = co_await h.client.open_stream(h.server_addr, arg23, 5s);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->protocol() == "/echo/1");
    static const byte_buffer data = pattern(3 * 1024 * 1024 + 17, 3);
    // Write and read concurrently: the echo cannot buffer it all.
    bool wrote = false;
    asio::co_spawn(
        h.io,
        [](stream& s, bool& wrote) -> awaitable<void> {
          wrote = (co_await s.write(data)).has_value() && s.close_write().has_value();
        }(*s, wrote),
        asio::detached);
    auto back = co_await s->read_to_end(8 * 1024 * 1024);
    BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? "" : to_string(back.error())));
    BOOST_TEST(wrote);
    BOOST_TEST((*back == data));
    co_await h.client.stop();
    co_await h.server.stop();
  }(h));
}

BOOST_AUTO_TEST_CASE(stop_finishes_with_requests_in_flight) {
  two_hosts h;
  h.server.set_request_handler(snapshot_protocols(),
                               [](libp2p::peer_id, std::string, byte_buffer) -> awaitable<result<shared_bytes>> {
                                 co_await sleep_for(60s);
                                 co_return bytes_of("never");
                               });
  run(h.io, [](two_hosts& h) -> awaitable<void> {
    std::optional<result<response>> outcome;
    asio::co_spawn(
        h.io,
        [](two_hosts& h, std::optional<result<response>>& outcome) -> awaitable<void> {
          const byte_buffer arg24 = to_buffer(as_bytes("x"));
          outcome = co_await h.client.request(h.server_addr, snapshot_protocols(), arg24, 60s);
        }(h, outcome),
        asio::detached);
    co_await sleep_for(200ms);
    co_await h.server.stop();
    co_await sleep_for(100ms);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_REQUIRE(!outcome->has_value());
    BOOST_TEST(outcome->error().is(host_errc::connection_closed));
    co_await h.client.stop();
    const byte_buffer arg25 = to_buffer(as_bytes("x"));
    auto after = co_await h.client.request(h.server_addr, snapshot_protocols(), arg25, 1s);
    BOOST_REQUIRE(!after.has_value());
    BOOST_TEST(after.error().is(host_errc::stopped));
  }(h));
}
