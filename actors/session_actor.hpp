#pragma once
/// A session: the consumer's conversation with ONE provider inside a sync job.
///
/// The session speaks `/rpp/snapshots/1.x` to its provider and keeps exactly
/// one request in flight, acks included. It does not decide what to fetch:
/// its job asks it for work (offers, a plan, a resume, an update, a chunk),
/// and a session that already has a request in flight, or still owes its
/// provider an ack, answers that ask with the `backpressure` error instead of
/// queueing it; the job waits for the session's `(ready_atom, peer)` before
/// asking again. That is the design card's path: each session enforces one
/// in-flight request and returns backpressure to its mailbox.
///
/// What the session checks itself: that a response belongs to its session and
/// answers what was asked, and every page of a chunk against the plan's page
/// hashes (`use_plan` gives it the plan once the job trusts it), so chunk
/// verification spreads over the scheduler threads. The plan and the update
/// chain are verified by the job.
///
/// A request that fails ends the session with a typed reason
/// (`session_errc`): the transport failed or timed out (`network`), the
/// provider lied (`checksum`, `authentication`), or refused
/// (`saturated`, `resume_mismatch`, `remote`). The job monitors its
/// sessions and decides (retry later, demote, ban). "Not yet" for a chunk of
/// a snapshot the provider is still syncing is only a reply
/// (`not_available`): the session stays.
///
/// With `manual` stepping (tests, tools), work the job asks for is held until
/// a `fetch`, which sends exactly one request: a due ack first, then the held
/// work. A resume (re-acks, then `resume`) completes on its own.

#include "actors/atoms.hpp"
#include "actors/control.hpp"
#include "actors/event_bus.hpp"
#include "actors/persistence_writer.hpp"
#include "actors/restart_policy.hpp"
#include "actors/session_config.hpp"
#include "actors/snapshot_transport.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/messages/messages.hpp"
#include "protocol/messages/wire.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/offer.hpp"
#include "protocol/snapshot/plan.hpp"
#include "protocol/snapshot/trust.hpp"
#include "storage/db.hpp"
#include "storage/session_store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::actors {

/// Why a session ended (its exit reason) or refused a message.
enum class session_errc {
  network = 1,     ///< dial, timeout, reset, closed, provider busy or unavailable: transient
  checksum,        ///< a response that does not verify or does not parse: the peer lied or is broken
  authentication,  ///< the peer is not who we dialled, or the updates are not signed by our authorities
  resume_mismatch, ///< the provider refused our resume (stale or unknown offsets)
  saturated,       ///< the provider is at its session cap, or its breaker refuses us
  remote,          ///< the provider answered another error (it does not serve this snapshot...)
  local,           ///< our own storage failed, or the state belongs to another plan
  cancelled,       ///< the operator cancelled the session
  backpressure,    ///< (a reply, not an exit) a request is already in flight
  finished,        ///< (a reply, not an exit) the session has nothing left to fetch
  not_available,   ///< (a reply, not an exit) the provider does not hold that chunk yet
};

