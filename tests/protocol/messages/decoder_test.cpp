#define BOOST_TEST_MODULE messages_decoder
#include <boost/test/unit_test.hpp>

#include "golden.hpp"

#include "protocol/common/base64.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"

#include <random>
#include <string>

using namespace snapstream;
using namespace snapstream::messages;

namespace {

const decode_options request_cap{max_request_size};
const decode_options response_cap{max_response_size_v1_1};

/// A message as base64-encoded JSON, to show in failed assertions.
template <class Message>
std::string shown(const Message& m) {
  byte_buffer out;
  encode(m, byte_encoding::base64, out);
  return std::string(as_chars(out));
}

result<snapshots_request> request(std::string_view json) { return decode_request(as_bytes(json), request_cap); }
result<snapshots_response> response(std::string_view json) { return decode_response(as_bytes(json), response_cap); }

template <class Message>
void require_decoded(const result<Message>& r, const Message& expected) {
  BOOST_REQUIRE_MESSAGE(r.has_value(), "decode failed: " << (r ? "" : to_string(r.error())));
  BOOST_TEST(shown(*r) == shown(expected));
  BOOST_TEST((*r == expected));
}

shared_bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto b = std::make_shared<byte_buffer>(n);
  for (auto& x : *b) x = static_cast<std::uint8_t>(rng());
  return b;
}

} // namespace

BOOST_AUTO_TEST_CASE(golden_requests_decode_to_their_messages) {
  for (const auto& c : golden::requests()) {
    BOOST_TEST_CONTEXT(c.name) { require_decoded(request(c.json), c.message); }
  }
}

BOOST_AUTO_TEST_CASE(golden_responses_decode_from_both_encodings) {
  for (const auto& c : golden::responses()) {
    BOOST_TEST_CONTEXT(c.name) {
      require_decoded(response(c.array_json), c.message);
      require_decoded(response(c.base64_json), c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_session_flow_round_trips_in_both_encodings) {
  // Every golden message, encoded and decoded again, under each version.
  for (const auto e : {byte_encoding::array, byte_encoding::base64}) {
    for (const auto& c : golden::requests()) {
      byte_buffer out;
      encode(c.message, e, out);
      BOOST_TEST_CONTEXT(c.name) { require_decoded(decode_request(out, request_cap), c.message); }
    }
    for (const auto& c : golden::responses()) {
      byte_buffer out;
      encode(c.message, e, out);
      BOOST_TEST_CONTEXT(c.name) { require_decoded(decode_response(out, response_cap), c.message); }
    }
  }
}

BOOST_AUTO_TEST_CASE(rpp_style_json_decodes_in_any_field_order_with_whitespace) {
  require_decoded(request(" {\n  \"session_id\" : 7 ,\n  \"chunk_index\": 3,\n  \"type\" :\"chunk\"\n}\n\t "),
                  snapshots_request{7, chunk_request{3}});
  require_decoded(request(R"({"index":2,"kind":"LightClientUpdate","session_id":5,"type":"ack"})"),
                  snapshots_request{5, ack_message{ack_kind::light_client_update, 2}});
  require_decoded(request(R"({ "max_chunk_size" : 8 , "type" : "plan" , "session_id" : 1 , "chunk_size" : 4 })"),
                  snapshots_request{1, plan_request{4, std::nullopt, 8}});
  require_decoded(request(R"({"update_index":1,"chunk_index":2,"plan_id":"ab","type":"resume","session_id":9})"),
                  snapshots_request{9, resume_request{"ab", 2, 1, {}, {}, {}}});
  require_decoded(response("{\"chunk\" : [ 0 ,1,\n 255 ] , \"chunk_index\" : 4, \"session_id\": 2, \"type\": \"chunk\"}"),
                  snapshots_response{2, chunk_response{4, golden::bytes({0, 1, 255})}});
  require_decoded(response(R"({"max_concurrent_requests":1,"plan":[83,83,80,76,1],"type":"plan","session_id":3})"),
                  snapshots_response{3, plan_response{golden::bytes({83, 83, 80, 76, 1}), {}, {}, {}, 1}});
}

BOOST_AUTO_TEST_CASE(escaped_strings_and_keys_are_unescaped) {
  require_decoded(request(R"({"type":"error","session_id":1,"message":"a\"b\\c\/d\n\u00e9\ud83d\ude00\u0000"})"),
                  snapshots_request{1, error_message{std::string("a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80\0", 15)}});
  require_decoded(request(R"({"\u0074ype":"chunk","session_id":1,"chunk_index":2})"), snapshots_request{1, chunk_request{2}});
  // Base64 with JSON escapes (e.g. a writer that escapes "/" as "\/").
  require_decoded(response(R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"AAF\/gP8="})"),
                  snapshots_response{1, chunk_response{0, golden::bytes({0, 1, 127, 128, 255})}});
  require_decoded(response(R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"\u0041\u0041F/gP8="})"),
                  snapshots_response{1, chunk_response{0, golden::bytes({0, 1, 127, 128, 255})}});
}

BOOST_AUTO_TEST_CASE(repaired_strings_round_trip_as_valid_utf8) {
  byte_buffer out;
  encode(snapshots_request{1, error_message{"bad \xff byte"}}, byte_encoding::array, out);
  require_decoded(decode_request(out, request_cap), snapshots_request{1, error_message{"bad \xef\xbf\xbd byte"}});
}

