#define BOOST_TEST_MODULE http_units
#include <boost/test/unit_test.hpp>

#include "actors/actors_errc.hpp"
#include "http/detail/control_json.hpp"
#include "http/http_errc.hpp"

using namespace snapstream;
using namespace snapstream::http;
using namespace snapstream::http::detail;

BOOST_AUTO_TEST_CASE(a_minimal_status_has_only_the_always_present_keys) {
  actors::session_status s;
  s.session = 3;
  s.peer = "p";
  BOOST_TEST(render_status(s) ==
             R"({"session":3,"peer":"p","root":"","verified":false,"state":"planning","bytes_received":0,"throughput":0,"retries":0})");
}

BOOST_AUTO_TEST_CASE(throughput_is_whole_bytes_per_second_and_never_invalid_json) {
  actors::session_status s;
  s.throughput = 2.5;
  BOOST_TEST(render_status(s).find(R"("throughput":3,)") != std::string::npos);
  s.throughput = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(render_status(s).find(R"("throughput":0,)") != std::string::npos);
  s.throughput = -std::numeric_limits<double>::infinity();
  BOOST_TEST(render_status(s).find(R"("throughput":0,)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_start_command_round_trips_through_its_body) {
  actors::start_command cmd;
  cmd.peer = "12D3KooW";
  cmd.chunk_size = 1;
  cmd.resume.emplace();
  cmd.resume->session = 5;
  cmd.resume->plan_id = "plan";
  cmd.resume->chunk_index = 7;
  cmd.resume->update_index = 0;
  const auto body = render_start_command(cmd);
  BOOST_TEST(body ==
             R"({"peer":"12D3KooW","chunk_size":1,"resume":{"session":5,"plan_id":"plan","chunk_index":7,"update_index":0}})");
  auto parsed = parse_start_command(body);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->peer == "12D3KooW");
  BOOST_TEST(*parsed->chunk_size == 1u);
  BOOST_TEST(parsed->resume->session == 5u);
  BOOST_TEST(*parsed->resume->plan_id == "plan");
  BOOST_TEST(*parsed->resume->chunk_index == 7u);
  BOOST_TEST(*parsed->resume->update_index == 0u);
}

BOOST_AUTO_TEST_CASE(a_swarm_start_command_round_trips_through_its_body) {
  actors::start_command cmd;
  cmd.peer = "12D3KooWA";
  cmd.peers = {"12D3KooWB", "12D3KooWC"};
  cmd.plan_id = std::string(64, 'f');
  cmd.chunk_size = 65536;
  const auto body = render_start_command(cmd);
  BOOST_TEST(body == R"({"peer":"12D3KooWA","peers":["12D3KooWB","12D3KooWC"],"plan_id":")" + std::string(64, 'f') +
                         R"(","chunk_size":65536})");
  auto parsed = parse_start_command(body);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->peer == "12D3KooWA");
  BOOST_TEST((parsed->peers == cmd.peers));
  BOOST_TEST(*parsed->plan_id == *cmd.plan_id);
  BOOST_TEST(*parsed->chunk_size == 65536u);
  BOOST_TEST(!parsed->resume.has_value());
}

BOOST_AUTO_TEST_CASE(a_start_without_providers_is_an_empty_object_and_a_discovery) {
  BOOST_TEST(render_start_command({}) == "{}");
  auto parsed = parse_start_command("{}");
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->peer.empty());
  BOOST_TEST(parsed->peers.empty());
  BOOST_TEST(!parsed->plan_id.has_value());

  // A resume may leave the providers to the job.
  actors::start_command resume;
  resume.resume.emplace();
  resume.resume->session = 12;
  BOOST_TEST(render_start_command(resume) == R"({"resume":{"session":12}})");
  auto again = parse_start_command(render_start_command(resume));
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->peer.empty());
  BOOST_TEST(again->resume->session == 12u);
}

