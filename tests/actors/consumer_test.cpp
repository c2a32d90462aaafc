#define BOOST_TEST_MODULE actors_consumer
#include <boost/test/unit_test.hpp>

#include "tests/actors/node_harness.hpp"

#include "actors/node_actor.hpp"

#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"
#include "storage/served_store.hpp"
#include "storage/session_store.hpp"

#include <boost/asio/io_context.hpp>

using namespace snapstream;
using namespace snapstream::actors;
using namespace snapstream::actors::test;

namespace {

std::uint64_t chunk_payload_bytes(const snapshot_info& s) { return s.total_bytes + 4 * s.page_count; }

storage::session_record stored_record(node& n, std::uint64_t id) {
  auto s = storage::session_store(n.db()).load(id);
  BOOST_REQUIRE(s.has_value() && s->has_value());
  return (*s)->record;
}

std::uint64_t state_records(node& n) {
  auto d = n.db().digest_state();
  BOOST_REQUIRE(d.has_value());
  return d->record_count;
}

void require_same_state(node& a, node& b) {
  auto da = a.db().digest_state();
  auto db = b.db().digest_state();
  BOOST_REQUIRE(da.has_value() && db.has_value());
  BOOST_TEST(da->record_count == db->record_count);
  BOOST_TEST((da->sha256 == db->sha256));
}

/// Steps a hand-driven session once and waits until `until` holds.
void step(consumer_node& c, std::uint64_t id, const std::function<bool(const session_status&)>& until) {
  c.fetch_when_idle(id);
  BOOST_REQUIRE(eventually([&] { return until(status(*c.n, id)); }));
}

/// Steps an ack and waits until the provider has made it durable.
void step_ack(consumer_node& c, provider_node& p, std::uint64_t id,
              const std::function<bool(const storage::served_record&)>& confirmed) {
  c.fetch_when_idle(id);
  BOOST_REQUIRE(eventually([&] {
    auto r = served(*p.n, id, c.id);
    return r && confirmed(*r);
  }));
}

} // namespace

BOOST_AUTO_TEST_CASE(two_nodes_sync_a_64_mib_state_over_loopback_libp2p) {
  provider_node p;
  p.start(64u << 20);
  consumer_node c;
  c.start(p.address(), trusting(p.id));
  auto started = c.sync(p.id.id().to_string(), 1u << 20);
  BOOST_REQUIRE_MESSAGE(started.has_value(), started.error().message());
  const auto id = started->session;
  BOOST_REQUIRE(c.reaches(id, session_state::verified, 300s));
  auto s = status(*c.n, id);
  BOOST_TEST(s.verified);
  BOOST_TEST(*s.plan_id == p.snapshot.plan_id);
  BOOST_TEST(s.root == p.snapshot.plan_id);
  BOOST_TEST(s.bytes_received == chunk_payload_bytes(p.snapshot));
  BOOST_TEST(*s.last_chunk_index + 1 == *s.total_chunks);
  require_same_state(*c.n, *p.n);
  BOOST_TEST(count_events(*c.n, "HeadVerified", "\"state_root\":\"" + p.snapshot.plan_id + "\"") == 1u);
  // One request at a time, all the way: the provider never had to refuse one.
  const auto provided = stats_of_provider(*p.n);
  BOOST_TEST(provided.backpressure_refusals == 0u);
  // 1.3.0: each chunk request carried the ack of an earlier artefact, so a
  // chunk cost one request, not two (a chunk and its ack).
  BOOST_TEST(provided.carried_acks + 2 >= *s.total_chunks);
  BOOST_TEST(provided.requests_served * 4 < *s.total_chunks * 5, provided.requests_served << " requests for "
                                                                   << *s.total_chunks << " chunks");
  auto metrics = run_on(*c.n, c.n->control().metrics());
  BOOST_REQUIRE(metrics.has_value());
  BOOST_TEST(metrics->bytes_received == s.bytes_received);
  BOOST_TEST(metrics->latency_count > *s.total_chunks);
  // Every chunk after the first was requested the moment the one before it
  // arrived, before that one was verified (still one request at a time:
  // no backpressure refusal above).
  BOOST_TEST(metrics->chunks_asked_ahead + 1 == *s.total_chunks);
}

