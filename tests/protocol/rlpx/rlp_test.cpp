#define BOOST_TEST_MODULE rlpx_rlp
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/rlpx/rlp.hpp"

#include <string>
#include <vector>

using namespace snapstream;
using namespace snapstream::rlpx;

namespace {

byte_buffer unhex(std::string_view h) {
  if (h.starts_with("0x")) h.remove_prefix(2);
  auto r = from_hex(h);
  BOOST_REQUIRE(r.has_value());
  return *r;
}

std::string enc_string(std::string_view s) {
  byte_buffer out;
  rlp_writer(out).string(s);
  return to_hex(out);
}

std::string enc_uint(std::uint64_t v) { return to_hex(rlp_encode_uint(v)); }

// Decodes a string item and returns its payload as text.
std::string dec_string(std::string_view h) {
  auto bytes = unhex(h);
  auto item = rlp_decode(bytes);
  BOOST_REQUIRE_MESSAGE(item.has_value(), h << ": " << (item ? "" : item.error().message()));
  BOOST_REQUIRE(!item->is_list);
  return std::string(as_chars(item->payload));
}

const std::string lorem_1024 =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Curabitur mauris magna, suscipit sed vehicula non, "
  "iaculis faucibus tortor. Proin suscipit ultricies malesuada. Duis tortor elit, dictum quis tristique eu, "
  "ultrices at risus. Morbi a est imperdiet mi ullamcorper aliquet suscipit nec lorem. Aenean quis leo mollis, "
  "vulputate elit varius, consequat enim. Nulla ultrices turpis justo, et posuere urna consectetur nec. Proin non "
  "convallis metus. Donec tempor ipsum in mauris congue sollicitudin. Vestibulum ante ipsum primis in faucibus orci "
  "luctus et ultrices posuere cubilia Curae; Suspendisse convallis sem vel massa faucibus, eget lacinia lacus "
  "tempor. Nulla quis ultricies purus. Proin auctor rhoncus nibh condimentum mollis. Aliquam consequat enim at "
  "metus luctus, a eleifend purus egestas. Curabitur at nibh metus. Nam bibendum, neque at auctor tristique, lorem "
  "libero aliquet arcu, non interdum tellus lectus sit amet eros. Cras rhoncus, metus ac ornare cursus, dolor justo "
  "ultrices metus, at ullamcorper volutpat";

} // namespace

// Vectors from ethereum/tests RLPTests/rlptest.json
// (https://github.com/ethereum/tests/blob/develop/RLPTests/rlptest.json).
BOOST_AUTO_TEST_CASE(strings_and_integers_match_ethereum_tests_vectors) {
  BOOST_TEST(enc_string("") == "80");
  BOOST_TEST(enc_string(std::string_view("\0", 1)) == "00");
  BOOST_TEST(enc_string("\x01") == "01");
  BOOST_TEST(enc_string("\x7f") == "7f");
  BOOST_TEST(enc_string("dog") == "83646f67");
  BOOST_TEST(enc_string("Lorem ipsum dolor sit amet, consectetur adipisicing eli") ==
             "b74c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e"
             "6720656c69");
  BOOST_TEST(enc_string("Lorem ipsum dolor sit amet, consectetur adipisicing elit") ==
             "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963"
             "696e6720656c6974");
  BOOST_REQUIRE_EQUAL(lorem_1024.size(), 1024u);
  const std::string long_enc = enc_string(lorem_1024);
  BOOST_TEST(long_enc.substr(0, 12) == "b904004c6f72"); // b9 0400, then "Lor"
  BOOST_TEST(dec_string(long_enc) == lorem_1024);

  BOOST_TEST(enc_uint(0) == "80");
  BOOST_TEST(enc_uint(1) == "01");
  BOOST_TEST(enc_uint(16) == "10");
  BOOST_TEST(enc_uint(79) == "4f");
  BOOST_TEST(enc_uint(127) == "7f");
  BOOST_TEST(enc_uint(128) == "8180");
  BOOST_TEST(enc_uint(1000) == "8203e8");
  BOOST_TEST(enc_uint(100000) == "830186a0");

  // mediumint4, mediumint5 and bigint are wider than 64 bits: big-endian input.
  byte_buffer out;
  rlp_writer w(out);
  w.uint_be(unhex("00102030405060708090a0b0c0d0e0f2"));
  BOOST_TEST(to_hex(out) == "8f102030405060708090a0b0c0d0e0f2");
  out.clear();
  w.uint_be(unhex("0100020003000400050006000700080009000a000b000c000d000e01"));
  BOOST_TEST(to_hex(out) == "9c0100020003000400050006000700080009000a000b000c000d000e01");
  out.clear();
  w.uint_be(unhex("010000000000000000000000000000000000000000000000000000000000000000"));
  BOOST_TEST(to_hex(out) == "a1010000000000000000000000000000000000000000000000000000000000000000");
  out.clear();
  w.uint_be(unhex("0000"));
  BOOST_TEST(to_hex(out) == "80");
}

