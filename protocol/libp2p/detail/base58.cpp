#include "protocol/libp2p/detail/base58.hpp"

#include "protocol/libp2p/libp2p_errc.hpp"

#include <algorithm>
#include <array>

namespace snapstream::libp2p::detail {

namespace {

constexpr std::string_view alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 256> make_reverse() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto reverse = make_reverse();

} // namespace

std::string base58_encode(bytes_view in) {
  std::size_t zeros = 0;
  while (zeros < in.size() && in[zeros] == 0) ++zeros;
  // log(256)/log(58) ~ 1.366
  std::vector<std::uint8_t> digits((in.size() - zeros) * 138 / 100 + 1, 0);
  std::size_t length = 0;
  for (std::size_t i = zeros; i < in.size(); ++i) {
    unsigned carry = in[i];
    std::size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < length) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    length = j;
  }
  auto it = digits.begin() + static_cast<std::ptrdiff_t>(digits.size() - length);
  std::string out(zeros, '1');
  out.reserve(zeros + length);
  for (; it != digits.end(); ++it) out += alphabet[*it];
  return out;
}

result<byte_buffer> base58_decode(std::string_view text) {
  if (text.empty()) return make_error(libp2p_errc::invalid_base58, "empty base58 text");
  if (text.size() > base58_max_text) {
    return make_error(libp2p_errc::invalid_base58,
                      "base58 text of " + std::to_string(text.size()) + " characters exceeds " +
                          std::to_string(base58_max_text));
  }
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  // log(58)/log(256) ~ 0.733
  byte_buffer bytes((text.size() - zeros) * 733 / 1000 + 1, 0);
  std::size_t length = 0;
  for (std::size_t i = zeros; i < text.size(); ++i) {
    const int digit = reverse[static_cast<unsigned char>(text[i])];
    if (digit < 0) {
      return make_error(libp2p_errc::invalid_base58,
                        "invalid base58 character at offset " + std::to_string(i));
    }
    unsigned carry = static_cast<unsigned>(digit);
    std::size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < length) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    length = j;
  }
  byte_buffer out(zeros, 0);
  out.insert(out.end(), bytes.end() - static_cast<std::ptrdiff_t>(length), bytes.end());
  return out;
}

} // namespace snapstream::libp2p::detail
