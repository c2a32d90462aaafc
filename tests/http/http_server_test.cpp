// The HTTP control plane over real sockets: every route, every error status
// with its exact body, auth, limits, timeouts, keep-alive, event streams,
// metrics and graceful stop. The node is a scripted fake_backend.
#define BOOST_TEST_MODULE http_server
#include <boost/test/unit_test.hpp>

#include "tests/http/prometheus_text.hpp"
#include "tests/http/test_server.hpp"

#include <random>

using namespace snapstream;
using namespace snapstream::http;
using namespace snapstream::http::test;

namespace {

std::string error_json(std::string_view message, std::string_view code) {
  return "{\"error\":\"" + std::string(message) + "\",\"code\":\"" + std::string(code) + "\"}";
}

response post_session(std::uint16_t port, std::string_view body) {
  return round_trip(port, request("POST", "/p2p/snapshots", body));
}

void check_error(const response& r, unsigned status, std::string_view message, std::string_view code) {
  BOOST_TEST(r.status == status);
  BOOST_TEST(r.header("content-type") == "application/json");
  BOOST_TEST(r.body == error_json(message, code));
}

} // namespace

BOOST_AUTO_TEST_CASE(healthz_answers_ok_without_a_token) {
  test_server s;
  auto r = round_trip(s.port(), request("GET", "/healthz", {}, ""));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "ok");
  BOOST_TEST(r.header("content-type") == "text/plain; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(the_dashboard_is_served_without_a_token_under_a_strict_policy) {
  test_server s;
  auto page = round_trip(s.port(), request("GET", "/", {}, ""));
  BOOST_TEST(page.status == 200u);
  BOOST_TEST(page.header("content-type") == "text/html; charset=utf-8");
  BOOST_TEST(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  BOOST_TEST(page.header("content-security-policy").find("unsafe-inline") == std::string::npos);
  BOOST_TEST(page.header("x-content-type-options") == "nosniff");
  BOOST_TEST(page.body.find("app.js") != std::string::npos); // the page loads its script
  BOOST_TEST(round_trip(s.port(), request("GET", "/ui/", {}, "")).body == page.body);
  auto script = round_trip(s.port(), request("GET", "/ui/app.js", {}, ""));
  BOOST_TEST(script.status == 200u);
  BOOST_TEST(script.header("content-type") == "text/javascript; charset=utf-8");
  auto chart = round_trip(s.port(), request("GET", "/ui/uplot.min.js", {}, ""));
  BOOST_TEST(chart.status == 200u);
  BOOST_TEST(chart.body.find("uPlot") != std::string::npos);
  auto missing = round_trip(s.port(), request("GET", "/ui/nothing.js", {}, ""));
  check_error(missing, 404, "no dashboard file nothing.js", "route_not_found");
  auto post = round_trip(s.port(), request("POST", "/", "{}", ""));
  BOOST_TEST(post.status == 405u);
  BOOST_TEST(post.header("allow") == "GET");
  // What the page shows of the node needs the token.
  check_error(round_trip(s.port(), request("GET", "/node", {}, "")), 401, "missing bearer token", "unauthorized");
  auto node = round_trip(s.port(), request("GET", "/node"));
  BOOST_TEST(node.status == 200u);
  BOOST_TEST(node.body ==
             R"({"peer_id":"12D3KooWfakenode","addresses":["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWfakenode"],)"
             R"("version":"0.1.0","uptime_s":12,"snapshots":[{"plan_id":")" + std::string(64, 'a') +
               R"(","height":7,"page_count":3,"record_count":30,"total_bytes":3000,"update_count":2}]})");
}

BOOST_AUTO_TEST_CASE(routes_without_a_token_are_refused_with_401) {
  test_server s;
  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots", {}, ""));
  check_error(r, 401, "missing bearer token", "unauthorized");
  BOOST_TEST(r.header("www-authenticate") == "Bearer realm=\"snapstream\"");
  // Unknown routes do not reveal that they are unknown.
  auto unknown = round_trip(s.port(), request("GET", "/nowhere", {}, ""));
  check_error(unknown, 401, "missing bearer token", "unauthorized");
  // Another scheme is no bearer token.
  auto basic = round_trip(s.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic czNjcmV0\r\n\r\n");
  check_error(basic, 401, "missing bearer token", "unauthorized");
}

BOOST_AUTO_TEST_CASE(a_wrong_token_is_refused_with_401) {
  test_server s;
  for (std::string_view wrong : {"s3cret-tokem", "s3cret-token-and-more", "s", "S3CRET-TOKEN"}) {
    auto r = round_trip(s.port(), request("GET", "/p2p/snapshots", {}, wrong));
    check_error(r, 401, "invalid bearer token", "unauthorized");
    BOOST_TEST(r.header("www-authenticate") == "Bearer realm=\"snapstream\", error=\"invalid_token\"");
  }
}

BOOST_AUTO_TEST_CASE(the_right_token_is_accepted_whatever_the_scheme_case) {
  test_server s;
  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "[]");
  auto lower = round_trip(s.port(), "GET /p2p/snapshots HTTP/1.1\r\nHost: x\r\nAuthorization: bearer  s3cret-token \r\n\r\n");
  BOOST_TEST(lower.status == 200u);
}

BOOST_AUTO_TEST_CASE(without_a_configured_token_every_route_is_open) {
  auto config = test_config();
  config.token.reset();
  test_server s(config);
  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots", {}, ""));
  BOOST_TEST(r.status == 200u);
}

