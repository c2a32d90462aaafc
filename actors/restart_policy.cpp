#include "actors/restart_policy.hpp"

#include <algorithm>

namespace snapstream::actors {

const char* error_code_name(failure_class c) noexcept {
  switch (c) {
    case failure_class::network: return "network";
    case failure_class::checksum: return "checksum";
    case failure_class::authentication: return "authentication";
    case failure_class::resume_mismatch: return "resume_mismatch";
    case failure_class::saturated: return "saturated";
    case failure_class::remote: return "remote";
    case failure_class::local: return "local";
  }
  return "unknown";
}

std::optional<failure_class> failure_class_from_name(std::string_view name) noexcept {
  for (auto c : {failure_class::network, failure_class::checksum, failure_class::authentication,
                 failure_class::resume_mismatch, failure_class::saturated, failure_class::remote, failure_class::local})
    if (name == error_code_name(c)) return c;
  return std::nullopt;
}

bool restart_policy::retryable(failure_class c) noexcept {
  switch (c) {
    case failure_class::network:
    case failure_class::saturated:
    case failure_class::remote:
      return true;
    case failure_class::checksum:
    case failure_class::authentication:
    case failure_class::resume_mismatch:
    case failure_class::local:
      return false;
  }
  return false;
}

std::optional<std::chrono::milliseconds>
restart_policy::next_delay(failure_class c, std::uint32_t attempt, std::mt19937_64& rng) const {
  if (!retryable(c) || attempt >= config_.max_retries) return std::nullopt;
  const auto base = static_cast<std::uint64_t>(config_.base_delay.count());
  const auto cap = static_cast<std::uint64_t>(config_.max_delay.count());
  const std::uint64_t ceiling = attempt >= 40 ? cap : std::min(cap, base << attempt);
  std::uniform_int_distribution<std::uint64_t> pick(ceiling / 2, ceiling);
  return std::chrono::milliseconds(static_cast<std::int64_t>(pick(rng)));
}

} // namespace snapstream::actors
