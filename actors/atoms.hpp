#pragma once
/// Message tags of the actor layer (CAF 0.17 atoms: at most 10 characters).

#include <caf/atom.hpp>

namespace snapstream::actors {

// provider
using serve_atom = caf::atom_constant<caf::atom("serve")>;
using bad_request_atom = caf::atom_constant<caf::atom("badreq")>;
using provider_stats_atom = caf::atom_constant<caf::atom("pstats")>;
using breaker_reset_atom = caf::atom_constant<caf::atom("brkreset")>;
using build_snapshot_atom = caf::atom_constant<caf::atom("snapbuild")>;
using list_snapshots_atom = caf::atom_constant<caf::atom("snaplist")>;
using upload_due_atom = caf::atom_constant<caf::atom("uploaddue")>; ///< a held chunk response may go out
using served_sweep_atom = caf::atom_constant<caf::atom("srvsweep")>; ///< expire served records, prune breakers

// consumer sessions
using start_atom = caf::atom_constant<caf::atom("start")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using net_reply_atom = caf::atom_constant<caf::atom("netreply")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using consumer_stats_atom = caf::atom_constant<caf::atom("cstats")>;

// persistence writer
using persist_atom = caf::atom_constant<caf::atom("persist")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using finalize_atom = caf::atom_constant<caf::atom("finalize")>;
using load_atom = caf::atom_constant<caf::atom("load")>;

// event bus
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using events_atom = caf::atom_constant<caf::atom("events")>;
using events_due_atom = caf::atom_constant<caf::atom("evdue")>;

// node
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;

} // namespace snapstream::actors
