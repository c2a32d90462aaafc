#include "protocol/rlpx/rlp.hpp"

#include <string>

namespace snapstream::rlpx {

namespace {

error rlp_error(rlpx_errc e, std::string_view what, std::string_view detail) {
  std::string m(what);
  m += ": ";
  m += detail;
  return make_error(e, std::move(m));
}

// The same failure, its message prefixed with the field being read.
error in_context(const error& e, std::string_view what) {
  std::string m(what);
  m += ": ";
  m += e.message();
  return error(e.code(), std::move(m));
}

// Reads a big-endian length of `n` (1..8) bytes; the first byte is non-zero.
result<std::size_t> long_length(bytes_view in, std::size_t n) {
  if (in.size() < 1 + n) return make_error(rlpx_errc::rlp_truncated, "length runs past the input");
  if (in[1] == 0) return make_error(rlpx_errc::rlp_non_canonical, "length has a leading zero byte");
  std::uint64_t len = 0;
  for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[1 + i];
  if (len < 56) return make_error(rlpx_errc::rlp_non_canonical, "long form used for a length below 56");
  if (len > in.size()) return make_error(rlpx_errc::rlp_truncated, "payload runs past the input");
  return static_cast<std::size_t>(len);
}

} // namespace

result<rlp_item> rlp_peek(bytes_view in) {
  if (in.empty()) return make_error(rlpx_errc::rlp_truncated, "empty input");
  const std::uint8_t b = in[0];
  std::size_t header = 1;
  std::size_t len = 0;
  bool list = false;
  if (b < 0x80) {
    return rlp_item{false, in.first(1), in.first(1)};
  } else if (b <= 0xb7) {
    len = b - 0x80u;
    if (len == 1 && in.size() >= 2 && in[1] < 0x80)
      return make_error(rlpx_errc::rlp_non_canonical, "single byte below 0x80 wrapped in a string header");
  } else if (b <= 0xbf) {
    const std::size_t n = b - 0xb7u;
    auto l = long_length(in, n);
    if (!l) return l.error();
    header = 1 + n;
    len = *l;
  } else if (b <= 0xf7) {
    list = true;
    len = b - 0xc0u;
  } else {
    list = true;
    const std::size_t n = b - 0xf7u;
    auto l = long_length(in, n);
    if (!l) return l.error();
    header = 1 + n;
    len = *l;
  }
  if (in.size() - header < len)
    return make_error(rlpx_errc::rlp_truncated, "payload runs past the input");
  return rlp_item{list, in.subspan(header, len), in.first(header + len)};
}

result<rlp_item> rlp_decode(bytes_view in) {
  auto item = rlp_peek(in);
  if (!item) return item.error();
  if (item->encoding.size() != in.size())
    return make_error(rlpx_errc::rlp_trailing_bytes,
                      std::to_string(in.size() - item->encoding.size()) + " bytes after the item");
  return item;
}

result<std::uint64_t> rlp_to_uint64(bytes_view payload, std::string_view what) {
  if (payload.size() > 8) return rlp_error(rlpx_errc::rlp_value_too_large, what, "integer wider than 64 bits");
  if (!payload.empty() && payload[0] == 0)
    return rlp_error(rlpx_errc::rlp_non_canonical, what, "integer has a leading zero byte");
  std::uint64_t v = 0;
  for (auto byte : payload) v = (v << 8) | byte;
  return v;
}

result<rlp_reader> rlp_reader::from_list(bytes_view in, std::string_view what) {
  auto item = rlp_decode(in);
  if (!item) return in_context(item.error(), what);
  if (!item->is_list) return rlp_error(rlpx_errc::rlp_wrong_kind, what, "expected a list, found a string");
  return rlp_reader(item->payload);
}

std::size_t rlp_reader::count() const {
  std::size_t n = 0;
  for (bytes_view rest = rest_; !rest.empty(); ++n) {
    auto item = rlp_peek(rest);
    if (!item) break;
    rest = rest.subspan(item->encoding.size());
  }
  return n;
}

result<rlp_item> rlp_reader::item(std::string_view what) {
  if (rest_.empty()) return rlp_error(rlpx_errc::rlp_truncated, what, "missing (the list has no more items)");
  auto item = rlp_peek(rest_);
  if (!item) return in_context(item.error(), what);
  rest_ = rest_.subspan(item->encoding.size());
  return item;
}

result<bytes_view> rlp_reader::bytes(std::string_view what) {
  auto i = item(what);
  if (!i) return i.error();
  if (i->is_list) return rlp_error(rlpx_errc::rlp_wrong_kind, what, "expected a string, found a list");
  return i->payload;
}

result<std::uint64_t> rlp_reader::uint64(std::string_view what) {
  auto b = bytes(what);
  if (!b) return b.error();
  return rlp_to_uint64(*b, what);
}

result<rlp_reader> rlp_reader::list(std::string_view what) {
  auto i = item(what);
  if (!i) return i.error();
  if (!i->is_list) return rlp_error(rlpx_errc::rlp_wrong_kind, what, "expected a list, found a string");
  return rlp_reader(i->payload);
}

result<void> rlp_reader::finish(std::string_view what) const {
  if (!rest_.empty())
    return rlp_error(rlpx_errc::rlp_trailing_bytes, what, std::to_string(rest_.size()) + " bytes of unread items");
  return {};
}

error rlp_reader::size_error(std::string_view what, std::size_t want, std::size_t got) {
  return rlp_error(rlpx_errc::rlp_value_too_large, what,
                   "expected " + std::to_string(want) + " bytes, found " + std::to_string(got));
}

namespace {

void put_header(byte_buffer& out, std::uint8_t short_base, std::uint8_t long_base, std::size_t len) {
  if (len < 56) {
    out.push_back(static_cast<std::uint8_t>(short_base + len));
    return;
  }
  const std::size_t n = rlp_header_size(len) - 1;
  out.push_back(static_cast<std::uint8_t>(long_base + n));
  for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
}

} // namespace

void rlp_writer::bytes(bytes_view b) {
  if (b.size() == 1 && b[0] < 0x80) {
    out_.push_back(b[0]);
    return;
  }
  put_header(out_, 0x80, 0xb7, b.size());
  append(out_, b);
}

void rlp_writer::uint(std::uint64_t v) {
  std::uint8_t be[8];
  std::size_t n = 0;
  for (int shift = 56; shift >= 0; shift -= 8) {
    const auto byte = static_cast<std::uint8_t>(v >> shift);
    if (n == 0 && byte == 0) continue;
    be[n++] = byte;
  }
  bytes(bytes_view(be, n));
}

void rlp_writer::uint_be(bytes_view big_endian) {
  std::size_t skip = 0;
  while (skip < big_endian.size() && big_endian[skip] == 0) ++skip;
  bytes(big_endian.subspan(skip));
}

void rlp_writer::begin_list() {
  open_.push_back(out_.size());
  out_.push_back(0); // one-byte header, widened in end_list when needed
}

void rlp_writer::end_list() {
  const std::size_t start = open_.back();
  open_.pop_back();
  const std::size_t len = out_.size() - start - 1;
  if (len < 56) {
    out_[start] = static_cast<std::uint8_t>(0xc0 + len);
    return;
  }
  const std::size_t n = rlp_header_size(len) - 1;
  out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(start) + 1, n, 0);
  out_[start] = static_cast<std::uint8_t>(0xf7 + n);
  for (std::size_t i = 0; i < n; ++i)
    out_[start + 1 + i] = static_cast<std::uint8_t>(len >> (8 * (n - 1 - i)));
}

byte_buffer rlp_encode_uint(std::uint64_t v) {
  byte_buffer out;
  rlp_writer(out).uint(v);
  return out;
}

} // namespace snapstream::rlpx