BOOST_AUTO_TEST_CASE(four_mib_payloads_round_trip_in_both_encodings) {
  const auto payload = random_bytes(4 << 20, 1);
  const snapshots_response chunk{11, chunk_response{12, payload}};
  byte_buffer b64;
  encode(chunk, byte_encoding::base64, b64);
  BOOST_TEST(b64.size() == encoded_size(chunk, byte_encoding::base64));
  BOOST_TEST(b64.size() < max_response_size_v1_1);
  reserve_padding(b64);
  auto padded = padded_input::from(b64);
  BOOST_REQUIRE(padded.has_value());
  require_decoded(decode_response(*padded, response_cap), chunk);
  require_decoded(decode_response(bytes_view(b64), response_cap), chunk);

  byte_buffer array;
  encode(chunk, byte_encoding::array, array);
  BOOST_TEST(array.size() == encoded_size(chunk, byte_encoding::array));
  // 4 MiB as numbers is more than 1.0.0's 10 MiB response cap...
  auto capped = decode_response(array, decode_options{max_response_size_v1_0});
  BOOST_REQUIRE(!capped.has_value());
  BOOST_TEST(capped.error().is(codec_errc::too_large));
  // ...and still decodes under a larger cap.
  require_decoded(decode_response(array, decode_options{array.size()}), chunk);

  const snapshots_response plan{11, plan_response{random_bytes(1 << 20, 2), 1 << 22, {}, {}, 1}};
  byte_buffer plan_json;
  encode(plan, byte_encoding::array, plan_json);
  require_decoded(decode_response(plan_json, decode_options{max_response_size_v1_0}), plan);
}

BOOST_AUTO_TEST_CASE(every_payload_length_round_trips_through_base64) {
  // Crosses the vector decoder's 32-character blocks and the padded tail.
  for (std::size_t n = 0; n < 300; ++n) {
    const snapshots_response m{n, update_response{n, random_bytes(n, static_cast<std::uint32_t>(n))}};
    byte_buffer out;
    encode(m, byte_encoding::base64, out);
    BOOST_TEST_CONTEXT("length " << n) { require_decoded(decode_response(out, response_cap), m); }
  }
}

BOOST_AUTO_TEST_CASE(padded_input_needs_the_padding_and_decodes_in_place) {
  byte_buffer json;
  const std::string_view text = R"({"type":"chunk","session_id":1,"chunk_index":2})";
  json.assign(text.begin(), text.end());
  reserve_padding(json);
  BOOST_TEST(json.capacity() - json.size() >= decode_padding);
  BOOST_TEST(json.size() == text.size());
  auto padded = padded_input::from(json);
  BOOST_REQUIRE(padded.has_value());
  BOOST_TEST(padded->bytes().data() == json.data());
  require_decoded(decode_request(*padded, request_cap), snapshots_request{1, chunk_request{2}});
  BOOST_TEST(!padded_input::from(json.data(), 10, 10 + decode_padding - 1).has_value());
  BOOST_TEST(padded_input::from(json.data(), 10, 10 + decode_padding).has_value());
}

BOOST_AUTO_TEST_CASE(the_size_cap_is_checked_before_parsing) {
  const std::string json = R"({"type":"chunk","session_id":1,"chunk_index":2})"; // 47 bytes
  auto r = decode_request(as_bytes(json), decode_options{46});
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(codec_errc::too_large));
  BOOST_TEST(r.error().message() == "message is 47 bytes, above the cap of 46 bytes");
  BOOST_TEST(decode_request(as_bytes(json), decode_options{47}).has_value());
  // Garbage over the cap is reported as too large, not as bad JSON.
  const std::string junk(2000, 'x');
  auto j = decode_response(as_bytes(junk), decode_options{1000});
  BOOST_REQUIRE(!j.has_value());
  BOOST_TEST(j.error().is(codec_errc::too_large));
}

