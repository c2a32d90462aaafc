#define BOOST_TEST_MODULE actors_swarm
#include <boost/test/unit_test.hpp>

#include "tests/actors/swarm_harness.hpp"

#include <boost/json.hpp>

#include "storage/snapshot_store.hpp"

using namespace snapstream;
using namespace snapstream::actors;
using namespace snapstream::actors::test;

namespace {

void require_same_state(node& a, node& b) {
  auto da = a.db().digest_state();
  auto db = b.db().digest_state();
  BOOST_REQUIRE(da.has_value() && db.has_value());
  BOOST_TEST(da->record_count == db->record_count);
  BOOST_TEST((da->sha256 == db->sha256));
}

/// A stopped source node holding one snapshot of a generated state, signed
/// by its own key; providers start from copies of its data directory.
struct source {
  provider_node node;
  snapshot_info snapshot;
  std::filesystem::path dir() const { return node.dir.path(); }

  explicit source(std::uint64_t bytes) {
    node.start(bytes);
    snapshot = node.snapshot;
    node.n->stop();
    node.n.reset();
  }
};

provider_config slowed(std::uint64_t bytes_per_second) {
  provider_config c;
  c.upload_limit.per_peer_bytes_per_second = bytes_per_second;
  return c;
}

std::string id_of(const provider_node& p) { return p.id.id().to_string(); }

} // namespace

// Four providers of one snapshot: one flips a byte in the first chunk it
// serves, one is slowed by its upload limit, one freezes mid-job. The job
// bans the liar, does not wait for the frozen one, and ends verified with
// every chunk applied exactly once.
BOOST_AUTO_TEST_CASE(a_job_over_four_providers_bans_the_liar_outlives_a_frozen_one_and_ends_verified) {
  source src(16u << 20);
  provider_node honest, slow, frozen, behind_liar;
  start_as_copy(honest, src.dir());
  start_as_copy(slow, src.dir(), slowed(4u << 20));
  start_as_copy(behind_liar, src.dir());
  copy_data(src.dir(), frozen.dir.path());
  frozen.start(0, /*gated=*/true);
  chunk_liar liar_state;
  relay liar(behind_liar.address(), nullptr, liar_state.tamper());

  swarm_consumer c;
  c.start({.peers = {honest.address(), slow.address(), frozen.address(), liar.address()},
           .trust = trusting(src.node.id)});
  auto started = c.sync({id_of(honest), id_of(slow), id_of(frozen), liar.peer()});
  BOOST_REQUIRE_MESSAGE(started.has_value(), started.error().message());
  const auto id = started->session;
  BOOST_REQUIRE(eventually([&] { return c.status_of(id).chunks_applied >= 8; }));
  frozen.hold(); // SIGSTOP-like: its requests are never answered from now on
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  frozen.release();

  const auto s = c.status_of(id);
  require_same_state(*c.n, *honest.n);
  BOOST_TEST(s.chunks_applied == *s.total_chunks);
  BOOST_TEST(s.chunk_writes == *s.total_chunks); // each chunk applied exactly once
  // The liar is banned, and nothing it sent was applied.
  BOOST_TEST(liar_state.lies.load() == 1);
  const auto* l = peer_in(s, liar.peer());
  BOOST_REQUIRE(l != nullptr);
  BOOST_TEST(l->state == "banned");
  BOOST_TEST(l->chunks == 0u);
  BOOST_TEST(l->bytes == 0u);
  BOOST_TEST(*l->last_error_code == "checksum");
  BOOST_TEST(count_events(*c.n, "PeerBanned", liar.peer()) == 1u);
  BOOST_TEST(count_events(*c.n, "HeadVerified") == 1u);
  // The honest providers shared the work.
  BOOST_TEST(peer_in(s, id_of(honest))->chunks > 0u);
  BOOST_TEST(peer_in(s, id_of(slow))->chunks > 0u);
  std::uint64_t from_peers = 0;
  for (const auto& p : s.peers) from_peers += p.chunks;
  BOOST_TEST(from_peers == *s.total_chunks);
  // Durable: the per-provider records add up, and the liar's ban survives.
  const auto stored = c.stored(id);
  BOOST_TEST(stored.applied.size() == *s.total_chunks);
  bool banned_stored = false;
  for (const auto& p : stored.providers) banned_stored = banned_stored || (p.peer == liar.peer() && p.banned);
  BOOST_TEST(banned_stored);
  // Its breaker is open on this node, and the operator sees it as such.
  const auto breakers = run_on(*c.n, c.n->control().breakers());
  BOOST_REQUIRE(breakers.has_value());
  bool shown = false;
  for (const auto& b : *breakers)
    shown = shown || (b.peer == liar.peer() && b.side == breaker_side::syncing && b.state == breaker_state::open);
  BOOST_TEST(shown);
  // The next job leaves it out at once.
  auto again = c.sync({id_of(honest), liar.peer()});
  BOOST_REQUIRE(again.has_value());
  BOOST_REQUIRE(c.reaches(again->session, session_state::verified));
  const auto* left_out = peer_in(c.status_of(again->session), liar.peer());
  BOOST_REQUIRE(left_out != nullptr);
  BOOST_TEST(left_out->state == "dropped");
  BOOST_TEST(left_out->last_error->find("breaker is open") != std::string::npos, *left_out->last_error);
  BOOST_TEST(liar_state.lies.load() == 1);
}

