#pragma once
/// Provider-side records of the sessions this node serves (key: session id +
/// peer id), so that acks and resumes survive a provider restart.
///
/// Thread-safe.

#include "protocol/common/bytes.hpp"
#include "storage/db.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::storage {

struct served_record {
  std::string peer;                  ///< the consumer's peer id (text form)
  std::uint64_t session_id = 0;      ///< chosen by the consumer
  std::string plan_id;
  std::uint64_t chunk_size = 0;
  std::uint64_t total_chunks = 0;
  std::uint64_t total_updates = 0;
  std::optional<std::uint64_t> last_served_chunk;
  std::optional<std::uint64_t> last_served_update;
  std::optional<std::uint64_t> last_confirmed_chunk;   ///< highest acked chunk
  std::optional<std::uint64_t> last_confirmed_update;  ///< highest acked update
  std::uint64_t created_unix_ms = 0;
  std::uint64_t updated_unix_ms = 0;
  friend bool operator==(const served_record&, const served_record&) = default;
};

class served_store {
public:
  /// A view over `d`, which must outlive it.
  explicit served_store(db& d) noexcept : db_(&d) {}

  /// Writes the record (synced): durable when this returns, before an ack is echoed.
  [[nodiscard]] result<void> save(const served_record& r);
  /// The record of (session_id, peer), or nullopt.
  [[nodiscard]] result<std::optional<served_record>> load(std::uint64_t session_id, std::string_view peer) const;
  /// Every record, by session id then peer (a provider calls this when it starts).
  [[nodiscard]] result<std::vector<served_record>> load_all() const;
  /// Forgets a session (synced); no error when it is unknown.
  [[nodiscard]] result<void> erase(std::uint64_t session_id, std::string_view peer);

private:
  db* db_;
};

[[nodiscard]] byte_buffer encode_served_record(const served_record& r);
[[nodiscard]] result<served_record> decode_served_record(bytes_view bytes);

} // namespace snapstream::storage
