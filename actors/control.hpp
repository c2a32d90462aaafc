#pragma once
/// The node's control surface: the commands an operator can give a node, the
/// status it reports, and the errors it answers with. Plain types, no CAF:
/// the HTTP control plane renders them, the node actor implements them
/// (`control_backend`), and tests can fake them.

#include "actors/actors_errc.hpp"
#include "actors/circuit_breaker.hpp"
#include "protocol/common/error.hpp"
#include "storage/session_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::actors {

/// Errors of node commands, each with its HTTP answer (`answer_of` below).
enum class control_errc {
  invalid_argument = 1, ///< a malformed command
  not_found,            ///< unknown session or snapshot
  resume_rejected,      ///< the resume offsets are stale or out of range
  peer_unreachable,     ///< the provider could not be dialled or did not answer
  saturated,            ///< too many sessions, or a breaker is open
  shutting_down,        ///< the node is stopping
  internal,             ///< anything else
};

/// How the HTTP control plane answers each command error.
[[nodiscard]] constexpr error_answer answer_of(control_errc e) noexcept {
  switch (e) {
    case control_errc::invalid_argument: return {400, "invalid_argument"};
    case control_errc::not_found: return {404, "not_found"};
    case control_errc::resume_rejected: return {500, "resume_rejected"}; // 500, as the seed says
    case control_errc::peer_unreachable: return {502, "peer_unreachable"};
    case control_errc::saturated: return {503, "saturated", true};
    case control_errc::shutting_down: return {503, "shutting_down"};
    case control_errc::internal: return {500, "internal"};
  }
  return {};
}

