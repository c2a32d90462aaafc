#pragma once
/// The few protobuf wire-format pieces libp2p's key and Noise payload messages
/// need: varint and length-delimited fields, written and read.

#include "protocol/common/bytes.hpp"

#include <cstdint>
#include <optional>

namespace snapstream::libp2p::detail {

/// Appends a varint field (wire type 0).
void pb_put_varint(byte_buffer& out, std::uint32_t field, std::uint64_t value);
/// Appends a length-delimited field (wire type 2).
void pb_put_bytes(byte_buffer& out, std::uint32_t field, bytes_view value);

/// One field of a message: its number, wire type and value.
struct pb_field {
  std::uint32_t number = 0;
  std::uint32_t wire_type = 0;
  std::uint64_t varint = 0;  ///< wire type 0
  bytes_view bytes;          ///< wire type 2
};

/// Walks the fields of a message; fixed32/fixed64 fields are skipped over.
class pb_reader {
public:
  explicit pb_reader(bytes_view message) noexcept : in_(message) {}
  /// The next field, or an empty optional at the end. Sets `failed()` and
  /// returns empty on malformed input (truncation, group wire types).
  [[nodiscard]] std::optional<pb_field> next() noexcept;
  [[nodiscard]] bool failed() const noexcept { return failed_; }

private:
  bool read_varint(std::uint64_t& v) noexcept;
  bytes_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

} // namespace snapstream::libp2p::detail
