#include <boost/test/unit_test.hpp>

#include "http/detail/prometheus.hpp"
#include "tests/http/prometheus_text.hpp"

#include <cmath>

using namespace snapstream;
using namespace snapstream::http::detail;
using snapstream::http::test::parse_prometheus;

BOOST_AUTO_TEST_CASE(sample_values_use_the_shortest_exact_decimal) {
  BOOST_TEST(format_sample_value(0.005) == "0.005");
  BOOST_TEST(format_sample_value(1.0) == "1");
  BOOST_TEST(format_sample_value(1e21) == "1e+21");
  BOOST_TEST(format_sample_value(INFINITY) == "+Inf");
  BOOST_TEST(format_sample_value(-INFINITY) == "-Inf");
  BOOST_TEST(format_sample_value(NAN) == "NaN");
}

BOOST_AUTO_TEST_CASE(empty_metrics_still_form_a_valid_exposition) {
  auto doc = parse_prometheus(render_metrics({}, request_stats{}));
  BOOST_TEST_REQUIRE(doc.error == "");
  BOOST_TEST(doc.value("snapstream_chunk_request_duration_seconds_bucket", {{"le", "+Inf"}}) == 0.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_count") == 0.0);
  BOOST_TEST(doc.families.at("snapstream_breaker_state").samples.empty());
}

BOOST_AUTO_TEST_CASE(request_latencies_fill_cumulative_buckets) {
  request_stats stats;
  stats.record(200, 0.0004, true);
  stats.record(200, 0.003, true);
  stats.record(404, 7.0, true);
  stats.record(200, 100.0, false); // an event stream: counted, not timed
  auto doc = parse_prometheus(render_metrics({}, stats));
  BOOST_TEST_REQUIRE(doc.error == "");
  BOOST_TEST(doc.value("snapstream_http_requests_total", {{"code", "200"}}) == 3.0);
  BOOST_TEST(doc.value("snapstream_http_requests_total", {{"code", "404"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_bucket", {{"le", "0.0005"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_bucket", {{"le", "0.0025"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_bucket", {{"le", "0.005"}}) == 2.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_bucket", {{"le", "5"}}) == 2.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_bucket", {{"le", "+Inf"}}) == 3.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_count") == 3.0);
  BOOST_TEST(doc.value("snapstream_http_request_duration_seconds_sum") == 7.0034, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(unknown_session_states_are_kept_and_label_values_escaped) {
  actors::metrics_snapshot m;
  m.sessions_by_state = {{"paused\n\"x\"", 2}};
  const auto text = render_metrics(m, request_stats{});
  BOOST_TEST(text.find("snapstream_sessions{state=\"paused\\n\\\"x\\\"\"} 2\n") != std::string::npos);
  auto doc = parse_prometheus(text);
  BOOST_TEST_REQUIRE(doc.error == "");
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "paused\n\"x\""}}) == 2.0);
}

BOOST_AUTO_TEST_CASE(the_test_parser_rejects_what_a_scraper_would_misread) {
  BOOST_TEST(parse_prometheus("# TYPE a counter\na 1\n").error == "");
  BOOST_TEST(parse_prometheus("a 1\n").error != "");                             // no TYPE
  BOOST_TEST(parse_prometheus("# TYPE a counter\na 1").error != "");             // no final newline
  BOOST_TEST(parse_prometheus("# TYPE a counter\na{x=\"1\"} one\n").error != ""); // bad value
  BOOST_TEST(parse_prometheus("# TYPE a counter\na{x=1} 1\n").error != "");      // unquoted label
  BOOST_TEST(parse_prometheus("# TYPE a counter\n# TYPE b gauge\na 1\nb 1\na{x=\"y\"} 2\n").error != ""); // ungrouped
  BOOST_TEST(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n").error != "");
  BOOST_TEST(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n").error != "");
}

BOOST_AUTO_TEST_CASE(sync_providers_and_served_peers_get_a_series_each) {
  actors::metrics_snapshot m;
  m.sync_restarts = 3;
  m.peers_banned = 1;
  actors::peer_status a;
  a.peer = "12D3KooWA";
  a.bytes = 4096;
  a.chunks = 4;
  a.failures = 1;
  a.backpressure = 2;
  a.rate = 1536.5;
  a.rtt_ms = 12.5;
  actors::peer_status odd;
  odd.peer = "odd\"peer\\\n";
  odd.bytes = 10;
  odd.chunks = 1;
  m.sync_peers = {a, odd};
  m.upload_limit = 10u << 20;
  m.upload_limit_per_peer = 1u << 20;
  m.throttled_responses = 7;
  m.throttle_wait_ms = 2500;
  m.offers_served = 9;
  m.carried_acks = 12;
  m.prepared_hits = 13;
  m.not_available_refusals = 5;
  m.served_peers = {{"12D3KooWC", 8192, 2}, {"12D3KooWD", 0, 0}};
  const auto text = render_metrics(m, request_stats{});
  auto doc = parse_prometheus(text);
  BOOST_TEST_REQUIRE(doc.error == "");

  BOOST_TEST(doc.families.at("snapstream_sync_restarts_total").type == "counter");
  BOOST_TEST(doc.value("snapstream_sync_restarts_total") == 3.0);
  BOOST_TEST(doc.value("snapstream_sync_peers_banned_total") == 1.0);
  BOOST_TEST(doc.families.at("snapstream_sync_peer_bytes_total").type == "counter");
  BOOST_TEST(doc.value("snapstream_sync_peer_bytes_total", {{"peer", "12D3KooWA"}}) == 4096.0);
  BOOST_TEST(doc.value("snapstream_sync_peer_chunks_total", {{"peer", "12D3KooWA"}}) == 4.0);
  BOOST_TEST(doc.value("snapstream_sync_peer_failures_total", {{"peer", "12D3KooWA"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_sync_peer_backpressure_total", {{"peer", "12D3KooWA"}}) == 2.0);
  BOOST_TEST(doc.families.at("snapstream_sync_peer_rate_bytes_per_second").type == "gauge");
  BOOST_TEST(doc.value("snapstream_sync_peer_rate_bytes_per_second", {{"peer", "12D3KooWA"}}) == 1536.5);
  BOOST_TEST(doc.families.at("snapstream_sync_peer_rtt_seconds").type == "gauge");
  BOOST_TEST(doc.value("snapstream_sync_peer_rtt_seconds", {{"peer", "12D3KooWA"}}) == 0.0125,
             boost::test_tools::tolerance(1e-12));
  // A label value is escaped, and reads back as it was.
  BOOST_TEST(text.find("snapstream_sync_peer_bytes_total{peer=\"odd\\\"peer\\\\\\n\"} 10\n") != std::string::npos);
  BOOST_TEST(doc.value("snapstream_sync_peer_bytes_total", {{"peer", "odd\"peer\\\n"}}) == 10.0);

  BOOST_TEST(doc.families.at("snapstream_upload_limit_bytes_per_second").type == "gauge");
  BOOST_TEST(doc.value("snapstream_upload_limit_bytes_per_second") == 10485760.0);
  BOOST_TEST(doc.value("snapstream_upload_limit_per_peer_bytes_per_second") == 1048576.0);
  BOOST_TEST(doc.value("snapstream_upload_throttled_responses_total") == 7.0);
  BOOST_TEST(doc.families.at("snapstream_upload_throttle_wait_seconds_total").type == "counter");
  BOOST_TEST(doc.value("snapstream_upload_throttle_wait_seconds_total") == 2.5);
  BOOST_TEST(doc.value("snapstream_offers_served_total") == 9.0);
  BOOST_TEST(doc.value("snapstream_carried_acks_total") == 12.0);
  BOOST_TEST(doc.value("snapstream_chunks_read_ahead_total") == 13.0);
  BOOST_TEST(doc.value("snapstream_chunks_not_available_total") == 5.0);
  BOOST_TEST(doc.value("snapstream_served_peer_bytes_total", {{"peer", "12D3KooWC"}}) == 8192.0);
  BOOST_TEST(doc.value("snapstream_served_peer_chunks_total", {{"peer", "12D3KooWC"}}) == 2.0);
  BOOST_TEST(doc.value("snapstream_served_peer_bytes_total", {{"peer", "12D3KooWD"}}) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_provider_reported_twice_is_one_series) {
  actors::metrics_snapshot m;
  actors::peer_status first;
  first.peer = "12D3KooWA";
  first.bytes = 100;
  first.chunks = 1;
  first.rate = 10;
  auto second = first;
  second.bytes = 50;
  second.rate = 20;
  m.sync_peers = {first, second};
  m.served_peers = {{"12D3KooWC", 1, 1}, {"12D3KooWC", 2, 1}};
  auto doc = parse_prometheus(render_metrics(m, request_stats{}));
  BOOST_TEST_REQUIRE(doc.error == ""); // no duplicate series
  BOOST_TEST(doc.value("snapstream_sync_peer_bytes_total", {{"peer", "12D3KooWA"}}) == 150.0);
  BOOST_TEST(doc.value("snapstream_sync_peer_chunks_total", {{"peer", "12D3KooWA"}}) == 2.0);
  BOOST_TEST(doc.value("snapstream_sync_peer_rate_bytes_per_second", {{"peer", "12D3KooWA"}}) == 20.0);
  BOOST_TEST(doc.value("snapstream_served_peer_bytes_total", {{"peer", "12D3KooWC"}}) == 3.0);
}