BOOST_AUTO_TEST_CASE(a_second_fetch_while_a_request_is_in_flight_gets_backpressure) {
  provider_node p;
  p.start(2u << 20, /*gated=*/true);
  consumer_node c;
  c.start(p.address(), trusting(p.id), /*auto_advance=*/false);
  auto started = c.sync(p.id.id().to_string());
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  p.hold();
  BOOST_REQUIRE(fetch(*c.n, id).has_value()); // the plan request, now held by the provider
  auto second = fetch(*c.n, id);
  BOOST_REQUIRE(!second.has_value());
  BOOST_TEST(second.error().is(session_errc::backpressure));
  BOOST_TEST(second.error().message() == "backpressure: session " + std::to_string(id) +
                                           " has a plan request in flight");
  p.release();
  BOOST_REQUIRE(eventually([&] { return status(*c.n, id).plan_id.has_value(); }));
  // Nothing was queued: the session is idle until asked again.
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(!status(*c.n, id).last_update_index.has_value());
  BOOST_TEST(stats_of_provider(*p.n).backpressure_refusals == 0u);
}

BOOST_AUTO_TEST_CASE(fetches_sent_during_an_automatic_sync_never_cause_a_second_request) {
  provider_node p;
  p.start(8u << 20);
  consumer_node c;
  c.start(p.address(), trusting(p.id));
  auto started = c.sync(p.id.id().to_string(), 65536);
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  std::size_t refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = fetch(*c.n, id);
    if (!r && r.error().is(session_errc::backpressure)) ++refused;
    if (!r && !r.error().is(session_errc::backpressure)) break; // the session finished
  }
  BOOST_TEST(refused > 0u);
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  require_same_state(*c.n, *p.n);
  BOOST_TEST(stats_of_provider(*p.n).backpressure_refusals == 0u);
}

BOOST_AUTO_TEST_CASE(a_consumer_stopped_at_any_point_resumes_to_an_identical_state) {
  provider_node p;
  p.start(4u << 20, /*gated=*/true);
  const std::string provider = p.id.id().to_string();
  enum class point { mid_plan, after_plan_write, after_chunk_write_before_ack, after_ack_before_next_request };
  for (auto where : {point::mid_plan, point::after_plan_write, point::after_chunk_write_before_ack,
                     point::after_ack_before_next_request}) {
    BOOST_TEST_CONTEXT("stop point " << static_cast<int>(where)) {
      consumer_node c;
      c.start(p.address(), trusting(p.id), /*auto_advance=*/false);
      auto started = c.sync(provider);
      BOOST_REQUIRE(started.has_value());
      const auto id = started->session;
      if (where == point::mid_plan) {
        p.hold();
        BOOST_REQUIRE(fetch(*c.n, id).has_value()); // plan request held at the provider
      } else {
        step(c, id, [](const session_status& s) { return s.plan_id.has_value(); });           // plan
        if (where != point::after_plan_write) {
          c.fetch_when_idle(id);                                                                // ack plan
          step(c, id, [](const session_status& s) { return s.last_update_index.has_value(); }); // update 0
          step_ack(c, p, id, [](const auto& r) { return r.last_confirmed_update == 0u; });
          step(c, id, [](const session_status& s) { return s.last_chunk_index.has_value(); }); // chunk 0
          step_ack(c, p, id, [](const auto& r) { return r.last_confirmed_chunk == 0u; });
          step(c, id, [](const session_status& s) { return s.last_chunk_index == 1u; });      // chunk 1
          if (where == point::after_ack_before_next_request)
            step_ack(c, p, id, [](const auto& r) { return r.last_confirmed_chunk == 1u; });
        }
      }
      const auto durable = storage::session_store(c.n->db()).load(id);
      BOOST_REQUIRE(durable.has_value() && durable->has_value()); // durable since `start` answered
      const auto before = (*durable)->record;
      c.stop();
      p.release();
      // Restart with automatic stepping: the session resumes from its durable cursor.
      c.start(p.address(), trusting(p.id), /*auto_advance=*/true);
      BOOST_REQUIRE(c.reaches(id, session_state::verified));
      require_same_state(*c.n, *p.n);
      const auto after = stored_record(*c.n, id);
      BOOST_TEST(after.bytes_received == chunk_payload_bytes(p.snapshot)); // no chunk counted twice
      BOOST_TEST(after.records_applied == p.snapshot.record_count);
      BOOST_TEST(after.next_chunk_index >= before.next_chunk_index);
    }
  }
}

