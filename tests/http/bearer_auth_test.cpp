#include <boost/test/unit_test.hpp>

#include "http/detail/bearer_auth.hpp"

using namespace snapstream::http::detail;

BOOST_AUTO_TEST_CASE(without_a_token_everything_is_accepted) {
  BOOST_TEST((bearer_auth(std::nullopt).check("") == auth_outcome::accepted));
  BOOST_TEST((bearer_auth(std::string()).check("") == auth_outcome::accepted));
  BOOST_TEST(!bearer_auth(std::string()).enabled());
}

BOOST_AUTO_TEST_CASE(only_the_exact_token_under_the_bearer_scheme_is_accepted) {
  bearer_auth auth(std::string("tok"));
  BOOST_TEST(auth.enabled());
  BOOST_TEST((auth.check("Bearer tok") == auth_outcome::accepted));
  BOOST_TEST((auth.check("bEaReR tok") == auth_outcome::accepted));
  BOOST_TEST((auth.check("  Bearer \t tok  ") == auth_outcome::accepted));
  BOOST_TEST((auth.check("Bearer tok2") == auth_outcome::wrong_token));
  BOOST_TEST((auth.check("Bearer to") == auth_outcome::wrong_token));
  BOOST_TEST((auth.check("Bearer TOK") == auth_outcome::wrong_token));
  BOOST_TEST((auth.check("Bearer") == auth_outcome::missing));
  BOOST_TEST((auth.check("Bearer ") == auth_outcome::missing));
  BOOST_TEST((auth.check("") == auth_outcome::missing));
  BOOST_TEST((auth.check("Basic dG9r") == auth_outcome::missing));
  BOOST_TEST((auth.check("Bearertok") == auth_outcome::missing));
}
