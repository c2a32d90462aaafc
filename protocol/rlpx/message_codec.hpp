#pragma once
/// What an RLPx frame carries (devp2p rlpx.md, "Message Encoding"):
///
///   frame-data = msg-id || msg-data
///   msg-id     = the wire message code as an RLP integer
///   msg-data   = the RLP payload, Snappy-compressed (EIP-706) for every message
///                after Hello when the remote's p2p version is 5 or more
///
/// Pure functions, thread-safe.

#include "protocol/common/bytes.hpp"
#include "protocol/rlpx/rlpx_errc.hpp"

#include <cstdint>

namespace snapstream::rlpx {

/// The p2p version from which messages after Hello are Snappy-compressed.
inline constexpr std::uint64_t snappy_p2p_version = 5;
/// Decompressed messages above this are rejected (rlpx.md: 16 MiB).
inline constexpr std::size_t max_message_size = 16u << 20;

/// A frame's message code and (possibly compressed) payload, borrowing the frame.
struct frame_message {
  std::uint64_t code = 0;
  bytes_view payload;
};

/// Splits frame-data into the message code (a canonical RLP integer, not a
/// list) and the bytes after it.
[[nodiscard]] result<frame_message> split_frame_data(bytes_view frame_data);

/// Appends the Snappy (raw block format) compression of `in` to `out`.
void snappy_compress(bytes_view in, byte_buffer& out);

/// Replaces `out` with the decompression of `in`. Reads the declared length
/// first and fails with `message_too_large` above `limit` before allocating;
/// corrupt input fails with `snappy_invalid`.
[[nodiscard]] result<void> snappy_decompress(bytes_view in, std::size_t limit, byte_buffer& out);

} // namespace snapstream::rlpx
