#include "protocol/messages/encoder.hpp"

#include "protocol/common/base64.hpp"
#include "protocol/messages/detail/base64_simd.hpp"
#include "protocol/messages/detail/json_text.hpp"

#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <type_traits>

namespace snapstream::messages {

namespace {

using detail::decimal_digits;

/// "0," .. "255,": each byte's decimal text and a comma, padded to 4 bytes so
/// the array writer can copy a fixed 4 bytes per element.
struct byte_text {
  char text[4];
  std::uint8_t size; // digits + comma
};

constexpr std::array<byte_text, 256> make_byte_texts() {
  std::array<byte_text, 256> t{};
  for (int v = 0; v < 256; ++v) {
    auto& e = t[static_cast<std::size_t>(v)];
    int i = 0;
    if (v >= 100) e.text[i++] = static_cast<char>('0' + v / 100);
    if (v >= 10) e.text[i++] = static_cast<char>('0' + v / 10 % 10);
    e.text[i++] = static_cast<char>('0' + v % 10);
    e.text[i++] = ',';
    e.size = static_cast<std::uint8_t>(i);
  }
  return t;
}

constexpr auto byte_texts = make_byte_texts();

std::size_t byte_array_size(bytes_view b) noexcept {
  if (b.empty()) return 2; // []
  std::size_t wide = 0;     // one per byte >= 10, another per byte >= 100
  for (const std::uint8_t v : b) wide += static_cast<std::size_t>(v >= 10) + static_cast<std::size_t>(v >= 100);
  return 2 * b.size() + wide + 1; // "[" + digits and commas - last comma + "]"
}

char* write_byte_array(bytes_view b, char* p) noexcept {
  *p++ = '[';
  if (!b.empty()) {
    const std::size_t last = b.size() - 1;
    const std::uint8_t* data = b.data();
    // The fixed 4-byte copy may spill up to 2 bytes past an element; the next
    // element (or the exactly written last one and "]") overwrites them.
    for (std::size_t i = 0; i < last; ++i) {
      const byte_text& e = byte_texts[data[i]];
      std::memcpy(p, e.text, 4);
      p += e.size;
    }
    const byte_text& e = byte_texts[data[last]];
    std::memcpy(p, e.text, e.size - 1u);
    p += e.size - 1u;
  }
  *p++ = ']';
  return p;
}

bytes_view view_of(const shared_bytes& b) noexcept {
  return b ? bytes_view(*b) : bytes_view{};
}

/// Counts what `writer` would write.
struct size_sink {
  std::size_t size = 0;
  void raw(std::string_view s) noexcept { size += s.size(); }
  void number(std::uint64_t v) noexcept { size += decimal_digits(v); }
  void string(std::string_view s) noexcept { size += 2 + detail::escaped_size(s); }
  void bytes(bytes_view b, byte_encoding e) noexcept {
    size += e == byte_encoding::base64 ? 2 + base64_encoded_size(b.size()) : byte_array_size(b);
  }
};

/// Writes into memory sized by `size_sink`.
struct write_sink {
  char* p;
  void raw(std::string_view s) noexcept {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void number(std::uint64_t v) noexcept { p = std::to_chars(p, p + 20, v).ptr; }
  void string(std::string_view s) noexcept {
    *p++ = '"';
    p = detail::write_escaped(s, p);
    *p++ = '"';
  }
  void bytes(bytes_view b, byte_encoding e) noexcept {
    if (e == byte_encoding::base64) {
      *p++ = '"';
      p = detail::encode_base64(b, p);
      *p++ = '"';
    } else {
      p = write_byte_array(b, p);
    }
  }
};

// Field writers: `key` is the literal `,"name":`.
template <class Sink>
void number_field(Sink& s, std::string_view key, std::uint64_t v) {
  s.raw(key);
  s.number(v);
}

template <class Sink>
void optional_field(Sink& s, std::string_view key, const std::optional<std::uint64_t>& v) {
  if (v) number_field(s, key, *v);
}

template <class Sink>
void string_field(Sink& s, std::string_view key, std::string_view v) {
  s.raw(key);
  s.string(v);
}

/// Under `raw` (1.3.0) the byte field is not in the JSON: it travels before it.
template <class Sink>
void bytes_field(Sink& s, std::string_view key, const shared_bytes& b, byte_encoding e) {
  if (e == byte_encoding::raw) return;
  s.raw(key);
  s.bytes(view_of(b), e);
}

template <class Sink>
void carried_ack(Sink& s, const std::optional<ack_message>& ack) {
  if (!ack) return;
  string_field(s, R"(,"ack_kind":)", to_string(ack->kind));
  number_field(s, R"(,"ack_index":)", ack->index);
}

template <class Sink>
void sizes(Sink& s, const std::optional<std::uint64_t>& chunk, const std::optional<std::uint64_t>& min,
           const std::optional<std::uint64_t>& max) {
  optional_field(s, R"(,"chunk_size":)", chunk);
  optional_field(s, R"(,"min_chunk_size":)", min);
  optional_field(s, R"(,"max_chunk_size":)", max);
}

// Bodies, in the field order of docs/protocol.md 2.1 and 2.2.
template <class Sink>
void body(Sink& s, const plan_request& m, byte_encoding) {
  sizes(s, m.chunk_size, m.min_chunk_size, m.max_chunk_size);
  if (m.plan_id) string_field(s, R"(,"plan_id":)", *m.plan_id);
}
template <class Sink>
void body(Sink& s, const chunk_request& m, byte_encoding) {
  number_field(s, R"(,"chunk_index":)", m.chunk_index);
  carried_ack(s, m.ack);
}
template <class Sink>
void body(Sink& s, const update_request& m, byte_encoding) {
  number_field(s, R"(,"update_index":)", m.update_index);
  carried_ack(s, m.ack);
}
template <class Sink>
void body(Sink& s, const resume_request& m, byte_encoding) {
  string_field(s, R"(,"plan_id":)", m.plan_id);
  number_field(s, R"(,"chunk_index":)", m.chunk_index);
  number_field(s, R"(,"update_index":)", m.update_index);
  sizes(s, m.chunk_size, m.min_chunk_size, m.max_chunk_size);
}
template <class Sink>
void body(Sink& s, const ack_message& m, byte_encoding) {
  string_field(s, R"(,"kind":)", to_string(m.kind));
  number_field(s, R"(,"index":)", m.index);
}
template <class Sink>
void body(Sink& s, const error_message& m, byte_encoding) {
  string_field(s, R"(,"message":)", m.message);
  if (m.code) string_field(s, R"(,"code":)", to_string(*m.code));
}
template <class Sink>
void body(Sink&, const offers_request&, byte_encoding) {}
template <class Sink>
void body(Sink& s, const plan_response& m, byte_encoding e) {
  bytes_field(s, R"(,"plan":)", m.plan, e);
  sizes(s, m.chunk_size, m.min_chunk_size, m.max_chunk_size);
  optional_field(s, R"(,"max_concurrent_requests":)", m.max_concurrent_requests);
}
template <class Sink>
void body(Sink& s, const chunk_response& m, byte_encoding e) {
  number_field(s, R"(,"chunk_index":)", m.chunk_index);
  bytes_field(s, R"(,"chunk":)", m.chunk, e);
}
template <class Sink>
void body(Sink& s, const update_response& m, byte_encoding e) {
  number_field(s, R"(,"update_index":)", m.update_index);
  bytes_field(s, R"(,"update":)", m.update, e);
}
template <class Sink>
void body(Sink& s, const resume_response& m, byte_encoding) {
  number_field(s, R"(,"chunk_index":)", m.chunk_index);
  number_field(s, R"(,"update_index":)", m.update_index);
  sizes(s, m.chunk_size, m.min_chunk_size, m.max_chunk_size);
  optional_field(s, R"(,"max_concurrent_requests":)", m.max_concurrent_requests);
}
template <class Sink>
void body(Sink& s, const offers_response& m, byte_encoding e) {
  bytes_field(s, R"(,"offers":)", m.offers, e);
}

template <class Sink, class Message>
void message(Sink& s, const Message& m, byte_encoding e) {
  s.raw(R"({"type":")");
  s.raw(type_name(m));
  s.raw(R"(","session_id":)");
  s.number(m.session_id);
  std::visit(
    [&](const auto& b) {
      using body_type = std::decay_t<decltype(b)>;
      if constexpr (std::is_same_v<Message, snapshots_request> && std::is_same_v<body_type, error_message>)
        string_field(s, R"(,"message":)", b.message); // requests have no `code`
      else
        body(s, b, e);
    },
    m.body);
  s.raw("}");
}

/// The bytes of a response's byte field (empty for types without one).
bytes_view payload_of(const snapshots_response& m) noexcept {
  return std::visit(
    [](const auto& b) -> bytes_view {
      using body_type = std::decay_t<decltype(b)>;
      if constexpr (std::is_same_v<body_type, plan_response>) return view_of(b.plan);
      else if constexpr (std::is_same_v<body_type, chunk_response>) return view_of(b.chunk);
      else if constexpr (std::is_same_v<body_type, update_response>) return view_of(b.update);
      else if constexpr (std::is_same_v<body_type, offers_response>) return view_of(b.offers);
      else return bytes_view{};
    },
    m.body);
}

template <class Message>
std::size_t json_size(const Message& m, byte_encoding e) noexcept {
  size_sink s;
  message(s, m, e);
  return s.size;
}

/// Writes the 1.3.0 envelope length, big-endian.
void put_length(std::uint8_t* p, std::size_t n) noexcept {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(n & 0xff);
    n >>= 8;
  }
}

template <class Message>
std::size_t size_of(const Message& m, byte_encoding e) noexcept {
  if constexpr (std::is_same_v<Message, snapshots_response>) {
    if (e == byte_encoding::raw) return payload_of(m).size() + json_size(m, e) + frame_length_size;
  }
  return json_size(m, e);
}

/// Appends the JSON text of `m` (under `raw`: its envelope, then the
/// envelope's length) to `out`.
template <class Message>
void append_json(const Message& m, byte_encoding e, byte_buffer& out, bool framed) {
  const std::size_t size = json_size(m, e);
  const std::size_t start = out.size();
  out.resize(start + size + (framed ? frame_length_size : 0));
  write_sink w{reinterpret_cast<char*>(out.data() + start)};
  message(w, m, e);
  assert(w.p == reinterpret_cast<char*>(out.data() + start + size));
  if (framed) put_length(out.data() + start + size, size);
}

template <class Message>
void encode_into(const Message& m, byte_encoding e, byte_buffer& out) {
  if constexpr (std::is_same_v<Message, snapshots_response>) {
    if (e == byte_encoding::raw) {
      const bytes_view payload = payload_of(m);
      out.reserve(out.size() + size_of(m, e));
      append(out, payload);
      append_json(m, e, out, true);
      return;
    }
  }
  append_json(m, e, out, false);
}

// `{"type":"chunk","session_id":` N `,"chunk_index":` N `,"chunk":` field `}`
constexpr std::size_t chunk_response_overhead =
  std::string_view(R"({"type":"chunk","session_id":)").size() + 20 +
  std::string_view(R"(,"chunk_index":)").size() + 20 +
  std::string_view(R"(,"chunk":)").size() + 1;

// 1.3.0: `{"type":"chunk","session_id":` N `,"chunk_index":` N `}` and the length.
constexpr std::size_t chunk_frame_overhead = std::string_view(R"({"type":"chunk","session_id":)").size() + 20 +
                                             std::string_view(R"(,"chunk_index":)").size() + 20 + 1 +
                                             frame_length_size;

} // namespace

std::size_t encoded_size(const snapshots_request& request, byte_encoding encoding) noexcept {
  return size_of(request, encoding);
}

std::size_t encoded_size(const snapshots_response& response, byte_encoding encoding) noexcept {
  return size_of(response, encoding);
}

void encode(const snapshots_request& request, byte_encoding encoding, byte_buffer& out) {
  encode_into(request, encoding, out);
}

void encode(const snapshots_response& response, byte_encoding encoding, byte_buffer& out) {
  encode_into(response, encoding, out);
}

void append_envelope(const snapshots_response& response, byte_buffer& payload) {
  append_json(response, byte_encoding::raw, payload, true);
}

std::size_t max_chunk_response_size(std::size_t payload, byte_encoding encoding) noexcept {
  constexpr std::size_t limit = (SIZE_MAX - chunk_response_overhead - 8) / 4;
  if (payload > limit) return SIZE_MAX;
  if (encoding == byte_encoding::raw) return chunk_frame_overhead + payload;
  const std::size_t field = encoding == byte_encoding::base64
                              ? 2 + base64_encoded_size(payload)
                              : (payload == 0 ? 2 : 4 * payload + 1); // at most "255," per byte
  return chunk_response_overhead + field;
}

std::size_t max_chunk_payload(std::size_t response_cap, byte_encoding encoding) noexcept {
  if (encoding == byte_encoding::raw) return response_cap > chunk_frame_overhead ? response_cap - chunk_frame_overhead : 0;
  if (response_cap < chunk_response_overhead) return 0;
  const std::size_t room = response_cap - chunk_response_overhead; // for the field
  if (encoding == byte_encoding::base64) {
    if (room < 2 + 4) return 0;
    return (room - 2) / 4 * 3;
  }
  if (room < 5) return 0;
  return (room - 1) / 4;
}

} // namespace snapstream::messages
