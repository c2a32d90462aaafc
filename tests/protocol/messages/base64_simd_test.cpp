#define BOOST_TEST_MODULE messages_base64_simd
#include <boost/test/unit_test.hpp>

#include "protocol/messages/detail/base64_simd.hpp"

#include <random>
#include <string>

using namespace snapstream;
using snapstream::messages::detail::decode_base64;
using snapstream::messages::detail::encode_base64;

namespace {

byte_buffer random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  byte_buffer b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

/// The reference: protocol/common's scalar decoder.
result<byte_buffer> reference(std::string_view text) { return base64_decode(text); }

result<byte_buffer> fast(std::string_view text) {
  byte_buffer out(base64_decoded_max(text.size()));
  auto n = decode_base64(text, out.data());
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(decodes_what_the_encoder_writes_at_every_length) {
  BOOST_TEST_MESSAGE("AVX2 path: " << (messages::detail::base64_simd_available() ? "yes" : "no"));
  for (std::size_t n = 0; n < 1200; ++n) {
    const byte_buffer data = random_bytes(n, static_cast<std::uint32_t>(n) + 7);
    // Encoded by the reference, so the decoder is checked independently.
    const std::string text = base64_encode(data);
    auto r = fast(text);
    BOOST_TEST_CONTEXT("length " << n) {
      BOOST_REQUIRE(r.has_value());
      BOOST_TEST((*r == data));
    }
  }
}

BOOST_AUTO_TEST_CASE(encodes_exactly_like_the_reference_encoder_at_every_length) {
  for (std::size_t n = 0; n < 1200; ++n) {
    const byte_buffer data = random_bytes(n, static_cast<std::uint32_t>(n) + 11);
    std::string text(base64_encoded_size(n) + 8, '#');
    char* end = encode_base64(data, text.data());
    BOOST_TEST_CONTEXT("length " << n) {
      BOOST_REQUIRE(static_cast<std::size_t>(end - text.data()) == base64_encoded_size(n));
      BOOST_TEST(text.substr(base64_encoded_size(n)) == "########");
      text.resize(base64_encoded_size(n));
      BOOST_TEST(text == base64_encode(data));
    }
  }
}

BOOST_AUTO_TEST_CASE(encodes_every_six_bit_value_in_every_lane) {
  // Bytes 0x00..0xff in every rotation cover each 6-bit value at each position.
  byte_buffer all(256 * 3);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i * 37 + i / 256);
  for (std::size_t shift = 0; shift < 24; ++shift) {
    const bytes_view in = bytes_view(all).subspan(shift);
    std::string text(base64_encoded_size(in.size()), '\0');
    encode_base64(in, text.data());
    BOOST_TEST(text == base64_encode(in));
  }
}

BOOST_AUTO_TEST_CASE(decodes_every_alphabet_character_in_every_lane) {
  // 64 characters, rotated through all 32 positions of a vector block.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t shift = 0; shift < 32; ++shift) {
    std::string text;
    for (int r = 0; r < 4; ++r) text += alphabet.substr(shift) + alphabet.substr(0, shift);
    auto expected = reference(text);
    BOOST_REQUIRE(expected.has_value());
    auto r = fast(text);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST((*r == *expected));
  }
}

BOOST_AUTO_TEST_CASE(reports_the_same_error_as_the_reference_decoder_at_every_offset) {
  const std::string valid = base64_encode(random_bytes(300, 3)); // 400 characters
  const char bad_characters[] = {'!', '=', '-', '_', ' ', '\0', '"', '\\', '\x80', '\xff', '.', ':', '@', '[', '`', '{'};
  for (std::size_t at = 0; at < valid.size(); ++at) {
    for (const char c : bad_characters) {
      std::string text = valid;
      text[at] = c;
      auto expected = reference(text);
      auto r = fast(text);
      BOOST_TEST_CONTEXT("offset " << at << " character " << int(static_cast<unsigned char>(c))) {
        BOOST_REQUIRE(!expected.has_value() || c == '=');
        BOOST_REQUIRE(r.has_value() == expected.has_value());
        if (!r) BOOST_TEST((r.error() == expected.error()));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_bad_lengths_and_non_canonical_padding_like_the_reference) {
  const std::string body(96, 'Q');
  for (const std::string tail : {"Q", "QQ", "QQQ", "QR==", "QQR=", "Q===", "====", "QQ=Q"}) {
    const std::string text = body + tail;
    auto expected = reference(text);
    auto r = fast(text);
    BOOST_TEST_CONTEXT("tail " << tail) {
      BOOST_REQUIRE(!expected.has_value());
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().message() == expected.error().message());
      BOOST_TEST(r.error().is(common_errc::invalid_base64));
    }
  }
}