// A provider that speaks only rpp's 1.0.0 (no offers, no plan ids, arrays of
// numbers) is one of a job's providers like any other.
BOOST_AUTO_TEST_CASE(a_provider_that_speaks_only_1_0_0_takes_its_share_of_a_job) {
  source src(6u << 20);
  provider_node modern, upstream;
  start_as_copy(modern, src.dir());
  start_as_copy(upstream, src.dir());
  relay old(upstream.address(), nullptr, nullptr, {net::snapshots_v1_0()});
  swarm_consumer c;
  c.start({.peers = {modern.address(), old.address()}, .trust = trusting(src.node.id)});
  auto started = c.sync({id_of(modern), old.peer()});
  BOOST_REQUIRE_MESSAGE(started.has_value(), started.error().message());
  BOOST_REQUIRE(c.reaches(started->session, session_state::verified));
  const auto s = c.status_of(started->session);
  BOOST_TEST(peer_in(s, old.peer())->chunks > 0u);
  BOOST_TEST(peer_in(s, id_of(modern))->chunks > 0u);
  BOOST_TEST(s.chunk_writes == *s.total_chunks);
  require_same_state(*c.n, *modern.n);
}

// The design card's path, in production: the job asks a session for work
// while the session still has a request (its ack) in flight; the session
// answers backpressure, the job waits for `ready`, and the provider never
// sees two requests of one session at once. On 1.2.0, where an ack is a
// request of its own (1.3.0 carries it with the next chunk request, so the
// slot is rarely taken when the job asks).
BOOST_AUTO_TEST_CASE(the_job_meets_backpressure_from_its_sessions_and_honours_it) {
  provider_node p;
  p.start(8u << 20);
  swarm_consumer c;
  c.start({.peers = {p.address()}, .trust = trusting(p.id), .protocols = {net::snapshots_v1_2()}});
  auto started = c.sync({id_of(p)});
  BOOST_REQUIRE(started.has_value());
  BOOST_REQUIRE(c.reaches(started->session, session_state::verified));
  const auto s = c.status_of(started->session);
  BOOST_REQUIRE_EQUAL(s.peers.size(), 1u);
  BOOST_TEST(s.peers[0].backpressure > 0u);
  BOOST_TEST(stats_of_provider(*p.n).backpressure_refusals == 0u);
  auto metrics = run_on(*c.n, c.n->control().metrics());
  BOOST_REQUIRE(metrics.has_value());
  BOOST_REQUIRE_EQUAL(metrics->sync_peers.size(), 1u);
  BOOST_TEST(metrics->sync_peers[0].backpressure == s.peers[0].backpressure);
}