// With automatic stepping the fetch of chunk k+1 overlaps the write of chunk
// k, so a consumer can stop with artefacts durable on its side whose acks the
// provider never saw (the last update with chunk 0, or chunks k and k+1). Its
// resume must acknowledge all of them, in order, before asking to resume.
BOOST_AUTO_TEST_CASE(a_resume_acknowledges_every_durable_artefact_the_provider_has_not_confirmed) {
  provider_node p;
  p.start(4u << 20, /*gated=*/true);
  const std::string provider = p.id.id().to_string();
  consumer_node c;
  c.start(p.address(), trusting(p.id), /*auto_advance=*/false);
  auto started = c.sync(provider);
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  step(c, id, [](const session_status& s) { return s.plan_id.has_value(); });
  c.fetch_when_idle(id); // ack plan
  step(c, id, [](const session_status& s) { return s.last_update_index.has_value(); });
  step_ack(c, p, id, [](const auto& r) { return r.last_confirmed_update == 0u; });
  step(c, id, [](const session_status& s) { return s.last_chunk_index.has_value(); });
  step_ack(c, p, id, [](const auto& r) { return r.last_confirmed_chunk == 0u; });
  step(c, id, [](const session_status& s) { return s.last_chunk_index == 1u; });
  c.stop();
  // The consumer holds update 0 and chunks 0 and 1; the provider forgets
  // every ack, as if none had reached it before the consumer stopped.
  p.restart_editing([&](storage::db& db) {
    storage::served_store store(db);
    auto r = store.load(id, c.id.id().to_string());
    BOOST_REQUIRE(r.has_value() && r->has_value());
    auto rec = **r;
    rec.last_confirmed_chunk.reset();
    rec.last_confirmed_update.reset();
    BOOST_REQUIRE(store.save(rec).has_value());
  });
  c.start(p.address(), trusting(p.id), /*auto_advance=*/true);
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  require_same_state(*c.n, *p.n);
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed") == 0u);
  const auto after = stored_record(*c.n, id);
  BOOST_TEST(after.bytes_received == chunk_payload_bytes(p.snapshot));
}

