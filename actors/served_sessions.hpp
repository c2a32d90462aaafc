#pragma once
/// The provider's book of the sessions it serves: admission (a cap on active
/// sessions), one request in flight per session (backpressure), chunk size
/// negotiation, acknowledgement and resume validation. Pure logic over
/// `storage::served_record`s; the provider actor owns one and persists what it
/// returns. Not thread-safe.

#include "actors/provider_errc.hpp"
#include "protocol/messages/messages.hpp"
#include "protocol/messages/wire.hpp"
#include "storage/served_store.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace snapstream::actors {

/// The provider's chunk size bounds, bytes. Chosen sizes are whole pages.
struct chunk_size_limits {
  std::uint64_t default_size = 1u << 20;
  std::uint64_t min_size = 4096;
  std::uint64_t max_size = 8u << 20;
};

/// What a plan or resume response reports.
struct negotiated_sizes {
  std::uint64_t chunk_size = 0;
  std::uint64_t min_chunk_size = 0; ///< the provider's bounds for this snapshot and protocol
  std::uint64_t max_chunk_size = 0;
  friend bool operator==(const negotiated_sizes&, const negotiated_sizes&) = default;
};

/// Picks a session's chunk size (docs/protocol.md 5.1): the consumer's
/// preference (or the default) clamped into the consumer's and the provider's
/// bounds and into what fits the protocol's response cap, rounded down to
/// whole pages. Fails with `provider_errc::invalid_request` when no whole-page
/// size satisfies every bound.
[[nodiscard]] result<negotiated_sizes> negotiate_chunk_size(std::optional<std::uint64_t> preferred,
                                                            std::optional<std::uint64_t> consumer_min,
                                                            std::optional<std::uint64_t> consumer_max,
                                                            const chunk_size_limits& limits,
                                                            std::uint32_t page_size,
                                                            messages::protocol_version version);
/// As above, for the oldest version whose byte encoding is `encoding`
/// (1.0.0 for the number array, 1.1.0 for base64: 1.2.0 has 1.1.0's caps).
[[nodiscard]] result<negotiated_sizes> negotiate_chunk_size(std::optional<std::uint64_t> preferred,
                                                            std::optional<std::uint64_t> consumer_min,
                                                            std::optional<std::uint64_t> consumer_max,
                                                            const chunk_size_limits& limits,
                                                            std::uint32_t page_size,
                                                            messages::byte_encoding encoding);

struct served_sessions_config {
  std::size_t max_active_sessions = 256;
  /// Active sessions one peer may hold, so one peer's plan requests cannot
  /// fill `max_active_sessions` for everyone else.
  std::size_t max_active_per_peer = 16;
  /// Unfinished session records (active or not) one peer may hold: each costs
  /// a synced write and stays on disk until it expires or is cancelled.
  std::size_t max_records_per_peer = 64;
  /// A session with no request for this long stops counting against the cap
  /// (its record stays, so it can still resume).
  std::chrono::milliseconds idle_expiry{300'000};
  /// A session with no request for this long is forgotten, its record erased:
  /// a resume of it is then `not_found` and the consumer starts afresh.
  std::chrono::milliseconds record_expiry{86'400'000};
};

class served_sessions {
public:
  using clock = std::chrono::steady_clock;
  using key = std::pair<std::string, std::uint64_t>; ///< (peer, session id)

  explicit served_sessions(served_sessions_config config = {}) : config_(config) {}

  /// Loads records persisted before a restart; they are inactive until used,
  /// and their expiry counts from `now`.
  void load(std::vector<storage::served_record> records, clock::time_point now);

  /// Sessions counted against the cap at `now`.
  [[nodiscard]] std::size_t active_count(clock::time_point now);
  [[nodiscard]] std::size_t size() const noexcept { return sessions_.size(); }

  /// The record of a session, or null.
  [[nodiscard]] const storage::served_record* find(const std::string& peer, std::uint64_t session) const;

  /// Admits a request of (peer, session) at `now`: fails with `backpressure`
  /// while the session has a request in flight, `saturated` when a session
  /// that is not active would exceed the peer's cap or the node-wide cap, or a
  /// new session the peer's record cap, `not_found` when `must_exist` and the
  /// session is unknown. On success the session is active and in flight until
  /// `finish`.
  [[nodiscard]] result<void> begin(const std::string& peer, std::uint64_t session, bool must_exist,
                                   clock::time_point now);
  /// Ends the request `begin` admitted.
  void finish(const std::string& peer, std::uint64_t session);

  /// Replaces the session's record (a new plan, or a change the provider has
  /// made durable).
  void put(storage::served_record record);
  /// Forgets a session (cancel).
  void erase(const std::string& peer, std::uint64_t session);

  /// The sessions without a request for `record_expiry` at `now`, marked in
  /// flight so no request races their removal: the caller erases their
  /// records, then `erase`s them (or `finish`es them when that failed).
  [[nodiscard]] std::vector<key> take_expired(clock::time_point now);

  /// Checks a resume against the session's record with rpp's rules, counting
  /// progress from confirmed acks (docs/protocol.md 5.4). Fails with
  /// `not_found` ("snapshot not found") or `resume_rejected` and rpp's text.
  [[nodiscard]] static result<void> validate_resume(const storage::served_record* record,
                                                    const messages::resume_request& request);

  /// The record after acknowledging `ack` (docs/protocol.md 5.3), not yet
  /// stored: valid when the index is below the total and at most one past the
  /// last confirmed. Fails with `invalid_request` otherwise.
  [[nodiscard]] static result<storage::served_record> acknowledge(const storage::served_record& record,
                                                                  const messages::ack_message& ack);

  /// The next chunk and update a resumed session is expected to request.
  [[nodiscard]] static std::uint64_t next_expected_chunk(const storage::served_record& r) noexcept;
  [[nodiscard]] static std::uint64_t next_expected_update(const storage::served_record& r) noexcept;

  /// True when every chunk and update of the session is confirmed.
  [[nodiscard]] static bool complete(const storage::served_record& r) noexcept;

private:
  struct entry {
    storage::served_record record;
    bool in_flight = false;
    bool active = false;
    clock::time_point last_activity{};
  };

  void expire_idle(clock::time_point now);
  /// (active sessions, unfinished records) of `peer`.
  [[nodiscard]] std::pair<std::size_t, std::size_t> count_of(const std::string& peer) const;

  served_sessions_config config_;
  std::map<key, entry> sessions_;
};

} // namespace snapstream::actors
