#include <boost/test/unit_test.hpp>

#include "http/detail/event_stream.hpp"

using namespace snapstream;
using namespace snapstream::http::detail;

BOOST_AUTO_TEST_CASE(an_event_is_id_event_data_and_a_blank_line) {
  std::string out;
  append_event(out, {7, "HeadVerified", R"({"height":5})"});
  BOOST_TEST(out == "id: 7\nevent: HeadVerified\ndata: {\"height\":5}\n\n");
}

BOOST_AUTO_TEST_CASE(payload_lines_become_data_lines_for_every_line_ending) {
  std::string out;
  append_event(out, {1, "T", "a\nb\r\nc\rd"});
  BOOST_TEST(out == "id: 1\nevent: T\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  out.clear();
  append_event(out, {2, "T", ""});
  BOOST_TEST(out == "id: 2\nevent: T\ndata: \n\n");
}

BOOST_AUTO_TEST_CASE(a_type_cannot_inject_fields) {
  std::string out;
  append_event(out, {3, "T\ndata: forged\n", "{}"});
  BOOST_TEST(out == "id: 3\nevent: T data: forged \ndata: {}\n\n");
}

BOOST_AUTO_TEST_CASE(heartbeats_are_comments) {
  std::string out;
  append_heartbeat(out);
  BOOST_TEST(out == ": heartbeat\n\n");
}

BOOST_AUTO_TEST_CASE(last_event_id_is_decimal_or_empty) {
  BOOST_TEST(*parse_last_event_id("") == 0u);
  BOOST_TEST(*parse_last_event_id("42") == 42u);
  for (std::string_view bad : {"-1", "4 2", "x", "99999999999999999999"}) {
    auto r = parse_last_event_id(bad);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message() == "invalid Last-Event-ID: " + std::string(bad));
  }
}
