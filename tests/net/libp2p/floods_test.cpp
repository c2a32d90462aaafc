// One hostile peer floods a libp2p host; the host must hold. Each case runs a
// server host, a hostile peer (raw sockets, or `raw_peer` speaking the
// upgrade by hand, from 127.0.0.2) and an honest host (from 127.0.0.1, so
// per-address caps never hit it) on one io_context, and checks that
//  - the cap in question holds (observed through counters, replies and the
//    typed reason the host logs),
//  - the honest peer is served while the flood is on,
//  - the peak of the process's resident memory (VmHWM, reset before the
//    flood) grows by less than `rss_bound_kib` (server and attacker both
//    live in this process).
#define BOOST_TEST_MODULE libp2p_floods
#include <boost/test/unit_test.hpp>

#include "net/libp2p/host.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "tests/net/libp2p/flood_support.hpp"
#include "tests/net/run_coroutine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <set>

using namespace snapstream;
using namespace snapstream::net;
using namespace snapstream::net::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::awaitable;
using libp2p::yamux_type;
namespace flag = libp2p::yamux_flag;

namespace {

const libp2p::multiaddr loopback = *libp2p::multiaddr::parse("/ip4/127.0.0.1/tcp/0");
/// Where every hostile peer connects from.
const asio::ip::address attacker_ip = asio::ip::make_address("127.0.0.2");
/// Largest growth of resident memory across a flood. Measured growth is a
/// few MiB at most (see the BOOST_TEST_MESSAGE lines); an unbounded buffer
/// grows by hundreds of MiB within the same flood.
constexpr std::size_t rss_bound_kib = 64 * 1024;

steady::time_point in(std::chrono::milliseconds d) { return steady::now() + d; }

/// Echo handler: replies "<protocol>:<request>"; a request "big" gets `big_body`.
shared_bytes big_body;

awaitable<result<shared_bytes>> echo(libp2p::peer_id, std::string protocol, byte_buffer request) {
  if (big_body && as_chars(request) == "big") co_return big_body;
  byte_buffer out = to_buffer(as_bytes(protocol + ":"));
  append(out, request);
  co_return std::make_shared<const byte_buffer>(std::move(out));
}

/// Limits with short timeouts, so the whole executable runs in seconds.
host_config short_limits() {
  host_config c;
  c.handshake_timeout = 500ms;
  c.stream_stall_timeout = 500ms;
  c.max_connections_per_ip = 16;
  return c;
}

/// A server host, an honest client host, and the record of their log lines.
struct flood_bed {
  log_record log; // first: sees everything the hosts log
  asio::io_context io;
  host server;
  host honest;
  libp2p::multiaddr server_addr;
  asio::ip::tcp::endpoint server_ep;
  std::size_t rss_before_kib = 0;

  explicit flood_bed(host_config cfg)
    : server(io.get_executor(), libp2p::identity::generate(), cfg),
      honest(io.get_executor(), libp2p::identity::generate()) {
    auto a = server.listen(loopback);
    BOOST_REQUIRE(a.has_value());
    server_addr = *a;
    server_ep = asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_addr.port);
    server.set_request_handler(snapshot_protocols(), echo);
  }

  /// The honest host's request `tag`; true when the echo came back.
  awaitable<bool> honest_served(std::string tag) {
    const byte_buffer body = to_buffer(as_bytes(tag));
    auto r = co_await honest.request(server_addr, snapshot_protocols(), body, 5s);
    if (!r) {
      BOOST_TEST_MESSAGE("honest request " << tag << " failed: " << to_string(r.error()));
      co_return false;
    }
    co_return as_chars(r->body) == "/rpp/snapshots/1.3.0:" + tag;
  }

  void start_measuring() {
    BOOST_REQUIRE(reset_peak_resident());
    rss_before_kib = resident_kib();
  }
  /// Growth of the resident peak since `start_measuring`, KiB, also reported.
  std::size_t rss_growth_kib(const char* what) const {
    const std::size_t peak = peak_resident_kib();
    const std::size_t growth = peak > rss_before_kib ? peak - rss_before_kib : 0;
    BOOST_TEST_MESSAGE(what << ": VmRSS " << rss_before_kib << " KiB before, peak " << peak << " KiB (+" << growth
                            << " KiB)");
    return growth;
  }

  awaitable<void> stop() {
    co_await honest.stop();
    co_await server.stop();
  }
};

