#pragma once
/// Bearer-token check (RFC 6750 section 2.1) in constant time.

#include "protocol/common/sha256.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace snapstream::http::detail {

/// The outcome of checking an `Authorization` header.
enum class auth_outcome {
  accepted,      ///< no token configured, or the right one presented
  missing,       ///< no `Authorization: Bearer ...` header
  wrong_token,   ///< a bearer token that is not the configured one
};

/// Holds the SHA-256 of the configured token and compares the digest of the
/// presented one with `CRYPTO_memcmp`: the time taken depends neither on
/// where the tokens differ nor on their lengths. Immutable, thread-safe.
class bearer_auth {
public:
  /// No token, or an empty one, accepts every request.
  explicit bearer_auth(std::optional<std::string> token);

  /// Checks an `Authorization` header value (empty when absent). The scheme
  /// name is matched without regard to case; spaces around the token are ignored.
  [[nodiscard]] auth_outcome check(std::string_view authorization) const noexcept;

  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

private:
  bool enabled_ = false;
  hash256 digest_{};
};

} // namespace snapstream::http::detail
