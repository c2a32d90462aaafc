#pragma once
/// Recursive Length Prefix (RLP) encoding, as the Ethereum yellow paper
/// (appendix B) and https://ethereum.org/en/developers/docs/data-structures-and-encoding/rlp
/// define it.
///
/// Decoding is strict: every length is in its shortest form (no leading zero
/// bytes, a long form only for 56 bytes or more), a single byte below 0x80 is
/// never wrapped in a string header, integers have no leading zero bytes (zero
/// is the empty string), and a decoded value consumes its input exactly. So
/// every value has exactly one accepted encoding.
///
/// Decoded items borrow the input (`bytes_view`); nothing is copied.

#include "protocol/common/bytes.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace snapstream::rlpx {

/// One decoded RLP item, borrowing the input.
struct rlp_item {
  bool is_list = false;
  /// A string's bytes, or a list's items encoded back to back.
  bytes_view payload;
  /// The whole item: header and payload.
  bytes_view encoding;
};

/// Decodes the item that starts at `in[0]`; bytes after it are left alone.
/// Fails with `rlp_truncated` or `rlp_non_canonical`.
[[nodiscard]] result<rlp_item> rlp_peek(bytes_view in);

/// Decodes `in` as exactly one item; bytes after it fail with `rlp_trailing_bytes`.
[[nodiscard]] result<rlp_item> rlp_decode(bytes_view in);

/// Reads a canonical unsigned integer from a string item's payload (empty =
/// zero, no leading zero byte, at most 8 bytes).
[[nodiscard]] result<std::uint64_t> rlp_to_uint64(bytes_view payload, std::string_view what);

/// Walks the items of a list payload in order. Every accessor names the field
/// it reads (`what`) in its error message, e.g. "Hello.capabilities[2].version".
/// Not thread-safe; cheap to copy (two views).
class rlp_reader {
public:
  /// Reads the items encoded back to back in `items` (a list's payload).
  explicit rlp_reader(bytes_view items) noexcept : rest_(items) {}

  /// Reads `in` as one list item and walks its items; `what` names the list.
  [[nodiscard]] static result<rlp_reader> from_list(bytes_view in, std::string_view what);

  [[nodiscard]] bool at_end() const noexcept { return rest_.empty(); }
  /// How many items remain (walks their headers; for reserving). Items whose
  /// header does not parse end the count; reading them reports the error.
  [[nodiscard]] std::size_t count() const;
  [[nodiscard]] std::size_t remaining_bytes() const noexcept { return rest_.size(); }

  /// The next item, of either kind.
  [[nodiscard]] result<rlp_item> item(std::string_view what);
  /// The next item, which must be a string.
  [[nodiscard]] result<bytes_view> bytes(std::string_view what);
  /// The next item, a canonical unsigned integer of at most 64 bits.
  [[nodiscard]] result<std::uint64_t> uint64(std::string_view what);
  /// The next item, a string of exactly `N` bytes.
  template <std::size_t N>
  [[nodiscard]] result<std::array<std::uint8_t, N>> fixed(std::string_view what) {
    auto b = bytes(what);
    if (!b) return b.error();
    if (b->size() != N) return size_error(what, N, b->size());
    std::array<std::uint8_t, N> out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
  }
  /// The next item, which must be a list; returns a reader over its items.
  [[nodiscard]] result<rlp_reader> list(std::string_view what);
  /// Succeeds when every item has been read (`rlp_trailing_bytes` otherwise).
  [[nodiscard]] result<void> finish(std::string_view what) const;

private:
  [[nodiscard]] static error size_error(std::string_view what, std::size_t want, std::size_t got);
  bytes_view rest_;
};

/// Appends RLP encodings to a buffer. Lists are opened and closed around their
/// items; the header is written when the list closes (moving its payload when
/// the header needs more than one byte). Not thread-safe.
class rlp_writer {
public:
  /// Appends to `out` (which it borrows).
  explicit rlp_writer(byte_buffer& out) noexcept : out_(out) {}

  /// A byte string.
  void bytes(bytes_view b);
  void string(std::string_view s) { bytes(as_bytes(s)); }
  /// An unsigned integer, without leading zero bytes (zero is the empty string).
  void uint(std::uint64_t v);
  /// An unsigned big-endian integer of any width; leading zero bytes are dropped.
  void uint_be(bytes_view big_endian);
  /// An already encoded item, written as is.
  void raw(bytes_view encoded) { append(out_, encoded); }
  /// Opens a list; items written until the matching `end_list` belong to it.
  void begin_list();
  void end_list();
  /// Lists still open (0 when the encoding is complete).
  [[nodiscard]] std::size_t depth() const noexcept { return open_.size(); }

private:
  byte_buffer& out_;
  std::vector<std::size_t> open_;
};

/// Bytes taken by the RLP header of a string or list payload of `n` bytes.
[[nodiscard]] constexpr std::size_t rlp_header_size(std::size_t n) noexcept {
  if (n < 56) return 1;
  std::size_t bytes = 0;
  for (; n != 0; n >>= 8) ++bytes;
  return 1 + bytes;
}

/// The RLP encoding of an unsigned integer.
[[nodiscard]] byte_buffer rlp_encode_uint(std::uint64_t v);

} // namespace snapstream::rlpx