BOOST_AUTO_TEST_CASE(a_provider_that_serves_a_corrupted_page_is_caught_and_nothing_of_the_chunk_is_applied) {
  provider_node p;
  p.start(4u << 20);
  // A proxy with its own identity relays to the real provider and flips one
  // byte inside the first page of chunk 3.
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  auto liar_id = libp2p::identity::generate();
  net::host liar(io.get_executor(), liar_id);
  const auto upstream = p.address();
  struct relay {
    static asio::awaitable<result<shared_bytes>> serve(net::host* h, libp2p::multiaddr target, std::string protocol,
                                                       byte_buffer request) {
      // Upstream on the version the consumer negotiated, whichever it is.
      const auto version = *messages::version_of(protocol);
      const auto encoding = messages::encoding_of(version);
      std::vector<net::protocol_spec> spec;
      for (auto& s : net::snapshot_protocols())
        if (s.id == protocol) spec.push_back(s);
      auto reply = co_await h->request(target, std::move(spec), std::move(request), 20s);
      if (!reply) co_return reply.error();
      const messages::decode_options options{messages::max_response_size(version), version};
      auto decoded = messages::decode_response(reply->body, options);
      if (decoded) {
        if (auto* c = std::get_if<messages::chunk_response>(&decoded->body); c && c->chunk_index == 3) {
          auto bytes = *c->chunk;
          bytes[20] ^= 0x01;
          c->chunk = std::make_shared<const byte_buffer>(std::move(bytes));
          auto out = std::make_shared<byte_buffer>();
          messages::encode(*decoded, encoding, *out);
          co_return out;
        }
      }
      co_return std::make_shared<const byte_buffer>(reply->body.begin(), reply->body.end());
    }
  };
  libp2p::multiaddr liar_address;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    liar_address = *liar.listen(loopback());
    net::host* h = &liar;
    liar.set_request_handler(net::snapshot_protocols(), [h, upstream](libp2p::peer_id, std::string protocol,
                                                                       byte_buffer request) {
      return relay::serve(h, upstream, std::move(protocol), std::move(request));
    });
    co_return;
  }, asio::use_future).get();

  consumer_node c;
  c.start(liar_address, trusting(p.id)); // the snapshot is signed by the real provider
  auto started = c.sync(liar_id.id().to_string(), 16384);
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(c.reaches(id, session_state::failed));
  auto s = status(*c.n, id);
  BOOST_TEST(*s.error_code == "checksum");
  BOOST_TEST(s.error->find("chunk 3: page") != std::string::npos, *s.error);
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed", "\"error_code\":\"checksum\"") == 1u);
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed", "\"retry_in_ms\":null") == 1u);
  // Chunks 0-2 are applied, chunk 3 not at all (once the failure, sent after
  // chunk 2's write, is durable too).
  BOOST_REQUIRE(eventually([&] { return stored_record(*c.n, id).state == storage::session_state::failed; }));
  const auto rec = stored_record(*c.n, id);
  BOOST_TEST(rec.next_chunk_index == 3u);
  BOOST_TEST(state_records(*c.n) == rec.records_applied);
  // A peer that lied is not retried.
  std::this_thread::sleep_for(1s);
  BOOST_TEST(status(*c.n, id).retries == 0u);
  BOOST_TEST(status(*c.n, id).state == session_state::failed);

  c.stop();
  asio::co_spawn(io, liar.stop(), asio::use_future).get();
  guard.reset();
  io_thread.join();
}

BOOST_AUTO_TEST_CASE(updates_signed_by_an_untrusted_key_fail_authentication_without_retry) {
  provider_node p;
  p.start(1u << 20);
  consumer_node c;
  c.start(p.address(), trusting(libp2p::identity::generate()));
  auto started = c.sync(p.id.id().to_string());
  BOOST_REQUIRE(started.has_value());
  BOOST_REQUIRE(c.reaches(started->session, session_state::failed));
  auto s = status(*c.n, started->session);
  BOOST_TEST(*s.error_code == "authentication");
  BOOST_TEST(s.error->starts_with("update 0: "), *s.error);
  BOOST_TEST(state_records(*c.n) == 0u);
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(status(*c.n, started->session).retries == 0u);
}

BOOST_AUTO_TEST_CASE(a_saturated_provider_is_retried_with_backoff) {
  provider_node p;
  provider_config limits;
  limits.sessions.max_active_sessions = 0;
  p.start(1u << 20, false, limits);
  consumer_node c;
  c.start(p.address(), trusting(p.id));
  auto started = c.sync(p.id.id().to_string());
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(eventually([&] { return status(*c.n, id).retries >= 2; }));
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed", "\"error_code\":\"saturated\"") >= 2u);
  auto s = status(*c.n, id);
  BOOST_TEST(s.error->find("snapshot provider saturated: 0 active sessions (limit 0)") != std::string::npos,
             *s.error);
  BOOST_REQUIRE(run_on(*c.n, c.n->control().cancel_session(id)).has_value());
}