[[nodiscard]] constexpr const char* category_name(control_errc) noexcept { return "snapstream.control"; }
[[nodiscard]] std::string_view to_string(control_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(control_errc e) noexcept {
  return make_enum_error_code(e);
}

/// Where a consumer session (a sync job) is in its life: the stored state
/// is the one vocabulary (planning, syncing, verified, failed, cancelled).
using session_state = storage::session_state;
using storage::to_string;

/// One provider of a sync job, as its status shows it.
struct peer_status {
  std::string peer;
  /// "discovering", "planning", "resuming", "chain" (fetching the update
  /// chain), "fetching", "idle", "waiting" (retry after a failure),
  /// "demoted" (timed out; retried), "banned" (lied), "dropped" (gave up or
  /// does not serve the plan), "done".
  std::string state;
  std::uint64_t bytes = 0;          ///< chunk payload bytes applied from this provider
  std::uint64_t chunks = 0;         ///< chunks applied from this provider
  double rate = 0;                  ///< smoothed bytes per second of its chunk requests
  double rtt_ms = 0;                ///< smoothed round trip of its chunk requests
  std::uint64_t failures = 0;       ///< requests that failed (timeouts included)
  std::uint64_t backpressure = 0;   ///< asks for work it answered with backpressure
  std::optional<std::string> last_error;
  std::optional<std::string> last_error_code;
  friend bool operator==(const peer_status&, const peer_status&) = default;
};

/// What an operator sees of one consumer session (the seed's
/// `SnapshotStreamStatus`). Optional fields are unknown until the plan arrives.
struct session_status {
  std::uint64_t session = 0;
  std::string peer;                  ///< provider peer id
  std::string root;                  ///< hex state root; empty until the plan is known
  std::optional<std::string> plan_id;
  std::optional<std::uint64_t> chunk_size;
  std::optional<std::uint64_t> total_chunks;
  std::optional<std::uint64_t> total_updates;
  std::optional<std::uint64_t> last_chunk_index;  ///< last durably applied chunk
  std::optional<std::uint64_t> last_update_index; ///< last verified light-client update
  std::optional<std::uint64_t> last_update_height;
  bool verified = false;
  session_state state = session_state::planning;
  std::optional<std::string> error;
  std::optional<std::string> error_code; ///< network, checksum, authentication, resume_mismatch, saturated, remote, local
  std::uint64_t bytes_received = 0;      ///< chunk payload bytes applied
  double throughput = 0;                 ///< bytes per second over the last few seconds
  std::uint32_t retries = 0;             ///< automatic restarts so far
  std::uint64_t chunks_applied = 0;      ///< chunks applied, in any order (last_chunk_index is the contiguous prefix)
  std::uint64_t chunk_writes = 0;        ///< chunk writes committed: equals chunks_applied unless one was applied twice
  std::uint64_t chunks_asked_ahead = 0;  ///< chunks delivered from a request sent before the job asked (not durable)
  std::vector<peer_status> peers;        ///< the job's providers

  friend bool operator==(const session_status&, const session_status&) = default;
};

/// The status of a job as its durable record has it (no peers, no
/// throughput): the one place a record becomes a status.
[[nodiscard]] session_status status_of(const storage::session_record& r);

/// `POST /p2p/snapshots`: start a sync job, or resume one. A job fetches one
/// snapshot from `peer` and `peers` together; with neither, it discovers the
/// providers among the node's known and connected peers.
struct start_command {
  std::string peer;                        ///< provider peer id (12D3KooW...); rpp's single provider
  std::vector<std::string> peers;          ///< more providers
  std::optional<std::string> plan_id;      ///< the snapshot to fetch (default: the best offered)
  std::optional<std::uint64_t> chunk_size; ///< > 0 when given
  struct resume_spec {
    std::uint64_t session = 0;
    std::optional<std::string> plan_id;
    /// Offsets to resume from; default: the session's durable cursor. Offsets
    /// past the persisted totals are refused locally; stale ones by the provider.
    std::optional<std::uint64_t> chunk_index;
    std::optional<std::uint64_t> update_index;
  };
  std::optional<resume_spec> resume;
};

/// A connected peer, for `GET /p2p/peers`.
struct peer_info {
  std::string peer_id;
  std::string transport; ///< "libp2p" or "rlpx"
  std::vector<std::string> addresses;
  std::vector<std::string> protocols; ///< libp2p protocols, or RLPx capabilities "eth/68"
  struct capability_offset {
    std::string name;
    std::uint32_t version = 0;
    std::uint32_t offset = 0; ///< first wire message id
    std::uint32_t length = 0; ///< message ids it occupies
  };
  std::vector<capability_offset> offsets; ///< RLPx only
};

/// A snapshot this node can serve.
struct snapshot_info {
  std::string plan_id;
  std::uint64_t height = 0;
  std::uint64_t page_count = 0;
  std::uint64_t record_count = 0;
  std::uint64_t total_bytes = 0;
  std::uint32_t update_count = 0;
};

/// What the node is, for `GET /node` (the dashboard's header).
struct node_description {
  std::string peer_id;
  std::vector<std::string> addresses; ///< p2p multiaddrs with /p2p/<id>
  std::string version;
  std::uint64_t uptime_s = 0;
  std::vector<snapshot_info> snapshots; ///< the complete snapshots it serves, by height
};

/// One node event (for `GET /events` and logs).
struct node_event {
  std::uint64_t sequence = 0; ///< strictly increasing per node
  std::string type;           ///< SnapshotStreamFailed, HeadVerified, SessionProgress, ...
  std::string json;           ///< the event's payload as a JSON object
};

/// The HTTP control plane's own accounting: answers per status code, a
/// latency histogram, open connections and event streams. The HTTP control
/// actor keeps it (`http_control_actor.hpp`); `GET /metrics` shows it.
class control_plane_stats {
public:
  /// Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  /// Counts one answered request; `timed` false leaves it out of the
  /// histogram (event streams, whose duration is their lifetime).
  void record(unsigned status, double seconds, bool timed);

  void set_connections(std::uint64_t n) noexcept { connections_ = n; }
  void set_event_streams(std::uint64_t n) noexcept { event_streams_ = n; }

  [[nodiscard]] const std::map<unsigned, std::uint64_t>& by_status() const noexcept { return by_status_; }
  [[nodiscard]] const std::array<std::uint64_t, bounds.size()>& buckets() const noexcept { return buckets_; }
  [[nodiscard]] double sum() const noexcept { return sum_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t connections() const noexcept { return connections_; }
  [[nodiscard]] std::uint64_t event_streams() const noexcept { return event_streams_; }

private:
  std::map<unsigned, std::uint64_t> by_status_;
  std::array<std::uint64_t, bounds.size()> buckets_{}; // not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t connections_ = 0;
  std::uint64_t event_streams_ = 0;
};

/// Counters and gauges for `GET /metrics`.
struct metrics_snapshot {
  std::vector<std::pair<std::string, std::uint64_t>> sessions_by_state;
  std::uint64_t bytes_received = 0;   ///< consumer: chunk bytes applied
  std::uint64_t chunks_received = 0;
  std::uint64_t chunks_asked_ahead = 0;  ///< consumer: chunks whose request left before their job asked
  std::uint64_t bytes_served = 0;     ///< provider: chunk bytes served
  std::uint64_t chunks_served = 0;
  std::uint64_t verification_failures = 0;
  std::uint64_t inbound_sessions = 0; ///< provider sessions currently open
  std::uint64_t requests_served = 0;
  std::uint64_t requests_refused = 0;
  /// Consumer request latency histogram: upper bounds in seconds and
  /// cumulative counts (Prometheus convention), plus sum and count.
  std::vector<double> latency_bounds;
  std::vector<std::uint64_t> latency_buckets;
  double latency_sum = 0;
  std::uint64_t latency_count = 0;
  std::vector<breaker_status> breakers;
  // Consumer side, swarm: per provider this node syncs from (summed over jobs).
  std::uint64_t sync_restarts = 0;        ///< provider sessions restarted after a failure
  std::uint64_t peers_banned = 0;         ///< providers banned from a job for a lie
  std::vector<peer_status> sync_peers;
  // Provider side: upload limits and what they held back; offers; partial serving.
  std::uint64_t upload_limit = 0;          ///< bytes/s node-wide, 0 = unlimited
  std::uint64_t upload_limit_per_peer = 0; ///< bytes/s per consumer, 0 = unlimited
  std::uint64_t throttled_responses = 0;
  std::uint64_t throttle_wait_ms = 0;
  std::uint64_t offers_served = 0;
  std::uint64_t carried_acks = 0;
  std::uint64_t prepared_hits = 0;
  std::uint64_t not_available_refusals = 0;
  std::uint64_t sessions_expired = 0; ///< served-session records erased after their expiry
  struct served_peer {
    std::string peer;
    std::uint64_t bytes_served = 0;
    std::uint64_t chunks_served = 0;
  };
  std::vector<served_peer> served_peers;
  /// The HTTP control plane's own requests.
  control_plane_stats http;
};

/// What the HTTP front needs from the control plane (`actor_control`, which
/// hands each call to the HTTP control actor, in production; fakes in the
/// HTTP tests). Every awaitable completes on the caller's executor; errors
/// carry a `control_errc`. Calls should honour Asio per-operation (terminal)
/// cancellation: the HTTP layer cancels a call that outlives its timeout or
/// the server's stop, and waits until it has ended. The accounting calls are
/// fire-and-forget and never block.
class control_backend {
public:
  virtual ~control_backend() = default;

  virtual boost::asio::awaitable<result<session_status>> start_session(start_command cmd) = 0;
  virtual boost::asio::awaitable<result<session_status>> session(std::uint64_t id) = 0;
  virtual boost::asio::awaitable<result<std::vector<session_status>>> sessions() = 0;
  virtual boost::asio::awaitable<result<void>> cancel_session(std::uint64_t id) = 0;
  virtual boost::asio::awaitable<result<std::vector<breaker_status>>> breakers() = 0;
  virtual boost::asio::awaitable<result<void>> reset_breakers() = 0;
  virtual boost::asio::awaitable<result<std::vector<peer_info>>> peers() = 0;
  virtual boost::asio::awaitable<result<snapshot_info>> create_snapshot() = 0;
  virtual boost::asio::awaitable<result<node_description>> describe_node() = 0;
  /// Opens an event stream (`GET /events`): its id for `events_after`.
  virtual boost::asio::awaitable<result<std::uint64_t>> open_event_stream() = 0;
  /// Events with a sequence above `after`, for `stream` (0: a one-off read
  /// outside any stream); waits up to `wait` for the first one and completes
  /// with an empty list when none came.
  virtual boost::asio::awaitable<result<std::vector<node_event>>>
  events_after(std::uint64_t stream, std::uint64_t after, std::chrono::milliseconds wait) = 0;
  /// Closes an event stream opened by `open_event_stream`.
  virtual void close_event_stream(std::uint64_t stream) noexcept = 0;
  /// The node's counters and the control plane's accounting.
  virtual boost::asio::awaitable<result<metrics_snapshot>> metrics() = 0;
  /// Accounting: one request answered with `status` after `seconds`
  /// (`timed` false: an event stream, left out of the latency histogram).
  virtual void request_done(unsigned status, double seconds, bool timed) noexcept = 0;
  /// Accounting: the number of open HTTP connections changed.
  virtual void connections_changed(std::uint64_t open) noexcept = 0;
};

} // namespace snapstream::actors

template <>
struct std::is_error_code_enum<snapstream::actors::control_errc> : std::true_type {};
