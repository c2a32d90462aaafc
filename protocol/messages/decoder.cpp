#include "protocol/messages/decoder.hpp"

#include "protocol/messages/detail/base64_simd.hpp"
#include "protocol/messages/detail/json_text.hpp"

#include <simdjson.h>

#include <array>
#include <cstring>
#include <memory>

namespace snapstream::messages {

namespace {

namespace od = simdjson::ondemand;
using detail::quote;

static_assert(decode_padding >= simdjson::SIMDJSON_PADDING);

/// Unpadded inputs up to this size are copied into a reused per-thread buffer.
constexpr std::size_t reused_copy_limit = 64 * 1024;

// Every field of both directions. The order is the order in which missing
// fields are reported.
enum field : unsigned {
  f_type,
  f_session_id,
  f_plan_id,
  f_chunk_index,
  f_update_index,
  f_kind,
  f_index,
  f_message,
  f_plan,
  f_chunk,
  f_update,
  f_offers,
  f_chunk_size,
  f_min_chunk_size,
  f_max_chunk_size,
  f_max_concurrent_requests,
  f_code,
  f_ack_kind,
  f_ack_index,
  field_count,
};

constexpr std::array<std::string_view, field_count> field_names = {
  "type", "session_id", "plan_id", "chunk_index", "update_index", "kind", "index", "message",
  "plan", "chunk", "update", "offers", "chunk_size", "min_chunk_size", "max_chunk_size",
  "max_concurrent_requests", "code", "ack_kind", "ack_index",
};

// The byte fields, contiguous: `bytes_[f - f_plan]` holds field f.
static_assert(f_chunk == f_plan + 1 && f_update == f_plan + 2 && f_offers == f_plan + 3);

constexpr std::uint32_t bit(field f) noexcept { return std::uint32_t{1} << f; }

constexpr std::uint32_t common = bit(f_type) | bit(f_session_id);
constexpr std::uint32_t sizes = bit(f_chunk_size) | bit(f_min_chunk_size) | bit(f_max_chunk_size);

/// The fields a message type may and must carry.
struct type_rule {
  std::uint32_t allowed;
  std::uint32_t required;
};

constexpr std::size_t type_count = 7;

// Indexed like the body variants and `message_types`.
constexpr std::array<std::string_view, type_count> message_types = {
  "plan", "chunk", "light_client_update", "resume", "ack", "error", "offers",
};

/// What one direction has under one protocol version: the rules of its
/// first `types` message types, and every field those allow.
struct rule_set {
  std::array<type_rule, type_count> rules;
  std::size_t types;
  std::uint32_t fields;
};

constexpr rule_set make_rule_set(const std::array<type_rule, type_count>& rules, std::size_t types) noexcept {
  std::uint32_t fields = 0;
  for (std::size_t t = 0; t < types; ++t) fields |= rules[t].allowed;
  return {rules, types, fields};
}

// 1.0.0 and 1.1.0: six types; a plan request has no plan_id, an error no code.
constexpr rule_set request_rules_v1_1 = make_rule_set({{
  {common | sizes, common},
  {common | bit(f_chunk_index), common | bit(f_chunk_index)},
  {common | bit(f_update_index), common | bit(f_update_index)},
  {common | bit(f_plan_id) | bit(f_chunk_index) | bit(f_update_index) | sizes,
   common | bit(f_plan_id) | bit(f_chunk_index) | bit(f_update_index)},
  {common | bit(f_kind) | bit(f_index), common | bit(f_kind) | bit(f_index)},
  {common | bit(f_message), common | bit(f_message)},
  {0, 0},
}}, 6);

constexpr rule_set response_rules_v1_1 = make_rule_set({{
  {common | bit(f_plan) | sizes | bit(f_max_concurrent_requests), common | bit(f_plan)},
  {common | bit(f_chunk_index) | bit(f_chunk), common | bit(f_chunk_index) | bit(f_chunk)},
  {common | bit(f_update_index) | bit(f_update), common | bit(f_update_index) | bit(f_update)},
  {common | bit(f_chunk_index) | bit(f_update_index) | sizes | bit(f_max_concurrent_requests),
   common | bit(f_chunk_index) | bit(f_update_index)},
  {common | bit(f_kind) | bit(f_index), common | bit(f_kind) | bit(f_index)},
  {common | bit(f_message), common | bit(f_message)},
  {0, 0},
}}, 6);

// 1.2.0: the offers type, a plan request's optional plan_id, an error
// response's optional code.
constexpr rule_set request_rules_v1_2 = make_rule_set({{
  {common | sizes | bit(f_plan_id), common},
  request_rules_v1_1.rules[1],
  request_rules_v1_1.rules[2],
  request_rules_v1_1.rules[3],
  request_rules_v1_1.rules[4],
  request_rules_v1_1.rules[5],
  {common, common},
}}, 7);

constexpr rule_set response_rules_v1_2 = make_rule_set({{
  response_rules_v1_1.rules[0],
  response_rules_v1_1.rules[1],
  response_rules_v1_1.rules[2],
  response_rules_v1_1.rules[3],
  response_rules_v1_1.rules[4],
  {common | bit(f_message) | bit(f_code), common | bit(f_message)},
  {common | bit(f_offers), common | bit(f_offers)},
}}, 7);

// 1.3.0: a chunk or update request may carry an ack (both fields or
// neither); responses carry their byte field raw, outside the JSON envelope.
constexpr std::uint32_t carried = bit(f_ack_kind) | bit(f_ack_index);

constexpr rule_set request_rules_v1_3 = make_rule_set({{
  request_rules_v1_2.rules[0],
  {request_rules_v1_2.rules[1].allowed | carried, request_rules_v1_2.rules[1].required},
  {request_rules_v1_2.rules[2].allowed | carried, request_rules_v1_2.rules[2].required},
  request_rules_v1_2.rules[3],
  request_rules_v1_2.rules[4],
  request_rules_v1_2.rules[5],
  request_rules_v1_2.rules[6],
}}, 7);

constexpr std::uint32_t byte_fields = bit(f_plan) | bit(f_chunk) | bit(f_update) | bit(f_offers);

constexpr type_rule without_bytes(type_rule r) noexcept {
  return {r.allowed & ~byte_fields, r.required & ~byte_fields};
}

constexpr rule_set response_rules_v1_3 = make_rule_set({{
  without_bytes(response_rules_v1_2.rules[0]),
  without_bytes(response_rules_v1_2.rules[1]),
  without_bytes(response_rules_v1_2.rules[2]),
  response_rules_v1_2.rules[3],
  response_rules_v1_2.rules[4],
  response_rules_v1_2.rules[5],
  without_bytes(response_rules_v1_2.rules[6]),
}}, 7);

enum class direction { request, response };

template <direction D>
struct traits;

template <>
struct traits<direction::request> {
  using message = snapshots_request;
  static constexpr std::string_view noun = "request";
  static const rule_set& rules(protocol_version v) noexcept {
    switch (v) {
      case protocol_version::v1_0:
      case protocol_version::v1_1: return request_rules_v1_1;
      case protocol_version::v1_2: return request_rules_v1_2;
      case protocol_version::v1_3: return request_rules_v1_3;
    }
    return request_rules_v1_3;
  }
};

template <>
struct traits<direction::response> {
  using message = snapshots_response;
  static constexpr std::string_view noun = "response";
  static const rule_set& rules(protocol_version v) noexcept {
    switch (v) {
      case protocol_version::v1_0:
      case protocol_version::v1_1: return response_rules_v1_1;
      case protocol_version::v1_2: return response_rules_v1_2;
      case protocol_version::v1_3: return response_rules_v1_3;
    }
    return response_rules_v1_3;
  }
};

error fail(codec_errc code, std::string message) {
  return error{code, std::move(message)};
}

std::string named(field f) {
  std::string s = "field '";
  s += field_names[f];
  s += '\'';
  return s;
}

std::string_view describe(od::json_type t) noexcept {
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// A raw token without the whitespace simdjson leaves after it.
std::string_view trimmed(std::string_view token) noexcept {
  while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
  return token;
}

error malformed_in(field f) {
  return fail(codec_errc::not_json, named(f) + ": malformed JSON");
}

error wrong_type(field f, od::json_type t, std::string_view expected) {
  return fail(codec_errc::wrong_type, named(f) + " is " + std::string(describe(t)) + ", expected " +
                                        std::string(expected));
}

// ---------------------------------------------------------------------------
// Whole-input diagnostics, run only once an input has failed, to name an offset.

/// Offset of the first raw control character inside a string.
std::optional<std::size_t> first_unescaped_control(const std::uint8_t* data, std::size_t size) noexcept {
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < size; ++i) {
    const std::uint8_t c = data[i];
    if (!in_string) {
      in_string = c == '"';
    } else if (escaped) {
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20) {
      return i;
    }
  }
  return std::nullopt;
}

/// Offset just past the brace closing the top-level object that starts at
/// the first non-whitespace byte; nullopt when the input ends first.
std::optional<std::size_t> top_level_end(const std::uint8_t* data, std::size_t size) noexcept {
  bool in_string = false, escaped = false;
  std::size_t depth = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0 || --depth == 0) return i + 1;
    }
  }
  return std::nullopt;
}

