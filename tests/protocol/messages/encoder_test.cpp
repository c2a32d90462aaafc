#define BOOST_TEST_MODULE messages_encoder
#include <boost/test/unit_test.hpp>

#include "golden.hpp"

#include "protocol/messages/encoder.hpp"

#include <string>

using namespace snapstream;
using namespace snapstream::messages;

namespace {

template <class Message>
std::string encoded(const Message& m, byte_encoding e) {
  byte_buffer out;
  encode(m, e, out);
  return std::string(as_chars(out));
}

std::string error_json(std::string_view message) {
  return encoded(snapshots_request{1, error_message{std::string(message)}}, byte_encoding::base64);
}

} // namespace

BOOST_AUTO_TEST_CASE(every_request_kind_encodes_to_its_golden_text_in_both_encodings) {
  for (const auto& c : golden::requests()) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(encoded(c.message, byte_encoding::array) == c.json);
      BOOST_TEST(encoded(c.message, byte_encoding::base64) == c.json);
      BOOST_TEST(encoded_size(c.message, byte_encoding::array) == c.json.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_response_kind_encodes_to_its_golden_text_in_both_encodings) {
  for (const auto& c : golden::responses()) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(encoded(c.message, byte_encoding::array) == c.array_json);
      BOOST_TEST(encoded(c.message, byte_encoding::base64) == c.base64_json);
      BOOST_TEST(encoded_size(c.message, byte_encoding::array) == c.array_json.size());
      BOOST_TEST(encoded_size(c.message, byte_encoding::base64) == c.base64_json.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(encode_appends_to_what_the_buffer_already_holds) {
  byte_buffer out = {'x', 'y'};
  encode(snapshots_request{1, chunk_request{2}}, byte_encoding::base64, out);
  BOOST_TEST(std::string(as_chars(out)) == R"(xy{"type":"chunk","session_id":1,"chunk_index":2})");
}

BOOST_AUTO_TEST_CASE(a_null_byte_field_is_written_as_empty_bytes) {
  const snapshots_response r{9, update_response{1, nullptr}};
  BOOST_TEST(encoded(r, byte_encoding::array) == R"({"type":"light_client_update","session_id":9,"update_index":1,"update":[]})");
  BOOST_TEST(encoded(r, byte_encoding::base64) == R"({"type":"light_client_update","session_id":9,"update_index":1,"update":""})");
}

BOOST_AUTO_TEST_CASE(strings_escape_quotes_backslashes_and_control_characters) {
  BOOST_TEST(error_json("say \"hi\" \\ bye") == R"({"type":"error","session_id":1,"message":"say \"hi\" \\ bye"})");
  BOOST_TEST(error_json(std::string_view("a\nb\tc\x01\x1f\0z", 9)) ==
             R"({"type":"error","session_id":1,"message":"a\u000ab\u0009c\u0001\u001f\u0000z"})");
  // DEL and "/" need no escape; valid multi-byte UTF-8 passes through.
  BOOST_TEST(error_json("\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") ==
             "{\"type\":\"error\",\"session_id\":1,\"message\":\"\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_strings_becomes_replacement_characters) {
  // U+FFFD is EF BF BD; one per maximal invalid subpart (Unicode 15, section 3.9).
  const std::string prefix = R"({"type":"error","session_id":1,"message":")";
  const std::string fffd = "\xef\xbf\xbd";
  BOOST_TEST(error_json("a\xff" "b") == prefix + "a" + fffd + "b\"}");          // never valid byte
  BOOST_TEST(error_json("\xe2\x82") == prefix + fffd + "\"}");                   // truncated 3-byte sequence
  BOOST_TEST(error_json("\xc0\xaf") == prefix + fffd + fffd + "\"}");            // overlong: two subparts
  BOOST_TEST(error_json("\xed\xa0\x80") == prefix + fffd + fffd + fffd + "\"}"); // surrogate U+D800
  BOOST_TEST(error_json("\xf4\x90\x80\x80") == prefix + fffd + fffd + fffd + fffd + "\"}"); // above U+10FFFF
  BOOST_TEST(error_json("\xf0\x9f\x98" "x") == prefix + fffd + "x\"}");          // truncated 4-byte sequence
  BOOST_TEST(error_json("\x80\x80") == prefix + fffd + fffd + "\"}");            // lone continuation bytes
  BOOST_TEST(encoded_size(snapshots_request{1, error_message{"\xe2\x82" "a"}}, byte_encoding::array) ==
             prefix.size() + 3 + 1 + 2);
}

BOOST_AUTO_TEST_CASE(the_plan_id_is_escaped_like_any_string) {
  const snapshots_request r{3, resume_request{"a\"b\xff", 0, 0, {}, {}, {}}};
  BOOST_TEST(encoded(r, byte_encoding::array) ==
             "{\"type\":\"resume\",\"session_id\":3,\"plan_id\":\"a\\\"b\xef\xbf\xbd\",\"chunk_index\":0,\"update_index\":0}");
}

BOOST_AUTO_TEST_CASE(every_byte_value_is_written_in_decimal) {
  auto all = std::make_shared<byte_buffer>(256);
  for (int i = 0; i < 256; ++i) (*all)[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  const std::string json = encoded(snapshots_response{0, chunk_response{0, all}}, byte_encoding::array);
  std::string expected = R"({"type":"chunk","session_id":0,"chunk_index":0,"chunk":[)";
  for (int i = 0; i < 256; ++i) {
    if (i > 0) expected += ',';
    expected += std::to_string(i);
  }
  expected += "]}";
  BOOST_TEST(json == expected);
  BOOST_TEST(encoded_size(snapshots_response{0, chunk_response{0, all}}, byte_encoding::array) == expected.size());
}

BOOST_AUTO_TEST_CASE(chunk_response_bound_is_reached_by_the_worst_case_and_never_exceeded) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4},
                              std::size_t{1000}, std::size_t{65536}}) {
    const auto worst = std::make_shared<byte_buffer>(n, std::uint8_t{255});
    const snapshots_response r{golden::max_u64, chunk_response{golden::max_u64, worst}};
    BOOST_TEST_CONTEXT("payload " << n) {
      BOOST_TEST(encoded(r, byte_encoding::array).size() == max_chunk_response_size(n, byte_encoding::array));
      BOOST_TEST(encoded(r, byte_encoding::base64).size() == max_chunk_response_size(n, byte_encoding::base64));
      const snapshots_response small{0, chunk_response{0, std::make_shared<byte_buffer>(n, std::uint8_t{7})}};
      BOOST_TEST(encoded(small, byte_encoding::array).size() <= max_chunk_response_size(n, byte_encoding::array));
    }
  }
}