BOOST_AUTO_TEST_CASE(discovery_picks_the_highest_snapshot_this_node_can_verify) {
  // A builds snapshot 1; B starts from a copy of it; then A builds snapshot 2.
  provider_node a;
  a.start(2u << 20);
  a.n->stop();
  a.n.reset();
  provider_node b;
  start_as_copy(b, a.dir.path());
  a.start(0);
  BOOST_REQUIRE(a.n->db().put_state(as_bytes(std::string_view("k")), as_bytes(std::string_view("v"))).has_value());
  auto second = run_on(*a.n, a.n->control().create_snapshot());
  BOOST_REQUIRE(second.has_value());
  BOOST_REQUIRE(second->height == 2u);
  a.n->stop();
  a.n.reset();
  // U continues A's chain with a snapshot 3 of its own, signed by U's key:
  // higher, but not verifiable by a node that trusts only A.
  provider_node untrusted;
  start_as_copy(untrusted, a.dir.path());
  a.start(0);
  BOOST_REQUIRE(untrusted.n->db().put_state(as_bytes(std::string_view("u")), as_bytes(std::string_view("u"))).has_value());
  auto third = run_on(*untrusted.n, untrusted.n->control().create_snapshot());
  BOOST_REQUIRE(third.has_value());
  BOOST_REQUIRE(third->height == 3u);

  swarm_consumer c;
  c.start({.peers = {a.address(), b.address(), untrusted.address()}, .trust = trusting(a.id)});
  auto started = c.sync({}); // no provider named: discover
  BOOST_REQUIRE_MESSAGE(started.has_value(), started.error().message());
  BOOST_REQUIRE(c.reaches(started->session, session_state::verified));
  const auto s = c.status_of(started->session);
  BOOST_TEST(*s.plan_id == second->plan_id);
  BOOST_TEST(count_events(*c.n, "SnapshotChosen", second->plan_id) == 1u);
  // B offers only snapshot 1: it is left out of the job (on standby, asked
  // now and then whether it offers snapshot 2 yet); U serves snapshot 2 too.
  const auto* pb = peer_in(s, id_of(b));
  BOOST_REQUIRE(pb != nullptr);
  BOOST_TEST(pb->state == "standby");
  BOOST_TEST(pb->chunks == 0u);
  require_same_state(*c.n, *a.n);
}

BOOST_AUTO_TEST_CASE(no_verifiable_offer_fails_within_the_discovery_time_naming_whom_it_asked) {
  provider_node p;
  p.start(1u << 20);
  auto nobody = loopback(1);
  const auto nobody_id = libp2p::identity::generate().id();
  nobody.peer = nobody_id;
  swarm_consumer c;
  c.start({.peers = {p.address(), nobody},
           .trust = trusting(libp2p::identity::generate()),
           .discovery_timeout = 3s});
  auto started = c.sync({});
  BOOST_REQUIRE_MESSAGE(started.has_value(), started.error().message());
  BOOST_REQUIRE(c.reaches(started->session, session_state::failed, 30s));
  const auto s = c.status_of(started->session);
  BOOST_REQUIRE(s.error.has_value());
  BOOST_TEST(s.error->find("no peer offered a snapshot this node can verify within 3 s") != std::string::npos, *s.error);
  BOOST_TEST(s.error->find(id_of(p) + ": offers plan " + p.snapshot.plan_id) != std::string::npos, *s.error);
  BOOST_TEST(s.error->find("signed by keys this node does not trust") != std::string::npos, *s.error);
  BOOST_TEST(s.error->find(nobody_id.to_string() + ": no answer") != std::string::npos, *s.error);
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed", "\"retry_in_ms\":null") == 1u);
}

// A serves, B syncs from A, C syncs from B trusting only A's key: every node
// that verified a snapshot serves it on.
BOOST_AUTO_TEST_CASE(a_chain_of_three_nodes_ends_with_the_last_verified_and_three_equal_digests) {
  provider_node a;
  a.start(4u << 20);
  swarm_consumer b;
  b.start({.peers = {a.address()}, .trust = trusting(a.id)});
  auto first = b.sync({id_of(a)});
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(b.reaches(first->session, session_state::verified));
  swarm_consumer c;
  c.start({.peers = {b.n->addresses().front()}, .trust = trusting(a.id)});
  auto second = c.sync({b.id.id().to_string()});
  BOOST_REQUIRE_MESSAGE(second.has_value(), second.error().message());
  BOOST_REQUIRE(c.reaches(second->session, session_state::verified));
  BOOST_TEST(*c.status_of(second->session).plan_id == a.snapshot.plan_id);
  require_same_state(*a.n, *b.n);
  require_same_state(*b.n, *c.n);
  // B serves it from a checkpoint: B's own later life does not change it.
  auto listed = run_on(*b.n, b.n->control().create_snapshot());
  (void)listed;
  BOOST_TEST(stats_of_provider(*b.n).chunks_served > 0u);
}