error stage1_error(simdjson::error_code e, const std::uint8_t* data, std::size_t size) {
  switch (e) {
    case simdjson::EMPTY:
      return fail(codec_errc::not_json, "empty input");
    case simdjson::UNCLOSED_STRING:
      return fail(codec_errc::not_json, "unclosed string");
    case simdjson::UTF8_ERROR:
      if (auto at = detail::first_invalid_utf8({reinterpret_cast<const char*>(data), size}))
        return fail(codec_errc::invalid_string, "invalid UTF-8 at offset " + std::to_string(*at));
      return fail(codec_errc::invalid_string, "invalid UTF-8");
    case simdjson::UNESCAPED_CHARS:
      if (auto at = first_unescaped_control(data, size))
        return fail(codec_errc::invalid_string,
                    "unescaped control character in a string at offset " + std::to_string(*at));
      return fail(codec_errc::invalid_string, "unescaped control character in a string");
    case simdjson::MEMALLOC:
      throw std::bad_alloc();
    default:
      return fail(codec_errc::not_json, std::string("not JSON: ") + simdjson::error_message(e));
  }
}

/// The top-level object is not closed by the last structural byte: either the
/// input ends inside it or something follows it.
error unbalanced(const std::uint8_t* data, std::size_t size) {
  if (auto end = top_level_end(data, size)) {
    std::size_t at = *end;
    while (at < size && is_space(static_cast<char>(data[at]))) ++at;
    if (at < size) return fail(codec_errc::trailing_bytes, "trailing bytes after the object at offset " + std::to_string(at));
  }
  return fail(codec_errc::not_json, "input ends inside the object");
}

