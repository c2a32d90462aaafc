#include "http/detail/router.hpp"

#include "actors/control.hpp"
#include "http/detail/control_json.hpp"
#include "http/http_errc.hpp"

#include <boost/url/parse.hpp>

#include <array>
#include <string>

namespace snapstream::http::detail {

namespace {

struct method_route {
  std::string_view method;
  route_kind kind;
};

/// One path of the API with the methods it answers.
struct path_routes {
  std::string_view allow;
  std::array<method_route, 2> methods;
  std::size_t count;
};

constexpr path_routes healthz{"GET", {{{"GET", route_kind::healthz}}}, 1};
constexpr path_routes metrics{"GET", {{{"GET", route_kind::metrics}}}, 1};
constexpr path_routes events{"GET", {{{"GET", route_kind::events}}}, 1};
constexpr path_routes snapshots{"POST", {{{"POST", route_kind::create_snapshot}}}, 1};
constexpr path_routes peers{"GET", {{{"GET", route_kind::peers}}}, 1};
constexpr path_routes sessions{
    "GET, POST", {{{"GET", route_kind::list_sessions}, {"POST", route_kind::start_session}}}, 2};
constexpr path_routes session{
    "GET, DELETE", {{{"GET", route_kind::get_session}, {"DELETE", route_kind::cancel_session}}}, 2};
constexpr path_routes breaker{"GET", {{{"GET", route_kind::breakers}}}, 1};
constexpr path_routes breaker_reset{"POST", {{{"POST", route_kind::reset_breakers}}}, 1};
constexpr path_routes node{"GET", {{{"GET", route_kind::node}}}, 1};
constexpr path_routes dashboard{"GET", {{{"GET", route_kind::dashboard}}}, 1};

route_resolution not_found(std::string_view method, std::string_view target) {
  route_resolution r;
  std::string message = "no route for ";
  message += clip(method, 16);
  message += ' ';
  message += clip(target, 128);
  r.failure = error{http_errc::route_not_found, std::move(message)};
  return r;
}

route_resolution pick(const path_routes& routes, std::string_view method, std::string_view path) {
  route_resolution r;
  r.allow = routes.allow;
  for (std::size_t i = 0; i < routes.count; ++i) {
    if (routes.methods[i].method == method) {
      r.kind = routes.methods[i].kind;
      return r;
    }
  }
  std::string message = "method ";
  message += clip(method, 16);
  message += " is not allowed on ";
  message += path;
  message += " (allowed: ";
  message += routes.allow;
  message += ')';
  r.failure = error{http_errc::method_not_allowed, std::move(message)};
  return r;
}

} // namespace

route_resolution resolve_route(std::string_view method, std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return not_found(method, target);

  // Decoded segments; at most five are meaningful, so stop counting after six.
  std::array<std::string, 6> seg;
  std::size_t n = 0;
  for (auto s : url->segments()) {
    if (n == seg.size()) {
      ++n;
      break;
    }
    seg[n++] = std::string(s);
  }

  route_resolution r;
  const bool page = n == 0 || (n == 1 && seg[0] == "ui") || (n == 2 && seg[0] == "ui" && seg[1].empty());
  if (page || (n == 2 && seg[0] == "ui")) {
    r = pick(dashboard, method, page ? "/" : "/ui/{file}");
    r.asset = page ? "index.html" : seg[1];
    r.needs_auth = false;
  } else if (n == 1 && seg[0] == "node") {
    r = pick(node, method, "/node");
  } else if (n == 1 && seg[0] == "healthz") {
    r = pick(healthz, method, "/healthz");
    r.needs_auth = false;
  } else if (n == 1 && seg[0] == "metrics") {
    r = pick(metrics, method, "/metrics");
  } else if (n == 1 && seg[0] == "events") {
    r = pick(events, method, "/events");
  } else if (n == 1 && seg[0] == "snapshots") {
    r = pick(snapshots, method, "/snapshots");
  } else if (n == 2 && seg[0] == "p2p" && seg[1] == "peers") {
    r = pick(peers, method, "/p2p/peers");
  } else if (n >= 2 && seg[0] == "p2p" && seg[1] == "snapshots") {
    if (n == 2) {
      r = pick(sessions, method, "/p2p/snapshots");
    } else if (n == 3 && seg[2] == "breaker") {
      r = pick(breaker, method, "/p2p/snapshots/breaker");
    } else if (n == 4 && seg[2] == "breaker" && seg[3] == "reset") {
      r = pick(breaker_reset, method, "/p2p/snapshots/breaker/reset");
    } else if (n == 3 && !seg[2].empty()) {
      r = pick(session, method, "/p2p/snapshots/{id}");
      if (r.kind) {
        auto id = parse_session_id(seg[2]);
        if (!id) {
          r.kind.reset();
          r.failure = id.error();
        } else {
          r.session = *id;
        }
      }
    } else {
      r = not_found(method, target);
    }
  } else {
    r = not_found(method, target);
  }
  return r;
}

} // namespace snapstream::http::detail
