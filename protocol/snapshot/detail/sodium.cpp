#include "protocol/snapshot/detail/sodium.hpp"

#include <sodium.h>

namespace snapstream::snapshot::detail {

bool sodium_ready() noexcept {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

} // namespace snapstream::snapshot::detail
