#pragma once
/// Error codes of the actor layer, and the mapping between `snapstream::error`
/// and `caf::error` at the actor boundary.

#include "protocol/common/error.hpp"

#include <caf/error.hpp>

namespace snapstream::actors {

enum class actors_errc {
  timeout = 1,     ///< the actor did not answer within the request's timeout
  unavailable,     ///< the actor is gone (down, or the system is shutting down)
  cancelled,       ///< the waiting coroutine was cancelled before the reply
  unexpected,      ///< the actor did not understand the request or replied with the wrong type
  failed,          ///< any other CAF error (the message carries CAF's text)
};

/// How the HTTP control plane answers an error: its status, the `code` of
/// the JSON error body, and whether the answer says when to retry
/// (`Retry-After`). Each error enum defines its answers right beside it
/// (`answer_of`), so that one look finds an error's status.
struct error_answer {
  unsigned status = 500;
  std::string_view code = "internal";
  bool retry_after = false;
};

/// Bridge errors (the node's actors did not answer) as the control plane answers them.
[[nodiscard]] constexpr error_answer answer_of(actors_errc e) noexcept {
  switch (e) {
    case actors_errc::timeout: return {504, "backend_timeout"};
    case actors_errc::unavailable: return {503, "unavailable", true};
    case actors_errc::cancelled: return {503, "shutting_down"};
    case actors_errc::unexpected: return {500, "internal"};
    case actors_errc::failed: return {500, "internal"};
  }
  return {};
}

[[nodiscard]] constexpr const char* category_name(actors_errc) noexcept { return "snapstream.actors"; }
[[nodiscard]] std::string_view to_string(actors_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(actors_errc e) noexcept {
  return make_enum_error_code(e);
}

/// Wraps a snapstream error into a `caf::error` so an actor can answer a
/// request with it; `from_caf_error` recovers it unchanged on the other side.
[[nodiscard]] caf::error to_caf_error(snapstream::error e);

/// Converts a CAF error (ours, wrapped by `to_caf_error`, or one of CAF's own
/// such as a request timeout) into a `snapstream::error`.
[[nodiscard]] snapstream::error from_caf_error(const caf::error& e);

} // namespace snapstream::actors

template <>
struct std::is_error_code_enum<snapstream::actors::actors_errc> : std::true_type {};
