#define BOOST_TEST_MODULE messages_refusal
#include <boost/test/unit_test.hpp>

#include "protocol/messages/messages.hpp"
#include "protocol/messages/refusal.hpp"
#include "protocol/messages/utf8.hpp"

#include <string>

using namespace snapstream;
using namespace snapstream::messages;

BOOST_AUTO_TEST_CASE(refusal_codes_have_their_wire_names) {
  const std::pair<refusal_code, std::string_view> names[] = {
    {refusal_code::not_found, "not_found"},
    {refusal_code::not_available, "not_available"},
    {refusal_code::backpressure, "backpressure"},
    {refusal_code::saturated, "saturated"},
    {refusal_code::breaker_open, "breaker_open"},
    {refusal_code::resume_rejected, "resume_rejected"},
    {refusal_code::invalid_request, "invalid_request"},
    {refusal_code::unavailable, "unavailable"},
  };
  BOOST_TEST(std::size(names) == refusal_code_count);
  for (const auto& [code, name] : names) {
    BOOST_TEST(to_string(code) == name);
    BOOST_TEST((refusal_code_from_string(name) == std::optional(code)));
  }
  BOOST_TEST(!refusal_code_from_string("Saturated").has_value());
  BOOST_TEST(!refusal_code_from_string("not found").has_value());
  BOOST_TEST(!refusal_code_from_string("").has_value());
  BOOST_TEST(to_string(static_cast<refusal_code>(refusal_code_count)) == "unknown");
}

BOOST_AUTO_TEST_CASE(a_code_wins_over_the_message_text) {
  BOOST_TEST((classify_refusal(error_message{"snapshot provider saturated: 8 active sessions (limit 8)",
                                             refusal_code::not_available}) == refusal_code::not_available));
  BOOST_TEST((classify_refusal(error_message{"", refusal_code::breaker_open}) == refusal_code::breaker_open));
  for (std::size_t i = 0; i < refusal_code_count; ++i) {
    const auto code = static_cast<refusal_code>(i);
    BOOST_TEST((classify_refusal(error_message{"anything", code}) == code));
  }
}

BOOST_AUTO_TEST_CASE(texts_of_1_0_0_and_1_1_0_providers_are_classified) {
  // The texts snapstream's provider (actors/served_sessions.cpp,
  // actors/provider_actor.cpp) and rpp send without a code.
  const std::pair<std::string_view, refusal_code> texts[] = {
    {"snapshot provider saturated: 8 active sessions (limit 8); please retry later with backoff",
     refusal_code::saturated},
    {"snapshot provider refuses peer 12D3KooWLxsaZ9 after repeated failed requests; retry after 30 s",
     refusal_code::breaker_open},
    {"backpressure: session 7 already has a request in flight", refusal_code::backpressure},
    {"snapshot provider storage unavailable: request timed out", refusal_code::unavailable},
    {"snapshot not found", refusal_code::not_found},
    {"snapshot session 7 not found", refusal_code::not_found},
    {"no snapshot available to serve", refusal_code::not_found},
    {"resume plan id ab does not match persisted plan cd", refusal_code::resume_rejected},
    {"resume chunk size 4096 does not match session chunk size 8192", refusal_code::resume_rejected},
    {"resume chunk index 9 exceeds total 4", refusal_code::resume_rejected},
    {"resume update index 3 exceeds total 1", refusal_code::resume_rejected},
    {"resume chunk index 1 precedes next expected chunk 2", refusal_code::resume_rejected},
    {"resume chunk index 3 skips ahead of next expected chunk 2", refusal_code::resume_rejected},
    {"resume update index 0 precedes next expected update 1", refusal_code::resume_rejected},
    {"resume update index 2 skips ahead of next expected update 1", refusal_code::resume_rejected},
    {"chunk index 9 is out of range: the session has 4 chunks", refusal_code::invalid_request},
    {"update index 2 is out of range: the session has 1 updates", refusal_code::invalid_request},
    {"ack chunk index 9 exceeds total 4", refusal_code::invalid_request},
    {"chunk_size must be greater than zero", refusal_code::invalid_request},
    {"offers is not supported by this provider yet", refusal_code::invalid_request},
    {"snapshot 9f86 is no longer served", refusal_code::not_found},
    {"snapshot 9f86 is not served here", refusal_code::not_found},
    {"chunk 3 of snapshot 9f86 is not available here yet", refusal_code::not_available},
    {"", refusal_code::invalid_request},
    // Precedence: a breaker text that mentions saturation is still the breaker's.
    {"snapshot provider refuses peer p (saturated)", refusal_code::breaker_open},
    // Only a message that starts with "resume " is a resume refusal.
    {"cannot resume", refusal_code::invalid_request},
    {"snapshot not found!", refusal_code::invalid_request},
  };
  for (const auto& [text, code] : texts) {
    BOOST_TEST_CONTEXT("message " << text) {
      BOOST_TEST(to_string(classify_refusal(error_message{std::string(text)})) == to_string(code));
    }
  }
}

BOOST_AUTO_TEST_CASE(peer_text_is_made_valid_utf8_and_valid_text_is_kept) {
  using snapstream::messages::valid_utf8;
  BOOST_TEST(valid_utf8("plain \"quoted\" \\ text\n") == "plain \"quoted\" \\ text\n");
  BOOST_TEST(valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  BOOST_TEST(valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  BOOST_TEST(valid_utf8("\xC3") == "\xEF\xBF\xBD");             // truncated sequence
  BOOST_TEST(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
  BOOST_TEST(valid_utf8("") == "");
}
