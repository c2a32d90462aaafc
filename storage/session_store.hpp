#pragma once
/// Consumer sessions ("jobs": one snapshot fetched from one or more
/// providers), durably: the cursor record of each session, the plan and the
/// accepted light-client updates it verified (so a restarted consumer
/// rebuilds its verifier), the set of applied chunks, one record per
/// provider, and `apply_chunk`, which writes a verified chunk's records, its
/// page index entries and the advanced cursor in one synced batch.
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

/// The cursor of one consumer session (key: session id). Stored as format
/// version 2; a version 1 record (one provider, chunks applied in order)
/// decodes with chunks_applied = chunk_writes = next_chunk_index, no
/// requested plan id and `peers` = {peer}.
struct session_record {
  std::uint64_t session_id = 0;
  std::string peer;                  ///< the (first) provider's peer id (text form)
  std::string plan_id;               ///< hex state root; empty before the plan
  session_state state = session_state::planning;
  std::uint64_t chunk_size = 0;
  std::uint64_t total_chunks = 0;
  std::uint64_t total_updates = 0;
  std::uint64_t next_chunk_index = 0;   ///< chunks [0, next) are applied (the applied set's contiguous prefix)
  std::uint64_t next_update_index = 0;  ///< updates [0, next) are verified and stored
  std::uint64_t last_update_height = 0;
  std::uint64_t bytes_received = 0;     ///< chunk payload bytes applied
  std::uint64_t page_bytes_applied = 0; ///< page bytes of the applied chunks (verifier_progress)
  std::uint64_t records_applied = 0;    ///< records of the applied chunks (verifier_progress)
  std::string error;                    ///< the failure, for humans ("" when none)
  std::string error_code;               ///< "network", "checksum", "authentication", "resume_mismatch"...
  std::uint64_t created_unix_ms = 0;
  std::uint64_t updated_unix_ms = 0;
  std::uint64_t chunks_applied = 0;     ///< size of the applied set
  /// Chunk batches ever committed: equals chunks_applied unless a chunk was
  /// applied twice (the apply-once counter).
  std::uint64_t chunk_writes = 0;
  std::string requested_plan_id;        ///< the operator's plan id ("" = discovery / the first peer's plan)
  std::vector<std::string> peers;       ///< the job's providers as given (empty = discover among connected peers)
  friend bool operator==(const session_record&, const session_record&) = default;
};

/// One provider of a session (key: session id and peer).
struct provider_session_record {
  std::uint64_t session_id = 0;
  std::string peer;                    ///< the provider's peer id (text form)
  bool planned = false;                ///< the provider accepted a plan request of this session
  std::uint64_t next_ack_chunk = 0;    ///< the provider is acked (or will be, on resume) chunks [0, next)
  std::uint64_t next_ack_update = 0;   ///< likewise for updates
  std::uint64_t bytes = 0;             ///< chunk payload bytes applied from this provider
  std::uint64_t chunks = 0;            ///< chunks applied from this provider
  bool banned = false;
  std::string ban_reason;              ///< why it was banned, for humans ("" when not banned)
  friend bool operator==(const provider_session_record&, const provider_session_record&) = default;
};

/// A session as stored: its cursor, the plan bytes (empty before the plan),
/// the accepted updates [0, record.next_update_index), the applied chunks
/// and its providers.
struct stored_session {
  session_record record;
  byte_buffer plan;
  std::vector<byte_buffer> updates;
  /// Applied chunk indices, increasing. Chunks [0, record.next_chunk_index)
  /// are always in it (a version 1 record stored no applied bits).
  std::vector<std::uint64_t> applied;
  std::vector<provider_session_record> providers; ///< by peer id
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

  /// Writes a provider record (synced).
  [[nodiscard]] result<void> save_provider(const provider_session_record& p);

  /// Applies a verified chunk in one synced WriteBatch, taking its keys and
  /// values straight from the chunk buffer: the chunk's records into the
  /// state, the owner marker (first chunk of an empty state), the chunk's
  /// applied bit, the cursor `r` (the caller has advanced chunks_applied,
  /// chunk_writes, next_chunk_index, bytes_received, page_bytes_applied,
  /// records_applied...), the provider record `p` when not null, and in the
  /// snapshots column family each page's index entries (first key and record
  /// count) under `r.plan_id`, which make the chunk's pages servable by
  /// `snapshot_store::read_chunk` while the snapshot is partial. The chunk
  /// need not follow the last one applied. Refuses, writing nothing:
  /// `owner_mismatch` when the state is neither empty nor owned by
  /// `r.plan_id`; `invalid_argument` for a plan id that is not 64 lower-case
  /// hex characters, a provider record of another session, a chunk whose page
  /// record counts do not describe its records, or a chunk already applied
  /// (its bit is set, or it is below the stored cursor's next_chunk_index).
  [[nodiscard]] result<void> apply_chunk(const session_record& r, const provider_session_record* p,
                                         const snapshot::verified_chunk& chunk);

  /// One session, or nullopt.
  [[nodiscard]] result<std::optional<stored_session>> load(std::uint64_t session_id) const;
  /// Every stored session by increasing id (a consumer calls this when it starts).
  [[nodiscard]] result<std::vector<stored_session>> load_all() const;
  /// Deletes the session's cursor, plan, updates, applied bits and provider
  /// records (one synced batch). The state keeps whatever chunks were
  /// applied, and their page index entries stay.
  [[nodiscard]] result<void> erase(std::uint64_t session_id);

private:
  db* db_;
};

/// The stored encoding of a cursor (exposed for tests of corrupt records).
[[nodiscard]] byte_buffer encode_session_record(const session_record& r);
/// Decodes format version 1 or 2; `corrupt_record` naming the field.
[[nodiscard]] result<session_record> decode_session_record(bytes_view bytes);
/// The stored encoding of a provider record.
[[nodiscard]] byte_buffer encode_provider_record(const provider_session_record& p);
/// `corrupt_record` naming the field.
[[nodiscard]] result<provider_session_record> decode_provider_record(bytes_view bytes);

} // namespace snapstream::storage
