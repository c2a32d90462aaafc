#define BOOST_TEST_MODULE libp2p_peer_id
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/libp2p/detail/base58.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/libp2p/public_key.hpp"

using namespace snapstream;
using namespace snapstream::libp2p;

// libp2p specs, peer-ids/peer-ids.md, "Test vectors" (Ed25519 public key).
constexpr std::string_view spec_key_pb = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr std::string_view spec_peer_id = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

BOOST_AUTO_TEST_CASE(spec_vector_key_gives_spec_peer_id) {
  auto pb = from_hex(spec_key_pb);
  BOOST_REQUIRE(pb.has_value());
  auto key = decode_public_key(*pb);
  BOOST_REQUIRE(key.has_value());
  BOOST_TEST(to_hex(encode_public_key(*key)) == spec_key_pb);
  const peer_id id = peer_id::from_public_key(*key);
  BOOST_TEST(id.to_string() == spec_peer_id);
  BOOST_TEST(to_hex(id.multihash()) == "0024" + std::string(spec_key_pb));
}

BOOST_AUTO_TEST_CASE(spec_peer_id_parses_back_to_its_key) {
  auto id = peer_id::parse(spec_peer_id);
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST(id->to_string() == spec_peer_id);
  auto key = id->public_key();
  BOOST_REQUIRE(key.has_value());
  BOOST_TEST(to_hex(encode_public_key(*key)) == spec_key_pb);
  BOOST_TEST(id->matches(*key));
}

// Bitcoin's base58 vectors (bitcoin/src/test/data/base58_encode_decode.json).
BOOST_AUTO_TEST_CASE(base58_matches_bitcoin_vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
      {"572e4794", "3EFU7m"},
      {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
      {"10c8511e", "Rt5zm"},
      {"00000000000000000000", "1111111111"},
  };
  for (const auto& [hex, text] : vectors) {
    auto bytes = from_hex(hex);
    BOOST_REQUIRE(bytes.has_value());
    BOOST_TEST(libp2p::detail::base58_encode(*bytes) == text);
    auto back = libp2p::detail::base58_decode(text);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(to_hex(*back) == hex);
  }
}

BOOST_AUTO_TEST_CASE(rejects_text_outside_the_alphabet) {
  auto r = peer_id::parse("12D3KooW0tg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"); // '0' is not base58
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::invalid_peer_id));
  BOOST_TEST(r.error().message().find("offset 8") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_truncated_and_wrong_multihashes) {
  // One character short: the multihash length no longer matches.
  auto r = peer_id::parse(spec_peer_id.substr(0, spec_peer_id.size() - 1));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::invalid_peer_id));

  const byte_buffer unknown_code{0x13, 0x02, 0xaa, 0xbb};
  auto c = peer_id::from_multihash(unknown_code);
  BOOST_REQUIRE(!c.has_value());
  BOOST_TEST(c.error().is(libp2p_errc::invalid_peer_id));

  BOOST_TEST(!peer_id::parse("").has_value());
  BOOST_TEST(!peer_id::parse(std::string(200, 'a')).has_value());
}

BOOST_AUTO_TEST_CASE(one_key_has_one_identity_peer_id) {
  // The spec key's protobuf with its two fields swapped, and with an unknown
  // field appended: both decode to the spec key, neither is its encoding, so
  // neither may become a second id for the same peer (found by fuzz_libp2p_codecs).
  const byte_buffer key_pb = *from_hex(spec_key_pb);
  byte_buffer swapped(key_pb.begin() + 2, key_pb.end());
  swapped.push_back(0x08);
  swapped.push_back(0x01);
  byte_buffer extra = key_pb;
  extra.push_back(0x18);
  extra.push_back(0x00);
  for (const byte_buffer& pb : {swapped, extra}) {
    BOOST_REQUIRE(decode_public_key(pb).has_value());
    byte_buffer mh{0x00, static_cast<std::uint8_t>(pb.size())};
    mh.insert(mh.end(), pb.begin(), pb.end());
    auto r = peer_id::from_multihash(mh);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().is(libp2p_errc::invalid_peer_id));
    BOOST_TEST(r.error().message().find("canonical") != std::string::npos);
    BOOST_TEST(!peer_id::parse(libp2p::detail::base58_encode(mh)).has_value());
  }
}

BOOST_AUTO_TEST_CASE(accepts_sha256_peer_ids) {
  byte_buffer mh{0x12, 0x20};
  mh.resize(34, 0x11);
  auto id = peer_id::from_multihash(mh);
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST(id->to_string().substr(0, 2) == "Qm");
  BOOST_TEST(!id->public_key().has_value());
  auto again = peer_id::parse(id->to_string());
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST((*again == *id));
}

BOOST_AUTO_TEST_CASE(refuses_non_ed25519_keys) {
  // secp256k1 (type 2) key protobuf.
  byte_buffer pb{0x08, 0x02, 0x12, 0x21};
  pb.resize(4 + 33, 0x02);
  auto key = decode_public_key(pb);
  BOOST_REQUIRE(!key.has_value());
  BOOST_TEST(key.error().is(libp2p_errc::unsupported_key_type));

  const byte_buffer short_key{0x08, 0x01, 0x12, 0x02, 0x01, 0x02};
  auto s = decode_public_key(short_key);
  BOOST_REQUIRE(!s.has_value());
  BOOST_TEST(s.error().is(libp2p_errc::invalid_key));
  const byte_buffer truncated{0x08, 0x01, 0x12, 0x20, 0x01};
  BOOST_TEST(decode_public_key(truncated).error().is(libp2p_errc::invalid_key));
}
