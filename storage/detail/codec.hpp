#pragma once
/// A tiny big-endian binary codec for the records storage/ keeps (session,
/// served, snapshot info). Each record starts with a one-byte format version.
/// The reader never reads past its input: the first failure sticks and names
/// the field.

#include "protocol/common/bytes.hpp"
#include "protocol/common/endian.hpp"
#include "storage/errors.hpp"

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::storage::detail {

class record_writer {
public:
  record_writer() { out_.reserve(256); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u32(std::uint32_t v) {
    std::uint8_t b[4];
    store_be32(b, v);
    out_.insert(out_.end(), b, b + 4);
  }
  void u64(std::uint64_t v) {
    std::uint8_t b[8];
    store_be64(b, v);
    out_.insert(out_.end(), b, b + 8);
  }
  void opt_u64(const std::optional<std::uint64_t>& v) {
    u8(v ? 1 : 0);
    if (v) u64(*v);
  }
  void bytes(bytes_view b) {
    u32(static_cast<std::uint32_t>(b.size()));
    append(out_, b);
  }
  void str(std::string_view s) { bytes(as_bytes(s)); }
  void fixed(bytes_view b) { append(out_, b); }
  [[nodiscard]] byte_buffer take() { return std::move(out_); }

private:
  byte_buffer out_;
};

class record_reader {
public:
  /// `what` names the record in error messages ("session 7").
  record_reader(bytes_view in, std::string what) : in_(in), what_(std::move(what)) {}

  void u8(std::uint8_t& v, const char* field) {
    if (need(1, field)) v = in_[pos_++];
  }
  void u32(std::uint32_t& v, const char* field) {
    if (need(4, field)) {
      v = load_be32(in_.data() + pos_);
      pos_ += 4;
    }
  }
  void u64(std::uint64_t& v, const char* field) {
    if (need(8, field)) {
      v = load_be64(in_.data() + pos_);
      pos_ += 8;
    }
  }
  void opt_u64(std::optional<std::uint64_t>& v, const char* field) {
    std::uint8_t present = 0;
    u8(present, field);
    if (!ok_ || present == 0) {
      v.reset();
      return;
    }
    std::uint64_t x = 0;
    u64(x, field);
    v = x;
  }
  void bytes(byte_buffer& v, const char* field) {
    std::uint32_t n = 0;
    u32(n, field);
    if (need(n, field)) {
      v.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
      pos_ += n;
    }
  }
  void str(std::string& v, const char* field) {
    std::uint32_t n = 0;
    u32(n, field);
    if (need(n, field)) {
      v.assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
      pos_ += n;
    }
  }
  void fixed(std::span<std::uint8_t> v, const char* field) {
    if (need(v.size(), field)) {
      std::memcpy(v.data(), in_.data() + pos_, v.size());
      pos_ += v.size();
    }
  }
  /// True while every field so far read.
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  /// Fails a field whose value is out of range.
  void invalid(const char* field, const std::string& why) {
    if (ok_) fail(std::string(field) + " " + why);
  }
  /// Success when every field read and nothing is left over.
  [[nodiscard]] result<void> finish() {
    if (ok_ && pos_ != in_.size()) fail(std::to_string(in_.size() - pos_) + " bytes after the last field");
    if (!ok_) return error{storage_errc::corrupt_record, message_};
    return {};
  }

private:
  bool need(std::size_t n, const char* field) {
    if (!ok_) return false;
    if (in_.size() - pos_ < n) {
      fail(std::string("field ") + field + " is truncated");
      return false;
    }
    return true;
  }
  void fail(const std::string& why) {
    ok_ = false;
    message_ = what_ + ": " + why;
  }

  bytes_view in_;
  std::size_t pos_ = 0;
  std::string what_;
  bool ok_ = true;
  std::string message_;
};

} // namespace snapstream::storage::detail