/// A hostile peer from 127.0.0.2, upgraded to Yamux.
awaitable<std::unique_ptr<raw_peer>> upgraded_attacker(flood_bed& b, std::optional<int> receive_buffer = {}) {
  auto p = std::make_unique<raw_peer>(b.io.get_executor());
  const bool connected = co_await p->connect(b.server_ep, attacker_ip, receive_buffer);
  BOOST_REQUIRE(connected);
  auto up = co_await p->upgrade(in(5s));
  BOOST_REQUIRE_MESSAGE(up.has_value(), (up ? "" : to_string(up.error())));
  co_return p;
}

/// True when the server still answers a Yamux ping on `p`'s connection.
awaitable<bool> answers_ping(raw_peer& p, std::uint32_t opaque) {
  byte_buffer ping;
  put_frame(ping, yamux_type::ping, flag::syn, 0, opaque);
  if (!co_await p.send_sealed(ping)) co_return false;
  const auto deadline = in(5s);
  for (;;) {
    auto f = co_await p.next_frame(deadline);
    if (!f) co_return false;
    if (f->type == yamux_type::ping && (f->flags & flag::ack) != 0 && f->length == opaque) co_return true;
  }
}

/// Reads frames until stream `id` is reset (true) or the connection ends.
awaitable<bool> reset_arrives(raw_peer& p, std::uint32_t id, std::size_t* na_count = nullptr) {
  const auto deadline = in(5s);
  byte_buffer data;
  for (;;) {
    auto f = co_await p.next_frame(deadline);
    if (!f) co_return false;
    if (f->stream != id) continue;
    append(data, f->payload);
    if ((f->flags & flag::rst) != 0) break;
  }
  if (na_count) {
    // Count the `na` replies among the multistream messages the server sent.
    *na_count = 0;
    const byte_buffer na = multistream_messages({"na"}, false);
    for (auto it = std::search(data.begin(), data.end(), na.begin(), na.end()); it != data.end();
         it = std::search(it + static_cast<std::ptrdiff_t>(na.size()), data.end(), na.begin(), na.end())) {
      ++*na_count;
    }
  }
  co_return true;
}

} // namespace

// ---------------------------------------------------------------- 1. streams

BOOST_AUTO_TEST_CASE(ten_thousand_stream_opens_stop_at_the_stream_cap) {
  // given a server that allows 64 streams per connection and keeps a stream
  // in negotiation for up to 2 s
  host_config cfg = short_limits();
  cfg.max_streams_per_connection = 64;
  cfg.handshake_timeout = 2s;
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    BOOST_REQUIRE(co_await b.honest_served("warm-up"));
    b.start_measuring();
    auto attacker = co_await upgraded_attacker(b);

    // when one connection opens 10,000 streams in one burst
    constexpr std::uint32_t opens = 10'000;
    byte_buffer syns;
    for (std::uint32_t i = 0; i < opens; ++i) put_frame(syns, yamux_type::window_update, flag::syn, 2 * i + 1, 0);
    BOOST_REQUIRE(co_await attacker->send_sealed(syns));

    // then each SYN gets exactly one answer: 64 ACKs, RST for all the rest,
    // and the server never holds more than 64 streams
    std::set<std::uint32_t> answered;
    std::size_t acks = 0, rsts = 0, most_open = 0;
    const auto deadline = in(10s);
    while (answered.size() < opens) {
      auto f = co_await attacker->next_frame(deadline);
      if (!f) break;
      most_open = std::max(most_open, b.server.stream_count());
      if (f->type != yamux_type::window_update || !answered.insert(f->stream).second) continue;
      if ((f->flags & flag::ack) != 0) ++acks;
      if ((f->flags & flag::rst) != 0) ++rsts;
    }
    BOOST_TEST(answered.size() == opens);
    BOOST_TEST(acks == 64u);
    BOOST_TEST(rsts == opens - 64u);
    BOOST_TEST(most_open <= 64u);
    BOOST_TEST(b.server.stream_count() == 64u); // the flood still holds its 64 streams

    // and the honest peer is served while they are held
    BOOST_TEST(co_await b.honest_served("during-stream-flood"));
    BOOST_TEST(b.server.stream_count() >= 64u);
    BOOST_TEST(b.rss_growth_kib("10,000 stream opens") < rss_bound_kib);

    // and the held streams are reset when their negotiation times out
    auto drained = [&b] { return b.server.stream_count() == 0; };
    BOOST_TEST(co_await eventually(drained, in(10s)));
    co_await b.stop();
  }(b));
}

// ---------------------------------------------------------------- 2. 4 GiB length prefixes