BOOST_AUTO_TEST_CASE(largest_chunk_payload_fits_the_version_caps) {
  // Overhead 94 bytes: {"type":"chunk","session_id":<20>,"chunk_index":<20>,"chunk":...}
  // 1.0.0: (10 MiB - 94 - 1) / 4 = 2621416; 1.1.0: (16 MiB - 94 - 2) / 4 * 3 = 12582840.
  BOOST_TEST(max_chunk_payload(max_response_size_v1_0, byte_encoding::array) == 2621416u);
  BOOST_TEST(max_chunk_payload(max_response_size_v1_1, byte_encoding::base64) == 12582840u);
  for (const std::size_t cap : {std::size_t{100}, std::size_t{1000}, std::size_t{1} << 20, max_response_size_v1_1}) {
    for (const auto e : {byte_encoding::array, byte_encoding::base64}) {
      const std::size_t n = max_chunk_payload(cap, e);
      BOOST_TEST_CONTEXT("cap " << cap << " encoding " << static_cast<int>(e)) {
        BOOST_TEST(n > 0u);
        BOOST_TEST(max_chunk_response_size(n, e) <= cap);
        BOOST_TEST(max_chunk_response_size(n + 1, e) > cap);
      }
    }
  }
  BOOST_TEST(max_chunk_payload(94, byte_encoding::array) == 0u);
  BOOST_TEST(max_chunk_payload(99, byte_encoding::base64) == 0u);
  BOOST_TEST(max_chunk_payload(100, byte_encoding::base64) == 3u);
  BOOST_TEST(max_chunk_response_size(SIZE_MAX / 2, byte_encoding::array) == SIZE_MAX);
}

