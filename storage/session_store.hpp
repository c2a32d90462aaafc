#pragma once
/// Consumer sessions, durably: the cursor record of each session, the plan
/// and the accepted light-client updates it verified (so a restarted
/// consumer rebuilds its verifier), and `apply_chunk`, which writes a verified
/// chunk's records and the advanced cursor in one synced batch.
///
/// Thread-safe. The session actor (or the persistence writer) is the only
/// writer of a given session; records of different sessions are independent.

#include "protocol/common/bytes.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "storage/db.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::storage {

enum class session_state : std::uint8_t { planning = 0, syncing = 1, verified = 2, failed = 3, cancelled = 4 };

/// "planning", "syncing", "verified", "failed", "cancelled".
[[nodiscard]] std::string_view to_string(session_state s) noexcept;

/// The cursor of one consumer session (key: session id).
struct session_record {
  std::uint64_t session_id = 0;
  std::string peer;                  ///< the provider's peer id (text form)
  std::string plan_id;               ///< hex state root; empty before the plan
  session_state state = session_state::planning;
  std::uint64_t chunk_size = 0;
  std::uint64_t total_chunks = 0;
  std::uint64_t total_updates = 0;
  std::uint64_t next_chunk_index = 0;   ///< chunks [0, next) are applied
  std::uint64_t next_update_index = 0;  ///< updates [0, next) are verified and stored
  std::uint64_t last_update_height = 0;
  std::uint64_t bytes_received = 0;     ///< chunk payload bytes applied
  std::uint64_t page_bytes_applied = 0; ///< page bytes of the applied chunks (verifier_progress)
  std::uint64_t records_applied = 0;    ///< records of the applied chunks (verifier_progress)
  std::string error;                    ///< the failure, for humans ("" when none)
  std::string error_code;               ///< "network", "checksum", "authentication", "resume_mismatch"...
  std::uint64_t created_unix_ms = 0;
  std::uint64_t updated_unix_ms = 0;
  friend bool operator==(const session_record&, const session_record&) = default;
};

/// A session as stored: its cursor, the plan bytes (empty before the plan)
/// and the accepted updates [0, record.next_update_index).
struct stored_session {
  session_record record;
  byte_buffer plan;
  std::vector<byte_buffer> updates;
};

class session_store {
public:
  /// A view over `d`, which must outlive it.
  explicit session_store(db& d) noexcept : db_(&d) {}

  /// Writes the cursor (synced).
  [[nodiscard]] result<void> save(const session_record& r);
  /// Writes the cursor and the session's verified plan in one synced batch.
  [[nodiscard]] result<void> save_plan(const session_record& r, bytes_view plan);
  /// Writes the cursor and accepted update `index` in one synced batch.
  [[nodiscard]] result<void> save_update(const session_record& r, std::uint64_t index, bytes_view update);

  /// Writes the records of a verified chunk into the state and the advanced
  /// cursor `r` (the caller has set next_chunk_index, bytes_received,
  /// page_bytes_applied, records_applied...) in one synced WriteBatch; the
  /// batch takes the keys and values straight from the chunk buffer. The
  /// state must be empty or owned by `r.plan_id` (else `owner_mismatch`); the
  /// first chunk marks it as owned by that plan in the same batch.
  /// `invalid_argument` when `r.plan_id` is empty or `r.next_chunk_index` is
  /// not `chunk.chunk_index + 1`.
  [[nodiscard]] result<void> apply_chunk(const session_record& r, const snapshot::verified_chunk& chunk);

  /// One session, or nullopt.
  [[nodiscard]] result<std::optional<stored_session>> load(std::uint64_t session_id) const;
  /// Every stored session by increasing id (a consumer calls this when it starts).
  [[nodiscard]] result<std::vector<stored_session>> load_all() const;
  /// Deletes the session's cursor, plan and updates (synced). The state keeps
  /// whatever chunks were applied.
  [[nodiscard]] result<void> erase(std::uint64_t session_id);

private:
  db* db_;
};

/// The stored encoding of a cursor (exposed for tests of corrupt records).
[[nodiscard]] byte_buffer encode_session_record(const session_record& r);
/// `corrupt_record` naming the session and the field.
[[nodiscard]] result<session_record> decode_session_record(bytes_view bytes);

} // namespace snapstream::storage
