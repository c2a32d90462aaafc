#define BOOST_TEST_MODULE common
#include <boost/test/unit_test.hpp>

#include "protocol/common/base64.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/sha256.hpp"

#include <string>

using namespace snapstream;

namespace {
std::string b64(std::string_view s) { return base64_encode(as_bytes(s)); }
std::string unb64(std::string_view s) {
  auto r = base64_decode(s);
  BOOST_REQUIRE_MESSAGE(r.has_value(), "decode failed: " << (r ? "" : r.error().message()));
  return std::string(as_chars(*r));
}
} // namespace

BOOST_AUTO_TEST_CASE(base64_matches_rfc4648_vectors) {
  // RFC 4648 section 10.
  BOOST_TEST(b64("") == "");
  BOOST_TEST(b64("f") == "Zg==");
  BOOST_TEST(b64("fo") == "Zm8=");
  BOOST_TEST(b64("foo") == "Zm9v");
  BOOST_TEST(b64("foob") == "Zm9vYg==");
  BOOST_TEST(b64("fooba") == "Zm9vYmE=");
  BOOST_TEST(b64("foobar") == "Zm9vYmFy");
  BOOST_TEST(unb64("Zm9vYmFy") == "foobar");
  BOOST_TEST(unb64("Zm9vYmE=") == "fooba");
  BOOST_TEST(unb64("Zm9vYg==") == "foob");
  BOOST_TEST(unb64("") == "");
}

BOOST_AUTO_TEST_CASE(base64_round_trips_every_byte_value_and_length) {
  byte_buffer data;
  for (int len = 0; len < 300; ++len) {
    auto enc = base64_encode(data);
    auto dec = base64_decode(enc);
    BOOST_REQUIRE(dec.has_value());
    BOOST_REQUIRE(*dec == data);
    data.push_back(static_cast<std::uint8_t>(len * 7 + 3));
  }
}

BOOST_AUTO_TEST_CASE(base64_rejects_non_canonical_and_malformed_input) {
  struct bad_case { const char* text; const char* message; };
  const bad_case cases[] = {
    {"Zg=", "length is not a multiple of 4 at offset 3"},
    {"Zg", "length is not a multiple of 4 at offset 2"},
    {"Z!==", "invalid character at offset 1"},
    {"Zm9v!mFy", "invalid character at offset 4"},
    {"Zh==", "non-zero bits before padding at offset 1"},
    {"Zm9=", "non-zero bits before padding at offset 2"},
    {"Z===", "misplaced padding at offset 1"},
    {"Zg==Zg==", "invalid character at offset 2"},
    {"Zm 9", "invalid character at offset 2"},
    {"====", "misplaced padding at offset 0"},
  };
  for (const auto& c : cases) {
    auto r = base64_decode(c.text);
    BOOST_TEST_CONTEXT("input " << c.text) {
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().is(common_errc::invalid_base64));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(hex_round_trips_and_rejects_bad_text) {
  const byte_buffer data{0x00, 0x01, 0xab, 0xff};
  BOOST_TEST(to_hex(data) == "0001abff");
  auto back = from_hex("0001ABff");
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(*back == data);
  auto odd = from_hex("abc");
  BOOST_REQUIRE(!odd.has_value());
  BOOST_TEST(odd.error().message() == "odd number of hex characters (3)");
  auto bad = from_hex("0g");
  BOOST_REQUIRE(!bad.has_value());
  BOOST_TEST(bad.error().is(common_errc::invalid_hex));
  BOOST_TEST(bad.error().message() == "non-hex character at position 1");
}

BOOST_AUTO_TEST_CASE(sha256_matches_fips_180_vectors) {
  BOOST_TEST(to_hex(sha256(as_bytes(""))) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(to_hex(sha256(as_bytes("abc"))) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256_hasher h;
  h.update(as_bytes("abcdbcdecdefdefgefghfghighij"));
  sha256_hasher branch = h; // copies the running state
  h.update(as_bytes("hijkijkljklmklmnlmnomnopnopq"));
  BOOST_TEST(to_hex(h.finish()) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  branch.update(as_bytes("hijkijkljklmklmnlmnomnopnopq"));
  BOOST_TEST(to_hex(branch.finish()) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

#include "protocol/common/log.hpp"

#include <vector>

BOOST_AUTO_TEST_CASE(log_writes_one_structured_line_per_event_and_filters_by_level) {
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  log::set_level(log::level::info);
  log::debug("provider", "hidden", {{"session", 1}});
  log::info("provider", "chunk_served", {{"session", 7}, {"peer", "12D3KooW"}, {"note", "two words"}, {"ok", true}});
  log::set_sink({});
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  const auto& line = lines.front();
  BOOST_TEST(line.find(" INFO provider chunk_served session=7 peer=12D3KooW note=\"two words\" ok=true") !=
             std::string::npos, line);
  BOOST_TEST(line.find('\n') == std::string::npos);
  log::level parsed{};
  BOOST_TEST(log::parse_level("warn", parsed));
  BOOST_TEST((parsed == log::level::warn));
  BOOST_TEST(!log::parse_level("verbose", parsed));
}

#include "protocol/common/error.hpp"

#include <stdexcept>

BOOST_AUTO_TEST_CASE(an_escaped_exception_is_described_by_its_what_or_as_unknown) {
  BOOST_TEST(describe_exception(std::make_exception_ptr(std::runtime_error("disk on fire"))) == "disk on fire");
  BOOST_TEST(describe_exception(std::make_exception_ptr(42)) == "unknown exception");
  BOOST_TEST(describe_exception(nullptr) == "no exception");
}