BOOST_AUTO_TEST_CASE(a_provider_restart_mid_sync_is_a_network_failure_that_resumes_to_the_same_state) {
  provider_node p;
  p.start(16u << 20, /*gated=*/true);
  consumer_node c;
  c.start(p.address(), trusting(p.id));
  auto started = c.sync(p.id.id().to_string(), 65536);
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  BOOST_REQUIRE(eventually([&] { return status(*c.n, id).last_chunk_index >= 2u; }));
  p.hold();
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(status(*c.n, id).state == session_state::syncing);
  p.restart(); // same identity, data and port; the held request dies with the old node
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  require_same_state(*c.n, *p.n);
  BOOST_TEST(count_events(*c.n, "SnapshotStreamFailed", "\"error_code\":\"network\"") >= 1u);
  BOOST_TEST(status(*c.n, id).bytes_received == chunk_payload_bytes(p.snapshot));
}

BOOST_AUTO_TEST_CASE(cancel_removes_the_status_and_the_providers_record) {
  provider_node p;
  p.start(2u << 20);
  consumer_node c;
  c.start(p.address(), trusting(p.id), /*auto_advance=*/false);
  auto started = c.sync(p.id.id().to_string());
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  step(c, id, [](const session_status& s) { return s.plan_id.has_value(); });
  BOOST_REQUIRE(storage::served_store(p.n->db()).load(id, c.id.id().to_string())->has_value());
  BOOST_REQUIRE(run_on(*c.n, c.n->control().cancel_session(id)).has_value());
  auto gone = run_on(*c.n, c.n->control().session(id));
  BOOST_REQUIRE(!gone.has_value());
  BOOST_TEST(gone.error().is(control_errc::not_found));
  BOOST_REQUIRE(eventually([&] { return !storage::served_store(p.n->db()).load(id, c.id.id().to_string())->has_value(); }));
  BOOST_REQUIRE(eventually([&] { return !storage::session_store(c.n->db()).load(id)->has_value(); }));
  BOOST_TEST(count_events(*c.n, "SessionCancelled") == 1u);
  auto again = run_on(*c.n, c.n->control().cancel_session(id));
  BOOST_TEST(again.error().is(control_errc::not_found));
}

BOOST_AUTO_TEST_CASE(resumes_with_stale_or_out_of_range_offsets_are_refused_naming_the_chunk) {
  provider_node p;
  p.start(2u << 20);
  consumer_node c;
  c.start(p.address(), trusting(p.id), /*auto_advance=*/false, /*auto_resume=*/false);
  const std::string provider = p.id.id().to_string();
  auto started = c.sync(provider);
  BOOST_REQUIRE(started.has_value());
  const auto id = started->session;
  step(c, id, [](const session_status& s) { return s.plan_id.has_value(); });
  c.fetch_when_idle(id); // ack plan
  step(c, id, [](const session_status& s) { return s.last_update_index.has_value(); });
  step_ack(c, p, id, [](const auto& r) { return r.last_confirmed_update == 0u; });
  for (std::uint64_t k = 0; k < 3; ++k) {
    step(c, id, [k](const session_status& s) { return s.last_chunk_index == k; });
    step_ack(c, p, id, [k](const auto& r) { return r.last_confirmed_chunk == k; });
  }
  c.stop();
  c.start(p.address(), trusting(p.id), /*auto_advance=*/true, /*auto_resume=*/false);
  const auto total = *status(*c.n, id).total_chunks;
  auto stale = c.resume(provider, id, 1);
  BOOST_REQUIRE(!stale.has_value());
  BOOST_TEST(stale.error().is(control_errc::resume_rejected));
  BOOST_TEST(stale.error().message().find("resume chunk index 1 precedes next expected chunk 3") != std::string::npos,
             stale.error().message());
  auto beyond = c.resume(provider, id, total + 5);
  BOOST_REQUIRE(!beyond.has_value());
  BOOST_TEST(beyond.error().is(control_errc::resume_rejected));
  BOOST_TEST(beyond.error().message() ==
             "resume chunk index " + std::to_string(total + 5) + " exceeds total " + std::to_string(total));
  // From its durable cursor the session resumes and completes.
  auto ok = c.resume(provider, id);
  BOOST_REQUIRE_MESSAGE(ok.has_value(), ok.error().message());
  BOOST_TEST(*ok->last_chunk_index == 2u);
  BOOST_REQUIRE(c.reaches(id, session_state::verified));
  require_same_state(*c.n, *p.n);
}

