#pragma once
/// The messages of `/rpp/snapshots/1.x` (docs/protocol.md section 2) as C++ values.
/// 1.2.0 adds the `offers` request and response, a plan request's `plan_id`
/// and an error response's `code`; the decoder accepts them only under 1.2.0
/// and later, and callers fill them only when they speak it. 1.3.0 adds the
/// ack a chunk or update request may carry, and frames responses (the
/// messages are the same; only their bytes on the wire differ).
///
/// A request goes from a consumer to a provider and gets exactly one response.
/// Both carry the consumer-chosen `session_id` and one body per message `type`.
/// Byte fields are `shared_bytes`, so a decoded chunk reaches an actor without
/// a copy; the codec treats a null `shared_bytes` as empty bytes.
/// Encoding and decoding live in encoder.hpp and decoder.hpp.

#include "protocol/common/bytes.hpp"
#include "protocol/messages/refusal.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace snapstream::messages {

/// The artefact an `ack` confirms; on the wire a PascalCase string.
enum class ack_kind : std::uint8_t {
  plan,                ///< "Plan"
  chunk,               ///< "Chunk"
  light_client_update, ///< "LightClientUpdate"
  resume,              ///< "Resume"
  ack,                 ///< "Ack"
  error,               ///< "Error"
};

/// The wire name of `kind` ("Plan", "Chunk", "LightClientUpdate", ...).
[[nodiscard]] std::string_view to_string(ack_kind kind) noexcept;
/// Parses an exact wire name (case-sensitive); nullopt for anything else.
[[nodiscard]] std::optional<ack_kind> ack_kind_from_string(std::string_view text) noexcept;

/// `type: "plan"` request: opens a session and asks for the plan, proposing chunk sizes (bytes).
struct plan_request {
  std::optional<std::uint64_t> chunk_size;
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
  /// 1.2.0: plan this snapshot (hex of its state root, 64 lower-case hex
  /// characters), not the provider's latest. The codec checks only that it is a string.
  std::optional<std::string> plan_id = std::nullopt;
  friend bool operator==(const plan_request&, const plan_request&) = default;
};

/// `type: "ack"`, request and response: artefact `kind` number `index` is durable
/// (the response echoes the request).
struct ack_message {
  ack_kind kind = ack_kind::plan;
  std::uint64_t index = 0;
  friend bool operator==(const ack_message&, const ack_message&) = default;
};

/// `type: "chunk"` request: asks for chunk `chunk_index`.
struct chunk_request {
  std::uint64_t chunk_index = 0;
  /// 1.3.0 (`ack_kind`, `ack_index`): an ack carried with the request, handled
  /// by the provider as an `ack` request sent just before it.
  std::optional<ack_message> ack = std::nullopt;
  friend bool operator==(const chunk_request&, const chunk_request&) = default;
};

/// `type: "light_client_update"` request: asks for update `update_index`.
struct update_request {
  std::uint64_t update_index = 0;
  /// 1.3.0: an ack carried with the request, as for `chunk_request`.
  std::optional<ack_message> ack = std::nullopt;
  friend bool operator==(const update_request&, const update_request&) = default;
};

/// `type: "resume"` request: continues a session from the given next indices.
struct resume_request {
  std::string plan_id;
  std::uint64_t chunk_index = 0;
  std::uint64_t update_index = 0;
  std::optional<std::uint64_t> chunk_size;
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
  friend bool operator==(const resume_request&, const resume_request&) = default;
};

/// `type: "error"`, request (a consumer cancels) and response (a provider refuses).
struct error_message {
  std::string message;
  /// 1.2.0 responses: the kind of refusal (see `classify_refusal` for the
  /// older versions). Requests never carry it: the encoder does not write it
  /// in a request.
  std::optional<refusal_code> code = std::nullopt;
  friend bool operator==(const error_message&, const error_message&) = default;
};

/// True when both hold the same bytes; null counts as empty.
[[nodiscard]] bool same_bytes(const shared_bytes& a, const shared_bytes& b) noexcept;

/// `type: "plan"` response: the encoded plan (docs/protocol.md 3.4) and the agreed sizes.
struct plan_response {
  shared_bytes plan;
  std::optional<std::uint64_t> chunk_size;
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
  std::optional<std::uint64_t> max_concurrent_requests;
  /// Compares the plan bytes by content.
  friend bool operator==(const plan_response& a, const plan_response& b) noexcept {
    return same_bytes(a.plan, b.plan) && a.chunk_size == b.chunk_size &&
           a.min_chunk_size == b.min_chunk_size && a.max_chunk_size == b.max_chunk_size &&
           a.max_concurrent_requests == b.max_concurrent_requests;
  }
};

/// `type: "chunk"` response: chunk `chunk_index` (docs/protocol.md 3.5).
struct chunk_response {
  std::uint64_t chunk_index = 0;
  shared_bytes chunk;
  /// Compares the chunk bytes by content.
  friend bool operator==(const chunk_response& a, const chunk_response& b) noexcept {
    return a.chunk_index == b.chunk_index && same_bytes(a.chunk, b.chunk);
  }
};

/// `type: "light_client_update"` response: update `update_index` (docs/protocol.md 4.1).
struct update_response {
  std::uint64_t update_index = 0;
  shared_bytes update;
  /// Compares the update bytes by content.
  friend bool operator==(const update_response& a, const update_response& b) noexcept {
    return a.update_index == b.update_index && same_bytes(a.update, b.update);
  }
};

/// `type: "resume"` response: the indices to request next and the session's sizes.
struct resume_response {
  std::uint64_t chunk_index = 0;
  std::uint64_t update_index = 0;
  std::optional<std::uint64_t> chunk_size;
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
  std::optional<std::uint64_t> max_concurrent_requests;
  friend bool operator==(const resume_response&, const resume_response&) = default;
};

/// `type: "offers"` request (1.2.0): which snapshots does the provider serve?
/// Opens no session; the `session_id` only pairs it with its response.
struct offers_request {
  friend bool operator==(const offers_request&, const offers_request&) = default;
};

/// `type: "offers"` response (1.2.0): the encoded offer list
/// (docs/protocol.md 3.6, `snapshot::decode_offers`).
struct offers_response {
  shared_bytes offers;
  /// Compares the offer bytes by content.
  friend bool operator==(const offers_response& a, const offers_response& b) noexcept {
    return same_bytes(a.offers, b.offers);
  }
};

/// A consumer-to-provider message.
struct snapshots_request {
  std::uint64_t session_id = 0;
  std::variant<plan_request, chunk_request, update_request, resume_request, ack_message, error_message,
               offers_request>
    body;
  friend bool operator==(const snapshots_request&, const snapshots_request&) = default;
};

/// A provider-to-consumer message.
struct snapshots_response {
  std::uint64_t session_id = 0;
  std::variant<plan_response, chunk_response, update_response, resume_response, ack_message, error_message,
               offers_response>
    body;
  friend bool operator==(const snapshots_response&, const snapshots_response&) = default;
};

/// The wire `type` of a message: "plan", "chunk", "light_client_update",
/// "resume", "ack", "error" or "offers" (for logs and dispatch).
[[nodiscard]] std::string_view type_name(const snapshots_request& request) noexcept;
[[nodiscard]] std::string_view type_name(const snapshots_response& response) noexcept;

} // namespace snapstream::messages
