#include "http/detail/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace snapstream::http::detail {

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void escape_label(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

struct label {
  std::string_view name;
  std::string_view value;
};

void sample(std::string& out, std::string_view name, std::initializer_list<label> labels,
            std::string_view value) {
  out += name;
  if (labels.size() != 0) {
    out += '{';
    bool first = true;
    for (const auto& l : labels) {
      if (!first) out += ',';
      first = false;
      out += l.name;
      out += "=\"";
      escape_label(out, l.value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::initializer_list<label> labels,
            std::uint64_t value) {
  sample(out, name, labels, std::to_string(value));
}

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  family(out, name, "counter", help);
  sample(out, name, {}, value);
}

void gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  family(out, name, "gauge", help);
  sample(out, name, {}, value);
}

/// One family with a `peer` label: a sample per row, `value(row)` its value.
template <class Rows, class Value>
void per_peer(std::string& out, std::string_view name, std::string_view type, std::string_view help,
              const Rows& rows, Value value) {
  family(out, name, type, help);
  for (const auto& [peer, row] : rows) sample(out, name, {{"peer", peer}}, value(row));
}

/// The providers of `list` by peer id. The node reports each once; should
/// one come twice, its counters are added and its gauges are the last ones,
/// so that no series repeats.
std::map<std::string, actors::peer_status, std::less<>> sync_peers_by_id(const std::vector<actors::peer_status>& list) {
  std::map<std::string, actors::peer_status, std::less<>> out;
  for (const auto& p : list) {
    auto [it, fresh] = out.try_emplace(p.peer, p);
    if (fresh) continue;
    auto& merged = it->second;
    merged.bytes += p.bytes;
    merged.chunks += p.chunks;
    merged.failures += p.failures;
    merged.backpressure += p.backpressure;
    merged.rate = p.rate;
    merged.rtt_ms = p.rtt_ms;
  }
  return out;
}

/// The consumers this node served, by peer id, likewise.
std::map<std::string, actors::metrics_snapshot::served_peer, std::less<>>
served_peers_by_id(const std::vector<actors::metrics_snapshot::served_peer>& list) {
  std::map<std::string, actors::metrics_snapshot::served_peer, std::less<>> out;
  for (const auto& p : list) {
    auto [it, fresh] = out.try_emplace(p.peer, p);
    if (fresh) continue;
    it->second.bytes_served += p.bytes_served;
    it->second.chunks_served += p.chunks_served;
  }
  return out;
}

/// `name` + `suffix`, appended into reserved space: GCC 12 at -O2 reports
/// `std::string(name) + "_sum"` as an out-of-bounds memcpy (its bug 105329).
std::string suffixed(std::string_view name, std::string_view suffix) {
  std::string s;
  s.reserve(name.size() + suffix.size());
  s.append(name).append(suffix);
  return s;
}

/// `bounds` ascending, `cumulative[i]` = observations <= bounds[i].
template <class Bounds, class Counts>
void histogram(std::string& out, std::string_view name, std::string_view help, const Bounds& bounds,
               const Counts& cumulative, double sum, std::uint64_t count) {
  family(out, name, "histogram", help);
  const std::string bucket = suffixed(name, "_bucket");
  const std::size_t n = std::min<std::size_t>(std::size(bounds), std::size(cumulative));
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isinf(bounds[i]) || std::isnan(bounds[i])) continue; // +Inf comes last, from `count`
    const std::string le = format_sample_value(bounds[i]);
    sample(out, bucket, {{"le", le}}, static_cast<std::uint64_t>(cumulative[i]));
  }
  sample(out, bucket, {{"le", "+Inf"}}, count);
  sample(out, suffixed(name, "_sum"), {}, format_sample_value(sum));
  sample(out, suffixed(name, "_count"), {}, count);
}

} // namespace

std::string format_sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, ptr);
}

