#define BOOST_TEST_MODULE libp2p_yamux
#include <boost/test/unit_test.hpp>

#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/yamux.hpp"

#include <map>
#include <vector>

using namespace snapstream;
using namespace snapstream::libp2p;

namespace {

/// Records every event; optionally consumes data as it arrives.
struct recorder final : yamux_handler {
  yamux_session* session = nullptr;
  bool consume = false;
  std::vector<std::uint32_t> opened, closed, resets, windows, pongs;
  std::vector<yamux_go_away> go_aways;
  std::map<std::uint32_t, byte_buffer> data;

  void on_stream_opened(std::uint32_t id) override { opened.push_back(id); }
  void on_data(std::uint32_t id, bytes_view d) override {
    append(data[id], d);
    if (consume) session->consumed(id, d.size());
  }
  void on_remote_close(std::uint32_t id) override { closed.push_back(id); }
  void on_reset(std::uint32_t id) override { resets.push_back(id); }
  void on_send_window(std::uint32_t id) override { windows.push_back(id); }
  void on_go_away(yamux_go_away code) override { go_aways.push_back(code); }
  void on_pong(std::uint32_t opaque) override { pongs.push_back(opaque); }
};

struct pair_fixture {
  yamux_session client{true, yamux_config{}};
  yamux_session server{false, yamux_config{}};
  recorder at_client, at_server;
  pair_fixture() {
    at_client.session = &client;
    at_server.session = &server;
  }
  /// Moves bytes both ways until both sides are quiet.
  void pump() {
    for (int i = 0; i < 100 && (!client.output().empty() || !server.output().empty()); ++i) {
      byte_buffer c2s, s2c;
      c2s.swap(client.output());
      s2c.swap(server.output());
      BOOST_REQUIRE(server.receive(c2s, at_server).has_value());
      BOOST_REQUIRE(client.receive(s2c, at_client).has_value());
    }
  }
};

byte_buffer frame(yamux_type type, std::uint16_t flags, std::uint32_t id, std::uint32_t length,
                  bytes_view payload = {}) {
  byte_buffer out;
  yamux_put_header(out, type, flags, id, length);
  append(out, payload);
  return out;
}

/// The GoAway(protocol error) frame a failing session queues.
const std::string go_away_protocol_error = "000300000000000000000001";

error receive_error(yamux_session& s, recorder& r, const byte_buffer& in) {
  auto res = s.receive(in, r);
  BOOST_REQUIRE(!res.has_value());
  return res.error();
}

} // namespace

BOOST_AUTO_TEST_CASE(header_layout_is_big_endian) {
  BOOST_TEST(to_hex(frame(yamux_type::window_update, yamux_flag::syn, 1, 0x01020304)) == "000100010000000101020304");
}

BOOST_FIXTURE_TEST_CASE(client_opens_odd_streams_and_server_even_ones, pair_fixture) {
  auto a = client.open_stream(), b = client.open_stream();
  auto c = server.open_stream();
  BOOST_TEST(*a == 1u);
  BOOST_TEST(*b == 3u);
  BOOST_TEST(*c == 2u);
  pump();
  BOOST_TEST(at_server.opened == (std::vector<std::uint32_t>{1, 3}));
  BOOST_TEST(at_client.opened == (std::vector<std::uint32_t>{2}));
}

BOOST_FIXTURE_TEST_CASE(data_and_half_close_flow_both_ways, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  BOOST_TEST(*client.write(id, as_bytes("request"), true) == 7u);
  pump();
  BOOST_TEST(as_chars(at_server.data[id]) == "request");
  BOOST_TEST(at_server.closed == (std::vector<std::uint32_t>{id}));
  BOOST_TEST(!client.write(id, as_bytes("more")).has_value()); // already half-closed
  BOOST_TEST(*server.write(id, as_bytes("response")) == 8u);
  BOOST_REQUIRE(server.close(id).has_value());
  pump();
  BOOST_TEST(as_chars(at_client.data[id]) == "response");
  BOOST_TEST(at_client.closed == (std::vector<std::uint32_t>{id}));
  // Both directions closed: both sessions forgot the stream.
  BOOST_TEST(!client.has_stream(id));
  BOOST_TEST(!server.has_stream(id));
}