namespace {

enum class side { request, response };

struct bad_case {
  side direction;
  std::string_view json;
  codec_errc code;
  std::string_view message;
};

// Each input differs from a valid message in one way.
const bad_case bad_cases[] = {
  // Not JSON at all, or not an object.
  {side::request, "", codec_errc::not_json, "empty input"},
  {side::request, " \n\t ", codec_errc::not_json, "empty input"},
  {side::request, "[1,2]", codec_errc::not_object, "top level is an array, expected an object"},
  {side::request, R"("plan")", codec_errc::not_object, "top level is a string, expected an object"},
  {side::response, "42", codec_errc::not_object, "top level is a number, expected an object"},
  {side::response, "null", codec_errc::not_object, "top level is null, expected an object"},
  {side::request, R"({"type":"plan","session_id":1)", codec_errc::not_json, "input ends inside the object"},
  {side::request, R"({"type":"plan","session_id":1,"chunk_size":[1})", codec_errc::wrong_type, "field 'chunk_size' is an array, expected an unsigned integer"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1})", codec_errc::not_json, "field 'chunk': malformed JSON"},
  {side::request, R"({"type":"error","session_id":1,"message":"abc})", codec_errc::not_json, "unclosed string"},
  {side::request, R"({"type":"plan","session_id":1,})", codec_errc::not_json, "malformed JSON after field 'session_id'"},
  {side::request, R"({"type" "plan","session_id":1})", codec_errc::not_json, "malformed JSON at the start of the object"},
  {side::request, R"({"type":"plan","session_id":1 "chunk_size":2})", codec_errc::not_json, "malformed JSON after field 'session_id'"},
  {side::request, R"({"type":"plan","session_id":})", codec_errc::not_json, "field 'session_id': malformed JSON"},
  // A value followed by ':' (simdjson would skip an unread string there as a key).
  {side::response, R"({"type":"chunk","session_id":7,"chunk_index":1,"chunk":"AAAA":"x"}})", codec_errc::not_json, "malformed JSON after field 'chunk'"},
  {side::request, R"({"type":"chunk","session_id":7,"chunk_index":1:"x"}})", codec_errc::not_json, "malformed JSON after field 'chunk_index'"},
  {side::request, R"({"type":"error","session_id":7,"message":"m":"x"}})", codec_errc::not_json, "malformed JSON after field 'message'"},
  {side::response, R"({"type":"chunk","session_id":7,"chunk_index":1,"chunk":[1]:"x"}})", codec_errc::not_json, "malformed JSON after field 'chunk'"},
  // Trailing bytes.
  {side::request, R"({"type":"plan","session_id":1}x)", codec_errc::trailing_bytes, "trailing bytes after the object at offset 30"},
  {side::request, R"({"type":"plan","session_id":1} {})", codec_errc::trailing_bytes, "trailing bytes after the object at offset 31"},
  {side::request, R"({"type":"plan","session_id":1}})", codec_errc::trailing_bytes, "trailing bytes after the object at offset 30"},
  {side::response, "{\"type\":\"plan\",\"session_id\":1,\"plan\":[]}\n,", codec_errc::trailing_bytes, "trailing bytes after the object at offset 41"},
  // Integers.
  {side::request, R"({"type":"plan","session_id":-1})", codec_errc::invalid_integer, "field 'session_id' is negative: '-1'"},
  {side::request, R"({"type":"plan","session_id":-0})", codec_errc::invalid_integer, "field 'session_id' is negative: '-0'"},
  {side::request, R"({"type":"chunk","session_id":1,"chunk_index":1.5})", codec_errc::invalid_integer, "field 'chunk_index' has a fraction: '1.5'"},
  {side::request, R"({"type":"chunk","session_id":1,"chunk_index":2.0})", codec_errc::invalid_integer, "field 'chunk_index' has a fraction: '2.0'"},
  {side::request, R"({"type":"chunk","session_id":1,"chunk_index":1e3})", codec_errc::invalid_integer, "field 'chunk_index' has an exponent: '1e3'"},
  {side::request, R"({"type":"chunk","session_id":1,"chunk_index":1E+0})", codec_errc::invalid_integer, "field 'chunk_index' has an exponent: '1E+0'"},
  {side::request, R"({"type":"plan","session_id":18446744073709551616})", codec_errc::invalid_integer, "field 'session_id' exceeds 2^64-1: '18446744073709551616'"},
  {side::request, R"({"type":"plan","session_id":123456789012345678901234567890123456789012345})", codec_errc::invalid_integer, "field 'session_id' exceeds 2^64-1: '1234567890123456789012345678901234567890...'"},
  {side::request, R"({"type":"plan","session_id":01})", codec_errc::not_json, "field 'session_id' is not a valid JSON number: '01'"},
  {side::request, R"({"type":"plan","session_id":1x})", codec_errc::not_json, "field 'session_id' is not a valid JSON number: '1x'"},
  {side::request, R"({"type":"plan","session_id":-})", codec_errc::not_json, "field 'session_id' is not a valid JSON number: '-'"},
  {side::request, R"({"type":"plan","session_id":1.})", codec_errc::not_json, "field 'session_id' is not a valid JSON number: '1.'"},
  // Wrong JSON types.
  {side::request, R"({"type":"plan","session_id":"1"})", codec_errc::wrong_type, "field 'session_id' is a string, expected an unsigned integer"},
  {side::request, R"({"type":"plan","session_id":null})", codec_errc::wrong_type, "field 'session_id' is null, expected an unsigned integer"},
  {side::request, R"({"type":"plan","session_id":true})", codec_errc::wrong_type, "field 'session_id' is a boolean, expected an unsigned integer"},
  {side::request, R"({"type":"plan","session_id":1,"max_chunk_size":{}})", codec_errc::wrong_type, "field 'max_chunk_size' is an object, expected an unsigned integer"},
  {side::request, R"({"type":7,"session_id":1})", codec_errc::wrong_type, "field 'type' is a number, expected a string"},
  {side::request, R"({"type":"ack","session_id":1,"kind":3,"index":0})", codec_errc::wrong_type, "field 'kind' is a number, expected a string"},
  {side::request, R"({"type":"resume","session_id":1,"plan_id":[],"chunk_index":0,"update_index":0})", codec_errc::wrong_type, "field 'plan_id' is an array, expected a string"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":{}})", codec_errc::wrong_type, "field 'chunk' is an object, expected a byte array or a base64 string"},
  {side::response, R"({"type":"plan","session_id":1,"plan":7})", codec_errc::wrong_type, "field 'plan' is a number, expected a byte array or a base64 string"},
  // Types, kinds, fields.
  {side::request, R"({"type":"plans","session_id":1})", codec_errc::unknown_type, "unknown type 'plans'"},
  {side::request, R"({"type":"Plan","session_id":1})", codec_errc::unknown_type, "unknown type 'Plan'"},
  {side::request, R"({"type":"ack","session_id":1,"kind":"chunk","index":0})", codec_errc::unknown_kind, "unknown kind 'chunk'"},
  {side::response, R"({"type":"ack","session_id":1,"kind":"Chunks","index":0})", codec_errc::unknown_kind, "unknown kind 'Chunks'"},
  {side::request, R"({"session_id":1})", codec_errc::missing_field, "missing field 'type'"},
  {side::request, R"({})", codec_errc::missing_field, "missing field 'type'"},
  {side::request, R"({"type":"chunk","chunk_index":0})", codec_errc::missing_field, "missing field 'session_id' for a chunk request"},
  {side::request, R"({"type":"chunk","session_id":1})", codec_errc::missing_field, "missing field 'chunk_index' for a chunk request"},
  {side::request, R"({"type":"resume","session_id":1,"chunk_index":0,"update_index":0})", codec_errc::missing_field, "missing field 'plan_id' for a resume request"},
  {side::request, R"({"type":"ack","session_id":1,"index":0})", codec_errc::missing_field, "missing field 'kind' for a ack request"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0})", codec_errc::missing_field, "missing field 'chunk' for a chunk response"},
  {side::response, R"({"type":"light_client_update","session_id":1,"update":""})", codec_errc::missing_field, "missing field 'update_index' for a light_client_update response"},
  {side::request, R"({"type":"plan","session_id":1,"foo":2})", codec_errc::unknown_field, "unknown field 'foo'"},
  {side::request, R"({"type":"plan","session_id":1,"Session_id":2})", codec_errc::unknown_field, "unknown field 'Session_id'"},
  {side::request, R"({"t\u0000x":1})", codec_errc::unknown_field, "unknown field 't\\x00x'"},
  {side::request, R"({"type":"plan","session_id":1,"chunk_index":2})", codec_errc::unknown_field, "unknown field 'chunk_index' for a plan request"},
  {side::request, R"({"chunk_index":2,"type":"plan","session_id":1})", codec_errc::unknown_field, "unknown field 'chunk_index' for a plan request"},
  {side::request, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1]})", codec_errc::unknown_field, "unknown field 'chunk'"},
  {side::request, R"({"type":"plan","session_id":1,"max_concurrent_requests":1})", codec_errc::unknown_field, "unknown field 'max_concurrent_requests'"},
  {side::response, R"({"type":"plan","session_id":1,"plan":"","chunk_index":1})", codec_errc::unknown_field, "unknown field 'chunk_index' for a plan response"},
  {side::response, R"({"type":"resume","session_id":1,"plan_id":"ab","chunk_index":0,"update_index":0})", codec_errc::unknown_field, "unknown field 'plan_id'"},
  {side::request, R"({"type":"plan","type":"plan","session_id":1})", codec_errc::duplicate_field, "duplicate field 'type'"},
  {side::request, R"({"type":"plan","session_id":1,"session_id":1})", codec_errc::duplicate_field, "duplicate field 'session_id'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"","chunk":""})", codec_errc::duplicate_field, "duplicate field 'chunk'"},
  // Byte arrays.
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1,256]})", codec_errc::invalid_byte, "field 'chunk' element 1 is above 255: '256'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1000000000000000000000]})", codec_errc::invalid_byte, "field 'chunk' element 0 is above 255: '1000000000000000000000'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1,-1]})", codec_errc::invalid_byte, "field 'chunk' element 1 is not an integer 0-255: '-1'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[2.0]})", codec_errc::invalid_byte, "field 'chunk' element 0 is not an integer 0-255: '2.0'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1e2]})", codec_errc::invalid_byte, "field 'chunk' element 0 is not an integer 0-255: '1e2'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1,"2"]})", codec_errc::invalid_byte, "field 'chunk' element 1 is a string, expected an integer 0-255"},
  {side::response, R"({"type":"plan","session_id":1,"plan":[[2]]})", codec_errc::invalid_byte, "field 'plan' element 0 is an array, expected an integer 0-255"},
  {side::response, R"({"type":"plan","session_id":1,"plan":[null]})", codec_errc::invalid_byte, "field 'plan' element 0 is null, expected an integer 0-255"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[01]})", codec_errc::not_json, "field 'chunk' element 0 is not a valid JSON number: '01'"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1,2,]})", codec_errc::not_json, "field 'chunk': malformed JSON"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":[1 2]})", codec_errc::not_json, "field 'chunk': malformed JSON"},
  // Base64.
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"AA!A"})", codec_errc::invalid_base64, "field 'chunk': invalid character at offset 2"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"AAA"})", codec_errc::invalid_base64, "field 'chunk': length is not a multiple of 4 at offset 3"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"AB=="})", codec_errc::invalid_base64, "field 'chunk': non-zero bits before padding at offset 1"},
  {side::response, R"({"type":"plan","session_id":1,"plan":"AA==AAAA"})", codec_errc::invalid_base64, "field 'plan': invalid character at offset 2"},
  {side::response, R"({"type":"plan","session_id":1,"plan":"AA AAA=="})", codec_errc::invalid_base64, "field 'plan': invalid character at offset 2"},
  {side::response, R"({"type":"light_client_update","session_id":1,"update_index":0,"update":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-AAA"})", codec_errc::invalid_base64, "field 'update': invalid character at offset 68"},
  {side::response, R"({"type":"light_client_update","session_id":1,"update_index":0,"update":"AAA\n"})", codec_errc::invalid_base64, "field 'update': invalid character at offset 3"},
  // Strings.
  {side::request, R"({"type":"error","session_id":1,"message":"bad \q"})", codec_errc::invalid_string, "field 'message': invalid escape sequence"},
  {side::request, R"({"type":"error","session_id":1,"message":"\ud800"})", codec_errc::invalid_string, "field 'message': invalid escape sequence"},
  {side::request, R"({"type":"error","session_id":1,"message":"\udc00"})", codec_errc::invalid_string, "field 'message': invalid escape sequence"},
  {side::request, R"({"type":"error","session_id":1,"message":"\u12"})", codec_errc::invalid_string, "field 'message': invalid escape sequence"},
  {side::response, R"({"type":"chunk","session_id":1,"chunk_index":0,"chunk":"AA\qA"})", codec_errc::invalid_string, "field 'chunk': invalid escape sequence"},
  {side::request, R"({"typ\e":"plan"})", codec_errc::invalid_string, "invalid escape sequence in a field name"},
  {side::request, "{\"type\":\"error\",\"session_id\":1,\"message\":\"a\x01" "b\"}", codec_errc::invalid_string, "unescaped control character in a string at offset 43"},
  {side::request, "{\"type\":\"error\",\"session_id\":1,\"message\":\"a\xff\"}", codec_errc::invalid_string, "invalid UTF-8 at offset 43"},
  {side::request, "{\"type\":\"error\",\"session_id\":1,\"message\":\"\xed\xa0\x80\"}", codec_errc::invalid_string, "invalid UTF-8 at offset 42"},
  {side::request, "{\"type\":\"error\",\"session_id\":1,\"message\":\"\xc0\xaf\"}", codec_errc::invalid_string, "invalid UTF-8 at offset 42"},
};

} // namespace