BOOST_AUTO_TEST_CASE(post_session_returns_the_status_and_passes_the_command) {
  test_server s;
  auto r = post_session(s.port(), R"({"peer":"12D3KooWProvider","chunk_size":32768})");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.header("content-type") == "application/json");
  BOOST_TEST(r.body == R"({"session":1,"peer":"12D3KooWProvider","root":"","chunk_size":32768,)"
                       R"("verified":false,"state":"planning","bytes_received":0,"throughput":0,"retries":0})");
  auto cmd = s.backend().last_command();
  BOOST_REQUIRE(cmd.has_value());
  BOOST_TEST(cmd->peer == "12D3KooWProvider");
  BOOST_TEST(cmd->chunk_size.value_or(0) == 32768u);
  BOOST_TEST(!cmd->resume.has_value());
}

BOOST_AUTO_TEST_CASE(post_session_with_resume_passes_session_and_plan) {
  test_server s;
  auto r = post_session(s.port(), R"({"peer":"12D3KooWProvider","resume":{"session":18446744073709551615,"plan_id":"plan-9",)"
                                  R"("chunk_index":12,"update_index":3}})");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"session":18446744073709551615,"peer":"12D3KooWProvider","root":"","plan_id":"plan-9",)"
                       R"("verified":false,"state":"planning","bytes_received":0,"throughput":0,"retries":0})");
  auto cmd = s.backend().last_command();
  BOOST_REQUIRE(cmd.has_value());
  BOOST_REQUIRE(cmd->resume.has_value());
  BOOST_TEST(cmd->resume->session == 18446744073709551615ull);
  BOOST_TEST(cmd->resume->plan_id.value_or("") == "plan-9");
  BOOST_TEST(cmd->resume->chunk_index.value_or(0) == 12u);
  BOOST_TEST(cmd->resume->update_index.value_or(0) == 3u);
}

BOOST_AUTO_TEST_CASE(post_session_rejects_malformed_bodies_with_400) {
  test_server s;
  struct bad_case {
    std::string body;
    std::string message;
    std::string code;
  };
  const std::vector<bad_case> cases{
      {R"({"peer":)", "", "invalid_json"},
      {"", "", "invalid_json"},
      {R"(["peer"])", "request body must be a JSON object", "invalid_argument"},
      {R"({"peer":7})", "peer must be a string", "invalid_argument"},
      {R"({"peer":""})", "peer must not be empty", "invalid_argument"},
      {R"({"peers":"12D3KooWA"})", "peers must be an array of strings", "invalid_argument"},
      {R"({"peers":{"a":"12D3KooWA"}})", "peers must be an array of strings", "invalid_argument"},
      {R"({"peers":["12D3KooWA",7]})", "peers must be an array of strings", "invalid_argument"},
      {R"({"peer":"p","peers":[null]})", "peers must be an array of strings", "invalid_argument"},
      {R"({"plan_id":7})", "plan_id must be a string", "invalid_argument"},
      {R"({"plan_id":["ab"]})", "plan_id must be a string", "invalid_argument"},
      {R"({"plan_id":"ab","resume":{"session":1}})", "plan_id cannot be given with resume (use resume.plan_id)",
       "invalid_argument"},
      {R"({"peers":["12D3KooWA"],"resume":{"session":1}})",
       "peers cannot be given with resume (a resumed session keeps its providers)", "invalid_argument"},
      {R"({"peers":["a"],"colour":"red"})", "unknown field: colour", "invalid_argument"},
      {R"({"peer":"p","chunk_size":0})", "chunk_size must be greater than zero", "invalid_argument"},
      {R"({"peer":"p","chunk_size":-5})", "chunk_size must be a non-negative integer", "invalid_argument"},
      {R"({"peer":"p","chunk_size":"big"})", "chunk_size must be a non-negative integer", "invalid_argument"},
      {R"({"peer":"p","chunk_size":1.5})", "chunk_size must be a non-negative integer", "invalid_argument"},
      {R"({"peer":"p","colour":"red"})", "unknown field: colour", "invalid_argument"},
      {R"({"peer":"p","a":1,"b":2})", "unknown fields: a, b", "invalid_argument"},
      {R"({"peer":"p","resume":5})", "resume must be an object", "invalid_argument"},
      {R"({"peer":"p","resume":{}})", "missing field: resume.session", "invalid_argument"},
      {R"({"peer":"p","resume":{"session":"abc"}})", R"(invalid snapshot session id: \"abc\")", "invalid_argument"},
      {R"({"peer":"p","resume":{"session":-1}})", "invalid snapshot session id: -1", "invalid_argument"},
      {R"({"peer":"p","resume":{"session":1,"offset":3}})", "unknown field: resume.offset", "invalid_argument"},
      {R"({"peer":"p","resume":{"session":1,"chunk_index":-3}})", "resume.chunk_index must be a non-negative integer",
       "invalid_argument"},
      {R"({"peer":"p","resume":{"session":1,"update_index":"x"}})", "resume.update_index must be a non-negative integer",
       "invalid_argument"},
      {R"({"peer":"p","resume":{"session":1,"plan_id":4}})", "resume.plan_id must be a string", "invalid_argument"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("body " << c.body) {
      auto r = post_session(s.port(), c.body);
      BOOST_TEST(r.status == 400u);
      if (c.code == "invalid_json") {
        BOOST_TEST(r.body.find(R"({"error":"malformed JSON body: )") == 0u);
        BOOST_TEST(r.body.find(R"(","code":"invalid_json"})") != std::string::npos);
      } else {
        BOOST_TEST(r.body == error_json(c.message, c.code));
      }
    }
  }
  BOOST_TEST(!s.backend().last_command().has_value()); // none reached the node
}

BOOST_AUTO_TEST_CASE(post_session_with_several_providers_passes_them_all) {
  test_server s;
  auto r = post_session(s.port(), R"({"peers":["12D3KooWA","12D3KooWB","12D3KooWC"],"chunk_size":65536})");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"session":1,"peer":"12D3KooWA","root":"","chunk_size":65536,"verified":false,)"
                       R"("state":"planning","bytes_received":0,"throughput":0,"retries":0,"peers":[)"
                       R"({"peer":"12D3KooWA","state":"planning","bytes":0,"chunks":0,"rate":0,"rtt_ms":0,"failures":0,"backpressure":0},)"
                       R"({"peer":"12D3KooWB","state":"planning","bytes":0,"chunks":0,"rate":0,"rtt_ms":0,"failures":0,"backpressure":0},)"
                       R"({"peer":"12D3KooWC","state":"planning","bytes":0,"chunks":0,"rate":0,"rtt_ms":0,"failures":0,"backpressure":0}]})");
  auto cmd = s.backend().last_command();
  BOOST_REQUIRE(cmd.has_value());
  BOOST_TEST(cmd->peer.empty());
  BOOST_TEST((cmd->peers == std::vector<std::string>{"12D3KooWA", "12D3KooWB", "12D3KooWC"}));
  BOOST_TEST(!cmd->plan_id.has_value());

  // rpp's `peer` and the swarm's `peers` go together.
  BOOST_TEST(post_session(s.port(), R"({"peer":"12D3KooWA","peers":["12D3KooWB"]})").status == 200u);
  cmd = s.backend().last_command();
  BOOST_TEST(cmd->peer == "12D3KooWA");
  BOOST_TEST((cmd->peers == std::vector<std::string>{"12D3KooWB"}));
}

