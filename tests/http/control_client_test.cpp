// control_client against a real control-plane server (fake node): results,
// typed errors from the node and from HTTP, transport failures, keep-alive.
#define BOOST_TEST_MODULE control_client
#include <boost/test/unit_test.hpp>

#include "http/control_client.hpp"
#include "tests/http/prometheus_text.hpp"
#include "tests/http/test_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

using namespace snapstream;
using namespace snapstream::http;
using namespace snapstream::http::test;

namespace {

/// Runs one client call to completion on the test thread's io_context.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
  auto done = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.restart();
  io.run();
  return done.get();
}

client_config config_for(std::uint16_t port, std::optional<std::string> token = "s3cret-token") {
  client_config c;
  c.port = port;
  c.token = std::move(token);
  c.timeout = 5s;
  return c;
}

actors::start_command start(std::string peer) {
  actors::start_command cmd;
  cmd.peer = std::move(peer);
  return cmd;
}

/// A port nothing listens on: bound once, then released.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

} // namespace

BOOST_AUTO_TEST_CASE(a_session_is_started_polled_listed_and_cancelled) {
  test_server s;
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));

  auto cmd = start("12D3KooWProvider");
  cmd.chunk_size = 4096;
  auto started = run(io, client.start_session(cmd));
  BOOST_REQUIRE(started.has_value());
  BOOST_TEST(started->session == 1u);
  BOOST_TEST(started->peer == "12D3KooWProvider");
  BOOST_TEST(started->chunk_size.value_or(0) == 4096u);
  BOOST_TEST((started->state == actors::session_state::planning));

  auto polled = run(io, client.session(1));
  BOOST_REQUIRE(polled.has_value());
  BOOST_TEST((*polled == *started));

  auto listed = run(io, client.sessions());
  BOOST_REQUIRE(listed.has_value());
  BOOST_TEST(listed->size() == 1u);

  BOOST_TEST(run(io, client.cancel(1)).has_value());
  auto gone = run(io, client.session(1));
  BOOST_REQUIRE(!gone);
  BOOST_TEST(gone.error().is(actors::control_errc::not_found));
  BOOST_TEST(gone.error().message() == "HTTP 404: unknown snapshot session 1");
  BOOST_TEST(run(io, client.health()).has_value());
}

BOOST_AUTO_TEST_CASE(a_full_status_survives_the_round_trip) {
  test_server s;
  actors::session_status st;
  st.session = 18446744073709551615ull;
  st.peer = "12D3KooWProvider";
  st.root = "ff00";
  st.plan_id = "plan-1";
  st.chunk_size = 65536;
  st.total_chunks = 10;
  st.total_updates = 2;
  st.last_chunk_index = 9;
  st.last_update_index = 1;
  st.last_update_height = 100;
  st.verified = true;
  st.state = actors::session_state::verified;
  st.error = "none \"quoted\"";
  st.error_code = "network";
  st.bytes_received = 655360;
  st.throughput = 1048576;
  st.retries = 3;
  s.backend().add_session(st);
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));
  auto got = run(io, client.session(st.session));
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST((*got == st));
}

BOOST_AUTO_TEST_CASE(a_swarm_status_survives_the_round_trip) {
  test_server s;
  actors::session_status st;
  st.session = 11;
  st.peer = "12D3KooWA";
  st.root = "ff00";
  st.plan_id = "ff00";
  st.total_chunks = 10;
  st.last_chunk_index = 1;
  st.state = actors::session_state::syncing;
  st.bytes_received = 458752;
  st.throughput = 65536;
  st.chunks_applied = 7;
  st.chunk_writes = 8;
  actors::peer_status a;
  a.peer = "12D3KooWA";
  a.state = "fetching";
  a.bytes = 327680;
  a.chunks = 5;
  a.rate = 40960; // whole bytes per second and whole milliseconds: what the JSON carries
  a.rtt_ms = 7;
  a.failures = 1;
  actors::peer_status b;
  b.peer = "12D3KooWB";
  b.state = "demoted";
  b.bytes = 131072;
  b.chunks = 2;
  b.backpressure = 4;
  b.last_error = "chunk 3: no answer within 2000 ms";
  b.last_error_code = "network";
  st.peers = {a, b};
  s.backend().add_session(st);
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));
  auto got = run(io, client.session(st.session));
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST((*got == st));
  auto listed = run(io, client.sessions());
  BOOST_REQUIRE(listed.has_value());
  BOOST_REQUIRE_EQUAL(listed->size(), 1u);
  BOOST_TEST((listed->front() == st));
}

