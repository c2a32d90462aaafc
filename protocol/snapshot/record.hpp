#pragma once
/// Records: one key/value pair of the state and its canonical encoding
/// (docs/protocol.md section 3.1):
///
///   record = u32(len(key)) || key || u32(len(value)) || value
///
/// with 1 <= len(key) <= 65536 and len(value) <= 1 MiB. Keys order by unsigned
/// bytewise comparison (RocksDB's default comparator).

#include "protocol/common/bytes.hpp"
#include "protocol/snapshot/errors.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace snapstream::snapshot {

inline constexpr std::size_t min_key_size = 1;
inline constexpr std::size_t max_key_size = 65536;
inline constexpr std::size_t max_value_size = 1048576;
/// The two u32 length prefixes of a record.
inline constexpr std::size_t record_overhead = 8;
/// The smallest record encoding (a one-byte key, an empty value).
inline constexpr std::size_t min_record_size = record_overhead + min_key_size;
/// The largest record encoding.
inline constexpr std::size_t max_record_size = record_overhead + max_key_size + max_value_size;

/// A record borrowed from a buffer owned elsewhere (a page, a chunk, a DB slice).
struct record_view {
  bytes_view key;
  bytes_view value;
};

/// Bytes of the canonical encoding of a record with these field sizes.
[[nodiscard]] constexpr std::size_t encoded_record_size(std::size_t key_size, std::size_t value_size) noexcept {
  return record_overhead + key_size + value_size;
}

/// Unsigned bytewise three-way comparison of keys (shorter prefix first).
[[nodiscard]] int compare_keys(bytes_view a, bytes_view b) noexcept;

/// Checks the size limits of section 3.1; `snapshot_errc::invalid_record`
/// names the offending field and its size.
[[nodiscard]] result<void> check_record(bytes_view key, bytes_view value);

/// Appends the canonical encoding. Precondition: `check_record(key, value)` holds.
void append_record(byte_buffer& out, bytes_view key, bytes_view value);

/// Writes the canonical encoding to `out`, which has room for
/// `encoded_record_size(key.size(), value.size())` bytes; returns the end.
/// Precondition: `check_record(key, value)` holds.
std::uint8_t* write_record(std::uint8_t* out, bytes_view key, bytes_view value) noexcept;

/// The canonical encoding of one record, after checking its limits.
[[nodiscard]] result<byte_buffer> encode_record(bytes_view key, bytes_view value);

/// Parses the record starting at `in[offset]` and advances `offset` past it.
/// Fails with `truncated` (the input ends inside the record) or
/// `invalid_record` (a length outside the limits); the message names the
/// offset. The returned views point into `in`.
[[nodiscard]] result<record_view> parse_record(bytes_view in, std::size_t& offset);

/// Parses a whole page (section 3.2): records parse exactly, with nothing
/// left over, and keys strictly increase. Appends the records to `out` (views
/// into `page`) and returns how many were appended. An empty input is a
/// valid empty sequence here; callers that need a non-empty page check that.
[[nodiscard]] result<std::size_t> parse_page(bytes_view page, std::vector<record_view>& out);

} // namespace snapstream::snapshot
