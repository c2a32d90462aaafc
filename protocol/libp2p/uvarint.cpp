#include "protocol/libp2p/uvarint.hpp"

#include "protocol/libp2p/libp2p_errc.hpp"

namespace snapstream::libp2p {

void uvarint_append(byte_buffer& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

std::size_t uvarint_size(std::uint64_t value) noexcept {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

result<std::optional<uvarint_decoded>> uvarint_decode(bytes_view in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i == uvarint_max_bytes) {
      return make_error(libp2p_errc::invalid_varint, "uvarint longer than 9 bytes");
    }
    const std::uint8_t b = in[i];
    value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) {
        return make_error(libp2p_errc::invalid_varint, "uvarint is not minimally encoded");
      }
      return std::optional<uvarint_decoded>(uvarint_decoded{value, i + 1});
    }
  }
  if (in.size() >= uvarint_max_bytes) {
    return make_error(libp2p_errc::invalid_varint, "uvarint longer than 9 bytes");
  }
  return std::optional<uvarint_decoded>();
}

} // namespace snapstream::libp2p