BOOST_AUTO_TEST_CASE(swarm_start_commands_reach_the_node_as_given) {
  test_server s;
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));

  actors::start_command several;
  several.peers = {"12D3KooWA", "12D3KooWB", "12D3KooWC"};
  several.plan_id = std::string(64, 'b');
  auto started = run(io, client.start_session(several));
  BOOST_REQUIRE(started.has_value());
  BOOST_TEST(started->peers.size() == 3u);
  BOOST_TEST(started->peers[2].peer == "12D3KooWC");
  BOOST_TEST(started->plan_id.value_or("") == std::string(64, 'b'));
  auto cmd = s.backend().last_command();
  BOOST_REQUIRE(cmd.has_value());
  BOOST_TEST((cmd->peers == several.peers));
  BOOST_TEST((cmd->plan_id == several.plan_id));

  // No provider: the node discovers them.
  auto discovering = run(io, client.start_session({}));
  BOOST_REQUIRE(discovering.has_value());
  BOOST_TEST(discovering->peer.empty());
  BOOST_TEST(discovering->peers.empty());

  actors::start_command bad_plan;
  bad_plan.plan_id = "xyz";
  auto refused = run(io, client.start_session(bad_plan));
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().is(actors::control_errc::invalid_argument));
  BOOST_TEST(refused.error().message() == "HTTP 400: invalid plan_id: expected 64 hex characters, got 'xyz'");
}

BOOST_AUTO_TEST_CASE(node_errors_keep_their_control_errc_and_message) {
  test_server s;
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));

  auto resume = start("12D3KooWProvider");
  resume.resume.emplace();
  resume.resume->session = 999;
  resume.resume->plan_id = "plan-1";
  auto stale = run(io, client.start_session(resume));
  BOOST_REQUIRE(!stale);
  BOOST_TEST(stale.error().is(actors::control_errc::resume_rejected));
  BOOST_TEST(stale.error().message() == "HTTP 500: resume rejected: chunk 7 is beyond the plan's last chunk 5");

  auto bad = run(io, client.start_session(start("bad-id")));
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().is(actors::control_errc::invalid_argument));
  BOOST_TEST(bad.error().message() == "HTTP 400: invalid peer id: bad-id");

  auto unreachable = run(io, client.start_session(start("unreachable")));
  BOOST_REQUIRE(!unreachable);
  BOOST_TEST(unreachable.error().is(actors::control_errc::peer_unreachable));

  auto busy = run(io, client.start_session(start("busy")));
  BOOST_REQUIRE(!busy);
  BOOST_TEST(busy.error().is(actors::control_errc::saturated));

  auto zero = start("p");
  zero.chunk_size = 0;
  auto rejected = run(io, client.start_session(zero));
  BOOST_REQUIRE(!rejected);
  BOOST_TEST(rejected.error().is(actors::control_errc::invalid_argument));
  BOOST_TEST(rejected.error().message() == "HTTP 400: chunk_size must be greater than zero");
}