BOOST_AUTO_TEST_CASE(four_gib_length_prefixes_are_refused_before_and_after_authentication) {
  host_config cfg = short_limits();
  cfg.handshake_timeout = 1s;
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    BOOST_REQUIRE(co_await b.honest_served("warm-up"));
    b.start_measuring();
    const auto upgrade_failed = [&b](libp2p::libp2p_errc code) {
      return b.log.count("inbound_upgrade_failed", make_error_code(code));
    };
    const byte_buffer len_4gib{0xff, 0xff, 0xff, 0xff, 0x0f}; // uvarint 2^32-1
    const byte_buffer len_2e63{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}; // uvarint 2^63-1

    // given a stranger whose first multistream message claims 4 GiB
    {
      raw_peer p(b.io.get_executor());
      BOOST_REQUIRE(co_await p.connect(b.server_ep, attacker_ip));
      BOOST_REQUIRE(co_await p.send(len_4gib));
      // then the connection is closed at once with multistream_error
      BOOST_TEST(co_await p.closed_by_server(in(5s)));
      BOOST_TEST(upgrade_failed(libp2p::libp2p_errc::multistream_error) == 1u);
    }
    // given a stranger that sends the header, then a message of 4 GiB, then one of 2^63
    const std::array<const byte_buffer*, 2> long_lengths{&len_4gib, &len_2e63};
    for (const byte_buffer* len : long_lengths) {
      raw_peer p(b.io.get_executor());
      BOOST_REQUIRE(co_await p.connect(b.server_ep, attacker_ip));
      byte_buffer msg = multistream_messages({});
      append(msg, *len);
      BOOST_REQUIRE(co_await p.send(msg));
      BOOST_TEST(co_await p.closed_by_server(in(5s)));
    }
    BOOST_TEST(upgrade_failed(libp2p::libp2p_errc::multistream_error) == 3u);

    // given a peer that announces the largest Noise message (65535 bytes)
    // and sends only 100 of them
    {
      raw_peer p(b.io.get_executor());
      BOOST_REQUIRE(co_await p.connect(b.server_ep, attacker_ip));
      const std::string noise_id(libp2p::noise_protocol_id);
      BOOST_REQUIRE((co_await p.negotiate(noise_id, false, in(5s))).has_value());
      byte_buffer partial{0xff, 0xff};
      partial.resize(2 + 100, 0x11);
      BOOST_REQUIRE(co_await p.send(partial));
      // then the honest peer is served while the server waits for the rest
      BOOST_TEST(co_await b.honest_served("during-partial-noise-message"));
      BOOST_TEST(b.server.connection_count() == 2u);
      // and the handshake timeout closes it
      BOOST_TEST(co_await p.closed_by_server(in(10s)));
      BOOST_TEST(b.log.count("inbound_upgrade_failed", make_error_code(host_errc::handshake_timeout)) == 1u);
    }

    // given a peer whose third Noise message has the largest length (65535)
    // and is garbage
    {
      raw_peer p(b.io.get_executor());
      BOOST_REQUIRE(co_await p.connect(b.server_ep, attacker_ip));
      const std::string noise_id(libp2p::noise_protocol_id);
      BOOST_REQUIRE((co_await p.negotiate(noise_id, false, in(5s))).has_value());
      auto hs = libp2p::noise_handshake::initiator(libp2p::identity::generate(), std::nullopt);
      byte_buffer first;
      BOOST_REQUIRE(hs.write(first).has_value());
      BOOST_REQUIRE(co_await p.send(first));
      auto second = co_await p.handshake_message(in(5s));
      BOOST_REQUIRE(second.has_value());
      byte_buffer third{0xff, 0xff};
      third.resize(2 + 65535, 0x5a);
      BOOST_REQUIRE(co_await p.send(third));
      // then the handshake fails (bad tag) and the connection is closed
      BOOST_TEST(co_await p.closed_by_server(in(5s)));
      BOOST_TEST(upgrade_failed(libp2p::libp2p_errc::noise_decrypt_failed) == 1u);
    }

    // given an authenticated peer whose multistream message inside Noise claims 4 GiB
    {
      raw_peer p(b.io.get_executor());
      BOOST_REQUIRE(co_await p.connect(b.server_ep, attacker_ip));
      const std::string noise_id(libp2p::noise_protocol_id);
      BOOST_REQUIRE((co_await p.negotiate(noise_id, false, in(5s))).has_value());
      BOOST_REQUIRE((co_await p.secure(in(5s))).has_value());
      byte_buffer msg = multistream_messages({});
      append(msg, len_4gib);
      BOOST_REQUIRE(co_await p.send_sealed(msg));
      BOOST_TEST(co_await p.closed_by_server(in(5s)));
      BOOST_TEST(upgrade_failed(libp2p::libp2p_errc::multistream_error) == 4u);
    }

    const auto closed_for = [&b](libp2p::libp2p_errc code) {
      return b.log.count("connection_closed", make_error_code(code));
    };
    // given a Yamux Data frame of 0xFFFFFFFF bytes, opening a stream and on an open one
    const std::array<std::uint16_t, 2> data_flags{flag::syn, 0};
    for (const std::uint16_t flags : data_flags) {
      auto p = co_await upgraded_attacker(b);
      byte_buffer frames;
      if (flags == 0) put_frame(frames, yamux_type::window_update, flag::syn, 1, 0);
      put_frame(frames, yamux_type::data, flags, 1, 0xffffffffu);
      BOOST_REQUIRE(co_await p->send_sealed(frames));
      // then GoAway(protocol error) comes and the connection is closed
      bool go_away = false;
      for (;;) {
        auto f = co_await p->next_frame(in(5s));
        if (!f) break;
        if (f->type == yamux_type::go_away) go_away = f->length == 1;
      }
      BOOST_TEST(go_away);
    }
    BOOST_TEST(closed_for(libp2p::libp2p_errc::yamux_frame_too_large) == 2u);

    // given a Yamux window update of 0xFFFFFFFF on an open stream
    {
      auto p = co_await upgraded_attacker(b);
      byte_buffer frames;
      put_frame(frames, yamux_type::window_update, flag::syn, 1, 0xffffffffu);
      BOOST_REQUIRE(co_await p->send_sealed(frames));
      BOOST_TEST(co_await p->closed_by_server(in(5s)));
      BOOST_TEST(closed_for(libp2p::libp2p_errc::yamux_protocol_error) == 1u);
    }

    // given a Noise transport frame of the largest length (65535) holding garbage
    {
      auto p = co_await upgraded_attacker(b);
      byte_buffer frame{0xff, 0xff};
      frame.resize(2 + 65535, 0xa5);
      BOOST_REQUIRE(co_await p->send(frame));
      BOOST_TEST(co_await p->closed_by_server(in(5s)));
      BOOST_TEST(closed_for(libp2p::libp2p_errc::noise_decrypt_failed) == 1u);
    }

    // given a multistream message of 4 GiB on a stream
    {
      auto p = co_await upgraded_attacker(b);
      byte_buffer msg = multistream_messages({});
      append(msg, len_4gib);
      byte_buffer frames;
      put_frame(frames, yamux_type::data, flag::syn, 1, static_cast<std::uint32_t>(msg.size()), msg);
      BOOST_REQUIRE(co_await p->send_sealed(frames));
      // then only that stream is reset; the connection still answers
      BOOST_TEST(co_await reset_arrives(*p, 1));
      BOOST_TEST(co_await answers_ping(*p, 7));
      BOOST_TEST(b.log.count("inbound_negotiation_failed",
                             make_error_code(libp2p::libp2p_errc::multistream_error)) == 1u);
    }

    // given a request body that never ends (bodies have no length prefix;
    // EOF ends them): 2 MiB against the 1 MiB cap, within the granted window
    {
      auto p = co_await upgraded_attacker(b);
      const byte_buffer hello = multistream_messages({"/rpp/snapshots/1.2.0"});
      byte_buffer frames;
      put_frame(frames, yamux_type::data, flag::syn, 1, static_cast<std::uint32_t>(hello.size()), hello);
      BOOST_REQUIRE(co_await p->send_sealed(frames));
      std::uint64_t window = libp2p::yamux_initial_window - hello.size();
      std::uint64_t sent = 0;
      bool reset = false;
      const byte_buffer chunk(60 * 1024, 'x');
      const auto deadline = in(10s);
      while (!reset && sent < 2 * 1024 * 1024) {
        if (window >= chunk.size()) {
          frames.clear();
          put_frame(frames, yamux_type::data, 0, 1, static_cast<std::uint32_t>(chunk.size()), chunk);
          BOOST_REQUIRE(co_await p->send_sealed(frames));
          window -= chunk.size();
          sent += chunk.size();
          continue;
        }
        auto f = co_await p->next_frame(deadline);
        if (!f) break;
        if (f->stream != 1) continue;
        if ((f->flags & flag::rst) != 0) reset = true;
        if (f->type == yamux_type::window_update) window += f->length;
      }
      if (!reset) reset = co_await reset_arrives(*p, 1);
      // then the stream is reset once the body passes the cap
      BOOST_TEST(reset);
      BOOST_TEST(sent > 1024u * 1024u);
      BOOST_TEST(co_await answers_ping(*p, 8));
      BOOST_TEST(b.log.count("inbound_request_failed", make_error_code(host_errc::request_too_large)) == 1u);
    }

    // and the honest peer is still served
    BOOST_TEST(co_await b.honest_served("after-length-prefixes"));
    BOOST_TEST(b.rss_growth_kib("4 GiB length prefixes") < rss_bound_kib);
    co_await b.stop();
  }(b));
}

