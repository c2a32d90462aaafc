#include "protocol/snapshot/chunk.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/snapshot/merkle.hpp"

#include <string>

namespace snapstream::snapshot {

namespace {

std::string num(std::uint64_t v) { return std::to_string(v); }

error chunk_error(verify_errc code, std::uint64_t index, const std::string& what) {
  return error{code, "chunk " + num(index) + ": " + what};
}

} // namespace

result<std::uint64_t> pages_per_chunk(std::uint32_t page_size, std::uint64_t chunk_size) {
  if (page_size == 0 || chunk_size < page_size || chunk_size % page_size != 0) {
    return error{snapshot_errc::invalid_chunk_size, "chunk size " + num(chunk_size) +
                                                      " is not a whole multiple of the page size " + num(page_size)};
  }
  return chunk_size / page_size;
}

void append_chunk_page(byte_buffer& chunk, bytes_view page) {
  const std::size_t at = chunk.size();
  chunk.resize(at + 4);
  store_be32(chunk.data() + at, static_cast<std::uint32_t>(page.size()));
  append(chunk, page);
}

byte_buffer encode_chunk(std::span<const bytes_view> pages) {
  std::size_t size = 0;
  for (const auto& p : pages) size += 4 + p.size();
  byte_buffer out;
  out.reserve(size);
  for (const auto& p : pages) append_chunk_page(out, p);
  return out;
}

chunk_encoder::push_result chunk_encoder::push(bytes_view key, bytes_view value) {
  const std::size_t size = encoded_record_size(key.size(), value.size());
  if (open_ && out_->size() - page_start_ - 4 + size > page_size_) close_page();
  if (!open_) {
    if (pages_ == page_limit_) return push_result::chunk_full;
    page_start_ = out_->size();
    out_->resize(page_start_ + 4);
    open_ = true;
    ++pages_;
  }
  const std::size_t at = out_->size();
  out_->resize(at + size);
  write_record(out_->data() + at, key, value);
  ++records_;
  return push_result::appended;
}

void chunk_encoder::finish() noexcept {
  if (open_) close_page();
}

void chunk_encoder::close_page() noexcept {
  store_be32(out_->data() + page_start_, static_cast<std::uint32_t>(out_->size() - page_start_ - 4));
  open_ = false;
}

result<void> verify_chunk(const plan& p, std::uint64_t chunk_index, std::uint64_t pages_per_chunk,
                          bytes_view chunk, verified_chunk& out) {
  const std::uint64_t chunks = chunk_count(p.page_count(), pages_per_chunk);
  if (chunk_index >= chunks) {
    return chunk_error(verify_errc::chunk_out_of_order, chunk_index,
                       "beyond the last chunk (the plan has " + num(chunks) + ")");
  }
  const page_range range = chunk_pages(chunk_index, pages_per_chunk, p.page_count());
  out.chunk_index = chunk_index;
  out.first_page = range.first;
  out.page_count = 0;
  out.page_bytes = 0;
  out.records.clear();
  out.page_records.clear();

  std::size_t offset = 0;
  for (std::uint64_t page = range.first; page < range.end; ++page) {
    if (offset == chunk.size()) {
      return chunk_error(verify_errc::page_count_mismatch, chunk_index,
                         "holds " + num(page - range.first) + " pages, expected " + num(range.size()));
    }
    if (chunk.size() - offset < 4) {
      return chunk_error(verify_errc::chunk_malformed, chunk_index,
                         "ends inside the length of page " + num(page) + " at byte " + num(offset));
    }
    const std::uint32_t len = load_be32(chunk.data() + offset);
    offset += 4;
    if (chunk.size() - offset < len) {
      return chunk_error(verify_errc::chunk_malformed, chunk_index,
                         "page " + num(page) + " declares " + num(len) + " bytes, " + num(chunk.size() - offset) +
                           " remain");
    }
    const bytes_view bytes = chunk.subspan(offset, len);
    offset += len;
    if (page_hash(bytes) != p.page_hashes[page]) {
      return chunk_error(verify_errc::page_hash_mismatch, chunk_index, "page " + num(page) + " hash mismatch");
    }
    if (bytes.empty()) {
      return chunk_error(verify_errc::page_malformed, chunk_index, "page " + num(page) + " is empty");
    }
    auto parsed = parse_page(bytes, out.records);
    if (!parsed) {
      return chunk_error(verify_errc::page_malformed, chunk_index,
                         "page " + num(page) + ": " + parsed.error().message());
    }
    // A page is at most ~4 GiB (u32 length) of records of at least 9 bytes:
    // its record count fits 32 bits.
    out.page_records.push_back(static_cast<std::uint32_t>(*parsed));
    ++out.page_count;
    out.page_bytes += len;
  }
  if (offset != chunk.size()) {
    // Whole extra frames are extra pages; anything else is broken framing.
    std::uint64_t extra = 0;
    std::size_t at = offset;
    while (chunk.size() - at >= 4 && chunk.size() - at - 4 >= load_be32(chunk.data() + at)) {
      at += 4 + load_be32(chunk.data() + at);
      ++extra;
    }
    if (at == chunk.size()) {
      return chunk_error(verify_errc::page_count_mismatch, chunk_index,
                         "holds " + num(range.size() + extra) + " pages, expected " + num(range.size()));
    }
    return chunk_error(verify_errc::chunk_malformed, chunk_index,
                       num(chunk.size() - offset) + " bytes after the last page");
  }
  return {};
}

result<verified_chunk> verify_chunk(const plan& p, std::uint64_t chunk_index, std::uint64_t pages_per_chunk,
                                    bytes_view chunk) {
  verified_chunk out;
  if (auto ok = verify_chunk(p, chunk_index, pages_per_chunk, chunk, out); !ok) return ok.error();
  return out;
}

} // namespace snapstream::snapshot