// While B still syncs from a slow A, C already fetches from B the chunks B
// has applied; B answers "not yet" for the others and C waits for them.
BOOST_AUTO_TEST_CASE(a_node_serves_the_chunks_it_has_while_it_is_still_syncing) {
  provider_node a;
  a.start(12u << 20, false, slowed(3u << 20));
  swarm_consumer b;
  b.start({.peers = {a.address()}, .trust = trusting(a.id)});
  auto bs = b.sync({id_of(a)});
  BOOST_REQUIRE(bs.has_value());
  BOOST_REQUIRE(eventually([&] { return b.status_of(bs->session).chunks_applied >= 20; }));
  swarm_consumer c;
  c.start({.peers = {b.n->addresses().front()}, .trust = trusting(a.id)});
  auto cs = c.sync({b.id.id().to_string()}, a.snapshot.plan_id);
  BOOST_REQUIRE_MESSAGE(cs.has_value(), cs.error().message());
  bool overlapped = false;
  BOOST_REQUIRE(eventually(
    [&] {
      const auto sb = b.status_of(bs->session);
      const auto sc = c.status_of(cs->session);
      if (sc.chunks_applied > 0 && sb.state == session_state::syncing) overlapped = true;
      return sc.state == session_state::verified;
    },
    120s));
  BOOST_TEST(overlapped); // C applied chunks from B before B had them all
  require_same_state(*a.n, *c.n);
  BOOST_TEST(c.status_of(cs->session).chunk_writes == *c.status_of(cs->session).total_chunks);
}

BOOST_AUTO_TEST_CASE(a_job_stopped_mid_sync_resumes_with_every_provider_and_applies_each_chunk_once) {
  source src(12u << 20);
  provider_node p1, p2, p3;
  start_as_copy(p1, src.dir(), slowed(2u << 20));
  start_as_copy(p2, src.dir(), slowed(2u << 20));
  start_as_copy(p3, src.dir(), slowed(2u << 20));
  swarm_consumer c;
  c.start({.peers = {p1.address(), p2.address(), p3.address()}, .trust = trusting(src.node.id)});
  auto started = c.sync({id_of(p1), id_of(p2), id_of(p3)});
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  for (int round = 0; round < 2; ++round) {
    const auto before = c.status_of(id).chunks_applied;
    BOOST_REQUIRE(eventually([&] { return c.status_of(id).chunks_applied >= before + 10; }));
    c.restart(); // the job resumes at boot, with all three providers
  }
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  const auto s = c.status_of(id);
  BOOST_TEST(s.chunk_writes == *s.total_chunks);
  BOOST_TEST(c.stored(id).record.chunk_writes == *s.total_chunks);
  require_same_state(*c.n, *p1.n);
  BOOST_TEST(s.peers.size() == 3u);
}

// Regression: a job that fails while a chunk's write is still queued records
// its failure after that write, with that chunk in its cursor, so a resume
// neither re-applies it nor loses it.
BOOST_AUTO_TEST_CASE(a_failure_while_a_chunk_is_being_written_keeps_that_chunk_in_the_cursor) {
  provider_node p;
  p.start(4u << 20);
  swarm_consumer c;
  std::atomic<int> chunk_requests{0};
  // Chunk 7's write is held back; the request for chunk 8 fails while it waits.
  relay r(
    p.address(),
    [&](const messages::snapshots_request& q) {
      if (!std::holds_alternative<messages::chunk_request>(q.body)) return relay_verdict::forward;
      const int n = ++chunk_requests;
      if (n == 8) c.hold_writes();
      return n == 9 ? relay_verdict::reset : relay_verdict::forward;
    },
    nullptr);
  c.start({.peers = {r.address()}, .trust = trusting(p.id), .max_retries = 0, .gated_writer = true});
  auto started = c.sync({r.peer()});
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(c.reaches(id, session_state::failed));
  c.release_writes();
  BOOST_REQUIRE(eventually([&] { return c.stored(id).record.state == storage::session_state::failed; }));
  const auto failed = c.stored(id);
  BOOST_TEST(failed.applied.size() == 8u);
  BOOST_TEST(failed.record.next_chunk_index == 8u); // chunk 7 is in the cursor that recorded the failure
  BOOST_TEST(failed.record.chunk_writes == 8u);
  // At the next start the job resumes (network failures are retryable) and
  // applies each remaining chunk once.
  c.restart();
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  const auto s = c.status_of(id);
  BOOST_TEST(s.chunk_writes == *s.total_chunks);
  require_same_state(*c.n, *p.n);
}

