#define BOOST_TEST_MODULE libp2p_multiaddr
#include <boost/test/unit_test.hpp>

#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/multiaddr.hpp"

using namespace snapstream;
using namespace snapstream::libp2p;

namespace {
constexpr std::string_view pid = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

void expect_invalid(std::string_view text, std::string_view mentions) {
  auto r = multiaddr::parse(text);
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "accepted " << text);
  BOOST_TEST(r.error().is(libp2p_errc::invalid_multiaddr));
  BOOST_TEST_MESSAGE(r.error().message());
  BOOST_TEST(r.error().message().find(mentions) != std::string::npos, r.error().message());
}
} // namespace

BOOST_AUTO_TEST_CASE(parses_each_supported_form) {
  auto a = multiaddr::parse("/ip4/127.0.0.1/tcp/4001");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST((a->kind == multiaddr::host_kind::ip4));
  BOOST_TEST(a->host == "127.0.0.1");
  BOOST_TEST(a->port == 4001);
  BOOST_TEST(!a->peer.has_value());

  auto b = multiaddr::parse("/ip6/0:0:0:0:0:0:0:1/tcp/80/p2p/" + std::string(pid));
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST((b->kind == multiaddr::host_kind::ip6));
  BOOST_TEST(b->host == "::1"); // canonical form
  BOOST_REQUIRE(b->peer.has_value());
  BOOST_TEST(b->peer->to_string() == pid);
  BOOST_TEST(b->to_string() == "/ip6/::1/tcp/80/p2p/" + std::string(pid));

  auto c = multiaddr::parse("/dns4/node-1.example.org/tcp/65535");
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST((c->kind == multiaddr::host_kind::dns4));
  BOOST_TEST(c->host == "node-1.example.org");
  BOOST_TEST(c->port == 65535);

  auto d = multiaddr::parse("/dns6/localhost/tcp/0");
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST((d->kind == multiaddr::host_kind::dns6));
  BOOST_TEST(d->port == 0);
}

BOOST_AUTO_TEST_CASE(formats_back_to_the_same_text) {
  for (std::string text : {std::string("/ip4/10.1.2.3/tcp/1"), std::string("/dns4/a.b/tcp/9/p2p/") + std::string(pid),
                           std::string("/ip6/fe80::1/tcp/443")}) {
    auto a = multiaddr::parse(text);
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST(a->to_string() == text);
    BOOST_TEST((*multiaddr::parse(a->to_string()) == *a));
  }
  auto p = multiaddr::parse("/ip4/1.2.3.4/tcp/5/p2p/" + std::string(pid));
  BOOST_TEST(p->without_peer().to_string() == "/ip4/1.2.3.4/tcp/5");
}

BOOST_AUTO_TEST_CASE(refuses_everything_else_with_a_reason) {
  expect_invalid("", "must start with '/'");
  expect_invalid("ip4/1.2.3.4/tcp/1", "must start with '/'");
  expect_invalid("/ip4/1.2.3.4/udp/1", "unsupported transport \"udp\"");
  expect_invalid("/ip4/1.2.3.4/tcp/1/quic", "unsupported part \"quic\"");
  expect_invalid("/ip4/1.2.3.4", "expected /<ip4|ip6|dns4|dns6>");
  expect_invalid("/ip4/256.1.1.1/tcp/1", "invalid IPv4 address");
  expect_invalid("/ip6/1.2.3.4/tcp/1", "invalid IPv6 address");
  expect_invalid("/dns4/bad_name!/tcp/1", "invalid DNS name");
  expect_invalid("/unix/tmp/tcp/1", "unsupported protocol \"unix\"");
  expect_invalid("/ip4/1.2.3.4/tcp/65536", "invalid TCP port");
  expect_invalid("/ip4/1.2.3.4/tcp/-1", "invalid TCP port");
  expect_invalid("/ip4/1.2.3.4/tcp/01", "invalid TCP port");
  expect_invalid("/ip4/1.2.3.4//tcp/1", "empty part");
  expect_invalid("/ip4/1.2.3.4/tcp/1/p2p", "exactly one peer id");
  expect_invalid("/ip4/1.2.3.4/tcp/1/p2p/notapeerid0", "invalid base58");
}
