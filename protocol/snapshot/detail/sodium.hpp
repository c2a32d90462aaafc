#pragma once
/// libsodium start-up, once per process.

namespace snapstream::snapshot::detail {

/// Initialises libsodium on first call (thread-safe); false if it cannot run.
[[nodiscard]] bool sodium_ready() noexcept;

} // namespace snapstream::snapshot::detail
