#pragma once
/// Configuration of the consumer side: sessions and their supervisor.

#include "actors/restart_policy.hpp"
#include "net/libp2p/host.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace snapstream::actors {

struct session_config {
  /// Longest wait for one response (dial included).
  std::chrono::milliseconds request_timeout{60'000};
  /// Protocols offered, in preference order (1.1.0 then 1.0.0 by default;
  /// a benchmark can force 1.0.0).
  std::vector<net::protocol_spec> protocols = net::snapshot_protocols();
  /// The consumer's chunk size bounds sent with the plan request.
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
  /// Sessions drive themselves; when false they advance one step per `fetch`.
  bool auto_advance = true;
};

struct consumer_config {
  session_config session;
  restart_config restart;
  /// Resume incomplete sessions automatically when the node starts.
  bool auto_resume = true;
};

} // namespace snapstream::actors
