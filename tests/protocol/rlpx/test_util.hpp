#pragma once
// Helpers shared by the rlpx unit tests.

#include "protocol/common/hex.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
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

/// A seed captured from @ethereumjs/devp2p (interop/devp2p/capture.mjs), without
/// the fuzz target's leading selector byte: `tests/fuzz/corpus/<target>/<name>`.
inline byte_buffer captured_seed(std::string_view target, std::string_view name) {
  const char* root = std::getenv("SNAPSTREAM_SOURCE_DIR");
  BOOST_REQUIRE_MESSAGE(root != nullptr, "SNAPSTREAM_SOURCE_DIR is not set (run through ctest)");
  const std::string path = std::string(root) + "/tests/fuzz/corpus/" + std::string(target) + "/" + std::string(name);
  std::ifstream f(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(f.good(), "cannot read " << path);
  byte_buffer bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  BOOST_REQUIRE_MESSAGE(!bytes.empty(), path << " is empty");
  bytes.erase(bytes.begin());
  return bytes;
}

} // namespace snapstream::rlpx::test