// ---------------------------------------------------------------- 3. slow handshakes

namespace {

/// Sends multistream + /noise + the first Noise message, then nothing.
awaitable<void> silent_after_first_message(flood_bed& b, std::size_t& closed) {
  raw_peer p(b.io.get_executor());
  if (!co_await p.connect(b.server_ep, attacker_ip)) co_return;
  byte_buffer hello = multistream_messages({std::string(libp2p::noise_protocol_id)});
  auto hs = libp2p::noise_handshake::initiator(libp2p::identity::generate(), std::nullopt);
  (void)hs.write(hello);
  if (!co_await p.send(hello)) co_return;
  if (co_await p.closed_by_server(in(10s))) ++closed;
}

/// Sends the same bytes one at a time, 50 ms apart (the whole opening would
/// take 3 s), then 0xff bytes, until the server closes.
awaitable<void> trickle(flood_bed& b, std::size_t& closed) {
  raw_peer p(b.io.get_executor());
  if (!co_await p.connect(b.server_ep, attacker_ip)) co_return;
  byte_buffer bytes = multistream_messages({std::string(libp2p::noise_protocol_id)});
  auto hs = libp2p::noise_handshake::initiator(libp2p::identity::generate(), std::nullopt);
  (void)hs.write(bytes);
  const auto deadline = in(10s);
  for (std::size_t i = 0; steady::now() < deadline; ++i) {
    const std::uint8_t byte = i < bytes.size() ? bytes[i] : 0xff;
    if (!co_await p.send(bytes_view(&byte, 1))) {
      ++closed; // the server closed: the write met its reset
      co_return;
    }
    co_await pause_for(50ms);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(handshakes_that_never_finish_are_closed_and_do_not_crowd_out_honest_peers) {
  // given a 1 s handshake timeout and 8 connections per address
  host_config cfg = short_limits();
  cfg.handshake_timeout = 1s;
  cfg.max_connections_per_ip = 8;
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    b.start_measuring();
    // when 20 peers go silent after the first Noise message and 20 trickle
    // bytes, all at once and from one address
    std::size_t closed = 0;
    for (int i = 0; i < 20; ++i) {
      asio::co_spawn(b.io, silent_after_first_message(b, closed), asio::detached);
      asio::co_spawn(b.io, trickle(b, closed), asio::detached);
    }
    // then 8 are held and the other 32 are refused at accept
    const auto refused_code = make_error_code(host_errc::connection_limit_per_ip);
    BOOST_TEST(co_await b.log.wait_for("connection_refused", refused_code, 32, in(5s)));
    BOOST_TEST(b.server.connection_count() == 8u);
    // and the honest peer is served while those 8 hold their slots
    BOOST_TEST(co_await b.honest_served("during-slow-handshakes"));
    // and each of the 8 is closed by the handshake timeout
    const auto timed_out = make_error_code(host_errc::handshake_timeout);
    BOOST_TEST(co_await b.log.wait_for("inbound_upgrade_failed", timed_out, 8, in(10s)));
    auto all_closed = [&closed] { return closed == 40; };
    BOOST_TEST(co_await eventually(all_closed, in(10s)));
    BOOST_TEST(b.log.count("inbound_upgrade_failed", timed_out) == 8u);
    BOOST_TEST(b.log.count("connection_refused", refused_code) == 32u);
    BOOST_TEST(b.server.connection_count() == 1u); // the honest peer's
    BOOST_TEST(b.rss_growth_kib("40 slow handshakes") < rss_bound_kib);
    co_await b.stop();
  }(b));
}

// ---------------------------------------------------------------- 4. endless proposals

BOOST_AUTO_TEST_CASE(endless_multistream_proposals_are_cut_off_after_the_proposal_cap) {
  flood_bed b(short_limits());
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    BOOST_REQUIRE(co_await b.honest_served("warm-up"));
    b.start_measuring();
    const auto ms_error = make_error_code(libp2p::libp2p_errc::multistream_error);
    std::vector<std::string> lses(1000, "ls");
    std::vector<std::string> unsupported;
    for (int i = 0; i < 1000; ++i) unsupported.push_back("/nope/" + std::to_string(i));

    // given a stranger that sends the header and then 1,000 `ls` (or 1,000
    // unsupported protocols) on the raw connection
    const std::vector<std::string> nas(libp2p::multistream_max_proposals, "na");
    const byte_buffer most_reply = multistream_messages(nas);
    const std::array<const std::vector<std::string>*, 2> floods{&lses, &unsupported};
    for (const auto* proposals : floods) {
      raw_peer p(b.io.get_executor());
      BOOST_REQUIRE(co_await p.connect(b.server_ep, attacker_ip));
      const byte_buffer msgs = multistream_messages(*proposals);
      BOOST_REQUIRE(co_await p.send(msgs));
      // then the connection is closed, and what came back is at most the
      // header and 32 `na` (replies still queued at the refusal are dropped)
      const auto deadline = in(5s);
      while (co_await p.read_more(deadline)) {
      }
      BOOST_TEST((steady::now() < deadline));
      const byte_buffer& reply = p.raw_input();
      BOOST_TEST(reply.size() <= most_reply.size());
      BOOST_TEST(std::equal(reply.begin(), reply.end(), most_reply.begin()));
    }
    BOOST_TEST(b.log.count("inbound_upgrade_failed", ms_error) == 2u);

    // given an authenticated peer that sends 1,000 `ls` on each of 200 streams, one after the other
    auto p = co_await upgraded_attacker(b);
    for (std::uint32_t i = 0; i < 200; ++i) {
      const std::uint32_t id = 2 * i + 1;
      const byte_buffer msgs = multistream_messages(i % 2 == 0 ? lses : unsupported);
      byte_buffer frames;
      put_frame(frames, yamux_type::data, flag::syn, id, static_cast<std::uint32_t>(msgs.size()), msgs);
      BOOST_REQUIRE(co_await p->send_sealed(frames));
      // then each stream is reset after at most 32 `na`
      std::size_t na_count = 0;
      BOOST_REQUIRE(co_await reset_arrives(*p, id, &na_count));
      BOOST_TEST(na_count <= libp2p::multistream_max_proposals);
      if (i == 100) BOOST_TEST(co_await b.honest_served("during-endless-ls"));
    }
    BOOST_TEST(b.log.count("inbound_negotiation_failed", ms_error) == 200u);
    // and the server holds none of them
    auto drained = [&b] { return b.server.stream_count() == 0; };
    BOOST_TEST(co_await eventually(drained, in(5s)));
    BOOST_TEST(co_await answers_ping(*p, 9));
    BOOST_TEST(b.rss_growth_kib("endless proposals") < rss_bound_kib);
    co_await b.stop();
  }(b));
}