std::string render_metrics(const actors::metrics_snapshot& node, const request_stats& http) {
  std::string out;
  out.reserve(8192 + (node.breakers.size() + node.sync_peers.size() + node.served_peers.size()) * 512);

  family(out, "snapstream_sessions", "gauge", "Consumer snapshot sessions by state.");
  constexpr std::array states{actors::session_state::planning, actors::session_state::syncing,
                              actors::session_state::verified, actors::session_state::failed,
                              actors::session_state::cancelled};
  for (auto st : states) {
    std::uint64_t n = 0;
    for (const auto& [name, count] : node.sessions_by_state)
      if (name == actors::to_string(st)) n += count;
    sample(out, "snapstream_sessions", {{"state", actors::to_string(st)}}, n);
  }
  for (const auto& [name, count] : node.sessions_by_state) {
    bool known = false;
    for (auto st : states) known = known || name == actors::to_string(st);
    if (!known) sample(out, "snapstream_sessions", {{"state", name}}, count);
  }

  counter(out, "snapstream_snapshot_bytes_received_total",
          "Chunk payload bytes applied by consumer sessions.", node.bytes_received);
  counter(out, "snapstream_snapshot_chunks_received_total", "Chunks applied by consumer sessions.",
          node.chunks_received);
  counter(out, "snapstream_snapshot_bytes_served_total", "Chunk payload bytes served to consumers.",
          node.bytes_served);
  counter(out, "snapstream_snapshot_chunks_served_total", "Chunks served to consumers.",
          node.chunks_served);
  counter(out, "snapstream_verification_failures_total",
          "Chunks or light-client updates that failed verification.", node.verification_failures);
  gauge(out, "snapstream_inbound_sessions", "Provider sessions currently open.", node.inbound_sessions);
  counter(out, "snapstream_provider_requests_served_total", "Snapshot requests the provider answered.",
          node.requests_served);
  counter(out, "snapstream_provider_requests_refused_total",
          "Snapshot requests the provider refused (breaker open, saturated, malformed).",
          node.requests_refused);

  histogram(out, "snapstream_chunk_request_duration_seconds",
            "Latency of consumer snapshot requests to providers.", node.latency_bounds,
            node.latency_buckets, node.latency_sum, node.latency_count);

  family(out, "snapstream_breaker_state", "gauge",
         "Provider circuit breaker per peer: 1 for its current state, 0 for the others.");
  constexpr std::array breaker_states{actors::breaker_state::closed, actors::breaker_state::open,
                                      actors::breaker_state::half_open};
  for (const auto& b : node.breakers)
    if (b.side == actors::breaker_side::serving)
      for (auto st : breaker_states)
          sample(out, "snapstream_breaker_state", {{"peer", b.peer}, {"state", actors::to_string(st)}},
               std::uint64_t{b.state == st ? 1u : 0u});
  family(out, "snapstream_breaker_recent_failures", "gauge",
         "Failures per peer inside the breaker's window.");
  for (const auto& b : node.breakers)
    if (b.side == actors::breaker_side::serving)
      sample(out, "snapstream_breaker_recent_failures", {{"peer", b.peer}},
             std::uint64_t{b.recent_failures});
  family(out, "snapstream_sync_breaker_open", "gauge",
         "Providers this node's sync jobs leave out after a lie: 1 while the breaker is open.");
  for (const auto& b : node.breakers)
    if (b.side == actors::breaker_side::syncing)
      sample(out, "snapstream_sync_breaker_open", {{"peer", b.peer}},
             std::uint64_t{b.state == actors::breaker_state::open ? 1u : 0u});

  counter(out, "snapstream_sync_restarts_total", "Provider sessions of sync jobs restarted after a failure.",
          node.sync_restarts);
  counter(out, "snapstream_sync_peers_banned_total", "Providers banned from a sync job for a response that failed "
          "verification.", node.peers_banned);
  const auto sync_peers = sync_peers_by_id(node.sync_peers);
  using peer_row = actors::peer_status;
  per_peer(out, "snapstream_sync_peer_bytes_total", "counter", "Chunk payload bytes applied from each provider.",
           sync_peers, [](const peer_row& p) { return std::to_string(p.bytes); });
  per_peer(out, "snapstream_sync_peer_chunks_total", "counter", "Chunks applied from each provider.", sync_peers,
           [](const peer_row& p) { return std::to_string(p.chunks); });
  per_peer(out, "snapstream_sync_peer_failures_total", "counter",
           "Requests to each provider that failed, timeouts included.", sync_peers,
           [](const peer_row& p) { return std::to_string(p.failures); });
  per_peer(out, "snapstream_sync_peer_backpressure_total", "counter",
           "Asks for work each provider's session answered with backpressure.", sync_peers,
           [](const peer_row& p) { return std::to_string(p.backpressure); });
  per_peer(out, "snapstream_sync_peer_rate_bytes_per_second", "gauge",
           "Smoothed rate of each provider's chunk requests, bytes per second.", sync_peers,
           [](const peer_row& p) { return format_sample_value(p.rate); });
  per_peer(out, "snapstream_sync_peer_rtt_seconds", "gauge",
           "Smoothed round trip of each provider's chunk requests, seconds.", sync_peers,
           [](const peer_row& p) { return format_sample_value(p.rtt_ms / 1000.0); });

  gauge(out, "snapstream_upload_limit_bytes_per_second",
        "Node-wide upload limit of chunk responses, bytes per second (0 = unlimited).", node.upload_limit);
  gauge(out, "snapstream_upload_limit_per_peer_bytes_per_second",
        "Upload limit of chunk responses per consumer peer, bytes per second (0 = unlimited).",
        node.upload_limit_per_peer);
  counter(out, "snapstream_upload_throttled_responses_total", "Chunk responses held back by the upload limits.",
          node.throttled_responses);
  family(out, "snapstream_upload_throttle_wait_seconds_total", "counter",
         "Time chunk responses were held back by the upload limits, summed, seconds.");
  sample(out, "snapstream_upload_throttle_wait_seconds_total", {},
         format_sample_value(static_cast<double>(node.throttle_wait_ms) / 1000.0));
  counter(out, "snapstream_offers_served_total", "Offers requests the provider answered.", node.offers_served);
  counter(out, "snapstream_carried_acks_total",
          "Acks the provider took from 1.3.0 chunk and update requests (no request of their own).",
          node.carried_acks);
  counter(out, "snapstream_chunks_asked_ahead_total",
          "Chunks a consumer session requested as soon as the chunk before arrived, before that one was verified.",
          node.chunks_asked_ahead);
  counter(out, "snapstream_chunks_read_ahead_total",
          "Chunk requests the provider answered from a chunk it read while the one before was on the wire.",
          node.prepared_hits);
  counter(out, "snapstream_chunks_not_available_total",
          "Chunk requests refused because a page of a snapshot still being synced is not applied yet.",
          node.not_available_refusals);
  counter(out, "snapstream_served_sessions_expired_total",
          "Served-session records erased after provider.session_record_expiry_ms without a request.",
          node.sessions_expired);
  const auto served_peers = served_peers_by_id(node.served_peers);
  using served_row = actors::metrics_snapshot::served_peer;
  per_peer(out, "snapstream_served_peer_bytes_total", "counter", "Chunk payload bytes served to each consumer peer.",
           served_peers, [](const served_row& p) { return std::to_string(p.bytes_served); });
  per_peer(out, "snapstream_served_peer_chunks_total", "counter", "Chunks served to each consumer peer.",
           served_peers, [](const served_row& p) { return std::to_string(p.chunks_served); });

  family(out, "snapstream_http_requests_total", "counter",
         "Control-plane HTTP requests answered, by status code.");
  for (const auto& [status, count] : http.by_status())
    sample(out, "snapstream_http_requests_total", {{"code", std::to_string(status)}}, count);
  std::array<std::uint64_t, request_stats::bounds.size()> cumulative{};
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    running += http.buckets()[i];
    cumulative[i] = running;
  }
  histogram(out, "snapstream_http_request_duration_seconds",
            "Control-plane request latency, from the request's first byte until its response is ready "
            "(event streams excluded).",
            request_stats::bounds, cumulative, http.sum(), http.count());
  gauge(out, "snapstream_http_connections", "Open control-plane connections.", http.connections());
  gauge(out, "snapstream_http_event_streams", "Open GET /events streams.", http.event_streams());
  return out;
}

} // namespace snapstream::http::detail
