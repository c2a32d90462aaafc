#pragma once
/// When and whether a failed session is restarted.
///
/// Transient failures (network, timeout, provider saturated, remote error) are
/// retried up to `max_retries` times with exponential backoff and full jitter:
/// attempt n waits a uniformly random time in [base * 2^n / 2, base * 2^n],
/// capped at `max_delay`. A verification failure (the peer lied) or an
/// authentication failure is never retried against the same peer; nor is a
/// cancelled session. Pure: the caller supplies the randomness.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace snapstream::actors {

/// Why a session failed; decides the status `error_code` and the retry.
enum class failure_class {
  network,         ///< transport error, timeout, provider unreachable
  checksum,        ///< verification failed: bad page hash, bad proof, bad signature chain
  authentication,  ///< the peer is not who we dialled, or signatures by unknown keys
  resume_mismatch, ///< the provider refused our resume offsets
  saturated,       ///< the provider refused for load (cap or breaker)
  remote,          ///< the provider answered an error we cannot classify
  local,           ///< our own storage failed
};

[[nodiscard]] const char* error_code_name(failure_class c) noexcept;
/// The failure class named by a status `error_code`; nullopt for an unknown name.
[[nodiscard]] std::optional<failure_class> failure_class_from_name(std::string_view name) noexcept;

struct restart_config {
  std::uint32_t max_retries = 5;
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30'000};
};

class restart_policy {
public:
  explicit restart_policy(restart_config config = {}) : config_(config) {}

  /// Whether failures of this class may be retried at all.
  [[nodiscard]] static bool retryable(failure_class c) noexcept;

  /// The delay before retry number `attempt` (0-based) after a failure of
  /// class `c`, or nothing when the session must stay failed.
  [[nodiscard]] std::optional<std::chrono::milliseconds>
  next_delay(failure_class c, std::uint32_t attempt, std::mt19937_64& rng) const;

  [[nodiscard]] const restart_config& config() const noexcept { return config_; }

private:
  restart_config config_;
};

} // namespace snapstream::actors