// ---------------------------------------------------------------- 5. connection flood

namespace {

/// Connects from the attacker address and reads until the server closes.
awaitable<void> hold_connection(flood_bed& b, std::vector<std::unique_ptr<raw_peer>>& peers, std::size_t& connected,
                                std::size_t& most_open) {
  const host& server = b.server;
  peers.push_back(std::make_unique<raw_peer>(b.io.get_executor()));
  raw_peer& p = *peers.back();
  if (co_await p.connect(b.server_ep, attacker_ip)) ++connected;
  most_open = std::max(most_open, server.connection_count());
  (void)co_await p.closed_by_server(in(30s));
  most_open = std::max(most_open, server.connection_count());
}

} // namespace

BOOST_AUTO_TEST_CASE(a_thousand_connections_from_one_address_leave_room_for_others) {
  // given 64 connections in all and 16 per address
  host_config cfg = short_limits();
  cfg.max_connections = 64;
  cfg.max_connections_per_ip = 16;
  cfg.handshake_timeout = 5s; // the flood holds its slots for the whole case
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    BOOST_REQUIRE(co_await b.honest_served("warm-up"));
    const std::size_t fds_before = open_fds();
    b.start_measuring();
    // when one address opens 1,000 connections at once
    std::vector<std::unique_ptr<raw_peer>> peers;
    peers.reserve(1000);
    std::size_t connected = 0, most_open = 0;
    for (int i = 0; i < 1000; ++i) {
      asio::co_spawn(b.io, hold_connection(b, peers, connected, most_open), asio::detached);
    }
    // then 16 are held, 984 refused at accept, and the cap is never passed
    const auto refused_code = make_error_code(host_errc::connection_limit_per_ip);
    BOOST_TEST(co_await b.log.wait_for("connection_refused", refused_code, 984, in(10s)));
    BOOST_TEST(connected == 1000u);
    BOOST_TEST(b.server.connection_count() == 1u + 16u); // the honest peer's and the flood's
    BOOST_TEST(most_open <= 1u + 16u);
    // and an honest peer from another address still gets a new connection
    host newcomer(b.io.get_executor(), libp2p::identity::generate());
    const byte_buffer body = to_buffer(as_bytes("newcomer"));
    auto r = co_await newcomer.request(b.server_addr, snapshot_protocols(), body, 5s);
    BOOST_TEST(r.has_value());
    BOOST_TEST(co_await b.honest_served("during-connection-flood"));
    BOOST_TEST(b.rss_growth_kib("1,000 connections") < rss_bound_kib);
    co_await newcomer.stop();

    // when the flood goes away, then every descriptor is released
    for (auto& p : peers) {
      boost::system::error_code ignored;
      p->socket().close(ignored);
    }
    auto drained = [&b] { return b.server.connection_count() == 1u; };
    BOOST_TEST(co_await eventually(drained, in(5s)));
    auto fds_back = [fds_before] { return open_fds() <= fds_before; };
    BOOST_TEST(co_await eventually(fds_back, in(5s)));
    BOOST_TEST_MESSAGE("1,000 connections: fds " << fds_before << " before, " << open_fds() << " after");
    co_await b.stop();
  }(b));
}

