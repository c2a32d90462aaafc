#pragma once
/// Reads `/rpp/snapshots/1.x` messages from JSON text (docs/protocol.md 2.4),
/// strictly: every malformed input is a `codec_errc` error whose message names
/// the field and the problem, and no partially decoded message is returned.
/// Parsing is simdjson On-Demand; a byte field is decoded once, straight into
/// the `byte_buffer` the returned message shares. No exception escapes
/// (except `std::bad_alloc`). Thread-safe: each thread uses its own parser.

#include "protocol/messages/codec_errc.hpp"
#include "protocol/messages/messages.hpp"
#include "protocol/messages/wire.hpp"

#include <optional>

namespace snapstream::messages {

/// Readable bytes the parser needs after the end of its input (any values;
/// simdjson's SIMDJSON_PADDING).
inline constexpr std::size_t decode_padding = 64;

/// Limits of one decode.
struct decode_options {
  /// Largest accepted input, bytes: longer input fails with `too_large`
  /// before any parsing. Callers pass the cap of the negotiated version
  /// (`max_request_size`, `max_response_size(version)`).
  std::size_t max_size = max_request_size;
  /// The negotiated version: which types and fields exist (docs/protocol.md
  /// 2.4). Under v1_0 and v1_1 the `offers` type is `unknown_type`, a plan
  /// request's `plan_id` and an error response's `code` are `unknown_field`,
  /// as a 1.1.0 peer reports them; under v1_2 and v1_3 they decode. Byte
  /// fields decode from either JSON encoding under v1_0 to v1_2; under v1_3
  /// a response is a frame (docs/protocol.md 2.8) and a chunk or update
  /// request may carry an ack.
  protocol_version version = protocol_version::v1_2;
};

/// A message's bytes followed by at least `decode_padding` readable bytes, so
/// the decoder can parse them in place, without a copy.
class padded_input {
public:
  /// The first `size` bytes at `data`, where `readable` bytes from `data` may
  /// be read; nullopt when `readable < size + decode_padding`.
  [[nodiscard]] static std::optional<padded_input> from(const std::uint8_t* data, std::size_t size,
                                                        std::size_t readable) noexcept;
  /// The contents of `buffer` when its capacity leaves the padding (see
  /// `reserve_padding`); nullopt otherwise. Valid until `buffer` changes.
  [[nodiscard]] static std::optional<padded_input> from(const byte_buffer& buffer) noexcept;

  [[nodiscard]] bytes_view bytes() const noexcept { return bytes_; }

private:
  explicit padded_input(bytes_view bytes) noexcept : bytes_(bytes) {}
  bytes_view bytes_;
};

/// Grows the capacity (not the size) of `buffer` so that
/// `padded_input::from(buffer)` succeeds; call it after the last append.
void reserve_padding(byte_buffer& buffer);

/// Decodes one request. Copies `input` into a padded buffer first; callers that
/// own a padded buffer use the `padded_input` overload instead.
[[nodiscard]] result<snapshots_request> decode_request(bytes_view input, const decode_options& options);
/// Decodes one request in place.
[[nodiscard]] result<snapshots_request> decode_request(padded_input input, const decode_options& options);

/// Decodes one response. Copies `input` into a padded buffer first; callers that
/// own a padded buffer use the `padded_input` overload instead.
[[nodiscard]] result<snapshots_response> decode_response(bytes_view input, const decode_options& options);
/// Decodes one response in place (under 1.3.0 the frame's payload is copied).
[[nodiscard]] result<snapshots_response> decode_response(padded_input input, const decode_options& options);

/// Decodes one response the caller hands over. Under 1.3.0 the frame's
/// payload becomes the byte field without a copy: `body` is cut to the
/// payload and shared. Under the older versions it decodes in place when
/// `body`'s capacity leaves the padding (else from a copy). `body` is left
/// unspecified.
[[nodiscard]] result<snapshots_response> decode_response(byte_buffer&& body, const decode_options& options);

} // namespace snapstream::messages