BOOST_AUTO_TEST_CASE(swarm_fields_of_a_start_are_checked_before_the_node_sees_them) {
  struct bad_case {
    std::string body;
    std::string message;
  };
  const std::vector<bad_case> cases{
      {R"({"peer":""})", "peer must not be empty"},
      {R"({"peers":"12D3KooWA"})", "peers must be an array of strings"},
      {R"({"peers":[["12D3KooWA"]]})", "peers must be an array of strings"},
      {R"({"plan_id":false})", "plan_id must be a string"},
      {R"({"peer":"p","plan_id":"x","resume":{"session":1}})", "plan_id cannot be given with resume (use resume.plan_id)"},
      {R"({"peers":["p"],"resume":{"session":1}})",
       "peers cannot be given with resume (a resumed session keeps its providers)"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("body " << c.body) {
      auto r = parse_start_command(c.body);
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.error().is(actors::control_errc::invalid_argument));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_swarm_status_round_trips_and_rounds_its_rates) {
  actors::session_status s;
  s.session = 4;
  s.peer = "12D3KooWA";
  s.state = actors::session_state::syncing;
  s.chunks_applied = 5;
  s.chunk_writes = 6;
  actors::peer_status a;
  a.peer = "12D3KooWA";
  a.state = "fetching";
  a.bytes = 1 << 20;
  a.chunks = 5;
  a.rate = 524288.4;
  a.rtt_ms = 0.6;
  a.failures = 2;
  a.backpressure = 1;
  a.last_error = "timed out";
  a.last_error_code = "network";
  actors::peer_status b;
  b.peer = "12D3KooWB";
  b.state = "waiting";
  s.peers = {a, b};
  const auto body = render_status(s);
  BOOST_TEST(body.find(R"("retries":0,"chunks_applied":5,"chunk_writes":6,"peers":[{"peer":"12D3KooWA",)"
                       R"("state":"fetching","bytes":1048576,"chunks":5,"rate":524288,"rtt_ms":1,"failures":2,)"
                       R"("backpressure":1,"last_error":"timed out","last_error_code":"network"},)") !=
             std::string::npos, body);
  auto parsed = parse_status(body);
  BOOST_REQUIRE(parsed.has_value());
  // What the JSON carries comes back: rates in whole bytes per second, round trips in whole ms.
  a.rate = 524288;
  a.rtt_ms = 1;
  s.peers[0] = a;
  BOOST_TEST((*parsed == s));
}

BOOST_AUTO_TEST_CASE(a_status_without_the_swarm_keys_reads_as_no_chunks_and_no_providers) {
  auto r = parse_status(R"({"session":1,"peer":"p","root":"","verified":false,"state":"syncing","bytes_received":0,"throughput":0,"retries":0})");
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->chunks_applied == 0u);
  BOOST_TEST(r->chunk_writes == 0u);
  BOOST_TEST(r->peers.empty());
}

BOOST_AUTO_TEST_CASE(a_status_with_a_mistyped_provider_is_malformed) {
  const std::string head =
      R"({"session":1,"peer":"p","root":"","verified":false,"state":"syncing","bytes_received":0,"throughput":0,"retries":0,)";
  const std::string ok_peer = R"({"peer":"a","state":"idle","bytes":0,"chunks":0,"rate":0,"rtt_ms":0,"failures":0,"backpressure":0})";
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"("peers":{})", "status.peers must be an array"},
      {R"("peers":[)" + ok_peer + R"(,7])", "status.peers[1] must be a JSON object"},
      {R"("peers":[{"state":"idle"}])", "status.peers[0].peer must be a string"},
      {R"("peers":[{"peer":"a","state":"idle","bytes":-1}])", "status.peers[0].bytes must be a non-negative integer"},
      {R"("peers":[{"peer":"a","state":"idle","bytes":0,"chunks":0,"failures":0,"backpressure":0,"rate":"fast"}])",
       "status.peers[0].rate must be a number"},
      {R"("peers":[{"peer":"a","state":"idle","bytes":0,"chunks":0,"failures":0,"backpressure":0,"rate":0,"rtt_ms":0,"last_error":5}])",
       "status.peers[0].last_error must be a string"},
      {R"("chunks_applied":"many")", "status.chunks_applied must be a non-negative integer"},
  };
  for (const auto& [tail, message] : cases) {
    BOOST_TEST_CONTEXT(tail) {
      auto r = parse_status(head + tail + "}");
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.error().is(http_errc::malformed_response));
      BOOST_TEST(r.error().message() == message);
    }
  }
}

BOOST_AUTO_TEST_CASE(null_optional_fields_count_as_absent) {
  auto parsed = parse_start_command(R"({"peer":"p","chunk_size":null,"resume":null})");
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(!parsed->chunk_size.has_value());
  BOOST_TEST(!parsed->resume.has_value());
}

