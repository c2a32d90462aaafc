#include "app/sync_progress.hpp"

#include "app/command_line.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace snapstream::app {

sync_progress progress_of(const actors::session_status& s) {
  sync_progress p;
  p.bytes = s.bytes_received;
  p.total_chunks = s.total_chunks;
  p.chunks_done = std::max(s.last_chunk_index ? *s.last_chunk_index + 1 : 0, s.chunks_applied);
  if (s.verified) p.chunks_done = s.total_chunks.value_or(p.chunks_done);
  if (p.total_chunks && *p.total_chunks > 0) {
    p.chunks_done = std::min(p.chunks_done, *p.total_chunks);
    p.fraction = static_cast<double>(p.chunks_done) / static_cast<double>(*p.total_chunks);
    if (p.chunks_done > 0) {
      p.estimated_total = p.chunks_done == *p.total_chunks
                            ? p.bytes
                            : static_cast<std::uint64_t>(static_cast<double>(p.bytes) / p.fraction);
    }
  } else if (s.verified) {
    p.fraction = 1;
    p.estimated_total = p.bytes;
  }
  return p;
}

provider_count providers_of(const actors::session_status& s) {
  provider_count n;
  n.total = s.peers.size();
  for (const auto& p : s.peers) {
    const bool idle_for_the_job = p.state == "waiting" || p.state == "demoted" || p.state == "banned" ||
                                  p.state == "dropped" || p.state == "done";
    if (!idle_for_the_job) ++n.active;
  }
  return n;
}

void rate_meter::add(clock::time_point when, std::uint64_t bytes) {
  samples_.emplace_back(when, bytes);
  while (samples_.size() > 2 && when - samples_.front().first > std::chrono::seconds(5)) samples_.pop_front();
}

double rate_meter::rate() const noexcept {
  if (samples_.size() < 2) return 0;
  const auto& [t0, b0] = samples_.front();
  const auto& [t1, b1] = samples_.back();
  const double seconds = std::chrono::duration<double>(t1 - t0).count();
  if (seconds <= 0 || b1 < b0) return 0;
  return static_cast<double>(b1 - b0) / seconds;
}

std::string format_rate(double bytes_per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB/s", bytes_per_second / (1024.0 * 1024.0));
  return buf;
}

std::string format_eta(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds >= 99 * 3600) return "--:--";
  const auto total = static_cast<std::uint64_t>(std::ceil(*seconds));
  const auto h = total / 3600;
  const auto m = (total / 60) % 60;
  const auto sec = total % 60;
  char buf[32];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(h),
                  static_cast<unsigned long long>(m), static_cast<unsigned long long>(sec));
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(m),
                  static_cast<unsigned long long>(sec));
  }
  return buf;
}

std::optional<double> eta_seconds(const sync_progress& p, double rate) {
  if (!p.estimated_total || rate <= 0) return std::nullopt;
  if (*p.estimated_total <= p.bytes) return 0.0;
  return static_cast<double>(*p.estimated_total - p.bytes) / rate;
}

namespace {

std::string percent(double fraction) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%3d%%", static_cast<int>(std::floor(fraction * 100.0)));
  return buf;
}

std::string chunk_text(const sync_progress& p) {
  if (!p.total_chunks) return "chunk -/-";
  return "chunk " + std::to_string(p.chunks_done) + "/" + std::to_string(*p.total_chunks);
}

/// "providers 2/3"; empty when the status lists none (a node of rpp's time).
std::string providers_text(const actors::session_status& s) {
  const auto n = providers_of(s);
  if (n.total == 0) return {};
  return "providers " + std::to_string(n.active) + "/" + std::to_string(n.total);
}

std::string planning_text(const actors::session_status& s) {
  if (s.peers.size() > 1) return "waiting for the plan from " + std::to_string(s.peers.size()) + " providers";
  if (s.peer.empty() && s.peers.empty()) return "discovering providers";
  return "waiting for the plan from " + (s.peer.empty() ? s.peers.front().peer : s.peer);
}

} // namespace

std::string progress_bar_line(const actors::session_status& s, double rate, std::size_t width) {
  const auto p = progress_of(s);
  std::string tail = "  " + percent(p.fraction) + "  " + format_bytes(p.bytes) + "  " + format_rate(rate) + "  ETA " +
                     format_eta(eta_seconds(p, rate)) + "  " + chunk_text(p);
  if (const auto providers = providers_text(s); !providers.empty()) tail += "  " + providers;
  if (s.state == actors::session_state::planning) tail = "  planning: waiting for the plan";
  const std::size_t bar = width > tail.size() + 12 ? std::min<std::size_t>(width - tail.size() - 2, 40) : 10;
  const auto filled = static_cast<std::size_t>(p.fraction * static_cast<double>(bar));
  std::string line = "[";
  for (std::size_t i = 0; i < bar; ++i) line += i < filled ? '=' : (i == filled ? '>' : ' ');
  if (filled >= bar) line.back() = '=';
  line += "]" + tail;
  if (line.size() > width && width > 0) line.resize(width);
  return line;
}

std::string progress_plain_line(const actors::session_status& s, double rate) {
  const auto p = progress_of(s);
  std::string line = "session " + std::to_string(s.session) + " " + std::string(actors::to_string(s.state));
  if (s.state == actors::session_state::planning) return line + ": " + planning_text(s);
  std::string pct = percent(p.fraction);
  pct.erase(0, pct.find_first_not_of(' '));
  line += " " + pct + " " + format_bytes(p.bytes) + " " + chunk_text(p) + " " + format_rate(rate) + " ETA " +
          format_eta(eta_seconds(p, rate));
  if (const auto providers = providers_text(s); !providers.empty()) line += " " + providers;
  if (s.retries > 0) line += " retries " + std::to_string(s.retries);
  return line;
}

} // namespace snapstream::app
