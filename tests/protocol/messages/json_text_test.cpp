#define BOOST_TEST_MODULE messages_json_text
#include <boost/test/unit_test.hpp>

#include "protocol/messages/detail/json_text.hpp"

#include <string>

using namespace snapstream::messages::detail;

BOOST_AUTO_TEST_CASE(integer_tokens_are_classified_by_the_json_grammar) {
  struct token_case {
    const char* token;
    number_form form;
    std::uint64_t value;
  };
  const token_case cases[] = {
    {"0", number_form::integer, 0},
    {"7", number_form::integer, 7},
    {"18446744073709551615", number_form::integer, 18446744073709551615ull},
    {"18446744073709551616", number_form::too_large, 0},
    {"99999999999999999999", number_form::too_large, 0},
    {"-1", number_form::negative, 0},
    {"-0.5e3", number_form::negative, 0},
    {"0.0", number_form::fraction, 0},
    {"1.5E3", number_form::fraction, 0},
    {"1e0", number_form::exponent, 0},
    {"1E-2", number_form::exponent, 0},
    {"", number_form::malformed, 0},
    {"00", number_form::malformed, 0},
    {"01", number_form::malformed, 0},
    {"+1", number_form::malformed, 0},
    {"-", number_form::malformed, 0},
    {"1.", number_form::malformed, 0},
    {".5", number_form::malformed, 0},
    {"1e", number_form::malformed, 0},
    {"1e+", number_form::malformed, 0},
    {"0x10", number_form::malformed, 0},
    {"1 ", number_form::malformed, 0},
  };
  for (const auto& c : cases) {
    std::uint64_t value = 12345;
    BOOST_TEST_CONTEXT("token '" << c.token << "'") {
      BOOST_TEST((parse_uint_token(c.token, value) == c.form));
      BOOST_TEST(value == (c.form == number_form::integer ? c.value : 12345u));
    }
  }
}

namespace {
/// The offset as a number, -1 for none (std::optional is not printable).
long long offset_of(std::string_view text) {
  const auto at = first_invalid_utf8(text);
  return at ? static_cast<long long>(*at) : -1;
}
} // namespace

BOOST_AUTO_TEST_CASE(first_invalid_utf8_points_at_the_bad_sequence) {
  BOOST_TEST(offset_of("plain ascii") == -1);
  BOOST_TEST(offset_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf") == -1);
  BOOST_TEST(offset_of("ab\xff") == 2);
  BOOST_TEST(offset_of("a\xe0\x80\x80") == 1); // overlong
  BOOST_TEST(offset_of("\xed\xbf\xbf") == 0);  // surrogate
  BOOST_TEST(offset_of("xy\xf0\x9f\x98") == 2); // truncated
}

BOOST_AUTO_TEST_CASE(escaped_size_matches_what_write_escaped_writes) {
  for (const std::string& text : {std::string("plain"), std::string("q\"b\\"), std::string("\x01\x1f", 2),
                                 std::string("\xff\xfe"), std::string("\xe2\x82"), std::string("\xf0\x9f\x98\x80")}) {
    std::string out(escaped_size(text) + 8, '#');
    char* end = write_escaped(text, out.data());
    BOOST_TEST(static_cast<std::size_t>(end - out.data()) == escaped_size(text));
    BOOST_TEST(out.substr(escaped_size(text)) == "########");
  }
}

BOOST_AUTO_TEST_CASE(quote_shows_untrusted_text_safely_and_briefly) {
  BOOST_TEST(quote("abc") == "'abc'");
  BOOST_TEST(quote(std::string_view("a\0'\\\xff", 5)) == "'a\\x00\\x27\\x5c\\xff'");
  BOOST_TEST(quote(std::string(50, 'x'), 4) == "'xxxx...'");
}