BOOST_AUTO_TEST_CASE(post_session_without_providers_asks_the_node_to_discover_them) {
  test_server s;
  for (std::string_view body : {R"({})", R"({"chunk_size":10})", R"({"peer":null,"peers":null,"plan_id":null})",
                                R"({"peers":[]})"}) {
    BOOST_TEST_CONTEXT("body " << body) {
      auto r = post_session(s.port(), body);
      BOOST_TEST(r.status == 200u);
      BOOST_TEST(r.body.find(R"("peer":"","root":"")") != std::string::npos, r.body);
      auto cmd = s.backend().last_command();
      BOOST_REQUIRE(cmd.has_value());
      BOOST_TEST(cmd->peer.empty());
      BOOST_TEST(cmd->peers.empty());
      BOOST_TEST(!cmd->plan_id.has_value());
      BOOST_TEST(!cmd->resume.has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(post_session_with_a_plan_id_names_the_snapshot) {
  test_server s;
  const std::string plan(64, 'a');
  auto r = post_session(s.port(), R"({"plan_id":")" + plan + R"("})");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"session":1,"peer":"","root":"","plan_id":")" + plan +
                         R"(","verified":false,"state":"planning","bytes_received":0,"throughput":0,"retries":0})");
  BOOST_TEST(s.backend().last_command()->plan_id.value_or("") == plan);
  // The plan id's form is the node's to judge; its refusal is a 400.
  check_error(post_session(s.port(), R"({"peers":["12D3KooWA"],"plan_id":"abc"})"), 400,
              "invalid plan_id: expected 64 hex characters, got 'abc'", "invalid_argument");
  check_error(post_session(s.port(), R"({"peers":["12D3KooWA","bad-b"]})"), 400, "invalid peer id: bad-b",
              "invalid_argument");
}

BOOST_AUTO_TEST_CASE(post_session_resumes_a_job_without_naming_a_provider) {
  test_server s;
  auto r = post_session(s.port(), R"({"resume":{"session":4}})");
  BOOST_TEST(r.status == 200u);
  auto cmd = s.backend().last_command();
  BOOST_REQUIRE(cmd.has_value());
  BOOST_TEST(cmd->peer.empty());
  BOOST_TEST(cmd->peers.empty());
  BOOST_REQUIRE(cmd->resume.has_value());
  BOOST_TEST(cmd->resume->session == 4u);
}

BOOST_AUTO_TEST_CASE(backend_errors_map_to_their_status_codes) {
  test_server s;
  auto bad_peer = post_session(s.port(), R"({"peer":"bad-peer-id"})");
  check_error(bad_peer, 400, "invalid peer id: bad-peer-id", "invalid_argument");

  auto unreachable = post_session(s.port(), R"({"peer":"unreachable"})");
  check_error(unreachable, 502, "provider unreachable did not answer: connection refused", "peer_unreachable");

  auto busy = post_session(s.port(), R"({"peer":"busy"})");
  check_error(busy, 503, "too many sessions: 4 running", "saturated");
  BOOST_TEST(busy.header("retry-after") == "5");

  auto stopping = post_session(s.port(), R"({"peer":"stopping"})");
  check_error(stopping, 503, "the node is shutting down", "shutting_down");
  BOOST_TEST(!stopping.has_header("retry-after"));

  auto boom = post_session(s.port(), R"({"peer":"boom"})");
  check_error(boom, 500, "database write failed", "internal");

  auto thrown = post_session(s.port(), R"({"peer":"throw"})");
  check_error(thrown, 500, "the node failed: backend exploded", "internal");

  auto stale = post_session(s.port(), R"({"peer":"p","resume":{"session":999}})");
  check_error(stale, 500, "resume rejected: chunk 7 is beyond the plan's last chunk 5", "resume_rejected");
}

BOOST_AUTO_TEST_CASE(a_backend_call_over_the_timeout_is_answered_504_and_cancelled) {
  auto config = test_config();
  config.backend_timeout = 200ms;
  test_server s(config);
  auto r = post_session(s.port(), R"({"peer":"slow"})");
  check_error(r, 504, "the node did not answer within 200 ms", "backend_timeout");
  BOOST_TEST(s.backend().cancelled_calls() == 1);
}

BOOST_AUTO_TEST_CASE(get_session_returns_status_or_404_or_400) {
  test_server s;
  actors::session_status st;
  st.session = 7;
  st.peer = "12D3KooWProvider";
  st.root = "ab01";
  st.plan_id = "plan-1";
  st.chunk_size = 65536;
  st.total_chunks = 10;
  st.total_updates = 2;
  st.last_chunk_index = 4;
  st.last_update_index = 1;
  st.last_update_height = 100;
  st.state = actors::session_state::failed;
  st.error = "checksum mismatch in chunk 5";
  st.error_code = "checksum";
  st.bytes_received = 327680;
  st.throughput = 1234.6;
  st.retries = 2;
  s.backend().add_session(st);

  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots/7"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"session":7,"peer":"12D3KooWProvider","root":"ab01","plan_id":"plan-1","chunk_size":65536,)"
                       R"("total_chunks":10,"total_updates":2,"last_chunk_index":4,"last_update_index":1,)"
                       R"("last_update_height":100,"verified":false,"state":"failed","bytes_received":327680,)"
                       R"("throughput":1235,"retries":2,"error":"checksum mismatch in chunk 5","error_code":"checksum"})");

  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/8")), 404, "unknown snapshot session 8", "not_found");
  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/abc")), 400, "invalid snapshot session id: abc",
              "invalid_argument");
  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/-1")), 400, "invalid snapshot session id: -1",
              "invalid_argument");
  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/18446744073709551616")), 400,
              "invalid snapshot session id: 18446744073709551616", "invalid_argument");
  // Percent-encoded digits are digits.
  BOOST_TEST(round_trip(s.port(), request("GET", "/p2p/snapshots/%37")).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_swarm_status_shows_its_chunks_and_each_provider) {
  test_server s;
  actors::session_status st;
  st.session = 9;
  st.peer = "12D3KooWA";
  st.root = "ab01";
  st.plan_id = "ab01";
  st.total_chunks = 10;
  st.last_chunk_index = 2;
  st.state = actors::session_state::syncing;
  st.bytes_received = 393216;
  st.throughput = 262144.4;
  st.retries = 1;
  st.chunks_applied = 6;
  st.chunk_writes = 6;
  st.error = "request timed out";
  st.error_code = "network";
  actors::peer_status a;
  a.peer = "12D3KooWA";
  a.state = "fetching";
  a.bytes = 262144;
  a.chunks = 4;
  a.rate = 131072.6;
  a.rtt_ms = 12.4;
  actors::peer_status b;
  b.peer = "12D3KooWB";
  b.state = "banned";
  b.bytes = 131072;
  b.chunks = 2;
  b.rate = 0;
  b.rtt_ms = 40;
  b.failures = 1;
  b.backpressure = 3;
  b.last_error = "chunk 7: page 2 hash mismatch";
  b.last_error_code = "checksum";
  st.peers = {a, b};
  s.backend().add_session(st);

  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots/9"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"session":9,"peer":"12D3KooWA","root":"ab01","plan_id":"ab01","total_chunks":10,)"
                       R"("last_chunk_index":2,"verified":false,"state":"syncing","bytes_received":393216,)"
                       R"("throughput":262144,"retries":1,"chunks_applied":6,"chunk_writes":6,)"
                       R"("error":"request timed out","error_code":"network","peers":[)"
                       R"({"peer":"12D3KooWA","state":"fetching","bytes":262144,"chunks":4,"rate":131073,"rtt_ms":12,)"
                       R"("failures":0,"backpressure":0},)"
                       R"({"peer":"12D3KooWB","state":"banned","bytes":131072,"chunks":2,"rate":0,"rtt_ms":40,)"
                       R"("failures":1,"backpressure":3,"last_error":"chunk 7: page 2 hash mismatch",)"
                       R"("last_error_code":"checksum"}]})");
}

