#pragma once
/// Byte buffers shared by every layer.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace snapstream {

/// An owned, contiguous run of bytes.
using byte_buffer = std::vector<std::uint8_t>;
/// A read-only view of bytes owned elsewhere.
using bytes_view = std::span<const std::uint8_t>;
/// Immutable bytes shared between actors and coroutines without copying
/// (chunk payloads travel this way).
using shared_bytes = std::shared_ptr<const byte_buffer>;

[[nodiscard]] inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

[[nodiscard]] inline std::string_view as_chars(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

[[nodiscard]] inline byte_buffer to_buffer(bytes_view b) {
  return byte_buffer(b.begin(), b.end());
}

inline void append(byte_buffer& out, bytes_view b) {
  out.insert(out.end(), b.begin(), b.end());
}

} // namespace snapstream
