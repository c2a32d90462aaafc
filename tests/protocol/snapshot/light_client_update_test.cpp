#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/common/endian.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/light_client_update.hpp"
#include "protocol/snapshot/trust.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

byte_buffer unhex(std::string_view s) {
  auto r = from_hex(s);
  BOOST_REQUIRE(r.has_value());
  return *r;
}

light_client_update sample_update() {
  light_client_update u;
  u.height = 7;
  u.block_hash = hash_of("block");
  u.state_root = hash_of("root");
  u.previous_commitment = hash_of("previous");
  return u;
}

} // namespace

BOOST_AUTO_TEST_SUITE(light_client_updates)

BOOST_AUTO_TEST_CASE(authority_keys_sign_as_rfc8032_says) {
  // RFC 8032 section 7.1, TEST 1, TEST 2 and TEST 3 (Ed25519).
  struct vector {
    const char* secret;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const vector vectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe"
     "24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302a"
     "eeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed2"
     "8dc027beceea1ec40a"},
  };
  for (const auto& v : vectors) {
    BOOST_TEST_CONTEXT("secret " << v.secret) {
      auto key = authority_key::from_seed(unhex(v.secret));
      BOOST_REQUIRE(key.has_value());
      BOOST_TEST(to_hex(key->public_key()) == v.public_key);
      BOOST_TEST(to_hex(key->seed()) == v.secret);
      const byte_buffer message = unhex(v.message);
      const ed25519_signature sig = key->sign(message);
      BOOST_TEST(to_hex(sig) == v.signature);
      BOOST_TEST(verify_signature(key->public_key(), message, sig));
      ed25519_signature forged = sig;
      forged[5] ^= 0x20;
      BOOST_TEST(!verify_signature(key->public_key(), message, forged));
    }
  }
}

BOOST_AUTO_TEST_CASE(generated_keys_differ_and_seeds_have_32_bytes) {
  auto a = authority_key::generate();
  auto b = authority_key::generate();
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(a->public_key() != b->public_key());
  auto again = authority_key::from_seed(a->seed());
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->public_key() == a->public_key());
  auto bad = authority_key::from_seed(as_bytes("short"));
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().is(snapshot_errc::invalid_key));
  BOOST_TEST(bad.error().message() == "authority key seed has 5 bytes, expected 32");
}

BOOST_AUTO_TEST_CASE(commitment_hashes_the_domain_and_the_linked_fields) {
  const light_client_update u = sample_update();
  byte_buffer preimage = bytes_of("snapstream/lcu/v1");
  append(preimage, unhex("0000000000000007"));
  append(preimage, u.block_hash);
  append(preimage, u.state_root);
  append(preimage, u.previous_commitment);
  BOOST_TEST(to_hex(commitment(u)) == to_hex(sha256(preimage)));
  // Signatures are not part of the commitment.
  light_client_update signed_u = u;
  key_from(3).sign_update(signed_u);
  BOOST_TEST(commitment(signed_u) == commitment(u));
  BOOST_TEST(verify_signature(key_from(3).public_key(), commitment(u), signed_u.signatures[0].signature));
}

BOOST_AUTO_TEST_CASE(encoding_follows_the_spec_layout_and_round_trips) {
  light_client_update u = sample_update();
  key_from(1).sign_update(u);
  key_from(2).sign_update(u);
  const byte_buffer bytes = encode_update(u);
  BOOST_REQUIRE_EQUAL(bytes.size(), 111u + 2 * 96u);
  BOOST_TEST(to_hex(bytes_view(bytes).first(13)) == "53534c55010000000000000007");
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(13, 32)) == to_hex(u.block_hash));
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(45, 32)) == to_hex(u.state_root));
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(77, 32)) == to_hex(u.previous_commitment));
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(109, 2)) == "0002");
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(111, 32)) == to_hex(key_from(1).public_key()));
  BOOST_TEST(to_hex(bytes_view(bytes).subspan(143, 64)) == to_hex(u.signatures[0].signature));
  auto back = decode_update(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == u));
}

BOOST_AUTO_TEST_CASE(malformed_updates_are_rejected_by_field) {
  light_client_update u = sample_update();
  key_from(1).sign_update(u);
  const byte_buffer good = encode_update(u);
  struct bad_case {
    std::string name;
    std::function<void(byte_buffer&)> mutate;
    snapshot_errc code;
    std::string message;
  };
  const bad_case cases[] = {
    {"short", [](byte_buffer& b) { b.resize(110); }, snapshot_errc::truncated,
     "update: 110 bytes, the header needs 111"},
    {"magic", [](byte_buffer& b) { b[3] = 'X'; }, snapshot_errc::bad_magic, "update: magic is not SSLU"},
    {"version", [](byte_buffer& b) { b[4] = 0; }, snapshot_errc::unsupported_version,
     "update: format version 0 is not 1"},
    {"cut signature", [](byte_buffer& b) { b.pop_back(); }, snapshot_errc::truncated,
     "update: signature_count 1 needs 96 bytes, 95 remain"},
    {"count too high", [](byte_buffer& b) { store_be16(b.data() + 109, 2); }, snapshot_errc::truncated,
     "update: signature_count 2 needs 192 bytes, 96 remain"},
    {"trailing", [](byte_buffer& b) { b.push_back(1); }, snapshot_errc::trailing_bytes,
     "update: 1 bytes after signature 1"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      byte_buffer bytes = good;
      c.mutate(bytes);
      auto r = decode_update(bytes);
      BOOST_REQUIRE(!r);
      BOOST_TEST(r.error().is(c.code));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(trust_configs_need_distinct_keys_and_a_reachable_threshold) {
  const auto a = key_from(1).public_key();
  const auto b = key_from(2).public_key();
  BOOST_TEST(check_trust(trust_config{{a, b}, 2}).has_value());
  BOOST_TEST(check_trust(trust_config{{}, 1}).error().message() == "trust: the authority set is empty");
  BOOST_TEST(check_trust(trust_config{{a, b}, 3}).error().message() == "trust: threshold 3 is outside 1..2");
  BOOST_TEST(check_trust(trust_config{{a, b}, 0}).error().is(snapshot_errc::invalid_trust));
  BOOST_TEST(check_trust(trust_config{{a, a}, 1}).error().message() ==
             "trust: authority 1 " + to_hex(a) + " is listed twice");
}

BOOST_AUTO_TEST_SUITE_END()
