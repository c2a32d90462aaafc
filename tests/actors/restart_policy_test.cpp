#include <boost/test/unit_test.hpp>

#include "actors/restart_policy.hpp"

using namespace snapstream::actors;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(transient_failures_back_off_exponentially_with_jitter_up_to_the_cap) {
  restart_policy p({.max_retries = 8, .base_delay = 100ms, .max_delay = 3s});
  std::mt19937_64 rng(7);
  for (std::uint32_t attempt = 0; attempt < 8; ++attempt) {
    const auto ceiling = std::min<std::int64_t>(3000, 100LL << attempt);
    for (int sample = 0; sample < 50; ++sample) {
      auto d = p.next_delay(failure_class::network, attempt, rng);
      BOOST_REQUIRE(d.has_value());
      BOOST_TEST(d->count() >= ceiling / 2);
      BOOST_TEST(d->count() <= ceiling);
    }
  }
}

BOOST_AUTO_TEST_CASE(retries_stop_after_the_configured_count) {
  restart_policy p({.max_retries = 2, .base_delay = 10ms, .max_delay = 1s});
  std::mt19937_64 rng(1);
  BOOST_TEST(p.next_delay(failure_class::saturated, 1, rng).has_value());
  BOOST_TEST(!p.next_delay(failure_class::saturated, 2, rng).has_value());
}

BOOST_AUTO_TEST_CASE(a_peer_that_lied_is_never_retried) {
  restart_policy p;
  std::mt19937_64 rng(1);
  BOOST_TEST(!p.next_delay(failure_class::checksum, 0, rng).has_value());
  BOOST_TEST(!p.next_delay(failure_class::authentication, 0, rng).has_value());
  BOOST_TEST(!p.next_delay(failure_class::resume_mismatch, 0, rng).has_value());
  BOOST_TEST(p.next_delay(failure_class::network, 0, rng).has_value());
  BOOST_TEST(p.next_delay(failure_class::remote, 0, rng).has_value());
}

BOOST_AUTO_TEST_CASE(error_code_names_match_the_status_vocabulary) {
  BOOST_TEST(std::string(error_code_name(failure_class::network)) == "network");
  BOOST_TEST(std::string(error_code_name(failure_class::checksum)) == "checksum");
  BOOST_TEST(std::string(error_code_name(failure_class::authentication)) == "authentication");
  BOOST_TEST(std::string(error_code_name(failure_class::resume_mismatch)) == "resume_mismatch");
  BOOST_TEST(std::string(error_code_name(failure_class::saturated)) == "saturated");
}