BOOST_AUTO_TEST_CASE(malformed_inputs_fail_with_a_typed_error_naming_the_problem) {
  BOOST_TEST(std::size(bad_cases) >= 40u);
  for (const auto& c : bad_cases) {
    BOOST_TEST_CONTEXT("input " << c.json) {
      const auto bytes = as_bytes(c.json);
      const error e = c.direction == side::request ? decode_request(bytes, request_cap).error()
                                                   : decode_response(bytes, response_cap).error();
      BOOST_TEST(e.code().message() == to_string(c.code));
      BOOST_TEST(e.is(c.code));
      BOOST_TEST(e.message() == c.message);
      // The in-place decoder agrees with the copying one.
      byte_buffer buffer(bytes.begin(), bytes.end());
      reserve_padding(buffer);
      const auto padded = *padded_input::from(buffer);
      const error f = c.direction == side::request ? decode_request(padded, request_cap).error()
                                                   : decode_response(padded, response_cap).error();
      BOOST_TEST((f == e));
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_are_registered_in_their_own_category) {
  const std::error_code code = codec_errc::duplicate_field;
  BOOST_TEST(std::string(code.category().name()) == "snapstream.messages");
  BOOST_TEST(code.message() == "duplicate field");
  auto r = request(R"({"type":"plan","session_id":-1})");
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(to_string(r.error()) == "snapstream.messages/invalid integer: field 'session_id' is negative: '-1'");
}

BOOST_AUTO_TEST_CASE(in_place_decoding_does_not_depend_on_the_padding_bytes) {
  // simdjson reads the first padding byte; when it is '}' On-Demand can take it
  // for part of the document (found by fuzzing: these once decoded differently).
  const std::string_view inputs[] = {
    R"({"type":"plan","sessn]id":1,"p,lan":[[]})",
    R"({"type":"chunk","session_id":7,"chunk_index":1,"chunk":"AAAA":"x"}})",
    R"({"type":"chunk","session_id":7,"chunk_index":1,"chunk":"AAAA"})",
  };
  for (const auto json : inputs) {
    const auto expected = decode_response(as_bytes(json), response_cap);
    for (const char pad : {' ', '}', ']', '"', '\0'}) {
      byte_buffer buffer(json.size() + decode_padding, static_cast<std::uint8_t>(pad));
      std::copy(json.begin(), json.end(), buffer.begin());
      const auto in_place = decode_response(*padded_input::from(buffer.data(), json.size(), buffer.size()), response_cap);
      BOOST_TEST_CONTEXT("input " << json << " padding " << int(pad)) {
        BOOST_REQUIRE(in_place.has_value() == expected.has_value());
        if (expected) BOOST_TEST((*in_place == *expected));
        else BOOST_TEST(in_place.error().message() == expected.error().message());
      }
    }
  }
  BOOST_TEST(decode_response(as_bytes(inputs[0]), response_cap).error().message() == "unknown field 'sessn]id'");
  BOOST_TEST(decode_response(as_bytes(inputs[1]), response_cap).error().message() == "malformed JSON after field 'chunk'");
}

namespace {

constexpr protocol_version older_versions[] = {protocol_version::v1_0, protocol_version::v1_1};

decode_options request_options(protocol_version v) { return {max_request_size, v}; }
decode_options response_options(protocol_version v) { return {max_response_size(v), v}; }

} // namespace

BOOST_AUTO_TEST_CASE(the_decoder_speaks_1_2_0_unless_told_otherwise) {
  BOOST_TEST((decode_options{}.version == protocol_version::v1_2));
  BOOST_TEST((decode_options{max_request_size}.version == protocol_version::v1_2));
}

BOOST_AUTO_TEST_CASE(v1_2_golden_messages_decode_under_1_2_0) {
  for (const auto& c : golden::v1_2_requests()) {
    BOOST_TEST_CONTEXT(c.name) {
      require_decoded(request(c.json), c.message);
      require_decoded(decode_request(as_bytes(c.json), request_options(protocol_version::v1_2)), c.message);
    }
  }
  for (const auto& c : golden::v1_2_responses()) {
    BOOST_TEST_CONTEXT(c.name) {
      require_decoded(response(c.array_json), c.message);
      require_decoded(decode_response(as_bytes(c.base64_json), response_options(protocol_version::v1_2)), c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(v1_2_messages_round_trip_in_both_encodings) {
  for (const auto e : {byte_encoding::array, byte_encoding::base64}) {
    for (const auto& c : golden::v1_2_requests()) {
      byte_buffer out;
      encode(c.message, e, out);
      BOOST_TEST_CONTEXT(c.name) { require_decoded(decode_request(out, request_cap), c.message); }
    }
    for (const auto& c : golden::v1_2_responses()) {
      byte_buffer out;
      encode(c.message, e, out);
      BOOST_TEST_CONTEXT(c.name) { require_decoded(decode_response(out, response_cap), c.message); }
    }
  }
  // A large offer list, as base64 and as a number array.
  const snapshots_response big{3, offers_response{random_bytes(70000, 9)}};
  for (const auto e : {byte_encoding::array, byte_encoding::base64}) {
    byte_buffer out;
    encode(big, e, out);
    require_decoded(decode_response(out, response_cap), big);
  }
}

BOOST_AUTO_TEST_CASE(messages_of_every_version_decode_alike_under_every_version) {
  for (const auto v : {protocol_version::v1_0, protocol_version::v1_1, protocol_version::v1_2}) {
    BOOST_TEST_CONTEXT("version " << protocol_id(v)) {
      for (const auto& c : golden::requests()) {
        BOOST_TEST_CONTEXT(c.name) { require_decoded(decode_request(as_bytes(c.json), request_options(v)), c.message); }
      }
      for (const auto& c : golden::responses()) {
        BOOST_TEST_CONTEXT(c.name) {
          // Byte fields decode from either encoding under every version.
          require_decoded(decode_response(as_bytes(c.array_json), response_options(v)), c.message);
          require_decoded(decode_response(as_bytes(c.base64_json), response_options(v)), c.message);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(older_versions_refuse_the_1_2_0_additions_as_a_1_1_0_peer_does) {
  struct version_case {
    side direction;
    std::string_view json;
    codec_errc code;
    std::string_view message;
  };
  const version_case cases[] = {
    {side::request, R"({"type":"offers","session_id":7})", codec_errc::unknown_type, "unknown type 'offers'"},
    {side::request, R"({"session_id":7,"type":"offers"})", codec_errc::unknown_type, "unknown type 'offers'"},
    {side::response, R"({"type":"offers","session_id":7,"offers":"U1NPRgEA"})", codec_errc::unknown_type,
     "unknown type 'offers'"},
    {side::response, R"({"offers":"U1NPRgEA","type":"offers","session_id":7})", codec_errc::unknown_field,
     "unknown field 'offers'"},
    {side::request, R"({"type":"plan","session_id":7,"plan_id":"ab"})", codec_errc::unknown_field,
     "unknown field 'plan_id' for a plan request"},
    {side::request, R"({"plan_id":"ab","type":"plan","session_id":7})", codec_errc::unknown_field,
     "unknown field 'plan_id' for a plan request"},
    {side::response, R"({"type":"error","session_id":7,"message":"m","code":"saturated"})", codec_errc::unknown_field,
     "unknown field 'code'"},
    {side::response, R"({"code":"nonsense","type":"error","session_id":7,"message":"m"})", codec_errc::unknown_field,
     "unknown field 'code'"},
  };
  for (const auto v : older_versions) {
    for (const auto& c : cases) {
      BOOST_TEST_CONTEXT("version " << protocol_id(v) << " input " << c.json) {
        const auto bytes = as_bytes(c.json);
        const auto r = c.direction == side::request ? decode_request(bytes, request_options(v)).error()
                                                    : decode_response(bytes, response_options(v)).error();
        BOOST_TEST(r.is(c.code));
        BOOST_TEST(r.message() == c.message);
      }
    }
  }
  // Each decodes under 1.2.0 (except the unknown code).
  for (std::size_t i = 0; i + 1 < std::size(cases); ++i) {
    const auto bytes = as_bytes(cases[i].json);
    BOOST_TEST_CONTEXT("input " << cases[i].json) {
      BOOST_TEST((cases[i].direction == side::request ? decode_request(bytes, request_cap).has_value()
                                                      : decode_response(bytes, response_cap).has_value()));
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_1_2_0_messages_fail_with_a_typed_error_naming_the_problem) {
  const bad_case cases[] = {
    // Requests never carry a code, under any version.
    {side::request, R"({"type":"error","session_id":7,"message":"m","code":"saturated"})", codec_errc::unknown_field, "unknown field 'code'"},
    {side::response, R"({"type":"chunk","session_id":7,"chunk_index":0,"chunk":"","code":"saturated"})", codec_errc::unknown_field, "unknown field 'code' for a chunk response"},
    {side::response, R"({"type":"error","session_id":7,"message":"m","code":"Saturated"})", codec_errc::unknown_code, "unknown code 'Saturated'"},
    {side::response, R"({"type":"error","session_id":7,"message":"m","code":""})", codec_errc::unknown_code, "unknown code ''"},
    {side::response, R"({"type":"error","session_id":7,"message":"m","code":3})", codec_errc::wrong_type, "field 'code' is a number, expected a string"},
    {side::response, R"({"type":"error","session_id":7,"message":"m","code":null})", codec_errc::wrong_type, "field 'code' is null, expected a string"},
    {side::response, R"({"type":"error","session_id":7,"code":"saturated","code":"saturated","message":"m"})", codec_errc::duplicate_field, "duplicate field 'code'"},
    {side::response, R"({"type":"error","session_id":7,"code":"saturated"})", codec_errc::missing_field, "missing field 'message' for a error response"},
    {side::response, R"({"type":"error","session_id":7,"message":"m","code":"bad \q"})", codec_errc::invalid_string, "field 'code': invalid escape sequence"},
    // The plan request's plan_id is any string.
    {side::request, R"({"type":"plan","session_id":7,"plan_id":7})", codec_errc::wrong_type, "field 'plan_id' is a number, expected a string"},
    {side::request, R"({"type":"plan","session_id":7,"plan_id":"a","plan_id":"b"})", codec_errc::duplicate_field, "duplicate field 'plan_id'"},
    // Offers.
    {side::request, R"({"type":"Offers","session_id":7})", codec_errc::unknown_type, "unknown type 'Offers'"},
    {side::request, R"({"type":"offers"})", codec_errc::missing_field, "missing field 'session_id' for a offers request"},
    {side::request, R"({"type":"offers","session_id":7,"chunk_index":0})", codec_errc::unknown_field, "unknown field 'chunk_index' for a offers request"},
    {side::request, R"({"type":"offers","session_id":7,"plan_id":"ab"})", codec_errc::unknown_field, "unknown field 'plan_id' for a offers request"},
    {side::request, R"({"type":"offers","session_id":7,"offers":""})", codec_errc::unknown_field, "unknown field 'offers'"},
    {side::response, R"({"type":"offers","session_id":7})", codec_errc::missing_field, "missing field 'offers' for a offers response"},
    {side::response, R"({"type":"offers","offers":""})", codec_errc::missing_field, "missing field 'session_id' for a offers response"},
    {side::response, R"({"type":"offers","session_id":7,"offers":"","message":"m"})", codec_errc::unknown_field, "unknown field 'message' for a offers response"},
    {side::response, R"({"type":"chunk","session_id":7,"chunk_index":0,"chunk":"","offers":""})", codec_errc::unknown_field, "unknown field 'offers' for a chunk response"},
    {side::response, R"({"type":"offers","session_id":7,"offers":7})", codec_errc::wrong_type, "field 'offers' is a number, expected a byte array or a base64 string"},
    {side::response, R"({"type":"offers","session_id":7,"offers":"AA!A"})", codec_errc::invalid_base64, "field 'offers': invalid character at offset 2"},
    {side::response, R"({"type":"offers","session_id":7,"offers":[1,256]})", codec_errc::invalid_byte, "field 'offers' element 1 is above 255: '256'"},
    {side::response, R"({"type":"offers","session_id":7,"offers":"","offers":""})", codec_errc::duplicate_field, "duplicate field 'offers'"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("input " << c.json) {
      const auto bytes = as_bytes(c.json);
      const error e = c.direction == side::request ? decode_request(bytes, request_cap).error()
                                                   : decode_response(bytes, response_cap).error();
      BOOST_TEST(e.code().message() == to_string(c.code));
      BOOST_TEST(e.is(c.code));
      BOOST_TEST(e.message() == c.message);
      byte_buffer buffer(bytes.begin(), bytes.end());
      reserve_padding(buffer);
      const auto padded = *padded_input::from(buffer);
      const error f = c.direction == side::request ? decode_request(padded, request_cap).error()
                                                   : decode_response(padded, response_cap).error();
      BOOST_TEST((f == e));
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_inputs_fail_alike_under_every_version) {
  // The version changes only what 1.2.0 added: every other rejection is the same.
  for (const auto v : older_versions) {
    for (const auto& c : bad_cases) {
      BOOST_TEST_CONTEXT("version " << protocol_id(v) << " input " << c.json) {
        const auto bytes = as_bytes(c.json);
        const error e = c.direction == side::request ? decode_request(bytes, request_options(v)).error()
                                                     : decode_response(bytes, response_options(v)).error();
        BOOST_TEST(e.is(c.code));
        BOOST_TEST(e.message() == c.message);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// 1.3.0: framed responses (docs/protocol.md 2.8) and carried acks.

namespace {

const decode_options v1_3_requests{max_request_size, protocol_version::v1_3};
const decode_options v1_3_responses{max_response_size_v1_3, protocol_version::v1_3};

byte_buffer framed(const snapshots_response& m) {
  byte_buffer out;
  encode(m, byte_encoding::raw, out);
  return out;
}

/// Every way a 1.3.0 frame decodes: from a view, in place, and handed over.
void require_frame_decodes(const byte_buffer& frame, const snapshots_response& expected) {
  require_decoded(decode_response(frame, v1_3_responses), expected);
  byte_buffer padded = frame;
  reserve_padding(padded);
  require_decoded(decode_response(*padded_input::from(padded), v1_3_responses), expected);
  byte_buffer owned = frame;
  require_decoded(decode_response(std::move(owned), v1_3_responses), expected);
}

error frame_error(const byte_buffer& frame) {
  auto r = decode_response(frame, v1_3_responses);
  BOOST_REQUIRE(!r.has_value());
  byte_buffer owned = frame;
  auto again = decode_response(std::move(owned), v1_3_responses);
  BOOST_REQUIRE(!again.has_value());
  BOOST_TEST((again.error() == r.error()));
  return r.error();
}

byte_buffer frame_of(std::string_view payload, std::string_view envelope) {
  byte_buffer out(as_bytes(payload).begin(), as_bytes(payload).end());
  append(out, as_bytes(envelope));
  const auto n = envelope.size();
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>(n >> shift));
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_1_3_0_chunk_response_is_its_raw_payload_then_the_envelope_and_its_length) {
  const snapshots_response m{7, chunk_response{3, golden::bytes({0x00, 0x01, 0xff})}};
  const std::string_view envelope = R"({"type":"chunk","session_id":7,"chunk_index":3})";
  byte_buffer expected{0x00, 0x01, 0xff};
  append(expected, as_bytes(envelope));
  append(expected, byte_buffer{0x00, 0x00, 0x00, static_cast<std::uint8_t>(envelope.size())});
  const auto frame = framed(m);
  BOOST_TEST(frame == expected, boost::test_tools::per_element());
  BOOST_TEST(encoded_size(m, byte_encoding::raw) == expected.size());
  require_frame_decodes(frame, m);
  // A frame is built around the payload without copying it, too.
  byte_buffer payload{0x00, 0x01, 0xff};
  append_envelope(snapshots_response{7, chunk_response{3, nullptr}}, payload);
  BOOST_TEST(payload == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_response_round_trips_as_a_1_3_0_frame) {
  auto cases = golden::responses();
  for (auto& c : golden::v1_2_responses()) cases.push_back(c);
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) { require_frame_decodes(framed(c.message), c.message); }
  }
  const snapshots_response big{1, chunk_response{2, random_bytes(4 << 20, 9)}};
  require_frame_decodes(framed(big), big);
}

BOOST_AUTO_TEST_CASE(a_handed_over_frame_becomes_the_chunk_without_a_copy) {
  auto frame = framed(snapshots_response{7, chunk_response{3, random_bytes(1 << 20, 5)}});
  const std::uint8_t* head = frame.data();
  auto r = decode_response(std::move(frame), v1_3_responses);
  BOOST_REQUIRE(r.has_value());
  const auto& chunk = std::get<chunk_response>(r->body).chunk;
  BOOST_TEST(chunk->size() == (1u << 20));
  BOOST_TEST(chunk->data() == head); // the same memory: the payload was not moved or copied
}

BOOST_AUTO_TEST_CASE(malformed_1_3_0_frames_fail_with_a_typed_error) {
  struct bad {
    byte_buffer frame;
    codec_errc code;
    std::string_view message;
  };
  const std::vector<bad> cases = {
    {byte_buffer{}, codec_errc::bad_frame, "frame is 0 bytes, shorter than its 4-byte envelope length"},
    {byte_buffer{0, 0, 0}, codec_errc::bad_frame, "frame is 3 bytes, shorter than its 4-byte envelope length"},
    {byte_buffer{'{', '}', 0, 0, 0, 3}, codec_errc::bad_frame, "envelope length 3 exceeds the 2 bytes before it"},
    {byte_buffer{0, 0, 0, 0}, codec_errc::not_json, "empty input"},
    {frame_of("", R"({"type":"chunk","session_id":7,"chunk_index":3,"chunk":"AAAA"})"), codec_errc::unknown_field,
     "unknown field 'chunk'"},
    {frame_of("xy", R"({"type":"ack","session_id":7,"kind":"Chunk","index":1})"), codec_errc::bad_frame,
     "a ack response has no byte field, but its frame carries 2 payload bytes"},
    {frame_of("xy", R"({"type":"chunk","session_id":7})"), codec_errc::missing_field,
     "missing field 'chunk_index' for a chunk response"},
    {frame_of("xy", R"({"type":"chunk","session_id":7,"chunk_index":3} x)"), codec_errc::trailing_bytes,
     "trailing bytes after the object at offset 48"}, // offsets count from the envelope
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.message) {
      const auto e = frame_error(c.frame);
      BOOST_TEST(e.code() == make_error_code(c.code));
      BOOST_TEST(e.message() == c.message);
    }
  }
  // The cap holds for the whole frame, before anything is read.
  const auto frame = frame_of(std::string(100, 'x'), R"({"type":"chunk","session_id":7,"chunk_index":3})");
  auto r = decode_response(frame, decode_options{100, protocol_version::v1_3});
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code() == make_error_code(codec_errc::too_large));
  // An empty error response, framed, is fine: an envelope and no payload.
  require_frame_decodes(frame_of("", R"({"type":"error","session_id":7,"message":"m","code":"saturated"})"),
                        snapshots_response{7, error_message{"m", refusal_code::saturated}});
}

BOOST_AUTO_TEST_CASE(a_1_3_0_chunk_or_update_request_carries_an_ack) {
  const std::string_view chunk = R"({"type":"chunk","session_id":7,"chunk_index":5,"ack_kind":"Chunk","ack_index":4})";
  const snapshots_request m{7, chunk_request{5, ack_message{ack_kind::chunk, 4}}};
  require_decoded(decode_request(as_bytes(chunk), v1_3_requests), m);
  byte_buffer out;
  encode(m, byte_encoding::raw, out);
  BOOST_TEST(as_chars(out) == chunk);
  const std::string_view update =
    R"({"type":"light_client_update","session_id":7,"update_index":1,"ack_kind":"LightClientUpdate","ack_index":0})";
  const snapshots_request u{7, update_request{1, ack_message{ack_kind::light_client_update, 0}}};
  require_decoded(decode_request(as_bytes(update), v1_3_requests), u);
  out.clear();
  encode(u, byte_encoding::raw, out);
  BOOST_TEST(as_chars(out) == update);

  struct bad {
    std::string_view json;
    protocol_version version;
    codec_errc code;
    std::string_view message;
  };
  const std::vector<bad> cases = {
    {chunk, protocol_version::v1_2, codec_errc::unknown_field, "unknown field 'ack_kind'"},
    {R"({"type":"chunk","session_id":7,"chunk_index":5,"ack_kind":"Chunk"})", protocol_version::v1_3,
     codec_errc::missing_field, "missing field 'ack_index' for a chunk request"},
    {R"({"type":"chunk","session_id":7,"chunk_index":5,"ack_index":4})", protocol_version::v1_3,
     codec_errc::missing_field, "missing field 'ack_kind' for a chunk request"},
    {R"({"type":"chunk","session_id":7,"chunk_index":5,"ack_kind":"chunk","ack_index":4})", protocol_version::v1_3,
     codec_errc::unknown_kind, "unknown kind 'chunk'"},
    {R"({"type":"plan","session_id":7,"ack_kind":"Chunk","ack_index":4})", protocol_version::v1_3,
     codec_errc::unknown_field, "unknown field 'ack_kind' for a plan request"},
    {R"({"type":"chunk","session_id":7,"chunk_index":5,"ack_kind":"Chunk","ack_index":-1})", protocol_version::v1_3,
     codec_errc::invalid_integer, "field 'ack_index' is negative: '-1'"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.json) {
      auto r = decode_request(as_bytes(c.json), decode_options{max_request_size, c.version});
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().code() == make_error_code(c.code));
      BOOST_TEST(r.error().message() == c.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_largest_1_3_0_chunk_fits_the_cap_and_one_byte_more_does_not) {
  const std::size_t cap = max_response_size(protocol_version::v1_3);
  const std::size_t largest = max_chunk_payload(cap, byte_encoding::raw);
  BOOST_TEST(largest == 16'777'127u); // docs/protocol.md 2.5 and 2.8
  // The worst case: both integers at 2^64-1.
  const snapshots_response worst{golden::max_u64, chunk_response{golden::max_u64, random_bytes(largest, 3)}};
  BOOST_TEST(encoded_size(worst, byte_encoding::raw) <= cap);
  BOOST_TEST(encoded_size(worst, byte_encoding::raw) == max_chunk_response_size(largest, byte_encoding::raw));
  BOOST_TEST(max_chunk_response_size(largest + 1, byte_encoding::raw) > cap);
}