/// The calling thread's parser. Its buffers grow to the largest input decoded
/// on the thread and are kept (about 6 bytes of address space per input byte,
/// of which only the part indexing the input's JSON tokens is ever touched):
/// a fresh parser per large message would fault in its token index every time.
od::parser& thread_parser() {
  thread_local od::parser parser;
  return parser;
}

// ---------------------------------------------------------------------------
// Field values.

result<std::uint64_t> read_integer(od::value& v, field f) {
  od::json_type t{};
  if (v.type().get(t)) return malformed_in(f);
  if (t != od::json_type::number) return wrong_type(f, t, "an unsigned integer");
  const std::string_view token = trimmed(v.raw_json_token());
  std::uint64_t value = 0;
  switch (detail::parse_uint_token(token, value)) {
    case detail::number_form::integer: {
      // Consume the value, so On-Demand never skips it as unread.
      std::uint64_t again = 0;
      if (v.get_uint64().get(again) || again != value) return malformed_in(f);
      return value;
    }
    case detail::number_form::malformed:
      return fail(codec_errc::not_json, named(f) + " is not a valid JSON number: " + quote(token));
    case detail::number_form::negative:
      return fail(codec_errc::invalid_integer, named(f) + " is negative: " + quote(token));
    case detail::number_form::fraction:
      return fail(codec_errc::invalid_integer, named(f) + " has a fraction: " + quote(token));
    case detail::number_form::exponent:
      return fail(codec_errc::invalid_integer, named(f) + " has an exponent: " + quote(token));
    case detail::number_form::too_large:
      return fail(codec_errc::invalid_integer, named(f) + " exceeds 2^64-1: " + quote(token));
  }
  return malformed_in(f);
}

