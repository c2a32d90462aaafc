#include "protocol/common/base64.hpp"

#include <array>

namespace snapstream {

namespace {

constexpr char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  return t;
}

constexpr auto decode_table = make_decode_table();

error bad_base64(std::size_t offset, const char* what) {
  return error{common_errc::invalid_base64,
               std::string(what) + " at offset " + std::to_string(offset)};
}

} // namespace

char* base64_encode_into(bytes_view in, char* out) noexcept {
  std::size_t i = 0;
  const std::size_t n = in.size();
  const std::uint8_t* p = in.data();
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out[0] = alphabet[(v >> 18) & 63];
    out[1] = alphabet[(v >> 12) & 63];
    out[2] = alphabet[(v >> 6) & 63];
    out[3] = alphabet[v & 63];
    out += 4;
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{p[i]} << 16;
    out[0] = alphabet[(v >> 18) & 63];
    out[1] = alphabet[(v >> 12) & 63];
    out[2] = '=';
    out[3] = '=';
    out += 4;
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
    out[0] = alphabet[(v >> 18) & 63];
    out[1] = alphabet[(v >> 12) & 63];
    out[2] = alphabet[(v >> 6) & 63];
    out[3] = '=';
    out += 4;
  }
  return out;
}

std::string base64_encode(bytes_view in) {
  std::string out(base64_encoded_size(in.size()), '\0');
  base64_encode_into(in, out.data());
  return out;
}

result<std::size_t> base64_decode_into(std::string_view text, std::uint8_t* out) noexcept {
  const std::size_t n = text.size();
  if (n % 4 != 0) return bad_base64(n, "length is not a multiple of 4");
  if (n == 0) return std::size_t{0};
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::uint8_t* const begin = out;
  const std::size_t full = n - 4; // the last quantum may carry padding
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint8_t a = decode_table[s[i]], b = decode_table[s[i + 1]],
                       c = decode_table[s[i + 2]], d = decode_table[s[i + 3]];
    if (((a | b | c | d) & 0xc0) != 0) { // some character is not in the alphabet
      for (std::size_t k = i; k < i + 4; ++k)
        if (decode_table[s[k]] == invalid) return bad_base64(k, "invalid character");
    }
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6) | d;
    out[0] = static_cast<std::uint8_t>(v >> 16);
    out[1] = static_cast<std::uint8_t>(v >> 8);
    out[2] = static_cast<std::uint8_t>(v);
    out += 3;
  }
  // Final quantum: "xxxx", "xxx=" or "xx==".
  const std::size_t i = full;
  const std::size_t pad = (s[i + 3] == '=') ? ((s[i + 2] == '=') ? 2 : 1) : 0;
  for (std::size_t k = i; k < i + 4 - pad; ++k)
    if (decode_table[s[k]] == invalid) return bad_base64(k, s[k] == '=' ? "misplaced padding" : "invalid character");
  const std::uint32_t a = decode_table[s[i]], b = decode_table[s[i + 1]];
  const std::uint32_t c = pad < 2 ? decode_table[s[i + 2]] : 0;
  const std::uint32_t d = pad < 1 ? decode_table[s[i + 3]] : 0;
  const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
  if (pad == 2 && (v & 0xffff) != 0) return bad_base64(i + 1, "non-zero bits before padding");
  if (pad == 1 && (v & 0xff) != 0) return bad_base64(i + 2, "non-zero bits before padding");
  *out++ = static_cast<std::uint8_t>(v >> 16);
  if (pad < 2) *out++ = static_cast<std::uint8_t>(v >> 8);
  if (pad < 1) *out++ = static_cast<std::uint8_t>(v);
  return static_cast<std::size_t>(out - begin);
}

result<byte_buffer> base64_decode(std::string_view text) {
  byte_buffer out(base64_decoded_max(text.size()));
  auto n = base64_decode_into(text, out.data());
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

} // namespace snapstream
