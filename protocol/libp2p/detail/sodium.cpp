#include "protocol/libp2p/detail/sodium.hpp"

#include <sodium.h>

#include <cstdlib>

namespace snapstream::libp2p::detail {

void ensure_sodium() noexcept {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

} // namespace snapstream::libp2p::detail