// Regression: the provider failing the very last ack does not turn a
// verified sync into a failed one (at once or after a restart), and
// HeadVerified is published.
BOOST_AUTO_TEST_CASE(a_failed_last_ack_does_not_undo_a_verified_sync) {
  provider_node p;
  p.start(1u << 20);
  std::atomic<std::uint64_t> total{0};
  std::atomic<int> resets{0};
  relay r(
    p.address(),
    [&](const messages::snapshots_request& q) {
      auto* a = std::get_if<messages::ack_message>(&q.body);
      if (a && a->kind == messages::ack_kind::chunk && total.load() > 0 && a->index + 1 == total.load()) {
        ++resets;
        return relay_verdict::reset;
      }
      return relay_verdict::forward;
    },
    [&](const messages::snapshots_request&, messages::snapshots_response& resp) {
      if (auto* pl = std::get_if<messages::plan_response>(&resp.body); pl && pl->plan && pl->chunk_size) {
        auto plan = snapshot::decode_plan(*pl->plan);
        if (plan) total = snapshot::chunk_count(plan->page_count(), *pl->chunk_size / plan->page_size);
      }
      return false;
    });
  swarm_consumer c;
  c.start({.peers = {r.address()}, .trust = trusting(p.id)});
  auto started = c.sync({r.peer()});
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  BOOST_TEST(count_events(*c.n, "HeadVerified") == 1u);
  // The last ack was refused and the job is gone: it stays verified.
  BOOST_REQUIRE(eventually([&] { return resets.load() == 1; }));
  BOOST_REQUIRE(eventually([&] { return !fetch(*c.n, id).has_value() && fetch(*c.n, id).error().is(control_errc::not_found); }));
  BOOST_TEST(c.status_of(id).state == session_state::verified);
  c.restart();
  BOOST_TEST(c.status_of(id).state == session_state::verified);
  BOOST_TEST(c.stored(id).record.state == storage::session_state::verified);
}

// Regression: the retry budget of a provider starts over whenever it
// delivers; a long sync with a transient failure now and then completes.
BOOST_AUTO_TEST_CASE(transient_failures_spread_over_a_long_sync_never_exhaust_the_retry_budget) {
  provider_node p;
  p.start(4u << 20);
  std::atomic<int> chunk_requests{0};
  relay r(
    p.address(),
    [&](const messages::snapshots_request& q) {
      if (std::holds_alternative<messages::chunk_request>(q.body) && ++chunk_requests % 7 == 0)
        return relay_verdict::reset;
      return relay_verdict::forward;
    },
    nullptr);
  swarm_consumer c;
  c.start({.peers = {r.address()}, .trust = trusting(p.id), .max_retries = 2});
  auto started = c.sync({r.peer()});
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  const auto s = c.status_of(id);
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed") > 2u); // more failures than the budget
  BOOST_TEST(s.chunk_writes == *s.total_chunks);
  require_same_state(*c.n, *p.n);
}

// A provider that prunes the snapshot a consumer is fetching ends that
// consumer's job with a clear error instead of crashing.
BOOST_AUTO_TEST_CASE(a_snapshot_pruned_while_it_is_served_ends_the_job_with_a_clear_error) {
  provider_node p;
  p.start(8u << 20, false, slowed(1u << 20));
  swarm_consumer c;
  c.start({.peers = {p.address()}, .trust = trusting(p.id), .max_retries = 1});
  auto started = c.sync({id_of(p)});
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(eventually([&] { return c.status_of(id).chunks_applied >= 2; }));
  for (const char* k : {"one", "two"}) {
    BOOST_REQUIRE(p.n->db().put_state(as_bytes(std::string_view(k)), as_bytes(std::string_view(k))).has_value());
    BOOST_REQUIRE(run_on(*p.n, p.n->control().create_snapshot()).has_value());
  }
  BOOST_REQUIRE(c.reaches(id, session_state::failed));
  const auto s = c.status_of(id);
  BOOST_TEST(s.error->find("served") != std::string::npos, *s.error); // "no longer served" / "not served here"
  BOOST_TEST(run_on(*p.n, p.n->control().metrics()).has_value()); // the provider is fine
}