BOOST_FIXTURE_TEST_CASE(sender_stops_at_the_256_kib_window_until_data_is_consumed, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  pump();
  const byte_buffer big(400 * 1024, 0x5a);
  const std::size_t sent = *client.write(id, big);
  BOOST_TEST(sent == 256u * 1024u);
  BOOST_TEST(client.send_window(id) == 0u);
  BOOST_TEST(*client.write(id, bytes_view(big).subspan(sent)) == 0u);
  pump();
  BOOST_TEST(at_server.data[id].size() == 256u * 1024u);
  BOOST_TEST(at_client.windows.empty()); // nothing consumed, no credit back
  server.consumed(id, 100 * 1024); // below half the window: no update yet
  pump();
  BOOST_TEST(client.send_window(id) == 0u);
  server.consumed(id, 100 * 1024);
  pump();
  BOOST_TEST(client.send_window(id) == 200u * 1024u);
  BOOST_TEST(at_client.windows == (std::vector<std::uint32_t>{id}));
}

BOOST_FIXTURE_TEST_CASE(receive_window_grows_on_request_within_the_caps, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  pump();
  client.set_receive_window(id, 4 * 1024 * 1024);
  pump();
  BOOST_TEST(server.send_window(id) == 4u * 1024u * 1024u);
  BOOST_TEST(client.receive_window(id) == 4u * 1024u * 1024u);
  client.set_receive_window(id, 1u << 30); // clamped to max_stream_window (16 MiB)
  pump();
  BOOST_TEST(server.send_window(id) == 16u * 1024u * 1024u);
}

BOOST_AUTO_TEST_CASE(session_window_budget_bounds_the_sum_of_grown_windows) {
  yamux_config cfg;
  cfg.max_session_window = 1024 * 1024; // 1 MiB beyond the initial windows, in total
  yamux_session client(true, cfg);
  const std::uint32_t a = *client.open_stream(), b = *client.open_stream();
  client.set_receive_window(a, 1024 * 1024);
  client.set_receive_window(b, 2 * 1024 * 1024);
  BOOST_TEST(client.receive_window(a) == 1024u * 1024u);
  BOOST_TEST(client.receive_window(b) == 256u * 1024u + 256u * 1024u); // what was left of the budget
  client.reset(a);
  client.set_receive_window(b, 2 * 1024 * 1024);
  BOOST_TEST(client.receive_window(b) == 256u * 1024u + 1024u * 1024u);
}

BOOST_FIXTURE_TEST_CASE(data_beyond_the_window_is_a_connection_error, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  pump();
  const byte_buffer too_much(256 * 1024 + 1, 0);
  const byte_buffer f = frame(yamux_type::data, 0, id, static_cast<std::uint32_t>(too_much.size()), too_much);
  const error e = receive_error(server, at_server, f);
  BOOST_TEST(e.is(libp2p_errc::yamux_window_exceeded));
  BOOST_TEST(to_hex(server.output()) == go_away_protocol_error);
  BOOST_TEST(at_server.data[id].empty());
  // The session stays dead.
  BOOST_TEST(!server.receive(frame(yamux_type::ping, yamux_flag::syn, 0, 1), at_server).has_value());
}

BOOST_AUTO_TEST_CASE(oversized_frame_fails_at_its_header) {
  yamux_config cfg;
  cfg.max_frame = 1000;
  yamux_session server(false, cfg);
  recorder r;
  const error e = receive_error(server, r, frame(yamux_type::data, yamux_flag::syn, 1, 1001));
  BOOST_TEST(e.is(libp2p_errc::yamux_frame_too_large));
  BOOST_TEST(r.opened.empty());
}

