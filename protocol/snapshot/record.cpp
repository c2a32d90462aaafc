#include "protocol/snapshot/record.hpp"

#include "protocol/common/endian.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace snapstream::snapshot {

int compare_keys(bytes_view a, bytes_view b) noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  if (n > 0) {
    const int c = std::memcmp(a.data(), b.data(), n);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

result<void> check_record(bytes_view key, bytes_view value) {
  if (key.size() < min_key_size || key.size() > max_key_size) {
    return error{snapshot_errc::invalid_record,
                 "key length " + std::to_string(key.size()) + " is outside 1..65536"};
  }
  if (value.size() > max_value_size) {
    return error{snapshot_errc::invalid_record,
                 "value length " + std::to_string(value.size()) + " exceeds 1048576"};
  }
  return {};
}

std::uint8_t* write_record(std::uint8_t* out, bytes_view key, bytes_view value) noexcept {
  store_be32(out, static_cast<std::uint32_t>(key.size()));
  out += 4;
  if (!key.empty()) std::memcpy(out, key.data(), key.size());
  out += key.size();
  store_be32(out, static_cast<std::uint32_t>(value.size()));
  out += 4;
  if (!value.empty()) std::memcpy(out, value.data(), value.size());
  return out + value.size();
}

void append_record(byte_buffer& out, bytes_view key, bytes_view value) {
  const std::size_t at = out.size();
  out.resize(at + encoded_record_size(key.size(), value.size()));
  write_record(out.data() + at, key, value);
}

result<byte_buffer> encode_record(bytes_view key, bytes_view value) {
  if (auto ok = check_record(key, value); !ok) return ok.error();
  byte_buffer out;
  append_record(out, key, value);
  return out;
}

result<record_view> parse_record(bytes_view in, std::size_t& offset) {
  const std::size_t start = offset;
  auto fail = [start](snapshot_errc code, const std::string& what) {
    return error{code, "record at offset " + std::to_string(start) + ": " + what};
  };
  std::size_t pos = start;
  if (in.size() - pos < 4) return fail(snapshot_errc::truncated, "input ends inside the key length");
  const std::uint32_t key_len = load_be32(in.data() + pos);
  if (key_len < min_key_size || key_len > max_key_size) {
    return fail(snapshot_errc::invalid_record, "key length " + std::to_string(key_len) + " is outside 1..65536");
  }
  pos += 4;
  if (in.size() - pos < key_len) return fail(snapshot_errc::truncated, "input ends inside the key");
  const bytes_view key = in.subspan(pos, key_len);
  pos += key_len;
  if (in.size() - pos < 4) return fail(snapshot_errc::truncated, "input ends inside the value length");
  const std::uint32_t value_len = load_be32(in.data() + pos);
  if (value_len > max_value_size) {
    return fail(snapshot_errc::invalid_record, "value length " + std::to_string(value_len) + " exceeds 1048576");
  }
  pos += 4;
  if (in.size() - pos < value_len) return fail(snapshot_errc::truncated, "input ends inside the value");
  const bytes_view value = in.subspan(pos, value_len);
  offset = pos + value_len;
  return record_view{key, value};
}

result<std::size_t> parse_page(bytes_view page, std::vector<record_view>& out) {
  const std::size_t before = out.size();
  std::size_t offset = 0;
  bytes_view previous;
  std::size_t index = 0;
  while (offset < page.size()) {
    auto r = parse_record(page, offset);
    if (!r) {
      out.resize(before);
      return r.error();
    }
    if (index > 0 && compare_keys(previous, r->key) >= 0) {
      out.resize(before);
      return error{snapshot_errc::keys_not_increasing,
                   "record " + std::to_string(index) + ": key does not exceed the key before it"};
    }
    previous = r->key;
    out.push_back(*r);
    ++index;
  }
  return out.size() - before;
}

} // namespace snapstream::snapshot