BOOST_AUTO_TEST_CASE(malformed_json_is_invalid_json_and_bad_fields_are_invalid_argument) {
  auto broken = parse_start_command("{");
  BOOST_REQUIRE(!broken);
  BOOST_TEST(broken.error().is(http_errc::invalid_json));
  auto nested = parse_start_command(std::string(100, '[') + std::string(100, ']'));
  BOOST_REQUIRE(!nested); // deeper than the parser's limit: refused, not recursed into
  BOOST_TEST(nested.error().is(http_errc::invalid_json));
  auto unknown = parse_start_command(R"({"peer":"p","x":1,"y":2,"z":3,"a":4,"b":5,"c":6,"d":7,"e":8,"f":9})");
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(unknown.error().is(actors::control_errc::invalid_argument));
  BOOST_TEST(unknown.error().message() == "unknown fields: x, y, z, a, b, c, d, e, ...");
  const std::string long_name(100, 'k');
  auto clipped = parse_start_command(R"({"peer":"p",")" + long_name + R"(":1})");
  BOOST_REQUIRE(!clipped);
  BOOST_TEST(clipped.error().message() == "unknown field: " + std::string(64, 'k') + "...");
}

BOOST_AUTO_TEST_CASE(session_ids_are_plain_decimal_u64) {
  BOOST_TEST(*parse_session_id("0") == 0u);
  BOOST_TEST(*parse_session_id("18446744073709551615") == 18446744073709551615ull);
  for (std::string_view bad : {"", "+1", "-1", "1.0", "0x10", " 1", "18446744073709551616", "1a"}) {
    auto r = parse_session_id(bad);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().is(actors::control_errc::invalid_argument));
    BOOST_TEST(r.error().message() == "invalid snapshot session id: " + std::string(bad));
  }
}

BOOST_AUTO_TEST_CASE(every_error_code_has_a_status_and_a_wire_name_that_maps_back) {
  using actors::control_errc;
  const std::vector<std::pair<std::error_code, unsigned>> expected{
      {control_errc::invalid_argument, 400}, {control_errc::not_found, 404},
      {control_errc::resume_rejected, 500},  {control_errc::peer_unreachable, 502},
      {control_errc::saturated, 503},        {control_errc::shutting_down, 503},
      {control_errc::internal, 500},         {http_errc::bad_request, 400},
      {http_errc::invalid_json, 400},        {http_errc::unauthorized, 401},
      {http_errc::route_not_found, 404},     {http_errc::method_not_allowed, 405},
      {http_errc::request_timeout, 408},     {http_errc::payload_too_large, 413},
      {http_errc::headers_too_large, 431},   {http_errc::too_many_connections, 503},
      {http_errc::unavailable, 503},         {http_errc::backend_timeout, 504},
  };
  for (const auto& [code, status] : expected) {
    BOOST_TEST_CONTEXT(code.message()) {
      BOOST_TEST(http_status(code) == status);
      BOOST_TEST((from_wire_code(wire_code(code)) == code));
    }
  }
  BOOST_TEST(http_status(actors::actors_errc::timeout) == 504u);
  BOOST_TEST(wire_code(actors::actors_errc::timeout) == "backend_timeout");
  BOOST_TEST(http_status(std::make_error_code(std::errc::io_error)) == 500u);
  BOOST_TEST(wire_code(std::make_error_code(std::errc::io_error)) == "internal");
  BOOST_TEST(!from_wire_code("no_such_code"));
}

BOOST_AUTO_TEST_CASE(a_status_missing_a_required_key_is_malformed) {
  auto r = parse_status(R"({"session":1,"peer":"p","root":"","verified":false,"state":"planning","bytes_received":0,"throughput":0})");
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(http_errc::malformed_response));
  BOOST_TEST(r.error().message() == "status.retries must be a non-negative 32-bit integer");
  auto state = parse_status(R"({"session":1,"peer":"p","root":"","verified":false,"state":"dreaming","bytes_received":0,"throughput":0,"retries":0})");
  BOOST_REQUIRE(!state);
  BOOST_TEST(state.error().message() == "status.state is unknown: dreaming");
}

BOOST_AUTO_TEST_CASE(error_bodies_are_recognised_only_in_their_shape) {
  auto e = parse_error_body(R"({"error":"boom","code":"internal"})");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->error == "boom");
  BOOST_TEST(e->code == "internal");
  BOOST_TEST(!parse_error_body("<html>").has_value());
  BOOST_TEST(!parse_error_body(R"({"message":"x"})").has_value());
  BOOST_TEST(render_error("a \"b\"", "c") == R"({"error":"a \"b\"","code":"c"})");
}