BOOST_AUTO_TEST_CASE(unknown_type_and_bad_version_are_refused) {
  yamux_session s1(false, yamux_config{});
  recorder r;
  byte_buffer f = frame(yamux_type::ping, 0, 0, 0);
  f[1] = 4;
  BOOST_TEST(receive_error(s1, r, f).is(libp2p_errc::yamux_unknown_type));
  BOOST_TEST(to_hex(s1.output()) == go_away_protocol_error);

  yamux_session s2(false, yamux_config{});
  byte_buffer g = frame(yamux_type::ping, yamux_flag::syn, 0, 0);
  g[0] = 1;
  BOOST_TEST(receive_error(s2, r, g).is(libp2p_errc::yamux_protocol_error));
}

BOOST_AUTO_TEST_CASE(reused_stream_id_is_refused) {
  yamux_session server(false, yamux_config{});
  recorder r;
  BOOST_REQUIRE(server.receive(frame(yamux_type::window_update, yamux_flag::syn, 5, 0), r).has_value());
  BOOST_REQUIRE(server.receive(frame(yamux_type::window_update, yamux_flag::rst, 5, 0), r).has_value());
  BOOST_TEST(r.resets == (std::vector<std::uint32_t>{5}));
  // Lower or equal ids may not be opened again, even after the stream ended.
  yamux_session s2 = server;
  BOOST_TEST(receive_error(server, r, frame(yamux_type::window_update, yamux_flag::syn, 5, 0)).is(libp2p_errc::yamux_stream_id_reuse));
  BOOST_TEST(receive_error(s2, r, frame(yamux_type::data, yamux_flag::syn, 3, 0)).is(libp2p_errc::yamux_stream_id_reuse));
}

BOOST_AUTO_TEST_CASE(stream_ids_of_the_wrong_parity_or_never_opened_are_refused) {
  yamux_session server(false, yamux_config{});
  recorder r;
  BOOST_TEST(receive_error(server, r, frame(yamux_type::window_update, yamux_flag::syn, 2, 0)).is(libp2p_errc::yamux_invalid_stream_id));
  yamux_session s2(false, yamux_config{});
  BOOST_TEST(receive_error(s2, r, frame(yamux_type::data, 0, 7, 0)).is(libp2p_errc::yamux_invalid_stream_id));
  yamux_session s3(false, yamux_config{});
  BOOST_TEST(receive_error(s3, r, frame(yamux_type::window_update, 0, 4, 10)).is(libp2p_errc::yamux_invalid_stream_id));
  yamux_session s4(false, yamux_config{});
  BOOST_TEST(receive_error(s4, r, frame(yamux_type::data, 0, 0, 0)).is(libp2p_errc::yamux_protocol_error));
}

BOOST_FIXTURE_TEST_CASE(frames_for_a_finished_stream_are_dropped, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  pump();
  server.reset(id);
  pump();
  BOOST_TEST(at_client.resets == (std::vector<std::uint32_t>{id}));
  // Data the client had in flight is ignored, not an error.
  BOOST_REQUIRE(server.receive(frame(yamux_type::data, 0, id, 3, as_bytes("abc")), at_server).has_value());
  BOOST_TEST(at_server.data[id].empty());
}

BOOST_FIXTURE_TEST_CASE(data_after_fin_resets_only_that_stream, pair_fixture) {
  const std::uint32_t a = *client.open_stream(), b = *client.open_stream();
  BOOST_REQUIRE(client.close(a).has_value());
  pump();
  BOOST_TEST(at_server.closed == (std::vector<std::uint32_t>{a}));
  BOOST_REQUIRE(server.receive(frame(yamux_type::data, 0, a, 2, as_bytes("xy")), at_server).has_value());
  BOOST_TEST(at_server.resets == (std::vector<std::uint32_t>{a}));
  BOOST_TEST(at_server.data[a].empty());
  BOOST_TEST(server.has_stream(b));
  BOOST_TEST(to_hex(server.output()) == to_hex(frame(yamux_type::window_update, yamux_flag::rst, a, 0)));
}