BOOST_AUTO_TEST_CASE(the_global_connection_cap_holds_when_the_per_address_cap_does_not_bind) {
  // given 32 connections in all and no effective per-address cap
  host_config cfg = short_limits();
  cfg.max_connections = 32;
  cfg.max_connections_per_ip = 100'000;
  cfg.handshake_timeout = 5s;
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    const std::size_t fds_before = open_fds();
    // when one address opens 1,000 connections at once
    std::vector<std::unique_ptr<raw_peer>> peers;
    peers.reserve(1000);
    std::size_t connected = 0, most_open = 0;
    for (int i = 0; i < 1000; ++i) {
      asio::co_spawn(b.io, hold_connection(b, peers, connected, most_open), asio::detached);
    }
    // then 32 are held and 968 refused: the global cap holds
    const auto refused_code = make_error_code(host_errc::connection_limit);
    BOOST_TEST(co_await b.log.wait_for("connection_refused", refused_code, 968, in(10s)));
    BOOST_TEST(b.server.connection_count() == 32u);
    BOOST_TEST(most_open <= 32u);
    for (auto& p : peers) {
      boost::system::error_code ignored;
      p->socket().close(ignored);
    }
    auto drained = [&b] { return b.server.connection_count() == 0u; };
    BOOST_TEST(co_await eventually(drained, in(5s)));
    auto fds_back = [fds_before] { return open_fds() <= fds_before; };
    BOOST_TEST(co_await eventually(fds_back, in(5s)));
    BOOST_TEST(co_await b.honest_served("after-global-cap"));
    co_await b.stop();
  }(b));
}

