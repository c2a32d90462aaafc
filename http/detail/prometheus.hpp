#pragma once
/// `GET /metrics`: the node's counters and the control plane's own request
/// statistics in the Prometheus text exposition format 0.0.4. Pure; no I/O.

#include "actors/control.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace snapstream::http::detail {

/// The control plane's own requests: count per status code and a latency
/// histogram. Not thread-safe (owned by the server's strand).
class request_stats {
public:
  /// Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  /// Counts one answered request; `timed` false leaves it out of the
  /// histogram (event streams, whose duration is their lifetime).
  void record(unsigned status, double seconds, bool timed);

  /// Open connections, for the `snapstream_http_connections` gauge.
  void set_connections(std::uint64_t n) noexcept { connections_ = n; }

  [[nodiscard]] const std::map<unsigned, std::uint64_t>& by_status() const noexcept { return by_status_; }
  [[nodiscard]] const std::array<std::uint64_t, bounds.size()>& buckets() const noexcept { return buckets_; }
  [[nodiscard]] double sum() const noexcept { return sum_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t connections() const noexcept { return connections_; }

private:
  std::map<unsigned, std::uint64_t> by_status_;
  std::array<std::uint64_t, bounds.size()> buckets_{}; // not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t connections_ = 0;
};

/// The whole exposition: node metrics from `node`, then the control plane's.
/// Every family has `# HELP` and `# TYPE`; label values are escaped.
[[nodiscard]] std::string render_metrics(const actors::metrics_snapshot& node, const request_stats& http);

/// `# HELP`/`# TYPE`-free formatting of a sample value: shortest round-trip
/// decimal, `+Inf`, `-Inf`, `NaN`.
[[nodiscard]] std::string format_sample_value(double v);

} // namespace snapstream::http::detail
