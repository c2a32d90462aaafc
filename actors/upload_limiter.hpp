#pragma once
/// Upload rate limits of the snapshot provider: how long a chunk response
/// must be held back so that the bytes a node serves stay within a node-wide
/// rate and a rate per consumer peer (the knob of CockroachDB's
/// `kv.snapshot_rebalance.max_rate` and TiKV's `snap-io-max-bytes-per-sec`).
///
/// Two token buckets: one for the node, one per peer. A bucket earns its rate
/// in bytes every second and holds at most one second of it (the burst); an
/// idle bucket is full. A response of n bytes is reserved at once in both
/// buckets: it waits until the bucket that is further behind would hold n
/// bytes, and takes them from both, which may leave a bucket below zero, so
/// the responses reserved after it wait for that debt too. Over any long
/// run a bucket serves at most its rate, plus one burst.
///
/// Pure logic: the caller supplies the time (no clock read, no sleep), so it
/// is tested without waiting. Not thread-safe (owned by the provider actor).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace snapstream::actors {

/// The provider's upload limits, bytes per second of encoded chunk responses
/// (what leaves the node). Zero means unlimited.
struct upload_limits {
  std::uint64_t bytes_per_second = 0;          ///< node-wide, all peers together
  std::uint64_t per_peer_bytes_per_second = 0; ///< each consumer peer
  friend bool operator==(const upload_limits&, const upload_limits&) = default;
};

class upload_limiter {
public:
  using clock = std::chrono::steady_clock;

  explicit upload_limiter(upload_limits limits = {}) : limits_(limits) {}

  [[nodiscard]] const upload_limits& limits() const noexcept { return limits_; }
  /// False when both rates are zero: every reservation is then free.
  [[nodiscard]] bool limited() const noexcept {
    return limits_.bytes_per_second != 0 || limits_.per_peer_bytes_per_second != 0;
  }

  /// Reserves `bytes` of a response to `peer` at `now` in the node's and the
  /// peer's bucket, and returns how long the response must wait before it
  /// goes out (rounded up to a microsecond; zero when it may go at once, and
  /// always zero when unlimited). `now` must not go backwards between calls.
  [[nodiscard]] std::chrono::microseconds reserve(const std::string& peer, std::uint64_t bytes,
                                                  clock::time_point now);

  /// Peers whose bucket is not full (the others are forgotten: a full bucket
  /// is a fresh one). For tests of the bookkeeping.
  [[nodiscard]] std::size_t tracked_peers() const noexcept { return peers_.size(); }

private:
  struct bucket {
    double level = 0;          ///< bytes; at most one second of the rate; negative while in debt
    clock::time_point at{};    ///< when `level` was last brought up to date
    bool started = false;      ///< false: never used, full
  };

  /// Brings `b` up to `now` at `rate` bytes per second.
  static void refill(bucket& b, std::uint64_t rate, clock::time_point now) noexcept;
  /// Microseconds until `b` holds `bytes` (0 when it already does).
  static double wait_for(const bucket& b, std::uint64_t rate, std::uint64_t bytes) noexcept;
  static bool full(const bucket& b, std::uint64_t rate, clock::time_point now) noexcept;

  upload_limits limits_;
  bucket node_;
  std::map<std::string, bucket, std::less<>> peers_;
};

} // namespace snapstream::actors
