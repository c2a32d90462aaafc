#include "protocol/messages/detail/json_text.hpp"

#include <cstring>

namespace snapstream::messages::detail {

namespace {

/// Length of the UTF-8 unit starting at `p[0]` (n >= 1 bytes available).
/// Sets `valid`; when invalid, the length is that of the maximal subpart to
/// replace with one U+FFFD (at least 1), as the WHATWG and Unicode decoders do.
std::size_t utf8_unit(const unsigned char* p, std::size_t n, bool& valid) noexcept {
  const unsigned char b0 = p[0];
  valid = true;
  if (b0 < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xbf; // allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    if (b0 == 0xe0) lo = 0xa0;        // no overlong forms
    else if (b0 == 0xed) hi = 0x9f;   // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    if (b0 == 0xf0) lo = 0x90;        // no overlong forms
    else if (b0 == 0xf4) hi = 0x8f;   // nothing above U+10FFFF
  } else {
    valid = false;
    return 1;
  }
  std::size_t i = 1;
  for (; i <= need; ++i) {
    if (i >= n) { valid = false; return i; }
    const unsigned char b = p[i];
    if (b < lo || b > hi) { valid = false; return i; }
    lo = 0x80;
    hi = 0xbf;
  }
  return i;
}

/// True for bytes copied unchanged into a JSON string body.
constexpr bool plain_ascii(unsigned char c) noexcept {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char replacement[] = "\xef\xbf\xbd"; // U+FFFD

} // namespace

std::size_t escaped_size(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t size = 0;
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (plain_ascii(c)) { ++size; ++i; continue; }
    if (c == '"' || c == '\\') { size += 2; ++i; continue; }
    if (c < 0x20) { size += 6; ++i; continue; }
    bool valid = false;
    const std::size_t len = utf8_unit(p + i, n - i, valid);
    size += valid ? len : 3;
    i += len;
  }
  return size;
}

char* write_escaped(std::string_view text, char* out) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = i;
    while (run < n && plain_ascii(p[run])) ++run;
    if (run > i) {
      std::memcpy(out, p + i, run - i);
      out += run - i;
      i = run;
      if (i == n) break;
    }
    const unsigned char c = p[i];
    if (c == '"' || c == '\\') {
      *out++ = '\\';
      *out++ = static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      std::memcpy(out, "\\u00", 4);
      out[4] = hex_digits[c >> 4];
      out[5] = hex_digits[c & 15];
      out += 6;
      ++i;
    } else {
      bool valid = false;
      const std::size_t len = utf8_unit(p + i, n - i, valid);
      if (valid) std::memcpy(out, p + i, len), out += len;
      else std::memcpy(out, replacement, 3), out += 3;
      i += len;
    }
  }
  return out;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) { ++i; continue; }
    bool valid = false;
    const std::size_t len = utf8_unit(p + i, n - i, valid);
    if (!valid) return i;
    i += len;
  }
  return std::nullopt;
}

number_form parse_uint_token(std::string_view token, std::uint64_t& value) noexcept {
  // JSON grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  const char* p = token.data();
  const char* const end = p + token.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  const char* const digits = p;
  if (p == end || *p < '0' || *p > '9') return number_form::malformed;
  if (*p == '0') ++p;
  else while (p != end && *p >= '0' && *p <= '9') ++p;
  const char* const digits_end = p;
  bool fraction = false, exponent = false;
  if (p != end && *p == '.') {
    ++p;
    if (p == end || *p < '0' || *p > '9') return number_form::malformed;
    while (p != end && *p >= '0' && *p <= '9') ++p;
    fraction = true;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p != end && (*p == '+' || *p == '-')) ++p;
    if (p == end || *p < '0' || *p > '9') return number_form::malformed;
    while (p != end && *p >= '0' && *p <= '9') ++p;
    exponent = true;
  }
  if (p != end) return number_form::malformed;
  if (negative) return number_form::negative;
  if (fraction) return number_form::fraction;
  if (exponent) return number_form::exponent;
  std::uint64_t v = 0;
  for (const char* d = digits; d != digits_end; ++d) {
    const auto digit = static_cast<std::uint64_t>(*d - '0');
    if (v > (UINT64_MAX - digit) / 10) return number_form::too_large;
    v = v * 10 + digit;
  }
  value = v;
  return number_form::integer;
}

std::string quote(std::string_view text, std::size_t limit) {
  std::string out = "'";
  const std::size_t shown = text.size() < limit ? text.size() : limit;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex_digits[c >> 4];
      out += hex_digits[c & 15];
    }
  }
  if (shown < text.size()) out += "...";
  out += '\'';
  return out;
}

} // namespace snapstream::messages::detail