BOOST_AUTO_TEST_CASE(lists_match_ethereum_tests_vectors) {
  auto list_of = [](const std::vector<std::string>& items) {
    byte_buffer out;
    rlp_writer w(out);
    w.begin_list();
    for (const auto& s : items) w.string(s);
    w.end_list();
    return to_hex(out);
  };
  BOOST_TEST(list_of({}) == "c0");
  BOOST_TEST(list_of({"dog", "god", "cat"}) == "cc83646f6783676f6483636174");
  BOOST_TEST(list_of({"asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv", "asdf", "qwer"}) ==
             "f784617364668471776572847a78637684617364668471776572847a78637684617364668471776572847a7863768461736466"
             "8471776572");

  byte_buffer out;
  rlp_writer w(out);
  // multilist: [ "zw", [ 4 ], 1 ]
  w.begin_list();
  w.string("zw");
  w.begin_list();
  w.uint(4);
  w.end_list();
  w.uint(1);
  w.end_list();
  BOOST_TEST(to_hex(out) == "c6827a77c10401");

  // longList1: four times ["asdf","qwer","zxcv"] (a 64-byte payload: long list header)
  out.clear();
  w.begin_list();
  for (int i = 0; i < 4; ++i) {
    w.begin_list();
    w.string("asdf");
    w.string("qwer");
    w.string("zxcv");
    w.end_list();
  }
  w.end_list();
  BOOST_TEST(w.depth() == 0u);
  BOOST_TEST(to_hex(out) ==
             "f840cf84617364668471776572847a786376cf84617364668471776572847a786376cf84617364668471776572847a786376cf"
             "84617364668471776572847a786376");

  // longList2: 32 times the same list (a 512-byte payload: two length bytes)
  out.clear();
  w.begin_list();
  for (int i = 0; i < 32; ++i) {
    w.begin_list();
    w.string("asdf");
    w.string("qwer");
    w.string("zxcv");
    w.end_list();
  }
  w.end_list();
  BOOST_TEST(to_hex(out).substr(0, 8) == "f90200cf");
  BOOST_TEST(out.size() == 3u + 32u * 16u);

  // listsoflists2: [ [], [[]], [ [], [[]] ] ]
  out.clear();
  w.begin_list();
  w.begin_list(); w.end_list();
  w.begin_list(); w.begin_list(); w.end_list(); w.end_list();
  w.begin_list(); w.begin_list(); w.end_list(); w.begin_list(); w.begin_list(); w.end_list(); w.end_list(); w.end_list();
  w.end_list();
  BOOST_TEST(to_hex(out) == "c7c0c1c0c3c0c1c0");

  // dictTest1, decoded with the reader
  const auto dict = unhex("ecca846b6579318476616c31ca846b6579328476616c32ca846b6579338476616c33ca846b6579348476616c34");
  auto r = rlp_reader::from_list(dict, "dict");
  BOOST_REQUIRE(r.has_value());
  for (int i = 1; i <= 4; ++i) {
    auto pair = r->list("pair");
    BOOST_REQUIRE(pair.has_value());
    auto k = pair->bytes("key");
    auto v = pair->bytes("value");
    BOOST_REQUIRE(k.has_value() && v.has_value());
    BOOST_TEST(as_chars(*k) == "key" + std::to_string(i));
    BOOST_TEST(as_chars(*v) == "val" + std::to_string(i));
    BOOST_TEST(pair->finish("pair").has_value());
  }
  BOOST_TEST(r->at_end());
}