BOOST_AUTO_TEST_CASE(list_sessions_returns_every_status) {
  test_server s;
  BOOST_TEST(post_session(s.port(), R"({"peer":"a"})").status == 200u);
  BOOST_TEST(post_session(s.port(), R"({"peer":"b"})").status == 200u);
  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body ==
             R"([{"session":1,"peer":"a","root":"","verified":false,"state":"planning","bytes_received":0,"throughput":0,"retries":0},)"
             R"({"session":2,"peer":"b","root":"","verified":false,"state":"planning","bytes_received":0,"throughput":0,"retries":0}])");
}

BOOST_AUTO_TEST_CASE(delete_session_answers_204_then_404) {
  test_server s;
  BOOST_TEST(post_session(s.port(), R"({"peer":"a"})").status == 200u);
  auto first = round_trip(s.port(), request("DELETE", "/p2p/snapshots/1"));
  BOOST_TEST(first.status == 204u);
  BOOST_TEST(first.body.empty());
  check_error(round_trip(s.port(), request("DELETE", "/p2p/snapshots/1")), 404, "unknown snapshot session 1", "not_found");
  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/1")), 404, "unknown snapshot session 1", "not_found");
}

BOOST_AUTO_TEST_CASE(breaker_status_and_reset) {
  test_server s;
  actors::breaker_status open;
  open.peer = "12D3KooWBad";
  open.state = actors::breaker_state::open;
  open.recent_failures = 10;
  open.retry_after = std::chrono::milliseconds(29500);
  actors::breaker_status liar;
  liar.peer = "12D3KooWLiar";
  liar.side = actors::breaker_side::syncing;
  liar.state = actors::breaker_state::open;
  liar.recent_failures = 1;
  liar.retry_after = std::chrono::milliseconds(600000);
  s.backend().set_breakers({open, liar});
  auto r = round_trip(s.port(), request("GET", "/p2p/snapshots/breaker"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"([{"peer":"12D3KooWBad","side":"serving","state":"open","recent_failures":10,"retry_after_ms":29500},)"
                       R"({"peer":"12D3KooWLiar","side":"syncing","state":"open","recent_failures":1,"retry_after_ms":600000}])");

  auto reset = round_trip(s.port(), request("POST", "/p2p/snapshots/breaker/reset"));
  BOOST_TEST(reset.status == 204u);
  BOOST_TEST(s.backend().resets() == 1);
  BOOST_TEST(round_trip(s.port(), request("GET", "/p2p/snapshots/breaker")).body == "[]");
}

BOOST_AUTO_TEST_CASE(peers_lists_connected_peers_with_rlpx_offsets) {
  test_server s;
  auto r = round_trip(s.port(), request("GET", "/p2p/peers"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body ==
             R"([{"peer_id":"12D3KooWProvider","transport":"libp2p","addresses":["/ip4/127.0.0.1/tcp/4001"],)"
             R"("protocols":["/rpp/snapshots/1.0.0"],"offsets":[]},)"
             R"({"peer_id":"enode-a1","transport":"rlpx","addresses":[],"protocols":["eth/68"],)"
             R"("offsets":[{"name":"eth","version":68,"offset":16,"length":17}]}])");
}

BOOST_AUTO_TEST_CASE(post_snapshots_returns_the_snapshot) {
  test_server s;
  auto r = round_trip(s.port(), request("POST", "/snapshots"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"plan_id":"plan-42","height":42,"page_count":3,"record_count":1000,"total_bytes":65536,"update_count":2})");
}

BOOST_AUTO_TEST_CASE(unknown_routes_are_404) {
  test_server s;
  check_error(round_trip(s.port(), request("GET", "/nowhere")), 404, "no route for GET /nowhere", "route_not_found");
  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/1/extra")), 404,
              "no route for GET /p2p/snapshots/1/extra", "route_not_found");
  check_error(round_trip(s.port(), request("GET", "/p2p/snapshots/")), 404, "no route for GET /p2p/snapshots/",
              "route_not_found");
}

BOOST_AUTO_TEST_CASE(a_wrong_method_is_405_with_allow) {
  test_server s;
  auto r = round_trip(s.port(), request("DELETE", "/p2p/snapshots"));
  check_error(r, 405, "method DELETE is not allowed on /p2p/snapshots (allowed: GET, POST)", "method_not_allowed");
  BOOST_TEST(r.header("allow") == "GET, POST");
  auto item = round_trip(s.port(), request("PUT", "/p2p/snapshots/3"));
  BOOST_TEST(item.status == 405u);
  BOOST_TEST(item.header("allow") == "GET, DELETE");
  auto reset = round_trip(s.port(), request("GET", "/p2p/snapshots/breaker/reset"));
  BOOST_TEST(reset.status == 405u);
  BOOST_TEST(reset.header("allow") == "POST");
  auto health = round_trip(s.port(), request("POST", "/healthz", {}, ""));
  BOOST_TEST(health.status == 405u);
  BOOST_TEST(health.header("allow") == "GET");
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_is_413_and_closes) {
  test_server s;
  const std::string big(64 * 1024 + 1, 'x');
  raw_client c(s.port());
  c.send(request("POST", "/p2p/snapshots", big));
  auto r = c.read_response();
  check_error(r, 413, "request body exceeds 65536 bytes", "payload_too_large");
  BOOST_TEST(!r.keep_alive);
  BOOST_TEST(c.wait_closed());
  // Exactly at the limit the body is read (and judged as JSON).
  const std::string at_limit(64 * 1024, ' ');
  BOOST_TEST(post_session(s.port(), at_limit).status == 400u);
}

BOOST_AUTO_TEST_CASE(an_oversize_header_is_431_and_closes) {
  test_server s;
  raw_client c(s.port());
  c.send(request("GET", "/p2p/snapshots", {}, "s3cret-token", "X-Filler: " + std::string(9000, 'a') + "\r\n"));
  auto r = c.read_response();
  check_error(r, 431, "request header exceeds 8192 bytes", "headers_too_large");
  BOOST_TEST(c.wait_closed());
}

BOOST_AUTO_TEST_CASE(a_malformed_request_line_is_400_and_closes) {
  test_server s;
  using namespace std::string_view_literals;
  // The last one is the start of a TLS ClientHello.
  for (std::string_view garbage : {"GARBAGE\r\n\r\n"sv, "GET /p2p/snapshots HTTX/1.1\r\n\r\n"sv,
                                   "GET\t/ HTTP/1.1\r\n\r\n"sv, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"sv}) {
    raw_client c(s.port());
    c.send(garbage);
    auto r = c.read_response();
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.body.find(R"({"error":"malformed HTTP request: )") == 0u);
    BOOST_TEST(r.body.find(R"("code":"bad_request"})") != std::string::npos);
    BOOST_TEST(c.wait_closed());
  }
  // The server still serves.
  BOOST_TEST(round_trip(s.port(), request("GET", "/healthz", {}, "")).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_slow_request_is_cut_off_by_the_read_timeout) {
  auto config = test_config();
  config.read_timeout = 300ms;
  test_server s(config);
  raw_client c(s.port());
  BOOST_TEST(c.send("GET /p2p/snapshots HTTP/1.1\r\nHost: x\r\n"));
  BOOST_TEST(c.wait_closed(5s));
  BOOST_TEST(round_trip(s.port(), request("GET", "/healthz", {}, "")).status == 200u);
}

BOOST_AUTO_TEST_CASE(an_idle_keep_alive_connection_is_closed) {
  auto config = test_config();
  config.idle_timeout = 300ms;
  test_server s(config);
  raw_client c(s.port());
  c.send(request("GET", "/healthz", {}, ""));
  BOOST_TEST(c.read_response().keep_alive);
  BOOST_TEST(c.wait_closed(5s));
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
  test_server s;
  raw_client c(s.port());
  c.send(request("POST", "/p2p/snapshots", R"({"peer":"a"})"));
  auto first = c.read_response();
  BOOST_TEST(first.status == 200u);
  BOOST_TEST(first.keep_alive);
  c.send(request("GET", "/p2p/snapshots/1"));
  BOOST_TEST(c.read_response().status == 200u);
  c.send(request("GET", "/p2p/snapshots/2"));
  BOOST_TEST(c.read_response().status == 404u);
  c.send(request("GET", "/healthz", {}, ""));
  BOOST_TEST(c.read_response().body == "ok");
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
  test_server s;
  raw_client c(s.port());
  c.send(request("POST", "/p2p/snapshots", R"({"peer":"a"})") + request("GET", "/p2p/snapshots/1") +
         request("DELETE", "/p2p/snapshots/1") + request("GET", "/p2p/snapshots/1") +
         request("GET", "/healthz", {}, "", "Connection: close\r\n"));
  BOOST_TEST(c.read_response().status == 200u);
  BOOST_TEST(c.read_response().status == 200u);
  BOOST_TEST(c.read_response().status == 204u);
  BOOST_TEST(c.read_response().status == 404u);
  auto last = c.read_response();
  BOOST_TEST(last.body == "ok");
  BOOST_TEST(!last.keep_alive);
  BOOST_TEST(c.wait_closed());
}

BOOST_AUTO_TEST_CASE(http_1_0_requests_are_answered_and_closed) {
  test_server s;
  raw_client c(s.port());
  c.send("GET /healthz HTTP/1.0\r\n\r\n");
  auto r = c.read_response();
  BOOST_TEST(r.body == "ok");
  BOOST_TEST(!r.keep_alive);
  BOOST_TEST(c.wait_closed());
}

BOOST_AUTO_TEST_CASE(expect_100_continue_gets_the_interim_answer) {
  test_server s;
  raw_client c(s.port());
  const std::string body = R"({"peer":"a"})";
  c.send("POST /p2p/snapshots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n"
         "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  BOOST_TEST(c.read_response().status == 100u);
  c.send(body);
  BOOST_TEST(c.read_response().status == 200u);
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_cap_get_503) {
  auto config = test_config();
  config.max_connections = 2;
  test_server s(config);
  raw_client a(s.port());
  raw_client b(s.port());
  a.send(request("GET", "/healthz", {}, ""));
  BOOST_TEST(a.read_response().status == 200u); // a is being served...
  b.send(request("GET", "/healthz", {}, ""));
  BOOST_TEST(b.read_response().status == 200u); // ...and so is b: both count
  raw_client c(s.port());
  auto r = c.read_response();
  check_error(r, 503, "too many connections", "too_many_connections");
  BOOST_TEST(r.header("retry-after") == "1");
  BOOST_TEST(c.wait_closed());
  // The open ones keep working.
  a.send(request("GET", "/healthz", {}, ""));
  BOOST_TEST(a.read_response().status == 200u);
}

BOOST_AUTO_TEST_CASE(events_are_streamed_in_order_and_resume_from_last_event_id) {
  test_server s;
  s.backend().push_event("SessionProgress", R"({"session":1,"bytes":10})");
  s.backend().push_event("HeadVerified", "{\"session\":1,\n\"height\":5}");
  s.backend().push_event("SnapshotStreamFailed", R"({"session":2,"error":"network"})");

  raw_client c(s.port());
  c.send(request("GET", "/events"));
  auto head = c.read_stream_header();
  BOOST_TEST(head.status == 200u);
  BOOST_TEST(head.header("content-type") == "text/event-stream; charset=utf-8");
  BOOST_TEST(head.header("cache-control") == "no-cache");
  const std::string expected =
      "id: 1\nevent: SessionProgress\ndata: {\"session\":1,\"bytes\":10}\n\n"
      "id: 2\nevent: HeadVerified\ndata: {\"session\":1,\ndata: \"height\":5}\n\n"
      "id: 3\nevent: SnapshotStreamFailed\ndata: {\"session\":2,\"error\":\"network\"}\n\n";
  BOOST_REQUIRE(c.read_stream_until(expected));
  BOOST_TEST(c.stream_body().substr(0, expected.size()) == expected);

  // A new event reaches the open stream.
  s.backend().push_event("SessionProgress", R"({"session":1,"bytes":20})");
  BOOST_TEST(c.read_stream_until("id: 4\nevent: SessionProgress\ndata: {\"session\":1,\"bytes\":20}\n\n"));

  // A reconnecting client names the last event it saw and gets only what follows.
  raw_client again(s.port());
  again.send(request("GET", "/events", {}, "s3cret-token", "Last-Event-ID: 2\r\n"));
  BOOST_TEST(again.read_stream_header().status == 200u);
  BOOST_REQUIRE(again.read_stream_until("id: 4\n"));
  BOOST_TEST(again.stream_body().find("id: 3\n") == 0u);
  BOOST_TEST(again.stream_body().find("id: 1\n") == std::string::npos);
  BOOST_TEST(again.stream_body().find("id: 2\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_idle_event_stream_gets_heartbeats) {
  test_server s; // event_poll 200 ms
  raw_client c(s.port());
  c.send(request("GET", "/events"));
  BOOST_TEST(c.read_stream_header().status == 200u);
  BOOST_TEST(c.read_stream_until(": heartbeat\n\n: heartbeat\n\n"));
}

BOOST_AUTO_TEST_CASE(an_event_stream_holds_a_subscription_while_it_is_open) {
  test_server s; // event_poll 200 ms: a gone client is noticed at the next heartbeat
  BOOST_TEST(s.backend().open_event_streams() == 0u);
  {
    raw_client c(s.port());
    c.send(request("GET", "/events"));
    BOOST_TEST(c.read_stream_header().status == 200u);
    BOOST_TEST(s.backend().open_event_streams() == 1u);
    auto doc = parse_prometheus(round_trip(s.port(), request("GET", "/metrics")).body);
    BOOST_TEST(doc.value("snapstream_http_event_streams") == 1.0);
  }
  // The client went away: the server gives the subscription back.
  bool closed = false;
  for (int i = 0; i < 1000 && !closed; ++i) {
    closed = s.backend().open_event_streams() == 0;
    if (!closed) std::this_thread::sleep_for(5ms);
  }
  BOOST_TEST(closed);
}

BOOST_AUTO_TEST_CASE(an_invalid_last_event_id_is_400) {
  test_server s;
  auto r = round_trip(s.port(), request("GET", "/events", {}, "s3cret-token", "Last-Event-ID: x7\r\n"));
  check_error(r, 400, "invalid Last-Event-ID: x7", "invalid_argument");
}

BOOST_AUTO_TEST_CASE(stop_ends_event_streams_cleanly_and_answers_waiting_requests) {
  auto config = test_config();
  config.event_poll = 60s; // the stream is inside a long poll when the server stops
  config.backend_timeout = 60s;
  test_server s(config);
  s.backend().push_event("HeadVerified", R"({"height":1})");
  raw_client stream(s.port());
  stream.send(request("GET", "/events"));
  BOOST_TEST(stream.read_stream_header().status == 200u);
  BOOST_REQUIRE(stream.read_stream_until("id: 1\n"));

  raw_client waiting(s.port());
  waiting.send(request("POST", "/p2p/snapshots", R"({"peer":"slow"})"));
  raw_client idle(s.port());
  idle.send(request("GET", "/healthz", {}, ""));
  BOOST_TEST(idle.read_response().status == 200u);
  // Let the slow call reach the backend before stopping.
  for (int i = 0; i < 500 && !s.backend().last_command(); ++i) std::this_thread::sleep_for(2ms);
  BOOST_REQUIRE(s.backend().last_command().has_value());

  BOOST_TEST(s.stop());
  BOOST_TEST(stream.read_stream_end());  // the final chunk came: a clean end
  auto answer = waiting.read_response();
  check_error(answer, 503, "the node is shutting down", "shutting_down");
  BOOST_TEST(!answer.keep_alive);
  BOOST_TEST(idle.wait_closed());
  BOOST_TEST(s.backend().cancelled_calls() >= 1);
}

BOOST_AUTO_TEST_CASE(metrics_are_valid_prometheus_text_with_the_node_counters) {
  test_server s;
  actors::metrics_snapshot m;
  m.sessions_by_state = {{"syncing", 2}, {"verified", 1}};
  m.bytes_received = 1048576;
  m.chunks_received = 16;
  m.bytes_served = 2097152;
  m.chunks_served = 32;
  m.verification_failures = 3;
  m.inbound_sessions = 4;
  m.requests_served = 40;
  m.requests_refused = 5;
  m.latency_bounds = {0.01, 0.1, 1.0};
  m.latency_buckets = {3, 7, 9};
  m.latency_sum = 2.5;
  m.latency_count = 10;
  actors::breaker_status b;
  b.peer = "12D3Koo\"odd\\peer";
  b.state = actors::breaker_state::half_open;
  b.recent_failures = 6;
  actors::breaker_status left_out;
  left_out.peer = "12D3KooWLiar";
  left_out.side = actors::breaker_side::syncing;
  left_out.state = actors::breaker_state::open;
  m.breakers = {b, left_out};
  s.backend().set_metrics(m);
  BOOST_TEST(round_trip(s.port(), request("GET", "/healthz", {}, "")).status == 200u);
  BOOST_TEST(round_trip(s.port(), request("GET", "/nowhere")).status == 404u);

  auto r = round_trip(s.port(), request("GET", "/metrics"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  auto doc = parse_prometheus(r.body);
  BOOST_TEST_REQUIRE(doc.error == "");

  BOOST_TEST(doc.families.at("snapstream_sessions").type == "gauge");
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "syncing"}}) == 2.0);
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "verified"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "planning"}}) == 0.0);
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "failed"}}) == 0.0);
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "cancelled"}}) == 0.0);
  BOOST_TEST(doc.families.at("snapstream_snapshot_bytes_received_total").type == "counter");
  BOOST_TEST(doc.value("snapstream_snapshot_bytes_received_total") == 1048576.0);
  BOOST_TEST(doc.value("snapstream_snapshot_chunks_received_total") == 16.0);
  BOOST_TEST(doc.value("snapstream_snapshot_bytes_served_total") == 2097152.0);
  BOOST_TEST(doc.value("snapstream_snapshot_chunks_served_total") == 32.0);
  BOOST_TEST(doc.value("snapstream_verification_failures_total") == 3.0);
  BOOST_TEST(doc.value("snapstream_inbound_sessions") == 4.0);
  BOOST_TEST(doc.value("snapstream_provider_requests_served_total") == 40.0);
  BOOST_TEST(doc.value("snapstream_provider_requests_refused_total") == 5.0);
  BOOST_TEST(doc.families.at("snapstream_chunk_request_duration_seconds").type == "histogram");
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_bucket", {{"le", "0.01"}}) == 3.0);
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_bucket", {{"le", "0.1"}}) == 7.0);
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_bucket", {{"le", "1"}}) == 9.0);
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_bucket", {{"le", "+Inf"}}) == 10.0);
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_sum") == 2.5);
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_count") == 10.0);
  BOOST_TEST(doc.value("snapstream_breaker_state", {{"peer", "12D3Koo\"odd\\peer"}, {"state", "half_open"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_breaker_state", {{"peer", "12D3Koo\"odd\\peer"}, {"state", "open"}}) == 0.0);
  BOOST_TEST(doc.value("snapstream_breaker_state", {{"peer", "12D3Koo\"odd\\peer"}, {"state", "closed"}}) == 0.0);
  BOOST_TEST(doc.value("snapstream_breaker_recent_failures", {{"peer", "12D3Koo\"odd\\peer"}}) == 6.0);
  // A provider the sync jobs leave out has its own series, not a serving breaker's.
  BOOST_TEST(doc.value("snapstream_sync_breaker_open", {{"peer", "12D3KooWLiar"}}) == 1.0);
  BOOST_TEST(std::isnan(doc.value("snapstream_breaker_state", {{"peer", "12D3KooWLiar"}, {"state", "open"}})));
  // The control plane's own requests so far: one 200 (/healthz) and one 404.
  BOOST_TEST(doc.value("snapstream_http_requests_total", {{"code", "200"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_http_requests_total", {{"code", "404"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_count") == 2.0);
  BOOST_TEST(doc.value("snapstream_http_connections") >= 1.0); // this one; earlier ones may not be reaped yet
}

BOOST_AUTO_TEST_CASE(listen_reports_an_address_in_use) {
  test_server first;
  boost::asio::io_context io;
  fake_backend backend;
  http_server second(io.get_executor(), backend, test_config());
  auto r = second.listen("127.0.0.1", first.port());
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(http_errc::listen_failed));
  BOOST_TEST(r.error().message() ==
             "cannot bind 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use");
}

