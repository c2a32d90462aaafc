#include "protocol/messages/refusal.hpp"

#include "protocol/messages/messages.hpp"

#include <array>

namespace snapstream::messages {

namespace {

// Indexed like `refusal_code`.
constexpr std::array<std::string_view, refusal_code_count> refusal_names = {
  "not_found", "not_available", "backpressure", "saturated",
  "breaker_open", "resume_rejected", "invalid_request", "unavailable",
};

static_assert(static_cast<std::size_t>(refusal_code::unavailable) + 1 == refusal_code_count);

} // namespace

std::string_view to_string(refusal_code code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < refusal_names.size() ? refusal_names[i] : std::string_view("unknown");
}

std::optional<refusal_code> refusal_code_from_string(std::string_view text) noexcept {
  for (std::size_t i = 0; i < refusal_names.size(); ++i)
    if (refusal_names[i] == text) return static_cast<refusal_code>(i);
  return std::nullopt;
}

refusal_code classify_refusal(const error_message& e) noexcept {
  if (e.code) return *e.code;
  // The texts of 1.0.0/1.1.0 providers (snapstream's and rpp's), in the
  // precedence the session actor always gave them.
  const std::string_view m = e.message;
  const auto has = [m](std::string_view what) { return m.find(what) != std::string_view::npos; };
  if (has("refuses peer")) return refusal_code::breaker_open;
  if (has("saturated")) return refusal_code::saturated;
  if (has("backpressure")) return refusal_code::backpressure;
  if (has("unavailable")) return refusal_code::unavailable;
  if (m.starts_with("resume ")) return refusal_code::resume_rejected;
  if (m == "snapshot not found" || m == "no snapshot available to serve" ||
      (m.starts_with("snapshot session ") && has("not found")) ||
      (m.starts_with("snapshot ") && (has(" is no longer served") || has(" is not served here"))))
    return refusal_code::not_found;
  if (m.starts_with("chunk ") && has("is not available here yet")) return refusal_code::not_available;
  return refusal_code::invalid_request;
}

} // namespace snapstream::messages
