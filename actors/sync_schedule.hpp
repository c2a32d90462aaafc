#pragma once
/// The schedule of one sync job: which provider fetches which chunk next.
///
/// Pure logic owned by a job actor (not thread-safe). Every provider works
/// through a *lane*, a contiguous range of chunks it fetches in order; the
/// first provider's lane is the whole snapshot, and a provider that runs out
/// of work takes the largest free run of chunks or, when none is left,
/// splits the largest remaining lane of another provider in two and takes
/// the upper half. So one provider fetches in index order (what rpp's
/// in-order acks want), several providers each stream their own part, and a
/// fast provider keeps taking work from slow ones: fast peers get more.
///
/// When nothing is left to take, an idle provider duplicates the oldest
/// chunk still in flight elsewhere once it is late (in flight for longer
/// than `late_factor` times its provider's usual latency): a sync never
/// waits long on its last chunks. Whichever copy arrives first is written;
/// the other is dropped (`delivered` says so).
///
/// Per provider the schedule measures chunk latency and throughput as moving
/// averages (a new sample weighs `smoothing`, as go-ethereum's msgrate does)
/// and derives the request timeout from them: `timeout_factor` times the
/// smoothed latency, clamped to [min_timeout, max_timeout]; a provider with
/// no sample yet gets max_timeout.
///
/// A provider that holds only some chunks (a peer still syncing the same
/// snapshot) is given `have`; it is then only asked for chunks it holds.
/// While the job has such a *partial* provider, lanes give way to *rarest
/// first*, as in BitTorrent: every provider, full or partial, is given the
/// free chunk it holds that the fewest partial providers hold, ties broken
/// by the node's class of chunks (`set_class`), then in an order of the
/// job's own (`shuffle`). So a full provider (a seed every node syncs from)
/// sends chunks no other node has yet, the nodes trade the rest among
/// themselves, and nodes syncing at once from one seed do not all ask it
/// for the same chunk.
///
/// `set_origin` starts the first lane at a chunk other than 0 (the chunks
/// before it come last). Nodes that sync one snapshot at once from one seed
/// then hold different chunks before their peers' holdings are known.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::actors {