// ---------------------------------------------------------------- 6. readers that stop reading

BOOST_AUTO_TEST_CASE(a_requester_that_stops_reading_is_reset_by_the_stall_timeout) {
  // given a server whose stall timeout is 1 s and an 8 MiB response
  big_body = std::make_shared<const byte_buffer>(8 * 1024 * 1024, std::uint8_t{'b'});
  host_config cfg = short_limits();
  cfg.stream_stall_timeout = 1s;
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    BOOST_REQUIRE(co_await b.honest_served("warm-up"));
    b.start_measuring();
    const auto stalled = make_error_code(host_errc::stream_stalled);

    // when a requester asks for it on a stream it then never reads
    {
      host lazy(b.io.get_executor(), libp2p::identity::generate());
      const std::vector<std::string> protos{"/rpp/snapshots/1.2.0"};
      auto s = co_await lazy.open_stream(b.server_addr, protos, 5s);
      BOOST_REQUIRE(s.has_value());
      const byte_buffer req = to_buffer(as_bytes("big"));
      BOOST_REQUIRE((co_await s->write(req)).has_value());
      BOOST_REQUIRE(s->close_write().has_value());
      auto writing = [&b] { return big_body.use_count() > 1; };
      BOOST_REQUIRE(co_await eventually(writing, in(5s)));
      // then the honest peer is served while the server's write is stuck
      BOOST_TEST(co_await b.honest_served("during-stalled-stream"));
      BOOST_TEST(big_body.use_count() > 1);
      // and the stall timeout resets the stream and releases what it held
      BOOST_TEST(co_await b.log.wait_for("response_write_failed", stalled, 1, in(5s)));
      auto released = [&b] { return big_body.use_count() == 1 && b.server.stream_count() == 0; };
      BOOST_TEST(co_await eventually(released, in(5s)));
      BOOST_TEST(lazy.connection_count() == 1u); // only the stream failed
      co_await lazy.stop();
    }

    // when a raw peer grants a 16 MiB window and then stops reading its socket
    {
      auto p = co_await upgraded_attacker(b, 16 * 1024);
      const byte_buffer hello = multistream_messages({"/rpp/snapshots/1.2.0"});
      const byte_buffer req = to_buffer(as_bytes("big"));
      byte_buffer frames;
      put_frame(frames, yamux_type::data, flag::syn, 1, static_cast<std::uint32_t>(hello.size()), hello);
      put_frame(frames, yamux_type::window_update, 0, 1, 16 * 1024 * 1024 - libp2p::yamux_initial_window);
      put_frame(frames, yamux_type::data, flag::fin, 1, static_cast<std::uint32_t>(req.size()), req);
      BOOST_REQUIRE(co_await p->send_sealed(frames));
      // then the connection's writer stalls and the connection is closed,
      // releasing the response
      const std::size_t before = b.log.size();
      BOOST_TEST(co_await b.log.wait_for("connection_closed", stalled, 1, in(5s), before));
      auto released = [&b] { return big_body.use_count() == 1 && b.server.connection_count() == 1u; };
      BOOST_TEST(co_await eventually(released, in(5s)));
    }
    BOOST_TEST(co_await b.honest_served("after-stalled-readers"));
    BOOST_TEST(b.rss_growth_kib("stalled readers") < rss_bound_kib);
    co_await b.stop();
  }(b));
  big_body.reset();
}