// A provider's refusal text reaches the status and the event stream: quotes,
// control bytes and invalid UTF-8 in it come out as valid JSON and UTF-8.
BOOST_AUTO_TEST_CASE(a_hostile_refusal_text_is_carried_as_valid_json_and_utf8) {
  provider_node p;
  p.start(1u << 20);
  const std::string hostile = std::string("no \"way\"\\ \x01\n\xff\xc3(") + "}";
  relay r(p.address(), nullptr, [&](const messages::snapshots_request&, messages::snapshots_response& resp) {
    if (!std::holds_alternative<messages::plan_response>(resp.body)) return false;
    resp.body = messages::error_message{hostile, messages::refusal_code::saturated};
    return true;
  });
  swarm_consumer c;
  c.start({.peers = {r.address()}, .trust = trusting(p.id), .max_retries = 0});
  auto started = c.sync({r.peer()});
  BOOST_REQUIRE(started.has_value());
  BOOST_REQUIRE(c.reaches(started->session, session_state::failed));
  const auto s = c.status_of(started->session);
  BOOST_TEST(s.error->find("no \"way\"\\ \x01\n\xEF\xBF\xBD\xEF\xBF\xBD(}") != std::string::npos, *s.error);
  std::size_t checked = 0;
  for (const auto& e : events(*c.n)) {
    if (e.type != "SnapshotStreamFailed") continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(e.json, ec);
    BOOST_REQUIRE_MESSAGE(!ec, e.json);
    const std::string error(v.at("error").as_string());
    BOOST_TEST(error.find("\xEF\xBF\xBD") != std::string::npos);
    ++checked;
  }
  BOOST_TEST(checked == 1u);
}

// A node keeps its newest snapshots servable, also when it restarts with a
// lower retention than it ran with.
BOOST_AUTO_TEST_CASE(a_restart_with_a_lower_retention_prunes_the_oldest_snapshots) {
  provider_node p;
  provider_config keep_all;
  keep_all.retain_snapshots = 5;
  p.start(1u << 20, false, keep_all);
  for (const char* k : {"one", "two"}) {
    BOOST_REQUIRE(p.n->db().put_state(as_bytes(std::string_view(k)), as_bytes(std::string_view(k))).has_value());
    BOOST_REQUIRE(run_on(*p.n, p.n->control().create_snapshot()).has_value());
  }
  BOOST_REQUIRE_EQUAL(storage::snapshot_store(p.n->db()).list()->size(), 3u);
  p.n->stop();
  p.n.reset();
  p.start(0); // default retention: 2
  const auto left = storage::snapshot_store(p.n->db()).list();
  BOOST_REQUIRE(left.has_value());
  BOOST_REQUIRE_EQUAL(left->size(), 2u);
  BOOST_TEST(left->front().height == 2u);
  BOOST_TEST(left->back().height == 3u);
}

// The sync supervisor reads a stored job through the persistence writer,
// queued behind every write sent before it: an operator's resume of a
// stopped job waits while the writer's queue is held, then resumes from the
// durable record and completes.
BOOST_AUTO_TEST_CASE(a_resume_reads_the_stored_job_through_the_persistence_writer) {
  // Given a stopped job with some chunks applied, and the writer's queue held
  provider_node p;
  p.start(4u << 20, false, slowed(1u << 20));
  swarm_consumer c;
  c.start({.peers = {p.address()}, .trust = trusting(p.id), .auto_resume = false, .gated_writer = true});
  auto started = c.sync({id_of(p)});
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(eventually([&] { return c.status_of(id).chunks_applied >= 3; }));
  c.restart(); // no automatic resume: the job stays as stored
  const auto stopped = c.status_of(id);
  BOOST_REQUIRE(stopped.state == session_state::syncing);
  c.hold_writes();
  // When the operator resumes it
  start_command cmd;
  cmd.resume = start_command::resume_spec{id, std::nullopt, std::nullopt, std::nullopt};
  auto resumed = asio::co_spawn(c.n->executor(), c.n->control().start_session(std::move(cmd)), asio::use_future);
  // Then the read of its record waits in the writer's queue, and so does the answer
  BOOST_REQUIRE(eventually([&] { return c.held_by_gate() == std::vector<std::string>{"load"}; }, 10s));
  BOOST_TEST((resumed.wait_for(0s) == std::future_status::timeout));
  // And once the queue moves, the job resumes from its durable cursor and completes
  c.release_writes();
  const auto answer = resumed.get();
  BOOST_REQUIRE_MESSAGE(answer.has_value(), answer.error().message());
  BOOST_TEST(answer->session == id);
  BOOST_TEST(answer->chunks_applied >= stopped.chunks_applied);
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  const auto s = c.status_of(id);
  BOOST_TEST(s.chunk_writes == *s.total_chunks);
  require_same_state(*c.n, *p.n);
}
