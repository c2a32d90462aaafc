#include "protocol/libp2p/detail/protobuf.hpp"

#include "protocol/libp2p/uvarint.hpp"

namespace snapstream::libp2p::detail {

void pb_put_varint(byte_buffer& out, std::uint32_t field, std::uint64_t value) {
  uvarint_append(out, static_cast<std::uint64_t>(field) << 3);
  uvarint_append(out, value);
}

void pb_put_bytes(byte_buffer& out, std::uint32_t field, bytes_view value) {
  uvarint_append(out, (static_cast<std::uint64_t>(field) << 3) | 2);
  uvarint_append(out, value.size());
  append(out, value);
}

bool pb_reader::read_varint(std::uint64_t& v) noexcept {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= in_.size()) return false;
    const std::uint8_t b = in_[pos_++];
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

std::optional<pb_field> pb_reader::next() noexcept {
  while (!failed_ && pos_ < in_.size()) {
    std::uint64_t key = 0;
    if (!read_varint(key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff) {
      failed_ = true;
      return std::nullopt;
    }
    pb_field f;
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.wire_type = static_cast<std::uint32_t>(key & 7);
    switch (f.wire_type) {
      case 0:
        if (!read_varint(f.varint)) break;
        return f;
      case 1:
      case 5: {
        const std::size_t n = f.wire_type == 1 ? 8 : 4;
        if (in_.size() - pos_ < n) break;
        pos_ += n;
        continue;
      }
      case 2: {
        std::uint64_t len = 0;
        if (!read_varint(len) || len > in_.size() - pos_) break;
        f.bytes = in_.subspan(pos_, static_cast<std::size_t>(len));
        pos_ += static_cast<std::size_t>(len);
        return f;
      }
      default: break;
    }
    failed_ = true;
  }
  return std::nullopt;
}

} // namespace snapstream::libp2p::detail