// ---------------------------------------------------------------- 7. control frames without reading

namespace {

/// Sends Yamux pings until the server closes or `limit` bytes went out.
awaitable<void> ping_flood(raw_peer& p, std::uint64_t limit, std::uint64_t& sent, bool& done) {
  byte_buffer pings;
  for (std::uint32_t i = 0; i < 5000; ++i) put_frame(pings, yamux_type::ping, flag::syn, 0, i);
  while (sent < limit) {
    if (!co_await p.send_sealed(pings)) break;
    sent += pings.size();
  }
  done = true;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_peer_that_floods_pings_and_never_reads_is_paused_then_dropped) {
  // given a 1 s stall timeout
  host_config cfg = short_limits();
  cfg.stream_stall_timeout = 1s;
  flood_bed b(cfg);
  run(b.io, [](flood_bed& b) -> awaitable<void> {
    BOOST_REQUIRE(co_await b.honest_served("warm-up"));
    b.start_measuring();
    // when a peer sends up to 1 GiB of pings and reads none of the pongs
    auto p = co_await upgraded_attacker(b, 16 * 1024);
    std::uint64_t sent = 0;
    bool done = false;
    asio::co_spawn(b.io, ping_flood(*p, std::uint64_t{1} << 30, sent, done), asio::detached);
    auto flooding = [&sent] { return sent > 1024u * 1024; };
    BOOST_REQUIRE(co_await eventually(flooding, in(5s)));
    // then the honest peer is served during the flood
    BOOST_TEST(co_await b.honest_served("during-ping-flood"));
    BOOST_TEST(!done);
    // and the server stops reading, its writer stalls, and the connection is closed
    const auto stalled = make_error_code(host_errc::stream_stalled);
    BOOST_TEST(co_await b.log.wait_for("connection_closed", stalled, 1, in(10s)));
    auto finished = [&done] { return done; };
    BOOST_TEST(co_await eventually(finished, in(10s)));
    BOOST_TEST_MESSAGE("ping flood: " << sent / 1024 << " KiB of pings sent before the close");
    BOOST_TEST(sent < (std::uint64_t{1} << 30));
    BOOST_TEST(b.rss_growth_kib("ping flood") < rss_bound_kib);
    co_await b.stop();
  }(b));
}
