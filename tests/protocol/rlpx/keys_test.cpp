#define BOOST_TEST_MODULE rlpx_keys
#include <boost/test/unit_test.hpp>

#include "protocol/rlpx/keccak.hpp"
#include "protocol/rlpx/keys.hpp"
#include "test_util.hpp"

using namespace snapstream;
using namespace snapstream::rlpx;
using snapstream::rlpx::test::unhex_array;

// The secret 1 gives the generator G of secp256k1 (SEC 2, section 2.4.1).
BOOST_AUTO_TEST_CASE(public_key_of_secret_one_is_the_curve_generator) {
  secret_key one{};
  one[31] = 1;
  auto id = derive_public_key(one);
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST(to_hex(*id) ==
             "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
             "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
}

BOOST_AUTO_TEST_CASE(ecdh_agrees_on_the_raw_x_coordinate_both_ways) {
  auto a = generate_secret_key();
  auto b = generate_secret_key();
  BOOST_REQUIRE(a.has_value() && b.has_value());
  auto ab = ecdh_x(*a, *derive_public_key(*b));
  auto ba = ecdh_x(*b, *derive_public_key(*a));
  BOOST_REQUIRE(ab.has_value() && ba.has_value());
  BOOST_TEST((*ab == *ba));
  // With the secret 1, ECDH returns the other point's own X coordinate.
  secret_key one{};
  one[31] = 1;
  const auto pb = *derive_public_key(*b);
  auto x = ecdh_x(one, pb);
  BOOST_REQUIRE(x.has_value());
  BOOST_TEST(std::equal(x->begin(), x->end(), pb.begin()));
}

BOOST_AUTO_TEST_CASE(recoverable_signatures_recover_the_signer) {
  auto key = generate_secret_key();
  BOOST_REQUIRE(key.has_value());
  const hash256 digest = keccak256(as_bytes("message"));
  auto sig = sign_recoverable(*key, digest);
  BOOST_REQUIRE(sig.has_value());
  BOOST_TEST((*sig)[64] <= 1);
  auto who = recover_public_key(*sig, digest);
  BOOST_REQUIRE(who.has_value());
  BOOST_TEST((*who == *derive_public_key(*key)));
  // Another digest recovers someone else.
  auto other = recover_public_key(*sig, keccak256(as_bytes("other")));
  BOOST_TEST((!other.has_value() || *other != *derive_public_key(*key)));
  auto bad = *sig;
  bad[64] = 7;
  BOOST_TEST(recover_public_key(bad, digest).error().message() == "recovery id 7 above 3");
}

BOOST_AUTO_TEST_CASE(invalid_keys_are_rejected) {
  const secret_key zero{};
  BOOST_TEST(derive_public_key(zero).error().is(rlpx_errc::invalid_key));
  BOOST_TEST(!validate_secret_key(zero).has_value());
  public_key off_curve{};
  off_curve[63] = 1;
  auto v = validate_public_key(off_curve);
  BOOST_REQUIRE(!v.has_value());
  BOOST_TEST(v.error().message() == "public key is not a point on secp256k1");
  BOOST_TEST(ecdh_x(*generate_secret_key(), off_curve).error().is(rlpx_errc::invalid_key));
}
