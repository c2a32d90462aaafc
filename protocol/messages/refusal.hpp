#pragma once
/// Why a provider refused a request: the one place refusal kinds live
/// (docs/protocol.md 2.7). Under `/rpp/snapshots/1.2.0` an `error` response
/// names its kind in the `code` field; under 1.0.0 and 1.1.0 only its English
/// `message` says it, and `classify_refusal` reads the texts snapstream and
/// rpp providers send.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace snapstream::messages {

struct error_message;

/// The kind of an `error` response; on the wire (`code`) the enumerator's name.
enum class refusal_code : std::uint8_t {
  not_found,        ///< unknown session, or a snapshot this provider does not (or no longer) serve
  not_available,    ///< "not yet": a chunk of a snapshot the provider is still syncing and lacks
  backpressure,     ///< the session already has a request in flight
  saturated,        ///< too many active sessions
  breaker_open,     ///< this peer's circuit breaker is open
  resume_rejected,  ///< stale or out-of-range resume offsets
  invalid_request,  ///< malformed or out-of-range request
  unavailable,      ///< the provider's storage failed or timed out
};

/// Number of refusal codes (the enumerators are 0 to refusal_code_count - 1).
inline constexpr std::size_t refusal_code_count = 8;

/// The wire name of `code` ("not_found", "breaker_open", ...).
[[nodiscard]] std::string_view to_string(refusal_code code) noexcept;
/// Parses an exact wire name (case-sensitive); nullopt for anything else.
[[nodiscard]] std::optional<refusal_code> refusal_code_from_string(std::string_view text) noexcept;

/// The refusal code of an error response: its `code` when present (1.2.0);
/// otherwise inferred from the texts sent on 1.0.0/1.1.0, first match wins:
/// "refuses peer" -> breaker_open; "saturated" -> saturated; "backpressure"
/// -> backpressure; "unavailable" -> unavailable; a message starting
/// "resume " -> resume_rejected; "snapshot not found", "snapshot session N
/// not found" and "no snapshot available to serve" -> not_found; anything
/// else -> invalid_request.
[[nodiscard]] refusal_code classify_refusal(const error_message& e) noexcept;

} // namespace snapstream::messages
