#pragma once
/// Writes `/rpp/snapshots/1.x` messages as compact JSON (docs/protocol.md 2.3),
/// straight into a byte buffer: no DOM, one exact-size growth of the output,
/// byte fields encoded in place. Thread-safe (no shared state).

#include "protocol/messages/messages.hpp"
#include "protocol/messages/wire.hpp"

namespace snapstream::messages {

/// Exact number of bytes `encode(request, encoding, out)` appends.
[[nodiscard]] std::size_t encoded_size(const snapshots_request& request, byte_encoding encoding) noexcept;
/// Exact number of bytes `encode(response, encoding, out)` appends (one pass
/// over a byte field's bytes for the array encoding, O(1) for base64).
[[nodiscard]] std::size_t encoded_size(const snapshots_response& response, byte_encoding encoding) noexcept;

/// Appends the JSON text of `request` to `out`: `type`, `session_id`, then the
/// body's fields in the order of docs/protocol.md 2.1, no whitespace. Writes
/// the 1.2.0 fields (a plan request's `plan_id`) whenever they are set: callers
/// set them only when speaking 1.2.0. An error request's `code` is never
/// written (requests have no `code`). Requests carry no byte field, so
/// `encoding` does not change the output. Strings are
/// escaped and invalid UTF-8 in them is replaced by U+FFFD (so the output is
/// always valid JSON). `request.body` must hold a value (not be valueless by
/// exception). Throws only `std::bad_alloc`.
void encode(const snapshots_request& request, byte_encoding encoding, byte_buffer& out);

/// Appends the JSON text of `response` to `out`, its byte field in `encoding`
/// (written in place, after one exact-size growth of `out`), fields in the
/// order of docs/protocol.md 2.2. Writes an error's `code` whenever it is set
/// (callers set it only when speaking 1.2.0 or later). Under `raw` (1.3.0)
/// appends the frame of docs/protocol.md 2.8 instead: the byte field's bytes
/// (a copy), the JSON envelope without the byte field, the envelope's length
/// as a big-endian u32. `response.body` must hold a value. Throws only
/// `std::bad_alloc`.
void encode(const snapshots_response& response, byte_encoding encoding, byte_buffer& out);

/// 1.3.0 without a copy of the payload: `payload` holds the byte field's
/// bytes (those of `response`'s own byte field are ignored); appends the
/// envelope of `response` and its length, so `payload` becomes the frame.
/// Callers that reserve `max_envelope_size` spare bytes of capacity avoid a
/// reallocation. Throws only `std::bad_alloc`.
void append_envelope(const snapshots_response& response, byte_buffer& payload);

/// Spare capacity that `append_envelope` needs at most for a chunk, plan or
/// update response (two 20-digit integers, and the plan's four optional ones).
inline constexpr std::size_t max_envelope_size = 256;

/// Upper bound, bytes, of an encoded `chunk` response carrying `payload` chunk
/// bytes in `encoding`, for any session id and chunk index. Saturates at SIZE_MAX.
[[nodiscard]] std::size_t max_chunk_response_size(std::size_t payload, byte_encoding encoding) noexcept;

/// The largest payload, bytes, whose `max_chunk_response_size` is at most
/// `response_cap`; 0 when not even one byte fits. A provider clamps chunk
/// sizes to this (then rounds down to whole pages).
[[nodiscard]] std::size_t max_chunk_payload(std::size_t response_cap, byte_encoding encoding) noexcept;

} // namespace snapstream::messages