BOOST_AUTO_TEST_CASE(mangled_requests_never_stall_or_crash_the_server) {
  test_server s;
  std::mt19937 rng(20261122); // fixed seed: the same 300 inputs every run
  const std::string valid = request("POST", "/p2p/snapshots", R"({"peer":"a","chunk_size":5})");
  for (int i = 0; i < 300; ++i) {
    std::string input = valid;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % input.size();
      switch (rng() % 4) {
        case 0: input[at] = static_cast<char>(rng() % 256); break;               // flip a byte
        case 1: input.erase(at, 1 + rng() % 8); break;                            // drop bytes
        case 2: input.insert(at, std::string(1 + rng() % 4, static_cast<char>(rng() % 256))); break;
        default: input.insert(at, input.substr(rng() % input.size(), 1 + rng() % 16)); break;
      }
      if (input.empty()) input = "\r\n";
    }
    BOOST_TEST_CONTEXT("input " << i) {
      raw_client c(s.port());
      c.send(input);
      // A complete request is answered; an incomplete one waits for more
      // bytes. Either way, once the client stops sending and closes its side,
      // the server must end the connection.
      ::shutdown(c.native_handle(), SHUT_WR);
      BOOST_TEST(c.wait_closed(10s));
    }
  }
  BOOST_TEST(round_trip(s.port(), request("GET", "/healthz", {}, "")).body == "ok");
}
