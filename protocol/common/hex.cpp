#include "protocol/common/hex.hpp"

namespace snapstream {

std::string_view to_string(common_errc e) noexcept {
  switch (e) {
    case common_errc::invalid_hex: return "invalid hex";
    case common_errc::invalid_base64: return "invalid base64";
  }
  return "unknown";
}

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace

std::string to_hex(bytes_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  return out;
}

result<void> from_hex_into(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2)
    return error{common_errc::invalid_hex,
                 "expected " + std::to_string(out.size() * 2) + " hex characters, got "
                   + std::to_string(text.size())};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return error{common_errc::invalid_hex,
                   "non-hex character at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1)};
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return {};
}

result<byte_buffer> from_hex(std::string_view text) {
  if (text.size() % 2 != 0)
    return error{common_errc::invalid_hex, "odd number of hex characters (" + std::to_string(text.size()) + ")"};
  byte_buffer out(text.size() / 2);
  if (auto r = from_hex_into(text, out); !r) return r.error();
  return out;
}

} // namespace snapstream