BOOST_AUTO_TEST_CASE(protocol_ids_name_their_byte_encoding) {
  BOOST_TEST(protocol_id(byte_encoding::array) == "/rpp/snapshots/1.0.0");
  BOOST_TEST(protocol_id(byte_encoding::base64) == "/rpp/snapshots/1.1.0");
  BOOST_TEST((encoding_of("/rpp/snapshots/1.0.0") == std::optional(byte_encoding::array)));
  BOOST_TEST((encoding_of("/rpp/snapshots/1.1.0") == std::optional(byte_encoding::base64)));
  BOOST_TEST(!encoding_of("/rpp/snapshots/2.0.0").has_value());
  BOOST_TEST(max_response_size(byte_encoding::array) == 10u * 1024 * 1024);
  BOOST_TEST(max_response_size(byte_encoding::base64) == 16u * 1024 * 1024);
  BOOST_TEST(max_request_size == 1024u * 1024);
}

BOOST_AUTO_TEST_CASE(ack_kinds_and_types_have_their_wire_names) {
  const std::pair<ack_kind, std::string_view> kinds[] = {
    {ack_kind::plan, "Plan"}, {ack_kind::chunk, "Chunk"}, {ack_kind::light_client_update, "LightClientUpdate"},
    {ack_kind::resume, "Resume"}, {ack_kind::ack, "Ack"}, {ack_kind::error, "Error"},
  };
  for (const auto& [kind, name] : kinds) {
    BOOST_TEST(to_string(kind) == name);
    BOOST_TEST((ack_kind_from_string(name) == std::optional(kind)));
  }
  BOOST_TEST(!ack_kind_from_string("plan").has_value());
  BOOST_TEST(!ack_kind_from_string("").has_value());
  BOOST_TEST(type_name(snapshots_request{0, update_request{}}) == "light_client_update");
  BOOST_TEST(type_name(snapshots_response{0, resume_response{}}) == "resume");
}

