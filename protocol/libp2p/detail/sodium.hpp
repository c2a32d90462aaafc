#pragma once
/// One-time libsodium initialisation.

namespace snapstream::libp2p::detail {

/// Calls `sodium_init()` once (thread-safe); aborts when libsodium cannot
/// initialise, since no key can be made or checked without it.
void ensure_sodium() noexcept;

} // namespace snapstream::libp2p::detail
