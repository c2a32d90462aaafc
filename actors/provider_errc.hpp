#pragma once
/// Why the snapshot provider refused a request. The refusal travels to the
/// consumer as an `error` response whose message is the error's message and,
/// under `/rpp/snapshots/1.2.0`, whose `code` is `refusal_code_of` the error.

#include "protocol/common/error.hpp"
#include "protocol/messages/refusal.hpp"

namespace snapstream::actors {

enum class provider_errc {
  not_found = 1,     ///< unknown session, or a snapshot this provider does not (or no longer) serve
  backpressure,      ///< the session already has a request in flight
  saturated,         ///< the cap on active sessions is reached
  breaker_open,      ///< this peer failed too often; refused until its cool-down ends
  resume_rejected,   ///< a resume outside rpp's rules (wrong plan, regressed, skipped, over total)
  invalid_request,   ///< a malformed request, an index out of range, an ack that skips ahead
  unavailable,       ///< the provider could not read its storage (or did not answer in time)
  not_available,     ///< "not yet": a chunk of a snapshot this node is still syncing lacks a page
};

[[nodiscard]] constexpr const char* category_name(provider_errc) noexcept { return "snapstream.provider"; }
[[nodiscard]] std::string_view to_string(provider_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(provider_errc e) noexcept {
  return make_enum_error_code(e);
}

/// The refusal code an `error` response carries for `e` (docs/protocol.md
/// 2.7): the one mapping from the provider's reasons to the wire's kinds.
[[nodiscard]] constexpr messages::refusal_code refusal_code_of(provider_errc e) noexcept {
  using messages::refusal_code;
  switch (e) {
    case provider_errc::not_found: return refusal_code::not_found;
    case provider_errc::backpressure: return refusal_code::backpressure;
    case provider_errc::saturated: return refusal_code::saturated;
    case provider_errc::breaker_open: return refusal_code::breaker_open;
    case provider_errc::resume_rejected: return refusal_code::resume_rejected;
    case provider_errc::invalid_request: return refusal_code::invalid_request;
    case provider_errc::unavailable: return refusal_code::unavailable;
    case provider_errc::not_available: return refusal_code::not_available;
  }
  return refusal_code::unavailable;
}

/// The refusal code of any error the provider answers with: its
/// `provider_errc`'s, and `unavailable` for an error of another layer (a
/// storage or runtime failure the provider did not classify).
[[nodiscard]] inline messages::refusal_code refusal_code_of(const error& e) noexcept {
  if (e.code().category() != make_error_code(provider_errc::not_found).category())
    return messages::refusal_code::unavailable;
  return refusal_code_of(static_cast<provider_errc>(e.code().value()));
}

} // namespace snapstream::actors

template <>
struct std::is_error_code_enum<snapstream::actors::provider_errc> : std::true_type {};