/// The unescaped string, a view into the parser's string buffer (valid for the
/// rest of this decode).
result<std::string_view> read_string(od::value& v, field f) {
  od::json_type t{};
  if (v.type().get(t)) return malformed_in(f);
  if (t != od::json_type::string) return wrong_type(f, t, "a string");
  std::string_view s;
  if (v.get_string().get(s)) return fail(codec_errc::invalid_string, named(f) + ": invalid escape sequence");
  return s;
}

std::string element(field f, std::size_t i) {
  return named(f) + " element " + std::to_string(i);
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Why byte-array element `i`, starting at `p`, is not a plain integer 0-255.
error bad_element(const char* p, const char* end, field f, std::size_t i) {
  if (p == end) return malformed_in(f);
  const auto kind = [&](std::string_view what) {
    return fail(codec_errc::invalid_byte, element(f, i) + " is " + std::string(what) + ", expected an integer 0-255");
  };
  switch (*p) {
    case '"': return kind("a string");
    case '[': return kind("an array");
    case '{': return kind("an object");
    case 't':
    case 'f': return kind("a boolean");
    case 'n': return kind("null");
    default: break;
  }
  if (*p != '-' && !is_digit(*p)) return malformed_in(f);
  // The token runs to the next whitespace or structural character, as simdjson cuts it.
  const char* q = p;
  while (q != end && !is_space(*q) && std::string_view(",:[]{}\"").find(*q) == std::string_view::npos) ++q;
  const std::string_view token(p, static_cast<std::size_t>(q - p));
  std::uint64_t value = 0;
  switch (detail::parse_uint_token(token, value)) {
    case detail::number_form::malformed:
      return fail(codec_errc::not_json, element(f, i) + " is not a valid JSON number: " + quote(token));
    case detail::number_form::integer:
    case detail::number_form::too_large:
      return fail(codec_errc::invalid_byte, element(f, i) + " is above 255: " + quote(token));
    default:
      return fail(codec_errc::invalid_byte, element(f, i) + " is not an integer 0-255: " + quote(token));
  }
}

/// Parses the byte array at the start of `text` (which runs to the end of the
/// input) straight from the bytes: walking it element by element through
/// On-Demand costs several times more. On-Demand then skips the array as an
/// unread value.
result<shared_bytes> read_byte_array(std::string_view text, field f) {
  const char* p = text.data() + 1; // past '['
  const char* const end = text.data() + text.size();
  const auto skip_space = [&] {
    while (p != end && is_space(*p)) ++p;
  };
  // Each element but the last takes at least two characters with its comma.
  const std::unique_ptr<std::uint8_t[]> bytes(new std::uint8_t[text.size() / 2 + 1]);
  std::size_t count = 0;
  skip_space();
  if (p != end && *p == ']') return std::make_shared<const byte_buffer>();
  for (std::size_t i = 0;; ++i) {
    const char* const start = p;
    if (p == end || !is_digit(*p)) return bad_element(start, end, f, i);
    unsigned value = static_cast<unsigned>(*p++ - '0');
    if (value != 0) {
      for (int k = 0; k < 2 && p != end && is_digit(*p); ++k) value = value * 10 + static_cast<unsigned>(*p++ - '0');
    }
    if (value > 255 || (p != end && (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E')))
      return bad_element(start, end, f, i);
    bytes[count++] = static_cast<std::uint8_t>(value);
    if (p != end && *p == ',') { // the usual case: no whitespace
      ++p;
      if (p != end && !is_space(*p)) continue;
    } else {
      skip_space();
      if (p == end) return malformed_in(f);
      if (*p == ']') break;
      if (*p != ',') return malformed_in(f);
      ++p;
    }
    skip_space();
  }
  return std::make_shared<const byte_buffer>(bytes.get(), bytes.get() + count);
}

result<shared_bytes> read_base64(od::value& v, field f) {
  // The raw token is the quoted string as sent (plus trailing whitespace).
  // Base64 needs no escapes, so decode straight from the input; only text that
  // fails and holds a backslash is unescaped and decoded again.
  const std::string_view token = trimmed(v.raw_json_token());
  if (token.size() < 2) return malformed_in(f);
  const std::string_view raw = token.substr(1, token.size() - 2);
  // Consume the string without unescaping it: On-Demand skips an unread
  // string followed by ':' as if it were a key (simdjson issue 1742), which
  // would accept `"chunk":"AAAA":"x"}}`.
  od::raw_json_string consumed;
  if (v.get_raw_json_string().get(consumed)) return malformed_in(f);
  auto bytes = std::make_shared<byte_buffer>(base64_decoded_max(raw.size()));
  auto n = detail::decode_base64(raw, bytes->data());
  if (!n && raw.find('\\') != std::string_view::npos) {
    // Unescaped text is never longer than the raw text; simdjson writes in
    // blocks, so the destination gets its padding too.
    const std::unique_ptr<std::uint8_t[]> unescaped(new std::uint8_t[raw.size() + simdjson::SIMDJSON_PADDING]);
    std::uint8_t* end = unescaped.get();
    std::string_view text;
    if (thread_parser().unescape(consumed, end).get(text))
      return fail(codec_errc::invalid_string, named(f) + ": invalid escape sequence");
    n = detail::decode_base64(text, bytes->data()); // unescaped text is shorter: room suffices
  }
  if (!n) return fail(codec_errc::invalid_base64, named(f) + ": " + n.error().message());
  bytes->resize(*n);
  return shared_bytes(std::move(bytes));
}

/// `input_end` is the end of the whole input.
result<shared_bytes> read_bytes(od::value& v, field f, const char* input_end) {
  od::json_type t{};
  if (v.type().get(t)) return malformed_in(f);
  if (t == od::json_type::string) return read_base64(v, f);
  if (t == od::json_type::array) {
    const char* start = v.raw_json_token().data();
    return read_byte_array(std::string_view(start, static_cast<std::size_t>(input_end - start)), f);
  }
  return wrong_type(f, t, "a byte array or a base64 string");
}

// ---------------------------------------------------------------------------
// The object.

/// Collects an object's fields in any order, then builds the message.
template <direction D>
class field_reader {
public:
  using message = typename traits<D>::message;

  field_reader(const char* input_end, protocol_version version) noexcept
    : input_end_(input_end), rules_(traits<D>::rules(version)) {}

  result<void> read(std::string_view key, od::value& value) {
    const auto f = lookup(key);
    if (!f) return fail(codec_errc::unknown_field, "unknown field " + quote(key));
    if (seen_ & bit(*f)) return fail(codec_errc::duplicate_field, "duplicate field '" + std::string(key) + "'");
    if (type_ && !(rules_.rules[*type_].allowed & bit(*f))) return foreign(*f);
    seen_ |= bit(*f);
    last_ = *f;
    switch (*f) {
      case f_type: {
        auto s = read_string(value, f_type);
        if (!s) return s.error();
        std::size_t t = 0;
        while (t < rules_.types && message_types[t] != *s) ++t;
        if (t == rules_.types) return fail(codec_errc::unknown_type, "unknown type " + quote(*s));
        type_ = t;
        // Fields read before `type` must belong to it too.
        const std::uint32_t stray = seen_ & ~rules_.rules[t].allowed;
        for (unsigned g = 0; g < field_count; ++g)
          if (stray & bit(static_cast<field>(g))) return foreign(static_cast<field>(g));
        return {};
      }
      case f_kind:
      case f_ack_kind: {
        auto s = read_string(value, *f);
        if (!s) return s.error();
        auto k = ack_kind_from_string(*s);
        if (!k) return fail(codec_errc::unknown_kind, "unknown kind " + quote(*s));
        (*f == f_kind ? kind_ : ack_kind_) = *k;
        return {};
      }
      case f_code: {
        auto s = read_string(value, f_code);
        if (!s) return s.error();
        auto c = refusal_code_from_string(*s);
        if (!c) return fail(codec_errc::unknown_code, "unknown code " + quote(*s));
        code_ = *c;
        return {};
      }
      case f_plan_id:
      case f_message: {
        auto s = read_string(value, *f);
        if (!s) return s.error();
        (*f == f_plan_id ? plan_id_ : message_).assign(*s);
        return {};
      }
      case f_plan:
      case f_chunk:
      case f_update:
      case f_offers: {
        auto b = read_bytes(value, *f, input_end_);
        if (!b) return b.error();
        bytes_[*f - f_plan] = std::move(*b);
        return {};
      }
      default: {
        auto n = read_integer(value, *f);
        if (!n) return n.error();
        numbers_[*f] = *n;
        return {};
      }
    }
  }

  /// Where the object's structure broke, for a `not_json` message.
  [[nodiscard]] std::string malformed_object() const {
    if (!last_) return "malformed JSON at the start of the object";
    return "malformed JSON after " + named(*last_);
  }

  result<message> finish() {
    if (!type_) return fail(codec_errc::missing_field, "missing field 'type'");
    const std::uint32_t missing = rules_.rules[*type_].required & ~seen_;
    for (unsigned g = 0; g < field_count; ++g) {
      if (missing & bit(static_cast<field>(g)))
        return fail(codec_errc::missing_field, "missing " + named(static_cast<field>(g)) + " for " + a_type());
    }
    // A carried ack has both fields or neither.
    if ((seen_ & carried) != 0 && (seen_ & carried) != carried)
      return fail(codec_errc::missing_field,
                  "missing " + named(seen_ & bit(f_ack_kind) ? f_ack_index : f_ack_kind) + " for " + a_type());
    return build();
  }

private:
  [[nodiscard]] std::optional<field> lookup(std::string_view key) const noexcept {
    for (unsigned g = 0; g < field_count; ++g)
      if ((rules_.fields & bit(static_cast<field>(g))) && field_names[g] == key) return static_cast<field>(g);
    return std::nullopt;
  }

  [[nodiscard]] std::string a_type() const {
    return "a " + std::string(message_types[*type_]) + " " + std::string(traits<D>::noun);
  }

  error foreign(field f) const {
    return fail(codec_errc::unknown_field, "unknown " + named(f) + " for " + a_type());
  }

  [[nodiscard]] std::optional<std::uint64_t> optional(field f) const noexcept {
    if (seen_ & bit(f)) return numbers_[f];
    return std::nullopt;
  }

  [[nodiscard]] std::optional<ack_message> carried_ack() const noexcept {
    if (!(seen_ & bit(f_ack_kind))) return std::nullopt;
    return ack_message{ack_kind_, numbers_[f_ack_index]};
  }

  message build() {
    message m;
    m.session_id = numbers_[f_session_id];
    if constexpr (D == direction::request) {
      switch (*type_) {
        case 0: {
          std::optional<std::string> plan_id;
          if (seen_ & bit(f_plan_id)) plan_id = std::move(plan_id_);
          m.body = plan_request{optional(f_chunk_size), optional(f_min_chunk_size), optional(f_max_chunk_size),
                                std::move(plan_id)};
          break;
        }
        case 1: m.body = chunk_request{numbers_[f_chunk_index], carried_ack()}; break;
        case 2: m.body = update_request{numbers_[f_update_index], carried_ack()}; break;
        case 3:
          m.body = resume_request{std::move(plan_id_), numbers_[f_chunk_index], numbers_[f_update_index],
                                  optional(f_chunk_size), optional(f_min_chunk_size), optional(f_max_chunk_size)};
          break;
        case 4: m.body = ack_message{kind_, numbers_[f_index]}; break;
        case 5: m.body = error_message{std::move(message_)}; break;
        default: m.body = offers_request{}; break;
      }
    } else {
      switch (*type_) {
        case 0:
          m.body = plan_response{std::move(bytes_[0]), optional(f_chunk_size), optional(f_min_chunk_size),
                                 optional(f_max_chunk_size), optional(f_max_concurrent_requests)};
          break;
        case 1: m.body = chunk_response{numbers_[f_chunk_index], std::move(bytes_[1])}; break;
        case 2: m.body = update_response{numbers_[f_update_index], std::move(bytes_[2])}; break;
        case 3:
          m.body = resume_response{numbers_[f_chunk_index], numbers_[f_update_index], optional(f_chunk_size),
                                   optional(f_min_chunk_size), optional(f_max_chunk_size),
                                   optional(f_max_concurrent_requests)};
          break;
        case 4: m.body = ack_message{kind_, numbers_[f_index]}; break;
        case 5: m.body = error_message{std::move(message_), code_}; break;
        default: m.body = offers_response{std::move(bytes_[f_offers - f_plan])}; break;
      }
    }
    return m;
  }

  const char* input_end_;
  const rule_set& rules_;
  std::uint32_t seen_ = 0;
  std::optional<std::size_t> type_;
  std::optional<field> last_;
  std::array<std::uint64_t, field_count> numbers_{};
  ack_kind kind_ = ack_kind::plan;
  ack_kind ack_kind_ = ack_kind::plan;
  std::optional<refusal_code> code_;
  std::string plan_id_;
  std::string message_;
  std::array<shared_bytes, 4> bytes_;
};


error too_large(std::size_t size, const decode_options& options) {
  return fail(codec_errc::too_large, "message is " + std::to_string(size) + " bytes, above the cap of " +
                                       std::to_string(options.max_size) + " bytes");
}

/// Decodes `size` bytes at `data`, followed by `decode_padding` readable bytes.
template <direction D>
result<typename traits<D>::message> decode_padded(const std::uint8_t* data, std::size_t size,
                                                  const decode_options& options) {
  if (size > options.max_size) return too_large(size, options);
  od::parser& parser = thread_parser();
  od::document doc;
  if (auto e = parser.iterate(data, size, size + simdjson::SIMDJSON_PADDING).get(doc)) return stage1_error(e, data, size);
  od::json_type top{};
  if (doc.type().get(top)) return fail(codec_errc::not_json, "malformed JSON at the top level");
  if (top != od::json_type::object)
    return fail(codec_errc::not_object, "top level is " + std::string(describe(top)) + ", expected an object");
  od::object object;
  if (auto e = doc.get_object().get(object)) {
    if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) return unbalanced(data, size);
    return fail(codec_errc::not_json, "malformed JSON at the top level");
  }
  field_reader<D> reader(reinterpret_cast<const char*>(data + size), options.version);
  for (auto item : object) {
    od::field field;
    if (std::move(item).get(field)) return fail(codec_errc::not_json, reader.malformed_object());
    std::string_view key;
    if (field.unescaped_key().get(key))
      return fail(codec_errc::invalid_string, "invalid escape sequence in a field name");
    if (auto r = reader.read(key, field.value()); !r) return r.error();
  }
  // Whitespace-only tails leave nothing to read; any token after the object is an error.
  auto rest = doc.current_location();
  if (!rest.error())
    return fail(codec_errc::trailing_bytes, "trailing bytes after the object at offset " +
                                              std::to_string(reinterpret_cast<const std::uint8_t*>(rest.value_unsafe()) - data));
  return reader.finish();
}

/// Copies `input` into memory padded with spaces, then decodes it.
template <direction D>
result<typename traits<D>::message> decode_copy(bytes_view input, const decode_options& options) {
  const std::size_t size = input.size();
  if (size > options.max_size) return too_large(size, options);
  std::unique_ptr<std::uint8_t[]> own;
  std::uint8_t* copy = nullptr;
  if (size <= reused_copy_limit) {
    thread_local std::unique_ptr<std::uint8_t[]> scratch; // allocated on a thread's first use
    if (!scratch) scratch.reset(new std::uint8_t[reused_copy_limit + decode_padding]);
    copy = scratch.get();
  } else {
    own.reset(new std::uint8_t[size + decode_padding]);
    copy = own.get();
  }
  if (size) std::memcpy(copy, input.data(), size);
  std::memset(copy + size, ' ', decode_padding);
  return decode_padded<D>(copy, size, options);
}

/// Decodes in place, unless the first padding byte is '}': On-Demand may then
/// read the padding as part of the document (simdjson issue 1834), so such
/// input is decoded from a copy padded with spaces, making the outcome
/// independent of the caller's padding.
template <direction D>
result<typename traits<D>::message> decode_in_place(padded_input input, const decode_options& options) {
  const bytes_view bytes = input.bytes();
  if (bytes.data()[bytes.size()] == '}') return decode_copy<D>(bytes, options);
  return decode_padded<D>(bytes.data(), bytes.size(), options);
}

// ---------------------------------------------------------------------------
// 1.3.0 frames: payload || envelope || u32be(envelope length).

struct frame_parts {
  bytes_view payload;
  bytes_view envelope;
};

result<frame_parts> split_frame(bytes_view in, const decode_options& options) {
  if (in.size() > options.max_size) return too_large(in.size(), options);
  if (in.size() < frame_length_size)
    return fail(codec_errc::bad_frame, "frame is " + std::to_string(in.size()) +
                                         " bytes, shorter than its 4-byte envelope length");
  const std::uint8_t* tail = in.data() + in.size() - frame_length_size;
  const std::size_t length = (std::size_t{tail[0]} << 24) | (std::size_t{tail[1]} << 16) |
                             (std::size_t{tail[2]} << 8) | std::size_t{tail[3]};
  const std::size_t before = in.size() - frame_length_size;
  if (length > before)
    return fail(codec_errc::bad_frame, "envelope length " + std::to_string(length) + " exceeds the " +
                                         std::to_string(before) + " bytes before it");
  return frame_parts{in.first(before - length), in.subspan(before - length, length)};
}

/// Decodes a frame's envelope (a copy of its few bytes, padded) and checks
/// that the payload belongs to a type with a byte field. The byte field is
/// left for the caller to fill.
result<snapshots_response> decode_envelope(const frame_parts& parts, const decode_options& options) {
  auto m = decode_copy<direction::response>(parts.envelope, decode_options{parts.envelope.size(), options.version});
  if (!m) return m.error();
  const bool has_bytes = std::holds_alternative<plan_response>(m->body) ||
                         std::holds_alternative<chunk_response>(m->body) ||
                         std::holds_alternative<update_response>(m->body) ||
                         std::holds_alternative<offers_response>(m->body);
  if (!has_bytes && !parts.payload.empty())
    return fail(codec_errc::bad_frame, "a " + std::string(type_name(*m)) + " response has no byte field, but its frame carries " +
                                         std::to_string(parts.payload.size()) + " payload bytes");
  return m;
}

void attach_payload(snapshots_response& m, shared_bytes payload) {
  std::visit(
    [&](auto& b) {
      using body_type = std::decay_t<decltype(b)>;
      if constexpr (std::is_same_v<body_type, plan_response>) b.plan = std::move(payload);
      else if constexpr (std::is_same_v<body_type, chunk_response>) b.chunk = std::move(payload);
      else if constexpr (std::is_same_v<body_type, update_response>) b.update = std::move(payload);
      else if constexpr (std::is_same_v<body_type, offers_response>) b.offers = std::move(payload);
    },
    m.body);
}

/// A frame decoded from memory the caller keeps: the payload is copied.
result<snapshots_response> decode_frame_copy(bytes_view in, const decode_options& options) {
  auto parts = split_frame(in, options);
  if (!parts) return parts.error();
  auto m = decode_envelope(*parts, options);
  if (!m) return m.error();
  attach_payload(*m, std::make_shared<const byte_buffer>(parts->payload.begin(), parts->payload.end()));
  return m;
}

} // namespace

std::optional<padded_input> padded_input::from(const std::uint8_t* data, std::size_t size,
                                               std::size_t readable) noexcept {
  if (readable < size || readable - size < decode_padding) return std::nullopt;
  return padded_input(bytes_view(data, size));
}

std::optional<padded_input> padded_input::from(const byte_buffer& buffer) noexcept {
  return from(buffer.data(), buffer.size(), buffer.capacity());
}

void reserve_padding(byte_buffer& buffer) {
  if (buffer.capacity() - buffer.size() < decode_padding) buffer.reserve(buffer.size() + decode_padding);
}

result<snapshots_request> decode_request(bytes_view input, const decode_options& options) {
  return decode_copy<direction::request>(input, options);
}

result<snapshots_request> decode_request(padded_input input, const decode_options& options) {
  return decode_in_place<direction::request>(input, options);
}

result<snapshots_response> decode_response(bytes_view input, const decode_options& options) {
  if (options.version == protocol_version::v1_3) return decode_frame_copy(input, options);
  return decode_copy<direction::response>(input, options);
}

result<snapshots_response> decode_response(padded_input input, const decode_options& options) {
  if (options.version == protocol_version::v1_3) return decode_frame_copy(input.bytes(), options);
  return decode_in_place<direction::response>(input, options);
}

result<snapshots_response> decode_response(byte_buffer&& body, const decode_options& options) {
  if (options.version != protocol_version::v1_3) {
    if (auto padded = padded_input::from(body)) return decode_in_place<direction::response>(*padded, options);
    return decode_copy<direction::response>(body, options);
  }
  auto parts = split_frame(body, options);
  if (!parts) return parts.error();
  auto m = decode_envelope(*parts, options);
  if (!m) return m.error();
  // The payload is the frame's head: cut the tail off and keep the buffer.
  body.resize(parts->payload.size());
  attach_payload(*m, std::make_shared<const byte_buffer>(std::move(body)));
  return m;
}

} // namespace snapstream::messages
