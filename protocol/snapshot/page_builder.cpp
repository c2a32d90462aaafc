#include "protocol/snapshot/page_builder.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/snapshot/record.hpp"

#include <bit>
#include <string>

namespace snapstream::snapshot {

result<void> check_page_size(std::uint64_t page_size) {
  if (page_size < min_page_size || page_size > max_page_size || !std::has_single_bit(page_size)) {
    return error{snapshot_errc::invalid_page_size,
                 "page size " + std::to_string(page_size) + " is not a power of two from 4096 to 4194304"};
  }
  return {};
}

result<page_builder> page_builder::create(std::uint32_t page_size, page_sink sink) {
  if (auto ok = check_page_size(page_size); !ok) return ok.error();
  return page_builder(page_size, std::move(sink));
}

page_builder::page_builder(std::uint32_t page_size, page_sink sink)
  : page_size_(page_size), sink_(std::move(sink)) {
  page_.reserve(page_size);
}

result<void> page_builder::push(bytes_view key, bytes_view value) {
  if (finished_ || failed_) {
    return error{snapshot_errc::builder_finished, "record " + std::to_string(records_) + ": page builder is finished"};
  }
  if (auto ok = check_record(key, value); !ok) {
    return error{ok.error().code(), "record " + std::to_string(records_) + ": " + ok.error().message()};
  }
  if (records_ > 0) {
    const bytes_view previous(page_.data() + last_key_offset_, last_key_size_);
    if (compare_keys(previous, key) >= 0) {
      return error{snapshot_errc::keys_not_increasing,
                   "record " + std::to_string(records_) + ": key does not exceed the key before it"};
    }
  }
  const std::size_t size = encoded_record_size(key.size(), value.size());
  if (!page_.empty() && page_.size() + size > page_size_) {
    // The previous key lives in the page being closed; the new key is checked
    // already, so nothing needs it after this point.
    if (auto ok = close_page(); !ok) {
      failed_ = true;
      return ok.error();
    }
  }
  last_key_offset_ = page_.size() + 4;
  last_key_size_ = key.size();
  append_record(page_, key, value);
  ++page_records_;
  ++records_;
  return {};
}

result<void> page_builder::finish() {
  if (finished_ || failed_) return {};
  finished_ = true;
  if (page_.empty()) return {};
  if (auto ok = close_page(); !ok) {
    failed_ = true;
    return ok.error();
  }
  return {};
}

result<void> page_builder::close_page() {
  static constexpr std::uint8_t leaf_prefix[1] = {0x00};
  hasher_.update(leaf_prefix);
  hasher_.update(page_);
  closed_page page;
  page.index = pages_;
  page.bytes = page_;
  page.hash = hasher_.finish();
  page.first_key = bytes_view(page_.data() + 4, load_be32(page_.data()));
  page.record_count = page_records_;
  auto ok = sink_ ? sink_(page) : result<void>{};
  ++pages_;
  total_bytes_ += page_.size();
  page_.clear();
  page_records_ = 0;
  return ok;
}

} // namespace snapstream::snapshot