BOOST_AUTO_TEST_CASE(a_restarted_node_reports_completed_sessions_as_verified) {
  provider_node p;
  p.start(1u << 20);
  consumer_node c;
  c.start(p.address(), trusting(p.id));
  auto started = c.sync(p.id.id().to_string());
  BOOST_REQUIRE(started.has_value());
  BOOST_REQUIRE(c.reaches(started->session, session_state::verified));
  c.stop();
  c.start(p.address(), trusting(p.id));
  auto s = status(*c.n, started->session);
  BOOST_TEST(s.verified);
  BOOST_TEST(s.state == session_state::verified);
  BOOST_TEST(*s.plan_id == p.snapshot.plan_id);
}

BOOST_AUTO_TEST_CASE(starting_with_bad_arguments_is_refused) {
  consumer_node c;
  auto nobody = loopback(1);
  nobody.peer = libp2p::identity::generate().id();
  c.start(nobody, {});
  auto bad_peer = c.sync("not-a-peer-id");
  BOOST_REQUIRE(!bad_peer.has_value());
  BOOST_TEST(bad_peer.error().is(control_errc::invalid_argument));
  BOOST_TEST(bad_peer.error().message().starts_with("invalid peer id: "));
  auto zero = c.sync(libp2p::identity::generate().id().to_string(), 0);
  BOOST_TEST(zero.error().message() == "chunk_size must be greater than zero");
  auto untrusting = c.sync(libp2p::identity::generate().id().to_string());
  BOOST_TEST(untrusting.error().is(control_errc::invalid_argument));
  BOOST_TEST(untrusting.error().message().starts_with("this node trusts no snapshot authority"));
  c.stop();
  c.start(nobody, trusting(libp2p::identity::generate()));
  auto unknown = c.resume(libp2p::identity::generate().id().to_string(), 42);
  BOOST_TEST(unknown.error().is(control_errc::not_found));
  BOOST_TEST(unknown.error().message() == "unknown snapshot session 42");
}

BOOST_AUTO_TEST_CASE(the_node_actor_routes_commands_and_fails_fast_when_an_essential_child_dies) {
  provider_node p;
  p.start(1u << 20);
  caf::scoped_actor self{p.n->system()};
  node_children kids;
  self->request(p.n->root(), 10s, node_children_atom::value)
    .receive([&](node_children& k) { kids = k; }, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_TEST((kids.provider == p.n->provider()));
  BOOST_TEST((kids.supervisor == p.n->supervisor()));
  BOOST_TEST((kids.events == p.n->events()));
  BOOST_REQUIRE(kids.writer);
  // Commands sent to the root reach the provider (delegation).
  auto breakers = run_on(*p.n, p.n->control().breakers());
  BOOST_REQUIRE(breakers.has_value());
  BOOST_TEST(breakers->empty());
  auto sessions = run_on(*p.n, p.n->control().sessions());
  BOOST_REQUIRE(sessions.has_value());
  BOOST_TEST(!p.n->failed());
  // The provider dies of an error: the node does not limp on without it.
  self->monitor(p.n->root());
  self->send_exit(kids.provider, caf::exit_reason::kill);
  bool root_down = false;
  self->receive([&](const caf::down_msg& dm) { root_down = dm.source == p.n->root().address(); },
                caf::after(10s) >> [] {});
  BOOST_TEST(root_down);
  BOOST_TEST(eventually([&] { return p.n->failed(); }, 10s));
  // The other children went down with it.
  const auto goes_down = [&](const auto& child) {
    self->monitor(child);
    bool down = false;
    self->receive([&](const caf::down_msg&) { down = true; }, caf::after(10s) >> [] {});
    return down;
  };
  BOOST_TEST(goes_down(kids.supervisor));
  BOOST_TEST(goes_down(kids.events));
  // Commands now fail with a typed error instead of hanging.
  auto after = run_on(*p.n, p.n->control().sessions());
  BOOST_TEST(!after.has_value());
}