// Vectors from ethereum/tests RLPTests/invalidRLPTest.json, each with the
// reason a strict decoder gives.
BOOST_AUTO_TEST_CASE(invalid_vectors_are_rejected_with_the_reason) {
  struct bad { const char* name; const char* hex; rlpx_errc why; };
  const bad cases[] = {
    {"int32Overflow", "bf0f000000000000021111", rlpx_errc::rlp_truncated},
    {"int32Overflow2", "ff0f000000000000021111", rlpx_errc::rlp_truncated},
    {"wrongSizeList", "f80180", rlpx_errc::rlp_non_canonical},
    {"wrongSizeList2", "f80100", rlpx_errc::rlp_non_canonical},
    {"incorrectLengthInArray", "b9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df0",
     rlpx_errc::rlp_non_canonical},
    {"bytesShouldBeSingleByte00", "8100", rlpx_errc::rlp_non_canonical},
    {"bytesShouldBeSingleByte01", "8101", rlpx_errc::rlp_non_canonical},
    {"bytesShouldBeSingleByte7F", "817F", rlpx_errc::rlp_non_canonical},
    {"leadingZerosInLongLengthArray1",
     "b90040000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
     "3435363738393a3b3c3d3e3f",
     rlpx_errc::rlp_non_canonical},
    {"leadingZerosInLongLengthArray2", "b800", rlpx_errc::rlp_non_canonical},
    {"leadingZerosInLongLengthList1",
     "fb00000040000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031"
     "32333435363738393a3b3c3d3e3f",
     rlpx_errc::rlp_non_canonical},
    {"leadingZerosInLongLengthList2", "f800", rlpx_errc::rlp_non_canonical},
    {"nonOptimalLongLengthArray1", "b81000112233445566778899aabbccddeeff", rlpx_errc::rlp_non_canonical},
    {"nonOptimalLongLengthArray2", "b801ff", rlpx_errc::rlp_non_canonical},
    {"nonOptimalLongLengthList1", "f810000102030405060708090a0b0c0d0e0f", rlpx_errc::rlp_non_canonical},
    {"nonOptimalLongLengthList2", "f803112233", rlpx_errc::rlp_non_canonical},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto bytes = unhex(c.hex);
      auto r = rlp_decode(bytes);
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().is(c.why), r.error().message());
    }
  }
  // randomRLP: the outer list is fine; an inner string has a non-canonical length.
  auto random = unhex("f861f83eb9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df027b90015002d5ef8"
                      "325ae4d034df55d4b58d0dfba64d61ddd17be00000b9001a00dae30907045a2f66fa36f2bb8aa9029cbb0b8a7b3b5c435a"
                      "b331");
  auto outer = rlp_reader::from_list(random, "random");
  BOOST_REQUIRE(outer.has_value());
  auto inner = outer->list("random[0]");
  BOOST_REQUIRE(inner.has_value());
  auto first = inner->bytes("random[0][0]");
  BOOST_REQUIRE(!first.has_value());
  BOOST_TEST(first.error().is(rlpx_errc::rlp_non_canonical));
  BOOST_TEST(first.error().message() == "random[0][0]: length has a leading zero byte");
}