BOOST_AUTO_TEST_CASE(a_missing_or_wrong_token_is_unauthorized) {
  test_server s;
  boost::asio::io_context io;
  control_client none(io.get_executor(), config_for(s.port(), std::nullopt));
  auto r = run(io, none.session(1));
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(http_errc::unauthorized));
  BOOST_TEST(r.error().message() == "HTTP 401: missing bearer token");

  control_client wrong(io.get_executor(), config_for(s.port(), "guess"));
  auto w = run(io, wrong.metrics_text());
  BOOST_REQUIRE(!w);
  BOOST_TEST(w.error().is(http_errc::unauthorized));
  BOOST_TEST(w.error().message() == "HTTP 401: invalid bearer token");
  // /healthz needs no token.
  BOOST_TEST(run(io, none.health()).has_value());
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_connect_failed) {
  const auto port = closed_port();
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(port));
  auto r = run(io, client.session(1));
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(http_errc::connect_failed));
  BOOST_TEST(r.error().message() == "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

BOOST_AUTO_TEST_CASE(a_silent_server_is_a_timeout) {
  auto config = test_config();
  config.backend_timeout = 60s;
  test_server s(config);
  boost::asio::io_context io;
  auto cc = config_for(s.port());
  cc.timeout = 300ms;
  control_client client(io.get_executor(), cc);
  auto r = run(io, client.start_session(start("slow")));
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(http_errc::timeout));
  BOOST_TEST(r.error().message() == "no answer from 127.0.0.1:" + std::to_string(s.port()) + " within 300 ms");
}

BOOST_AUTO_TEST_CASE(a_connection_closed_by_the_server_while_idle_is_renewed) {
  auto config = test_config();
  config.idle_timeout = 100ms;
  test_server s(config);
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));
  BOOST_TEST(run(io, client.health()).has_value());
  std::this_thread::sleep_for(500ms); // the server closes the kept-alive connection meanwhile
  auto again = run(io, client.health());
  BOOST_TEST(again.has_value());
  if (!again) BOOST_TEST_MESSAGE(to_string(again.error()));
}

BOOST_AUTO_TEST_CASE(metrics_text_is_returned_verbatim) {
  test_server s;
  actors::metrics_snapshot m;
  m.bytes_received = 123456789;
  s.backend().set_metrics(m);
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));
  auto text = run(io, client.metrics_text());
  BOOST_REQUIRE(text.has_value());
  auto doc = parse_prometheus(*text);
  BOOST_TEST_REQUIRE(doc.error == "");
  BOOST_TEST(doc.value("snapstream_snapshot_bytes_received_total") == 123456789.0);
}

BOOST_AUTO_TEST_CASE(swarm_metrics_come_through_the_client) {
  test_server s;
  actors::metrics_snapshot m;
  actors::peer_status p;
  p.peer = "12D3KooWA";
  p.bytes = 4096;
  m.sync_peers = {p};
  m.served_peers = {{"12D3KooWB", 8192, 2}};
  m.throttle_wait_ms = 1500;
  s.backend().set_metrics(m);
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(s.port()));
  auto text = run(io, client.metrics_text());
  BOOST_REQUIRE(text.has_value());
  auto doc = parse_prometheus(*text);
  BOOST_TEST_REQUIRE(doc.error == "");
  BOOST_TEST(doc.value("snapstream_sync_peer_bytes_total", {{"peer", "12D3KooWA"}}) == 4096.0);
  BOOST_TEST(doc.value("snapstream_served_peer_chunks_total", {{"peer", "12D3KooWB"}}) == 2.0);
  BOOST_TEST(doc.value("snapstream_upload_throttle_wait_seconds_total") == 1.5);
}

BOOST_AUTO_TEST_CASE(an_answer_that_is_not_http_is_malformed_response) {
  // A one-shot TCP server that answers anything with garbage.
  boost::asio::io_context server_io;
  boost::asio::ip::tcp::acceptor acceptor(server_io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  std::thread server([&acceptor] {
    boost::system::error_code ec;
    auto socket = acceptor.accept(ec);
    if (ec) return;
    char buf[1024];
    (void)socket.read_some(boost::asio::buffer(buf), ec);
    boost::asio::write(socket, boost::asio::buffer(std::string_view("SSH-2.0-OpenSSH_9.2\r\n\r\n")), ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  });
  boost::asio::io_context io;
  control_client client(io.get_executor(), config_for(port));
  auto r = run(io, client.session(1));
  server.join();
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(http_errc::malformed_response));
}