BOOST_AUTO_TEST_CASE(v1_2_requests_encode_to_their_golden_texts) {
  for (const auto& c : golden::v1_2_requests()) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(encoded(c.message, byte_encoding::array) == c.json);
      BOOST_TEST(encoded(c.message, byte_encoding::base64) == c.json);
      BOOST_TEST(encoded_size(c.message, byte_encoding::base64) == c.json.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(v1_2_responses_encode_to_their_golden_texts_in_both_encodings) {
  for (const auto& c : golden::v1_2_responses()) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(encoded(c.message, byte_encoding::array) == c.array_json);
      BOOST_TEST(encoded(c.message, byte_encoding::base64) == c.base64_json);
      BOOST_TEST(encoded_size(c.message, byte_encoding::array) == c.array_json.size());
      BOOST_TEST(encoded_size(c.message, byte_encoding::base64) == c.base64_json.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_cancel_request_never_carries_a_refusal_code) {
  // Requests have no `code` field: a code left in the value is not written.
  const snapshots_request cancel{7, error_message{"cancelled by operator", refusal_code::saturated}};
  const std::string_view expected = R"({"type":"error","session_id":7,"message":"cancelled by operator"})";
  BOOST_TEST(encoded(cancel, byte_encoding::base64) == expected);
  BOOST_TEST(encoded(cancel, byte_encoding::array) == expected);
  BOOST_TEST(encoded_size(cancel, byte_encoding::base64) == expected.size());
}

BOOST_AUTO_TEST_CASE(an_empty_plan_id_is_written_as_an_empty_string) {
  const snapshots_request r{1, plan_request{std::nullopt, std::nullopt, std::nullopt, std::string()}};
  BOOST_TEST(encoded(r, byte_encoding::base64) == R"({"type":"plan","session_id":1,"plan_id":""})");
}

BOOST_AUTO_TEST_CASE(protocol_versions_name_their_id_encoding_and_caps) {
  using enum protocol_version;
  BOOST_TEST(protocol_id(v1_0) == "/rpp/snapshots/1.0.0");
  BOOST_TEST(protocol_id(v1_1) == "/rpp/snapshots/1.1.0");
  BOOST_TEST(protocol_id(v1_2) == "/rpp/snapshots/1.2.0");
  BOOST_TEST(protocol_v1_2 == "/rpp/snapshots/1.2.0");
  BOOST_TEST(protocol_id(v1_3) == "/rpp/snapshots/1.3.0");
  for (const auto v : {v1_0, v1_1, v1_2, v1_3}) BOOST_TEST((version_of(protocol_id(v)) == std::optional(v)));
  BOOST_TEST(!version_of("/rpp/snapshots/1.4.0").has_value());
  BOOST_TEST((encoding_of(v1_3) == byte_encoding::raw));
  BOOST_TEST(max_response_size(v1_3) == 16u * 1024 * 1024);
  BOOST_TEST(!version_of("").has_value());
  BOOST_TEST((encoding_of(v1_0) == byte_encoding::array));
  BOOST_TEST((encoding_of(v1_1) == byte_encoding::base64));
  BOOST_TEST((encoding_of(v1_2) == byte_encoding::base64));
  BOOST_TEST((encoding_of("/rpp/snapshots/1.2.0") == std::optional(byte_encoding::base64)));
  BOOST_TEST(max_response_size(v1_0) == 10u * 1024 * 1024);
  BOOST_TEST(max_response_size(v1_1) == 16u * 1024 * 1024);
  BOOST_TEST(max_response_size(v1_2) == 16u * 1024 * 1024);
  BOOST_TEST(max_response_size_v1_2 == max_response_size(byte_encoding::base64));
  // The largest chunk payload of 1.2.0 is 1.1.0's.
  BOOST_TEST(max_chunk_payload(max_response_size(v1_2), encoding_of(v1_2)) == 12582840u);
}

BOOST_AUTO_TEST_CASE(offers_messages_have_the_offers_type_name) {
  BOOST_TEST(type_name(snapshots_request{0, offers_request{}}) == "offers");
  BOOST_TEST(type_name(snapshots_response{0, offers_response{}}) == "offers");
  BOOST_TEST(type_name(snapshots_response{0, error_message{"x", refusal_code::saturated}}) == "error");
  // Offer bytes compare by content; null counts as empty.
  BOOST_TEST((offers_response{golden::bytes({1, 2})} == offers_response{golden::bytes({1, 2})}));
  BOOST_TEST((offers_response{nullptr} == offers_response{golden::bytes({})}));
  BOOST_TEST(!(offers_response{golden::bytes({1})} == offers_response{golden::bytes({2})}));
}

BOOST_AUTO_TEST_CASE(the_largest_offer_list_fits_the_1_2_0_response_cap) {
  // docs/protocol.md 2.5: 63 bytes around the base64 text, 12,582,864 bytes of offers.
  const std::size_t cap = max_response_size(protocol_version::v1_2);
  const auto size_with = [](std::size_t n) {
    return encoded_size(snapshots_response{golden::max_u64, offers_response{std::make_shared<byte_buffer>(n)}},
                        byte_encoding::base64);
  };
  BOOST_TEST(size_with(0) == 63u);
  BOOST_TEST(size_with(12582864) <= cap);
  BOOST_TEST(size_with(12582865) > cap);
}
