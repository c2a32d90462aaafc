// libFuzzer target for the /rpp/snapshots/1.x codec (protocol/messages).
//
// For every input it checks properties, and traps when one fails:
//  - both decoders return a message or a typed error, never crash or hang;
//  - decoding in place (padded_input) and from a copy give the same outcome;
//  - what decodes is valid JSON to an independent parser (Boost.JSON);
//  - a decoded message re-encodes, in both byte encodings, to text that
//    decodes to the same message;
//  - the AVX2 base64 paths agree with protocol/common's scalar code, bytes and
//    errors alike;
//  - as a 1.3.0 response frame, the input decodes alike from a view, in place
//    and handed over (the zero-copy path), and what decodes re-frames to a
//    frame that decodes to the same message; as a 1.3.0 request (carried
//    acks), what decodes round-trips.
//
// Built only with -DSNAPSTREAM_FUZZ=ON and clang (tests/fuzz/CMakeLists.txt);
// scripts/test.sh runs it for 30 s over tests/fuzz/corpus.

#include "protocol/messages/decoder.hpp"
#include "protocol/messages/detail/base64_simd.hpp"
#include "protocol/messages/encoder.hpp"

#include <boost/json/parse.hpp>

#include <cstdio>
#include <cstring>

using namespace snapstream;
using namespace snapstream::messages;

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_codec: property failed: %s\n", what);
    __builtin_trap();
  }
}

template <class Message>
bool same_outcome(const result<Message>& a, const result<Message>& b) {
  if (a.has_value() != b.has_value()) return false;
  return a ? *a == *b : a.error() == b.error();
}

template <class Message, class Decode>
void check(bytes_view input, const decode_options& options, Decode decode) {
  const result<Message> copied = decode(input, options);
  if (!copied) require(!copied.error().message().empty(), "an error names its problem");

  // In place, over padding that starts with '}' (which simdjson may read as
  // part of the document) and over neutral padding.
  for (const std::uint8_t pad : {std::uint8_t{'}'}, std::uint8_t{' '}, std::uint8_t{0xff}}) {
    byte_buffer buffer(input.size() + decode_padding, pad);
    if (!input.empty()) std::memcpy(buffer.data(), input.data(), input.size());
    const auto padded = padded_input::from(buffer.data(), input.size(), buffer.size());
    require(padded.has_value(), "padded_input accepts decode_padding spare bytes");
    const result<Message> in_place = decode(*padded, options);
    if (!same_outcome(copied, in_place)) {
      std::fprintf(stderr, "copy: %s\nin place (padding %d): %s\n", copied ? "decoded" : to_string(copied.error()).c_str(),
                   pad, in_place ? "decoded" : to_string(in_place.error()).c_str());
      require(false, "in-place and copying decodes agree");
    }
  }

  if (!copied) return;
  // Oracle: whatever decodes is well-formed JSON by an independent parser.
  boost::json::error_code json_error;
  (void)boost::json::parse(as_chars(input), json_error);
  require(!json_error, "only valid JSON decodes (Boost.JSON agrees)");
  for (const auto encoding : {byte_encoding::array, byte_encoding::base64}) {
    byte_buffer text;
    encode(*copied, encoding, text);
    require(text.size() == encoded_size(*copied, encoding), "encoded_size is exact");
    const result<Message> again = decode(text, decode_options{text.size()});
    require(again.has_value(), "encoder output decodes");
    require(*again == *copied, "decode(encode(m)) == m");
  }
}

void check_base64(bytes_view input) {
  const std::string_view text = as_chars(input);
  byte_buffer fast(base64_decoded_max(text.size()) + 1), slow(fast.size());
  const auto a = messages::detail::decode_base64(text, fast.data());
  const auto b = base64_decode_into(text, slow.data());
  require(a.has_value() == b.has_value(), "base64 decoders agree on validity");
  if (a) {
    require(*a == *b && std::memcmp(fast.data(), slow.data(), *a) == 0, "base64 decoders agree on bytes");
  } else {
    require(a.error() == b.error(), "base64 decoders report the same error");
  }

  std::string x(base64_encoded_size(input.size()), '\0'), y(x.size(), '\0');
  const char* end = messages::detail::encode_base64(input, x.data());
  base64_encode_into(input, y.data());
  require(end == x.data() + x.size() && x == y, "base64 encoders agree");
}

void check_v1_3(bytes_view input) {
  const decode_options options{max_response_size_v1_3, protocol_version::v1_3};
  const auto viewed = decode_response(input, options);
  if (!viewed) require(!viewed.error().message().empty(), "a frame error names its problem");
  byte_buffer padded(input.begin(), input.end());
  reserve_padding(padded);
  require(same_outcome(viewed, decode_response(*padded_input::from(padded), options)), "frame: view and in place agree");
  byte_buffer owned(input.begin(), input.end());
  require(same_outcome(viewed, decode_response(std::move(owned), options)), "frame: view and handed over agree");
  if (viewed) {
    byte_buffer frame;
    encode(*viewed, byte_encoding::raw, frame);
    require(frame.size() == encoded_size(*viewed, byte_encoding::raw), "frame: encoded_size is exact");
    const auto again = decode_response(frame, decode_options{frame.size(), protocol_version::v1_3});
    require(again.has_value() && *again == *viewed, "frame: decode(encode(m)) == m");
  }
  const auto request = decode_request(input, decode_options{max_request_size, protocol_version::v1_3});
  if (request) {
    byte_buffer text;
    encode(*request, byte_encoding::raw, text);
    const auto again = decode_request(text, decode_options{text.size(), protocol_version::v1_3});
    require(again.has_value() && *again == *request, "1.3.0 request: decode(encode(m)) == m");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view input(data, size);
  const decode_options options{max_response_size_v1_1};
  check<snapshots_request>(input, options, [](auto in, const decode_options& o) { return decode_request(in, o); });
  check<snapshots_response>(input, options, [](auto in, const decode_options& o) { return decode_response(in, o); });
  check_base64(input);
  check_v1_3(input);
  return 0;
}