struct schedule_config {
  std::chrono::milliseconds min_timeout{2'000};
  std::chrono::milliseconds max_timeout{60'000};
  double timeout_factor = 4.0;
  double smoothing = 0.1;
  /// A chunk in flight for longer than late_factor x its provider's smoothed
  /// latency may be asked of another, idle provider.
  double late_factor = 2.0;
};

/// What the schedule measured of one provider.
struct peer_rates {
  double bytes_per_second = 0; ///< smoothed chunk payload throughput of its requests
  double latency_ms = 0;       ///< smoothed round trip of a chunk request
  std::uint64_t samples = 0;
};

class sync_schedule {
public:
  using clock = std::chrono::steady_clock;

  /// A schedule of `chunk_count` chunks, of which `applied` (indices) are
  /// already durable.
  sync_schedule(std::uint64_t chunk_count, const std::vector<std::uint64_t>& applied, schedule_config config = {});

  /// Adds a provider that holds every chunk (again: keeps its rates).
  void add_peer(const std::string& peer);
  /// Limits what `peer` is asked for to the chunks set in `have`
  /// (`have.size() == chunk_count`); an empty vector means every chunk.
  void set_have(const std::string& peer, std::vector<bool> have);
  /// The first lane starts at `chunk` (mod the chunk count) instead of 0.
  void set_origin(std::uint64_t chunk) noexcept { origin_ = state_.empty() ? 0 : chunk % state_.size(); }
  /// Ties between equally rare chunks are broken in an order drawn from
  /// `seed` (each job its own, so jobs on different nodes differ).
  void shuffle(std::uint64_t seed) noexcept { salt_ = seed; }
  /// Among equally rare chunks, those of class `rank` come first, then
  /// those of class rank + 1, and so on, wrapping; the shuffled order
  /// decides within a class. The chunks fall into `classes` contiguous
  /// blocks of (nearly) equal size, block k being class k; the first lane
  /// starts at the first chunk of class `rank` (as `set_origin` would). Jobs
  /// on nodes that know the same peers take different ranks, so while a
  /// common seed is the only source of many chunks they ask it for
  /// different ones instead of the same chunk at once. `classes` 0 or 1: no
  /// classes.
  void set_class(std::uint64_t rank, std::uint64_t classes) noexcept;
  /// `peer` answered "not yet" for `chunk`: do not ask it again for it.
  void lacks(const std::string& peer, std::uint64_t chunk);
  /// True when `peer` may still hold a chunk that is not written (partial
  /// providers whose `have` may grow: ask them again later).
  [[nodiscard]] bool partial(const std::string& peer) const;

  /// The next chunk for `peer` to fetch, now in flight at it; nullopt when
  /// nothing can be given to it now.
  [[nodiscard]] std::optional<std::uint64_t> next(const std::string& peer, clock::time_point now);
  /// The chunk `next` would give `peer` from its lane after the one it was
  /// just given: what its session may ask ahead. It is kept for `peer`:
  /// `peer`'s next `next` gives it while it is still free, also once rarest
  /// first took over, and neither rarest first nor a split of `peer`'s lane
  /// gives it to another provider unless `peer` is stuck (the chunk it
  /// fetches is late). Nothing for a provider
  /// without a lane (a partial one), at its lane's end, or while the job has
  /// a partial provider.
  [[nodiscard]] std::optional<std::uint64_t> name_ahead(const std::string& peer);

  /// `peer` delivered `chunk` (verified) after `latency`: updates its rates.
  /// Returns true when the chunk should be written, false when another copy
  /// is already written or being written (drop this one).
  [[nodiscard]] bool delivered(const std::string& peer, std::uint64_t chunk, std::uint64_t bytes,
                               std::chrono::microseconds latency);
  /// The chunk's write is durable.
  void written(std::uint64_t chunk);
  /// The chunk's write failed: it may be fetched again.
  void write_failed(std::uint64_t chunk);

  /// `peer` will not deliver `chunk` (it refused it): it goes back to the pool.
  void release_chunk(const std::string& peer, std::uint64_t chunk);
  /// `peer` stopped (failed, banned, restarted): whatever it had in flight
  /// and its lane go back to the pool.
  void release(const std::string& peer);
  /// `peer` timed out: its measurements start over (max_timeout next time).
  void demote(const std::string& peer);
  /// `peer` is never asked again.
  void remove(const std::string& peer);

  [[nodiscard]] std::chrono::milliseconds timeout(const std::string& peer) const;
  [[nodiscard]] peer_rates rates(const std::string& peer) const;
  /// How many partial providers hold `chunk` by their last `have`.
  [[nodiscard]] std::uint32_t holders(std::uint64_t chunk) const noexcept {
    return chunk < holders_.size() ? holders_[chunk] : 0;
  }
  /// Chunks `peer` has in flight (usually one).
  [[nodiscard]] std::vector<std::uint64_t> in_flight(const std::string& peer) const;
  [[nodiscard]] std::uint64_t chunk_count() const noexcept { return state_.size(); }
  [[nodiscard]] std::uint64_t written_count() const noexcept { return written_; }
  [[nodiscard]] bool all_written() const noexcept { return written_ == state_.size(); }
  /// Chunks that no provider can be asked for: not written and outside every
  /// known provider's `have` (all providers partial and lacking them).
  [[nodiscard]] bool unreachable_chunks() const;

private:
  enum class chunk_state : std::uint8_t { free, in_flight, writing, written };
  struct flight {
    std::string peer;
    clock::time_point since;
  };
  struct peer_entry {
    std::uint64_t lane_next = 0;
    std::uint64_t lane_end = 0; ///< empty lane when lane_next >= lane_end
    std::vector<bool> have;     ///< empty: every chunk
    std::optional<std::uint64_t> ahead; ///< named ahead by `name_ahead`, not yet given
    peer_rates rates;
  };

  [[nodiscard]] bool holds(const peer_entry& p, std::uint64_t chunk) const;
  [[nodiscard]] bool in_some_lane(std::uint64_t chunk, const std::string& except) const;
  [[nodiscard]] std::optional<std::uint64_t> from_lane(const std::string& peer, peer_entry& p);
  [[nodiscard]] bool take_free_run(const std::string& peer, peer_entry& p);
  [[nodiscard]] bool any_partial() const;
  [[nodiscard]] std::uint64_t class_of(std::uint64_t chunk) const noexcept;
  [[nodiscard]] std::optional<std::uint64_t> rarest(const std::string& peer, const peer_entry& p,
                                                    clock::time_point now) const;
  /// True when a chunk in flight at `owner` is late.
  [[nodiscard]] bool stuck(const std::string& owner, clock::time_point now) const;
  [[nodiscard]] bool named_ahead_by_other(std::uint64_t chunk, const std::string& peer, clock::time_point now) const;
  void count_holdings(const peer_entry& p, int sign);
  [[nodiscard]] bool split_a_lane(const std::string& peer, peer_entry& p, clock::time_point now);
  /// How long a chunk in flight at `owner` may take before it is late.
  [[nodiscard]] double late_after_ms(const std::string& owner) const;
  [[nodiscard]] bool late(const flight& f, clock::time_point now) const;
  [[nodiscard]] std::optional<std::uint64_t> late_chunk(const std::string& peer, const peer_entry& p,
                                                        clock::time_point now) const;
  void start(std::uint64_t chunk, const std::string& peer, clock::time_point now);

  schedule_config config_;
  std::vector<chunk_state> state_;
  std::multimap<std::uint64_t, flight> flights_; ///< chunk -> who fetches it (two while duplicated)
  std::map<std::string, peer_entry> peers_;
  std::uint64_t written_ = 0;
  std::vector<std::uint32_t> holders_; ///< chunk -> partial providers holding it
  std::uint64_t origin_ = 0;
  std::uint64_t salt_ = 0;
  std::uint64_t classes_ = 0;
  std::uint64_t rank_ = 0;
};

} // namespace snapstream::actors
