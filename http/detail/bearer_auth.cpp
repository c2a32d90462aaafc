#include "http/detail/bearer_auth.hpp"

#include <openssl/crypto.h>

namespace snapstream::http::detail {

namespace {

bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

} // namespace

bearer_auth::bearer_auth(std::optional<std::string> token) {
  if (token && !token->empty()) {
    enabled_ = true;
    digest_ = sha256(as_bytes(*token));
  }
}

auth_outcome bearer_auth::check(std::string_view authorization) const noexcept {
  if (!enabled_) return auth_outcome::accepted;
  std::string_view value = trim(authorization);
  auto space = value.find_first_of(" \t");
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "bearer"))
    return auth_outcome::missing;
  std::string_view token = trim(value.substr(space + 1));
  if (token.empty()) return auth_outcome::missing;
  // Hashing first makes the comparison length-independent: both sides are 32 bytes.
  const hash256 presented = sha256(as_bytes(token));
  return CRYPTO_memcmp(presented.data(), digest_.data(), digest_.size()) == 0
             ? auth_outcome::accepted
             : auth_outcome::wrong_token;
}

} // namespace snapstream::http::detail