[[nodiscard]] constexpr const char* category_name(session_errc) noexcept { return "snapstream.session"; }
[[nodiscard]] std::string_view to_string(session_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(session_errc e) noexcept { return make_enum_error_code(e); }

/// The failure class of a session's or a job's exit reason.
[[nodiscard]] failure_class failure_of(const error& reason) noexcept;

/// What every session and job of a node shares.
struct session_env {
  std::shared_ptr<storage::db> db;
  net::host* host = nullptr;        ///< used only on `io`
  boost::asio::any_io_executor io;  ///< the host's executor
  persistence_writer_actor writer;  ///< the persistence writer (or, in tests, a proxy of it)
  event_bus_actor events;           ///< the event bus
  snapshot::trust_config trust;
  session_config config;
};

// Message tags of the job <-> session conversation.
using offers_atom = caf::atom_constant<caf::atom("offers")>;
using plan_atom = caf::atom_constant<caf::atom("plan")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;
using use_plan_atom = caf::atom_constant<caf::atom("useplan")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
/// The session's own timer: acks due for `ack_linger` without a request to
/// carry them go out alone (1.3.0).
using flush_acks_atom = caf::atom_constant<caf::atom("flushacks")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using close_atom = caf::atom_constant<caf::atom("close")>;

/// A plan request: which snapshot (1.2.0 providers), and the chunk size.
struct plan_wanted {
  std::optional<std::string> plan_id;        ///< sent on 1.2.0; older providers plan their latest
  std::optional<std::uint64_t> chunk_size;   ///< preference
  std::optional<std::uint64_t> min_chunk_size;
  std::optional<std::uint64_t> max_chunk_size;
};

/// A provider's plan answer: the plan bytes (not yet verified) and the
/// negotiated chunk size. The provider now holds a session for us.
struct planned_session {
  shared_bytes plan;
  std::uint64_t chunk_size = 0;
  messages::protocol_version version = messages::protocol_version::v1_1;
  std::chrono::microseconds latency{0};
};

/// What a provider offers. A 1.0.0/1.1.0 provider has no listing request:
/// its plan answer stands for its one offer, and `planned` holds it.
struct session_offers {
  std::vector<snapshot::offer> offers;
  std::optional<planned_session> planned;
  messages::protocol_version version = messages::protocol_version::v1_1;
};

/// Resume the provider's session (rpp's `resume`), after re-acknowledging
/// the durable artefacts whose acks it may have missed.
struct resume_wanted {
  std::string plan_id;
  std::uint64_t chunk_size = 0;
  std::optional<std::uint64_t> chunk_index;  ///< operator's offsets; default: the record's ack cursors
  std::optional<std::uint64_t> update_index;
};

struct resumed_session {
  std::uint64_t chunk_index = 0;
  std::uint64_t update_index = 0;
};

struct delivered_update {
  std::uint64_t index = 0;
  shared_bytes update;
  std::chrono::microseconds latency{0};
};

struct chunk_wanted {
  std::uint64_t index = 0;
  std::chrono::milliseconds timeout{60'000};
  /// The chunk the job expects to ask next (its schedule's `name_ahead`): the
  /// session requests it the moment this chunk's response is in, before
  /// this chunk is verified, and holds it until the job asks for it.
  std::optional<std::uint64_t> then;
};

/// A chunk whose pages verified against the plan; `chunk`'s records are
/// views into `bytes`.
struct delivered_chunk {
  std::uint64_t index = 0;
  shared_bytes bytes;
  std::shared_ptr<const snapshot::verified_chunk> chunk;
  std::chrono::microseconds latency{0};
  bool asked_ahead = false; ///< its request left before the job asked for it
};

/// The session's typed interface: what its job (and manual stepping) may
/// send it. Every ask but `use_plan`, `ack` and `close` may be answered
/// with `backpressure`.
using session_actor = caf::typed_actor<
  caf::replies_to<offers_atom, plan_wanted>::with<session_offers>,
  caf::replies_to<plan_atom, plan_wanted>::with<planned_session>,
  caf::replies_to<resume_atom, resume_wanted>::with<resumed_session>,
  caf::replies_to<update_atom, std::uint64_t>::with<delivered_update>,
  caf::replies_to<chunk_atom, chunk_wanted>::with<delivered_chunk>,
  caf::reacts_to<use_plan_atom, std::shared_ptr<const snapshot::plan>, std::uint64_t>,
  caf::reacts_to<ack_atom, messages::ack_message>,
  caf::reacts_to<fetch_atom>,
  caf::reacts_to<close_atom, std::string, bool>,
  caf::reacts_to<net_reply_atom, result<exchange_result>>,
  caf::reacts_to<flush_acks_atom>>;

/// How a session starts.
struct session_start {
  std::uint64_t session_id = 0;                  ///< the wire session id (its job's id)
  std::string peer;                              ///< the provider's peer id (validated by the job)
  storage::provider_session_record record;       ///< durable ack cursors (all zero for a new provider)
  /// The newest protocol the provider spoke to an earlier session, if known.
  std::optional<messages::protocol_version> version;
  bool manual = false;                           ///< advance only on `fetch`
};

/// Spawns a session that tells `job` `(ready_atom, peer)` when it can take
/// work again after having answered `backpressure`.
[[nodiscard]] session_actor spawn_session(caf::actor_system& system, std::shared_ptr<const session_env> env,
                                          session_start start, caf::actor job);

} // namespace snapstream::actors

template <>
struct std::is_error_code_enum<snapstream::actors::session_errc> : std::true_type {};

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::session_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::plan_wanted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::planned_session)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::session_offers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::resume_wanted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::resumed_session)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::delivered_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::chunk_wanted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::delivered_chunk)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const snapstream::snapshot::plan>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::messages::ack_message)
