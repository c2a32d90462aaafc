#define BOOST_TEST_MODULE rlpx_enode
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/rlpx/enode.hpp"

using namespace snapstream;
using namespace snapstream::rlpx;

namespace {
// A mainnet bootnode from go-ethereum params/bootnodes.go.
const std::string id =
  "d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9baa4101932a1f5011f16bb2b1bb35db20d6fe28fa0bf09636d26a87d31de9ec"
  "6203eeedb1f666";
} // namespace

BOOST_AUTO_TEST_CASE(parses_ipv4_ipv6_and_dns_hosts) {
  auto e = parse_enode("enode://" + id + "@18.138.108.67:30303");
  BOOST_REQUIRE_MESSAGE(e.has_value(), (e ? "" : e.error().message()));
  BOOST_TEST(to_hex(e->id) == id);
  BOOST_TEST(e->host == "18.138.108.67");
  BOOST_TEST(e->port == 30303);
  BOOST_TEST(format_enode(*e) == "enode://" + id + "@18.138.108.67:30303");

  auto v6 = parse_enode("enode://" + id + "@[::1]:30304?discport=30305");
  BOOST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->port == 30304);
  BOOST_TEST(format_enode(*v6) == "enode://" + id + "@[::1]:30304");

  auto dns = parse_enode("enode://" + id + "@localhost:1");
  BOOST_REQUIRE(dns.has_value());
  BOOST_TEST(dns->host == "localhost");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_urls_naming_the_part) {
  struct bad_case { std::string url; const char* message; };
  const bad_case cases[] = {
    {"enr://" + id + "@1.2.3.4:1", "enode URL: must start with enode://"},
    {"enode://" + id, "enode URL: missing '@' after the node id"},
    {"enode://abcd@1.2.3.4:1", "enode URL: node id must be 128 hex digits, found 4"},
    {"enode://" + std::string(128, 'z') + "@1.2.3.4:1", "enode URL: node id is not hex"},
    {"enode://" + std::string(128, '0') + "@1.2.3.4:1", "enode URL: node id is not a secp256k1 public key"},
    {"enode://" + id + "@1.2.3.4", "enode URL: missing ':port'"},
    {"enode://" + id + "@1.2.3.4:0", "enode URL: port '0' is not a port number"},
    {"enode://" + id + "@1.2.3.4:70000", "enode URL: port '70000' is not a port number"},
    {"enode://" + id + "@::1:30303", "enode URL: IPv6 host must be bracketed"},
    {"enode://" + id + "@:30303", "enode URL: missing host"},
    {"enode://" + id + "@1.2.3.4:1?x=1", "enode URL: unknown query 'x=1'"},
  };
  for (const auto& c : cases) {
    auto e = parse_enode(c.url);
    BOOST_REQUIRE_MESSAGE(!e.has_value(), c.url);
    BOOST_TEST(e.error().is(rlpx_errc::invalid_enode));
    BOOST_TEST(e.error().message() == c.message);
  }
}

BOOST_AUTO_TEST_CASE(only_an_ipv6_address_is_taken_in_brackets) {
  // Found by fuzz_rlp: "[[]" was taken as the host "[", which format_enode
  // then wrote as a URL parse_enode refuses.
  for (const std::string host : {"[[]", "[]]", "[abc]", "[host.example]", "a[b", "a]b"}) {
    const auto e = parse_enode("enode://" + id + "@" + host + ":30303");
    BOOST_TEST_INFO(host);
    BOOST_REQUIRE(!e.has_value());
    BOOST_TEST(e.error().message().find("IPv6 host must be") != std::string::npos);
  }
  const auto v6 = parse_enode("enode://" + id + "@[::ffff:10.0.0.1]:30303");
  BOOST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::ffff:10.0.0.1");
  BOOST_TEST((parse_enode(format_enode(*v6)).value() == *v6));
}
