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
