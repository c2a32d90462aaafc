#pragma once
// Helpers shared by the rlpx unit tests.

#include "protocol/common/hex.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

namespace snapstream::rlpx::test {

/// Hex (whitespace and an 0x prefix allowed) to bytes; fails the test on bad hex.
inline byte_buffer unhex(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != ' ' && c != '\n' && c != '\t') clean += c;
  if (clean.starts_with("0x")) clean.erase(0, 2);
  auto r = from_hex(clean);
  BOOST_REQUIRE_MESSAGE(r.has_value(), "bad hex in test: " << text);
  return *r;
}

template <std::size_t N>
std::array<std::uint8_t, N> unhex_array(std::string_view text) {
  auto b = unhex(text);
  BOOST_REQUIRE_EQUAL(b.size(), N);
  std::array<std::uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

} // namespace snapstream::rlpx::test
