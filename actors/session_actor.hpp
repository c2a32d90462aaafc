#pragma once
/// A consumer session: one actor per session, from plan to verified state.
///
/// Life: `plan` -> ack -> `light_client_update` 0..k-1 (each verified, stored,
/// acked) -> `chunk` 0..n-1 (each verified, then its records and the session
/// cursor written in ONE synced batch by the persistence writer, then acked)
/// -> verified: `HeadVerified` is published and the actor exits normally.
///
/// Exactly one request to the provider is outstanding at any time (acks
/// included). With auto_advance, the request for chunk k+1 goes out while
/// chunk k is being written (so the fetch overlaps the synced write); ack k
/// goes out only once chunk k is durable, and at most two chunks wait for
/// their write. The reported status (`last_chunk_index`, `bytes_received`)
/// is always the durable cursor. A message that would start a second one while a request is in
/// flight or a write is pending is answered with a `backpressure` error to
/// its sender; nothing is queued or dropped silently.
///
/// A failure ends the actor with a `session_errc` reason (see
/// `failure_of`); the session supervisor records it and decides on a retry.
///
/// Messages:
///   (start_atom)    -> session_status   new sessions answer at once; resumed
///                      ones after the provider accepted the resume
///   (fetch_atom)    -> void, or the `backpressure` error: take the next step
///                      (the only way a session advances when auto_advance is off)
///   (status_atom)   -> session_status
///   (cancel_atom)   -> void: tell the provider (after the request in flight)
///                      and exit with reason `cancelled`

#include "actors/control.hpp"
#include "actors/restart_policy.hpp"
#include "actors/session_config.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/snapshot/trust.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>
#include <optional>
#include <string>

namespace snapstream::actors {

/// Why a session ended (its exit reason) or refused a message.
enum class session_errc {
  network = 1,     ///< dial, timeout, reset, closed: transient
  checksum,        ///< a response that does not verify or does not parse: the peer lied or is broken
  authentication,  ///< the peer is not who we dialled, or the updates are not signed by our authorities
  resume_mismatch, ///< the provider refused our resume (stale or unknown offsets)
  saturated,       ///< the provider is at its session cap, or its breaker refuses us
  remote,          ///< the provider answered another error
  local,           ///< our own storage failed, or the state belongs to another plan
  cancelled,       ///< the operator cancelled the session
  backpressure,    ///< (a reply, not an exit) a request is already in flight
  finished,        ///< (a reply, not an exit) the session has nothing left to fetch
};

[[nodiscard]] constexpr const char* category_name(session_errc) noexcept { return "snapstream.session"; }
[[nodiscard]] std::string_view to_string(session_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(session_errc e) noexcept { return make_enum_error_code(e); }

/// The failure class of a session's exit reason.
[[nodiscard]] failure_class failure_of(const error& reason) noexcept;

/// What every session of a node shares.
struct session_env {
  std::shared_ptr<storage::db> db;
  net::host* host = nullptr;        ///< used only on `io`
  boost::asio::any_io_executor io;  ///< the host's executor
  caf::actor writer;                ///< the persistence writer
  caf::actor events;                ///< the event bus
  snapshot::trust_config trust;
  session_config config;
};

/// How a session starts.
struct session_start {
  std::uint64_t session_id = 0;
  std::string peer;                                  ///< the provider's peer id (validated)
  std::optional<std::uint64_t> chunk_size;           ///< new sessions: the preference
  std::optional<storage::stored_session> stored;     ///< resume from this durable state
  std::optional<std::uint64_t> resume_chunk_index;   ///< operator-given offsets (default: the durable cursor)
  std::optional<std::uint64_t> resume_update_index;
  std::uint32_t retries = 0;                         ///< automatic restarts before this one
};

/// Spawns a session that reports progress to `supervisor` as
/// `(progress_atom, session_status, std::uint64_t latency_us)`.
[[nodiscard]] caf::actor spawn_session(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                       session_start start, caf::actor supervisor);

} // namespace snapstream::actors

template <>
struct std::is_error_code_enum<snapstream::actors::session_errc> : std::true_type {};

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::session_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::session_start)
