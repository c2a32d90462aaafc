#include "protocol/snapshot/trust.hpp"

#include "protocol/common/hex.hpp"

#include <string>

namespace snapstream::snapshot {

result<void> check_trust(const trust_config& t) {
  if (t.authorities.empty()) return error{snapshot_errc::invalid_trust, "trust: the authority set is empty"};
  for (std::size_t i = 0; i < t.authorities.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (t.authorities[i] == t.authorities[j]) {
        return error{snapshot_errc::invalid_trust,
                     "trust: authority " + std::to_string(i) + " " + to_hex(t.authorities[i]) + " is listed twice"};
      }
    }
  }
  if (t.threshold < 1 || t.threshold > t.authorities.size()) {
    return error{snapshot_errc::invalid_trust, "trust: threshold " + std::to_string(t.threshold) +
                                                 " is outside 1.." + std::to_string(t.authorities.size())};
  }
  return {};
}

} // namespace snapstream::snapshot
