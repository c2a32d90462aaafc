#pragma once
/// What `snapstream sync` shows of a session: a progress bar for a terminal,
/// plain lines otherwise, and the rate it measures. Pure formatting, no I/O.

#include "actors/control.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace snapstream::app {

/// Chunk progress of a session as its status reports it.
struct sync_progress {
  /// Chunks durably applied: `chunks_applied`, or the contiguous prefix up to
  /// `last_chunk_index` when that is more (a node that does not report
  /// `chunks_applied` applies in order).
  std::uint64_t chunks_done = 0;
  std::optional<std::uint64_t> total_chunks;
  std::uint64_t bytes = 0;        ///< chunk payload bytes applied
  /// Estimated bytes of the whole snapshot: bytes per applied chunk times the
  /// chunk count (unknown before the first chunk).
  std::optional<std::uint64_t> estimated_total;
  /// Fraction of the chunks applied, 0..1 (0 until the plan is known).
  double fraction = 0;
};

[[nodiscard]] sync_progress progress_of(const actors::session_status& s);

/// The providers of a sync job as its status lists them.
struct provider_count {
  /// Working for the job now: every state but `waiting`, `demoted`,
  /// `banned`, `dropped` and `done`.
  std::size_t active = 0;
  std::size_t total = 0;
};

[[nodiscard]] provider_count providers_of(const actors::session_status& s);

/// Bytes per second over a sliding window of samples (5 s).
class rate_meter {
public:
  using clock = std::chrono::steady_clock;
  void add(clock::time_point when, std::uint64_t bytes);
  /// Bytes per second between the oldest and newest sample in the window; 0
  /// with fewer than two samples.
  [[nodiscard]] double rate() const noexcept;

private:
  std::deque<std::pair<clock::time_point, std::uint64_t>> samples_;
};

/// "98.7 MiB/s".
[[nodiscard]] std::string format_rate(double bytes_per_second);
/// "0:07", "12:34", "1:02:03"; "--:--" when unknown (rate 0) or over 99 hours.
[[nodiscard]] std::string format_eta(std::optional<double> seconds);
/// Seconds left at `rate`, or nullopt when unknown.
[[nodiscard]] std::optional<double> eta_seconds(const sync_progress& p, double rate);

/// One terminal line of at most `width` columns:
/// `[=======>      ]  45%  115.2 MiB  98.7 MiB/s  ETA 0:02  chunk 52/128`,
/// then `  providers 2/3` (active/all) when the status lists providers.
[[nodiscard]] std::string progress_bar_line(const actors::session_status& s, double rate, std::size_t width);

/// One plain line: `session 3 syncing 45% 115.2 MiB chunk 52/128 98.7 MiB/s ETA 0:02`,
/// then ` providers 2/3` when the status lists providers and ` retries N`
/// after restarts.
[[nodiscard]] std::string progress_plain_line(const actors::session_status& s, double rate);

} // namespace snapstream::app
