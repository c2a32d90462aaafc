#define BOOST_TEST_MODULE libp2p_uvarint
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/uvarint.hpp"

using namespace snapstream;
using namespace snapstream::libp2p;

namespace {
std::string encode(std::uint64_t v) {
  byte_buffer out;
  uvarint_append(out, v);
  return to_hex(out);
}
} // namespace

// Examples from the multiformats unsigned-varint README.
BOOST_AUTO_TEST_CASE(encodes_the_multiformats_examples) {
  BOOST_TEST(encode(1) == "01");
  BOOST_TEST(encode(127) == "7f");
  BOOST_TEST(encode(128) == "8001");
  BOOST_TEST(encode(255) == "ff01");
  BOOST_TEST(encode(300) == "ac02");
  BOOST_TEST(encode(16384) == "808001");
  BOOST_TEST(uvarint_size(16384) == 3u);
  BOOST_TEST(uvarint_size(0) == 1u);
}

BOOST_AUTO_TEST_CASE(decodes_what_it_encodes_and_reports_the_size) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 1ull << 32, (1ull << 63) - 1}) {
    byte_buffer out;
    uvarint_append(out, v);
    out.push_back(0xaa); // a following byte is not consumed
    auto d = uvarint_decode(out);
    BOOST_REQUIRE(d.has_value());
    BOOST_REQUIRE(d->has_value());
    BOOST_TEST((*d)->value == v);
    BOOST_TEST((*d)->size == out.size() - 1);
  }
}

BOOST_AUTO_TEST_CASE(asks_for_more_bytes_when_truncated) {
  const byte_buffer in{0x80, 0x80};
  auto d = uvarint_decode(in);
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(!d->has_value());
  BOOST_TEST(!uvarint_decode({})->has_value());
}

BOOST_AUTO_TEST_CASE(rejects_non_minimal_and_overlong_encodings) {
  const byte_buffer padded{0x81, 0x00};
  auto d = uvarint_decode(padded);
  BOOST_REQUIRE(!d.has_value());
  BOOST_TEST(d.error().is(libp2p_errc::invalid_varint));

  const byte_buffer ten(10, 0xff);
  auto e = uvarint_decode(ten);
  BOOST_REQUIRE(!e.has_value());
  BOOST_TEST(e.error().is(libp2p_errc::invalid_varint));
  const byte_buffer nine(9, 0xff); // nine continuation bytes: can never end validly
  BOOST_TEST(!uvarint_decode(nine).has_value());
}