BOOST_FIXTURE_TEST_CASE(ping_is_answered_with_the_same_opaque_value, pair_fixture) {
  client.ping(0xdeadbeef);
  pump();
  BOOST_TEST(at_client.pongs == (std::vector<std::uint32_t>{0xdeadbeef}));
}

BOOST_FIXTURE_TEST_CASE(go_away_stops_new_streams, pair_fixture) {
  server.go_away(yamux_go_away::normal);
  pump();
  BOOST_TEST(at_client.go_aways.size() == 1u);
  BOOST_TEST((at_client.go_aways[0] == yamux_go_away::normal));
  auto r = client.open_stream();
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::yamux_session_closed));
  // A stream opened anyway is refused with RST.
  BOOST_REQUIRE(server.receive(frame(yamux_type::window_update, yamux_flag::syn, 1, 0), at_server).has_value());
  BOOST_TEST(at_server.opened.empty());
  BOOST_TEST(to_hex(server.output()) == to_hex(frame(yamux_type::window_update, yamux_flag::rst, 1, 0)));
}

BOOST_AUTO_TEST_CASE(streams_beyond_the_limit_are_refused_with_rst) {
  yamux_config cfg;
  cfg.max_streams = 2;
  yamux_session server(false, cfg);
  recorder r;
  byte_buffer in;
  for (std::uint32_t id : {1u, 3u, 5u}) append(in, frame(yamux_type::window_update, yamux_flag::syn, id, 0));
  BOOST_REQUIRE(server.receive(in, r).has_value());
  BOOST_TEST(r.opened == (std::vector<std::uint32_t>{1, 3}));
  const std::string expected = to_hex(frame(yamux_type::window_update, yamux_flag::ack, 1, 0)) +
                               to_hex(frame(yamux_type::window_update, yamux_flag::ack, 3, 0)) +
                               to_hex(frame(yamux_type::window_update, yamux_flag::rst, 5, 0));
  BOOST_TEST(to_hex(server.output()) == expected);
  yamux_session client(true, cfg);
  BOOST_REQUIRE(client.open_stream().has_value());
  BOOST_REQUIRE(client.open_stream().has_value());
  BOOST_TEST(client.open_stream().error().is(libp2p_errc::yamux_stream_limit));
}

BOOST_FIXTURE_TEST_CASE(byte_at_a_time_input_decodes_the_same, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  BOOST_REQUIRE(client.write(id, as_bytes("split across every byte"), true).has_value());
  byte_buffer out;
  out.swap(client.output());
  for (std::uint8_t b : out) BOOST_REQUIRE(server.receive(bytes_view(&b, 1), at_server).has_value());
  BOOST_TEST(at_server.opened == (std::vector<std::uint32_t>{id}));
  BOOST_TEST(as_chars(at_server.data[id]) == "split across every byte");
  BOOST_TEST(at_server.closed == (std::vector<std::uint32_t>{id}));
}

BOOST_FIXTURE_TEST_CASE(large_writes_are_split_into_frames_that_fit_one_noise_frame, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  pump();
  const byte_buffer data(200000, 1);
  client.output().clear();
  BOOST_TEST(*client.write(id, data) == data.size());
  // 200000 = 3 * 65507 + 3479: four frames.
  BOOST_TEST(client.output().size() == data.size() + 4 * yamux_header_size);
  BOOST_TEST(load_be32(client.output().data() + 8) == 65507u);
}

BOOST_FIXTURE_TEST_CASE(window_update_overflow_is_refused, pair_fixture) {
  const std::uint32_t id = *client.open_stream();
  pump();
  const error e = receive_error(client, at_client, frame(yamux_type::window_update, 0, id, 0xffffffffu));
  BOOST_TEST(e.is(libp2p_errc::yamux_protocol_error));
}
