#pragma once
/// `GET /metrics`: the node's counters and the control plane's own request
/// statistics in the Prometheus text exposition format 0.0.4. Pure; no I/O.

#include "actors/control.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace snapstream::http::detail {

/// The control plane's own requests (kept by the HTTP control actor).
using request_stats = actors::control_plane_stats;

/// The whole exposition: node metrics from `node`, then the control plane's.
/// Every family has `# HELP` and `# TYPE`; label values are escaped.
[[nodiscard]] std::string render_metrics(const actors::metrics_snapshot& node, const request_stats& http);

/// `# HELP`/`# TYPE`-free formatting of a sample value: shortest round-trip
/// decimal, `+Inf`, `-Inf`, `NaN`.
[[nodiscard]] std::string format_sample_value(double v);

} // namespace snapstream::http::detail