BOOST_AUTO_TEST_CASE(integers_must_be_canonical_and_fit_their_type) {
  auto read_uint = [](std::string_view h) {
    auto bytes = unhex(h);
    auto item = rlp_decode(bytes);
    BOOST_REQUIRE(item.has_value());
    return rlp_to_uint64(item->payload, "n");
  };
  BOOST_TEST(*read_uint("80") == 0u);
  BOOST_TEST(*read_uint("7f") == 127u);
  BOOST_TEST(*read_uint("8180") == 128u);
  BOOST_TEST(*read_uint("88ffffffffffffffff") == 0xffffffffffffffffull);
  auto zero_byte = read_uint("00");
  BOOST_REQUIRE(!zero_byte.has_value());
  BOOST_TEST(zero_byte.error().is(rlpx_errc::rlp_non_canonical));
  BOOST_TEST(zero_byte.error().message() == "n: integer has a leading zero byte");
  auto leading = read_uint("820001");
  BOOST_REQUIRE(!leading.has_value());
  BOOST_TEST(leading.error().is(rlpx_errc::rlp_non_canonical));
  auto wide = read_uint("89010000000000000000");
  BOOST_REQUIRE(!wide.has_value());
  BOOST_TEST(wide.error().is(rlpx_errc::rlp_value_too_large));
}

BOOST_AUTO_TEST_CASE(decoding_consumes_its_input_exactly) {
  auto two_items = unhex("8180" "01");
  auto r = rlp_decode(two_items);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(rlpx_errc::rlp_trailing_bytes));
  BOOST_TEST(r.error().message() == "1 bytes after the item");

  auto peeked = rlp_peek(two_items);
  BOOST_REQUIRE(peeked.has_value());
  BOOST_TEST(peeked->encoding.size() == 2u);

  auto truncated = unhex("83646f");
  auto t = rlp_decode(truncated);
  BOOST_REQUIRE(!t.has_value());
  BOOST_TEST(t.error().is(rlpx_errc::rlp_truncated));

  // A list whose items do not fill it exactly: [ "dog" ] claiming 5 bytes.
  auto short_list = unhex("c583646f67");
  BOOST_TEST(rlp_decode(short_list).error().is(rlpx_errc::rlp_truncated));
}

BOOST_AUTO_TEST_CASE(reader_names_the_field_that_failed) {
  byte_buffer msg;
  rlp_writer w(msg);
  w.begin_list();
  w.uint(5);
  w.begin_list();
  w.end_list();
  w.string("extra");
  w.end_list();
  auto r = rlp_reader::from_list(msg, "Hello");
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(*r->uint64("Hello.protocolVersion") == 5u);
  auto wrong = r->bytes("Hello.clientId");
  BOOST_REQUIRE(!wrong.has_value());
  BOOST_TEST(wrong.error().is(rlpx_errc::rlp_wrong_kind));
  BOOST_TEST(wrong.error().message() == "Hello.clientId: expected a string, found a list");
  auto fixed = r->fixed<4>("Hello.id");
  BOOST_REQUIRE(!fixed.has_value());
  BOOST_TEST(fixed.error().message() == "Hello.id: expected 4 bytes, found 5");
  auto missing = r->uint64("Hello.listenPort");
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().is(rlpx_errc::rlp_truncated));
  BOOST_TEST(missing.error().message() == "Hello.listenPort: missing (the list has no more items)");

  auto not_list = rlp_encode_uint(7);
  auto nl = rlp_reader::from_list(not_list, "Status");
  BOOST_REQUIRE(!nl.has_value());
  BOOST_TEST(nl.error().message() == "Status: expected a list, found a string");
}

BOOST_AUTO_TEST_CASE(long_lists_round_trip_through_writer_and_reader) {
  // 1000 items of 1000 bytes each: three-byte list length.
  byte_buffer out;
  rlp_writer w(out);
  w.begin_list();
  byte_buffer item(1000);
  for (int i = 0; i < 1000; ++i) {
    item[0] = static_cast<std::uint8_t>(i);
    w.bytes(item);
  }
  w.end_list();
  BOOST_TEST(out[0] == 0xfa); // 0xf7 + 3 length bytes
  BOOST_TEST(out.size() == 4u + 1000u * 1003u);
  auto r = rlp_reader::from_list(out, "big");
  BOOST_REQUIRE(r.has_value());
  int n = 0;
  while (!r->at_end()) {
    auto b = r->bytes("big[i]");
    BOOST_REQUIRE(b.has_value());
    BOOST_REQUIRE_EQUAL(b->size(), 1000u);
    BOOST_REQUIRE_EQUAL((*b)[0], static_cast<std::uint8_t>(n));
    ++n;
  }
  BOOST_TEST(n == 1000);
}
