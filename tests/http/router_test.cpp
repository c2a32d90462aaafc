#include <boost/test/unit_test.hpp>

#include "actors/control.hpp"
#include "http/detail/router.hpp"
#include "http/http_errc.hpp"

using namespace snapstream;
using namespace snapstream::http;
using namespace snapstream::http::detail;

BOOST_AUTO_TEST_CASE(every_route_resolves_with_its_method) {
  const std::vector<std::tuple<std::string_view, std::string_view, route_kind>> routes{
      {"GET", "/healthz", route_kind::healthz},
      {"GET", "/metrics", route_kind::metrics},
      {"GET", "/events", route_kind::events},
      {"POST", "/snapshots", route_kind::create_snapshot},
      {"GET", "/p2p/peers", route_kind::peers},
      {"GET", "/p2p/snapshots", route_kind::list_sessions},
      {"POST", "/p2p/snapshots", route_kind::start_session},
      {"GET", "/p2p/snapshots/12", route_kind::get_session},
      {"DELETE", "/p2p/snapshots/12", route_kind::cancel_session},
      {"GET", "/p2p/snapshots/breaker", route_kind::breakers},
      {"POST", "/p2p/snapshots/breaker/reset", route_kind::reset_breakers},
      {"GET", "/node", route_kind::node},
      {"GET", "/", route_kind::dashboard},
      {"GET", "/ui/app.js", route_kind::dashboard},
  };
  for (const auto& [method, target, kind] : routes) {
    BOOST_TEST_CONTEXT(method << " " << target) {
      auto r = resolve_route(method, target);
      BOOST_REQUIRE(r.kind.has_value());
      BOOST_TEST((*r.kind == kind));
      BOOST_TEST(!r.failure.has_value());
      BOOST_TEST(r.needs_auth == (target != "/healthz" && kind != route_kind::dashboard));
    }
  }
  BOOST_TEST(resolve_route("GET", "/p2p/snapshots/12").session == 12u);
}

BOOST_AUTO_TEST_CASE(queries_are_ignored_and_segments_decoded) {
  auto r = resolve_route("GET", "/p2p/snapshots/%31%32?verbose=1");
  BOOST_REQUIRE(r.kind.has_value());
  BOOST_TEST(r.session == 12u);
  BOOST_TEST(resolve_route("GET", "/events?x=y").kind.has_value());
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_route_not_found) {
  for (std::string_view target : {"/p2p", "/p2p/snapshots/", "/p2p/snapshots/1/x", "/healthz/", "//healthz",
                                  "*", "http://host/healthz", "/p2p/snapshots/breaker/reset/now"}) {
    BOOST_TEST_CONTEXT(target) {
      auto r = resolve_route("GET", target);
      BOOST_TEST(!r.kind.has_value());
      BOOST_REQUIRE(r.failure.has_value());
      BOOST_TEST(r.failure->is(http_errc::route_not_found));
      BOOST_TEST(r.needs_auth);
    }
  }
}

BOOST_AUTO_TEST_CASE(known_paths_with_other_methods_are_method_not_allowed) {
  auto r = resolve_route("PATCH", "/p2p/snapshots/3");
  BOOST_REQUIRE(r.failure.has_value());
  BOOST_TEST(r.failure->is(http_errc::method_not_allowed));
  BOOST_TEST(r.failure->message() == "method PATCH is not allowed on /p2p/snapshots/{id} (allowed: GET, DELETE)");
  BOOST_TEST(r.allow == "GET, DELETE");
  BOOST_TEST(resolve_route("get", "/healthz").allow == "GET"); // methods are case-sensitive (RFC 9110 9.1)
  BOOST_TEST(resolve_route("get", "/healthz").failure->is(http_errc::method_not_allowed));
}

BOOST_AUTO_TEST_CASE(a_path_id_that_is_not_a_session_id_is_invalid_argument) {
  auto r = resolve_route("GET", "/p2p/snapshots/abc");
  BOOST_TEST(!r.kind.has_value());
  BOOST_REQUIRE(r.failure.has_value());
  BOOST_TEST(r.failure->is(actors::control_errc::invalid_argument));
  BOOST_TEST(r.failure->message() == "invalid snapshot session id: abc");
}

BOOST_AUTO_TEST_CASE(the_dashboard_files_need_no_token_and_the_page_has_three_paths) {
  for (std::string_view target : {"/", "/ui", "/ui/", "/?x=1"}) {
    BOOST_TEST_CONTEXT(target) {
      auto r = resolve_route("GET", target);
      BOOST_REQUIRE(r.kind.has_value());
      BOOST_TEST((*r.kind == route_kind::dashboard));
      BOOST_TEST(r.asset == "index.html");
      BOOST_TEST(!r.needs_auth);
    }
  }
  auto file = resolve_route("GET", "/ui/uplot.min.css");
  BOOST_TEST(file.asset == "uplot.min.css");
  BOOST_TEST(!file.needs_auth);
  auto post = resolve_route("POST", "/");
  BOOST_TEST(!post.kind.has_value());
  BOOST_TEST(post.allow == "GET");
  BOOST_TEST(resolve_route("GET", "/node").needs_auth);
  BOOST_TEST(resolve_route("GET", "/ui/a/b").failure.has_value()); // no subfolders
}
