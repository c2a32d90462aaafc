#pragma once
/// Why the snapshot provider refused a request. The refusal travels to the
/// consumer as an `error` response whose message is the error's message.

#include "protocol/common/error.hpp"

namespace snapstream::actors {

enum class provider_errc {
  not_found = 1,     ///< unknown session, or no snapshot to serve
  backpressure,      ///< the session already has a request in flight
  saturated,         ///< the cap on active sessions is reached
  breaker_open,      ///< this peer failed too often; refused until its cool-down ends
  resume_rejected,   ///< a resume outside rpp's rules (wrong plan, regressed, skipped, over total)
  invalid_request,   ///< a malformed request, an index out of range, an ack that skips ahead
  unavailable,       ///< the provider could not read its storage
};

[[nodiscard]] constexpr const char* category_name(provider_errc) noexcept { return "snapstream.provider"; }
[[nodiscard]] std::string_view to_string(provider_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(provider_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream::actors

template <>
struct std::is_error_code_enum<snapstream::actors::provider_errc> : std::true_type {};
