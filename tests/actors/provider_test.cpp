#define BOOST_TEST_MODULE actors_provider
#include <boost/test/unit_test.hpp>

#include "actors/atoms.hpp"
#include "actors/bridge.hpp"
#include "actors/provider_actor.hpp"
#include "actors/snapshot_transport.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "protocol/snapshot/offer.hpp"
#include "protocol/snapshot/plan.hpp"
#include "storage/session_store.hpp"
#include "storage/state_loader.hpp"
#include "tests/actors/node_harness.hpp"
#include "tests/storage/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <deque>
#include <thread>

using namespace snapstream;
using namespace snapstream::actors;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using messages::ack_kind;
using messages::protocol_version;
using messages::refusal_code;

namespace {

const std::string consumer = "12D3KooWconsumer";

using release_atom = caf::atom_constant<caf::atom("release")>;
using held_atom = caf::atom_constant<caf::atom("held")>;

/// A storage worker (it implements `storage_worker_actor`) that holds every
/// task until released, so a test can keep a request in flight for as long
/// as it needs.
using gated_worker_actor = storage_worker_actor::extend<caf::reacts_to<release_atom>,
                                                        caf::replies_to<held_atom>::with<std::size_t>>;

gated_worker_actor::behavior_type gated_worker(gated_worker_actor::pointer self) {
  using promise = caf::typed_response_promise<result<storage_task_output>>;
  auto held = std::make_shared<std::deque<std::pair<storage_task, promise>>>();
  return {
    [self, held](storage_task& task) -> caf::result<result<storage_task_output>> {
      auto rp = self->make_response_promise<result<storage_task_output>>();
      held->emplace_back(std::move(task), rp);
      return rp;
    },
    [held](release_atom) {
      while (!held->empty()) {
        auto [task, rp] = std::move(held->front());
        held->pop_front();
        rp.deliver(task());
      }
    },
    [held](held_atom) { return held->size(); },
  };
}

struct fixture {
  storage::test::temp_dir dir;
  std::shared_ptr<storage::db> db;
  snapshot::authority_key key = *snapshot::authority_key::generate();
  storage::snapshot_info info;
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  provider_actor provider;
  gated_worker_actor gate; // a gated storage worker, when a test uses one

  fixture() {
    db = std::move(*storage::db::open(dir.path()));
    BOOST_REQUIRE(storage::generate_state(*db, 3u << 20, 42).has_value());
    storage::build_options build;
    build.height = 1;
    build.page_size = 16384;
    auto built = storage::snapshot_store(*db).build(build, key);
    BOOST_REQUIRE(built.has_value());
    info = *built;
  }

  ~fixture() {
    stop();
    // A gate still holding tasks would keep the actor system from shutting down.
    if (gate) self->send_exit(gate, caf::exit_reason::user_shutdown);
  }

  /// Waits until the gate holds `n` tasks; releasing earlier would race the
  /// provider's hand-off and leave the task held forever.
  void await_held(std::size_t n) {
    for (int i = 0; i < 2000; ++i) {
      std::size_t count = 0;
      self->request(gate, 5s, held_atom::value).receive([&](std::size_t c) { count = c; },
                                                        [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
      if (count >= n) return;
      std::this_thread::sleep_for(5ms);
    }
    BOOST_FAIL("the gate never held " << n << " tasks");
  }

  void start(provider_config config = {}) {
    config.chunk_sizes.min_size = 16384;
    provider = spawn_provider(system, db, key, config);
  }

  void stop() {
    if (!provider) return;
    self->monitor(provider);
    self->send_exit(provider, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {});
    provider = nullptr;
  }

  /// Asks the provider as a peer speaking `version` would, and decodes the
  /// answer as that version does (so a 1.0.0 or 1.1.0 answer with a 1.2.0
  /// field would not decode).
  messages::snapshots_response ask(std::uint64_t session, decltype(messages::snapshots_request::body) body,
                                   protocol_version version = protocol_version::v1_1,
                                   const std::string& peer = consumer) {
    messages::snapshots_request req{session, std::move(body)};
    shared_bytes reply;
    self->request(provider, 30s, serve_atom::value, peer, version, req)
      .receive([&](shared_bytes& b) { reply = std::move(b); },
               [&](caf::error& e) { BOOST_FAIL("provider failed: " << caf::to_string(e)); });
    BOOST_REQUIRE(reply);
    auto decoded = messages::decode_response(*reply, {messages::max_response_size(version), version});
    BOOST_REQUIRE_MESSAGE(decoded.has_value(), "undecodable response: " << decoded.error().message());
    BOOST_TEST(decoded->session_id == session);
    return std::move(*decoded);
  }

  static std::string error_text(const messages::snapshots_response& r) {
    auto* e = std::get_if<messages::error_message>(&r.body);
    return e ? e->message : std::string("<not an error>");
  }

  /// The refusal code of an error response, nullopt when it has none (or is no error).
  static std::optional<refusal_code> code_of(const messages::snapshots_response& r) {
    auto* e = std::get_if<messages::error_message>(&r.body);
    return e ? e->code : std::nullopt;
  }

  /// The offer list of an `offers` response (1.2.0).
  std::vector<snapshot::offer> offers(std::uint64_t session = 90) {
    auto r = ask(session, messages::offers_request{}, protocol_version::v1_2);
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::offers_response>(r.body), error_text(r));
    auto list = snapshot::decode_offers(*std::get<messages::offers_response>(r.body).offers);
    BOOST_REQUIRE_MESSAGE(list.has_value(), list.error().message());
    return std::move(*list);
  }

  /// Builds a snapshot through the provider (which then prunes to its retention).
  storage::snapshot_info build() {
    // A snapshot of an unchanged state would have the root of the last one.
    const std::string key = "zz-build-" + std::to_string(++builds);
    BOOST_REQUIRE(db->put_state(as_bytes(key), as_bytes("v")).has_value());
    result<storage::snapshot_info> built = error{provider_errc::unavailable, "no reply"};
    self->request(provider, 60s, build_snapshot_atom::value)
      .receive([&](result<storage::snapshot_info>& r) { built = std::move(r); },
               [&](caf::error& e) { BOOST_FAIL("provider failed: " << caf::to_string(e)); });
    BOOST_REQUIRE_MESSAGE(built.has_value(), built.error().message());
    return *built;
  }

  provider_stats stats() {
    provider_stats out;
    self->request(provider, 5s, provider_stats_atom::value)
      .receive([&](provider_stats& s) { out = std::move(s); }, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }

  int builds = 0;

  messages::plan_response plan(std::uint64_t session, std::optional<std::uint64_t> chunk_size = 65536,
                               const std::string& peer = consumer) {
    auto r = ask(session, messages::plan_request{chunk_size, {}, {}}, protocol_version::v1_1, peer);
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::plan_response>(r.body), error_text(r));
    return std::get<messages::plan_response>(r.body);
  }

  void ack(std::uint64_t session, ack_kind kind, std::uint64_t index) {
    auto r = ask(session, messages::ack_message{kind, index});
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::ack_message>(r.body), error_text(r));
    BOOST_TEST((std::get<messages::ack_message>(r.body) == messages::ack_message{kind, index}));
  }

  snapshot::trust_config trust() const {
    snapshot::trust_config t;
    t.authorities = {key.public_key()};
    t.threshold = 1;
    return t;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(a_full_session_reassembles_the_providers_state, fixture) {
  start();
  const std::uint64_t session = 11;
  auto p = plan(session);
  BOOST_TEST(*p.chunk_size == 65536u);
  BOOST_TEST(*p.max_concurrent_requests == 1u);
  auto verifier = *snapshot::light_client_verifier::create(trust());
  BOOST_REQUIRE(verifier.accept_plan(*p.plan, *p.chunk_size).has_value());
  BOOST_TEST(verifier.plan_id() == info.plan_id);
  ack(session, ack_kind::plan, 0);
  for (std::uint64_t u = 0; u < verifier.update_count(); ++u) {
    auto r = ask(session, messages::update_request{u});
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::update_response>(r.body), error_text(r));
    BOOST_REQUIRE(verifier.accept_update(u, *std::get<messages::update_response>(r.body).update).has_value());
    ack(session, ack_kind::light_client_update, u);
  }
  storage::test::temp_dir target_dir;
  auto target = std::move(*storage::db::open(target_dir.path()));
  storage::session_store sessions(*target);
  storage::session_record rec;
  rec.session_id = session;
  rec.peer = "provider";
  rec.plan_id = verifier.plan_id();
  for (std::uint64_t c = 0; c < verifier.chunk_count(); ++c) {
    auto r = ask(session, messages::chunk_request{c});
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(r.body), error_text(r));
    const auto& chunk = std::get<messages::chunk_response>(r.body);
    BOOST_TEST(chunk.chunk_index == c);
    auto verified = verifier.accept_chunk(c, *chunk.chunk);
    BOOST_REQUIRE_MESSAGE(verified.has_value(), verified.error().message());
    rec.next_chunk_index = c + 1;
    BOOST_REQUIRE(sessions.apply_chunk(rec, nullptr, *verified).has_value());
    ack(session, ack_kind::chunk, c);
  }
  BOOST_TEST((verifier.stage() == snapshot::verifier_stage::complete));
  BOOST_TEST((*target->digest_state() == *db->digest_state()));
  // Everything is confirmed: the provider's record says so, durably.
  auto stored = storage::served_store(*db).load(session, consumer);
  BOOST_REQUIRE(stored.has_value() && stored->has_value());
  BOOST_TEST(*(*stored)->last_confirmed_chunk == verifier.chunk_count() - 1);
  BOOST_TEST(*(*stored)->last_confirmed_update == verifier.update_count() - 1);
}

BOOST_FIXTURE_TEST_CASE(a_session_that_asks_its_chunks_in_order_gets_each_next_one_read_ahead, fixture) {
  start();
  const std::uint64_t session = 21;
  auto p = plan(session);
  const auto total = storage::served_store(*db).load(session, consumer).value()->total_chunks;
  BOOST_REQUIRE_GE(total, 3u);
  // Chunk 0 is read on request; once it is served, chunk 1 is read ahead ...
  auto first = ask(session, messages::chunk_request{0}, protocol_version::v1_3);
  BOOST_REQUIRE(std::holds_alternative<messages::chunk_response>(first.body));
  BOOST_REQUIRE(test::eventually([&] { return stats().prepared_chunks == 1u; }));
  // ... and answers the request for it, with the bytes a fresh read gives.
  auto second = ask(session, messages::chunk_request{1}, protocol_version::v1_3);
  BOOST_TEST(stats().prepared_hits == 1u);
  plan(session + 1);
  auto fresh = ask(session + 1, messages::chunk_request{1}, protocol_version::v1_3); // another session's first read
  BOOST_REQUIRE(std::holds_alternative<messages::chunk_response>(second.body));
  BOOST_TEST((std::get<messages::chunk_response>(second.body) == std::get<messages::chunk_response>(fresh.body)));
  // A request out of order finds nothing read ahead for it and reads itself.
  BOOST_REQUIRE(test::eventually([&] { return stats().prepared_chunks == 1u; })); // chunk 2, after the in-order 1
  auto last = ask(session, messages::chunk_request{total - 1}, protocol_version::v1_3);
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(last.body));
  BOOST_TEST(stats().prepared_hits == 1u);
  BOOST_TEST(stats().prepared_chunks == 0u);
}

BOOST_FIXTURE_TEST_CASE(chunks_are_served_in_the_negotiated_encoding_with_the_same_bytes, fixture) {
  start();
  plan(1);
  auto r = ask(1, messages::plan_request{65536, {}, {}}, protocol_version::v1_0);
  BOOST_REQUIRE(std::holds_alternative<messages::plan_response>(r.body));
  auto b64 = ask(1, messages::chunk_request{0}, protocol_version::v1_1);
  auto arr = ask(1, messages::chunk_request{0}, protocol_version::v1_0);
  BOOST_TEST((b64 == arr));
}

BOOST_FIXTURE_TEST_CASE(each_resume_rule_answers_with_rpps_text, fixture) {
  start();
  const std::uint64_t session = 5;
  auto p = plan(session);
  ack(session, ack_kind::plan, 0);
  ack(session, ack_kind::light_client_update, 0);
  ack(session, ack_kind::chunk, 0);
  ack(session, ack_kind::chunk, 1);
  auto resume = [&](std::string plan_id, std::uint64_t chunk, std::uint64_t update, std::uint64_t s = 5) {
    return ask(s, messages::resume_request{std::move(plan_id), chunk, update, {}, {}, {}});
  };
  const auto total = storage::served_store(*db).load(session, consumer).value()->total_chunks;
  BOOST_TEST(error_text(resume(info.plan_id, 2, 1, 99)) == "snapshot not found");
  const std::string other(64, 'f');
  BOOST_TEST(error_text(resume(other, 2, 1)) ==
             "resume plan id " + other + " does not match persisted plan " + info.plan_id);
  BOOST_TEST(error_text(resume(info.plan_id, total + 1, 1)) ==
             "resume chunk index " + std::to_string(total + 1) + " exceeds total " + std::to_string(total));
  BOOST_TEST(error_text(resume(info.plan_id, 1, 1)) == "resume chunk index 1 precedes next expected chunk 2");
  BOOST_TEST(error_text(resume(info.plan_id, 3, 1)) == "resume chunk index 3 skips ahead of next expected chunk 2");
  auto ok = resume(info.plan_id, 2, 1);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::resume_response>(ok.body), error_text(ok));
  const auto& body = std::get<messages::resume_response>(ok.body);
  BOOST_TEST(body.chunk_index == 2u);
  BOOST_TEST(body.update_index == 1u);
  BOOST_TEST(*body.chunk_size == *p.chunk_size);
}

BOOST_FIXTURE_TEST_CASE(acks_survive_a_provider_restart_and_reopened_database, fixture) {
  start();
  const std::uint64_t session = 8;
  plan(session);
  ack(session, ack_kind::light_client_update, 0);
  for (std::uint64_t c = 0; c < 3; ++c) ack(session, ack_kind::chunk, c);
  stop();
  db.reset();
  db = std::move(*storage::db::open(dir.path()));
  start();
  auto stale = ask(session, messages::resume_request{info.plan_id, 2, 1, {}, {}, {}});
  BOOST_TEST(error_text(stale) == "resume chunk index 2 precedes next expected chunk 3");
  auto ok = ask(session, messages::resume_request{info.plan_id, 3, 1, {}, {}, {}});
  BOOST_TEST(std::holds_alternative<messages::resume_response>(ok.body));
  auto chunk = ask(session, messages::chunk_request{3});
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(chunk.body));
}

BOOST_FIXTURE_TEST_CASE(acks_carried_by_1_3_0_requests_are_durable_and_bad_ones_refuse_the_request, fixture) {
  start();
  const std::uint64_t session = 13;
  const auto v13 = protocol_version::v1_3;
  auto p = ask(session, messages::plan_request{65536, {}, {}}, v13);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::plan_response>(p.body), error_text(p));
  // The update request carries the plan's ack, each chunk request the ack of
  // what came before it: a whole session without one `ack` request but the last.
  auto u = ask(session, messages::update_request{0, messages::ack_message{ack_kind::plan, 0}}, v13);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::update_response>(u.body), error_text(u));
  auto c0 = ask(session, messages::chunk_request{0, messages::ack_message{ack_kind::light_client_update, 0}}, v13);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(c0.body), error_text(c0));
  auto c1 = ask(session, messages::chunk_request{1, messages::ack_message{ack_kind::chunk, 0}}, v13);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(c1.body), error_text(c1));
  // The same bytes as 1.1.0 serves, framed.
  BOOST_TEST((c0 == ask(session, messages::chunk_request{0}, protocol_version::v1_1)));
  auto stored = storage::served_store(*db).load(session, consumer);
  BOOST_REQUIRE(stored.has_value() && stored->has_value());
  BOOST_TEST(*(*stored)->last_confirmed_update == 0u);
  BOOST_TEST(*(*stored)->last_confirmed_chunk == 0u);
  BOOST_TEST(stats().carried_acks == 3u);

  // An ack that skips ahead refuses the whole request: nothing is served or confirmed.
  auto bad = ask(session, messages::chunk_request{2, messages::ack_message{ack_kind::chunk, 5}}, v13);
  BOOST_TEST(error_text(bad) == "ack chunk index 5 skips ahead of next expected chunk 1");
  BOOST_TEST((code_of(bad) == std::optional(refusal_code::invalid_request)));
  stored = storage::served_store(*db).load(session, consumer);
  BOOST_TEST(*(*stored)->last_confirmed_chunk == 0u);
  BOOST_TEST(stats().carried_acks == 3u);
  // A repeated ack is harmless, as a separate one is.
  auto again = ask(session, messages::chunk_request{1, messages::ack_message{ack_kind::chunk, 0}}, v13);
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(again.body));
  // And a resume sees the carried acks as confirmed.
  auto resumed = ask(session, messages::resume_request{info.plan_id, 1, 1, {}, {}, {}}, v13);
  BOOST_TEST(std::holds_alternative<messages::resume_response>(resumed.body), error_text(resumed));
}

BOOST_FIXTURE_TEST_CASE(a_concurrent_request_of_one_session_gets_backpressure, fixture) {
  gate = system.spawn(gated_worker);
  provider_config config;
  config.workers = gate;
  start(config);
  // The plan request is held in the gate: release it.
  messages::snapshots_request plan_req{3, messages::plan_request{65536, {}, {}}};
  auto pending_plan = self->request(provider, 30s, serve_atom::value, consumer, protocol_version::v1_1, plan_req);
  await_held(1);
  self->send(gate, release_atom::value);
  pending_plan.receive([](shared_bytes&) {}, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  // Chunk 0 stays in flight in the gate while chunk 1 arrives.
  messages::snapshots_request first{3, messages::chunk_request{0}};
  auto in_flight = self->request(provider, 30s, serve_atom::value, consumer, protocol_version::v1_1, first);
  await_held(1);
  auto second = ask(3, messages::chunk_request{1});
  BOOST_TEST(error_text(second) == "backpressure: session 3 already has a request in flight");
  // Another session is not affected by session 3's request.
  auto other = ask(4, messages::chunk_request{0});
  BOOST_TEST(error_text(other) == "snapshot session 4 not found");
  self->send(gate, release_atom::value);
  shared_bytes reply;
  in_flight.receive([&](shared_bytes& b) { reply = b; }, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  auto decoded = messages::decode_response(*reply, {messages::max_response_size_v1_1});
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(decoded->body));
}

BOOST_FIXTURE_TEST_CASE(the_inbound_session_cap_refuses_new_sessions_but_serves_admitted_ones, fixture) {
  provider_config config;
  config.sessions.max_active_sessions = 2;
  start(config);
  plan(1);
  plan(2);
  auto third = ask(3, messages::plan_request{65536, {}, {}});
  BOOST_TEST(error_text(third) ==
             "snapshot provider saturated: 2 active sessions (limit 2); please retry later with backoff");
  auto chunk = ask(1, messages::chunk_request{0});
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(chunk.body));
  // Cancelling one frees a place.
  auto cancelled = ask(2, messages::error_message{"operator cancelled"});
  BOOST_TEST((std::get<messages::ack_message>(cancelled.body) == messages::ack_message{ack_kind::error, 0}));
  BOOST_TEST(!storage::served_store(*db).load(2, consumer).value().has_value());
  plan(3);
}

// One peer's flood of plan requests: each new session past its share is
// refused as saturated (code on 1.2.0), while an honest peer is planned and
// served, and the flooder's admitted sessions go on.
BOOST_FIXTURE_TEST_CASE(a_flood_of_sessions_from_one_peer_leaves_room_for_an_honest_one, fixture) {
  provider_config config;
  config.sessions.max_active_sessions = 8;
  config.sessions.max_active_per_peer = 3;
  start(config);
  const std::string flooder = "12D3KooWflooder";
  std::size_t planned = 0, saturated = 0;
  for (std::uint64_t s = 1; s <= 200; ++s) {
    auto r = ask(s, messages::plan_request{65536, {}, {}}, protocol_version::v1_2, flooder);
    if (std::holds_alternative<messages::plan_response>(r.body)) ++planned;
    else if (code_of(r) == refusal_code::saturated) ++saturated;
  }
  BOOST_TEST(planned == 3u);
  BOOST_TEST(saturated == 197u);
  // Its records on disk are the three admitted sessions only: refusals cost no write.
  auto stored = storage::served_store(*db).load_all();
  BOOST_REQUIRE(stored.has_value());
  BOOST_TEST(stored->size() == 3u);
  // The honest peer is planned and served in the middle of it.
  plan(1000);
  auto chunk = ask(1000, messages::chunk_request{0});
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(chunk.body), error_text(chunk));
  auto flooders_own = ask(2, messages::chunk_request{0}, protocol_version::v1_2, flooder);
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(flooders_own.body), error_text(flooders_own));
  BOOST_TEST(stats().active_sessions == 4u);
}

// A session nobody asked about for the record expiry is forgotten: its
// record is erased from disk, a resume is refused as not found, and the
// counter says so. A live session is not touched.
BOOST_FIXTURE_TEST_CASE(sessions_without_requests_expire_and_their_records_are_erased, fixture) {
  provider_config config;
  config.sessions.record_expiry = 300ms;
  start(config);
  plan(1);
  plan(2);
  const auto plan_id = info.plan_id;
  // Session 2 keeps asking; session 1 says nothing.
  bool expired = false;
  for (int i = 0; i < 400 && !expired; ++i) {
    ack(2, ack_kind::chunk, 0);
    std::this_thread::sleep_for(10ms);
    expired = stats().sessions_expired == 1u;
  }
  BOOST_REQUIRE_MESSAGE(expired, "session 1 never expired");
  BOOST_TEST(!storage::served_store(*db).load(1, consumer).value().has_value());
  BOOST_TEST(storage::served_store(*db).load(2, consumer).value().has_value());
  messages::resume_request q;
  q.plan_id = plan_id;
  auto resumed = ask(1, q);
  BOOST_TEST(error_text(resumed) == "snapshot not found");
  auto alive = ask(2, messages::chunk_request{1});
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(alive.body), error_text(alive));
}

BOOST_FIXTURE_TEST_CASE(a_misbehaving_peer_trips_only_its_own_breaker_which_half_opens_after_cool_down,
                        fixture) {
  provider_config config;
  config.breakers = {.failure_threshold = 3, .window = 60s, .cool_down = 300ms};
  start(config);
  const std::string mallory = "12D3KooWmallory";
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(error_text(ask(70, messages::chunk_request{0}, protocol_version::v1_1, mallory)) ==
               "snapshot session 70 not found");
  auto refused = error_text(ask(70, messages::plan_request{}, protocol_version::v1_1, mallory));
  BOOST_TEST(refused.starts_with("snapshot provider refuses peer 12D3KooWmallory after repeated failed requests"));
  plan(1); // another peer is served meanwhile
  provider_stats stats;
  self->request(provider, 5s, provider_stats_atom::value).receive([&](provider_stats& s) { stats = s; },
                                                                  [](caf::error&) {});
  BOOST_REQUIRE_EQUAL(stats.breakers.size(), 1u);
  BOOST_TEST(stats.breakers[0].peer == mallory);
  BOOST_TEST((stats.breakers[0].state == breaker_state::open));
  std::this_thread::sleep_for(400ms);
  // Half-open: one trial; it succeeds, so the breaker closes.
  auto trial = ask(71, messages::plan_request{65536, {}, {}}, protocol_version::v1_1, mallory);
  BOOST_TEST(std::holds_alternative<messages::plan_response>(trial.body));
  auto after = ask(71, messages::chunk_request{0}, protocol_version::v1_1, mallory);
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(after.body));
}

BOOST_FIXTURE_TEST_CASE(malformed_requests_are_answered_with_an_error_and_count_against_the_peer, fixture) {
  provider_config config;
  config.breakers = {.failure_threshold = 2, .window = 60s, .cool_down = 60s};
  start(config);
  for (int i = 0; i < 2; ++i) {
    shared_bytes reply;
    self->request(provider, 5s, bad_request_atom::value, consumer, protocol_version::v1_1,
                  std::string("invalid JSON: expected an object"))
      .receive([&](shared_bytes& b) { reply = b; }, [](caf::error&) {});
    auto decoded = messages::decode_response(*reply, {messages::max_response_size_v1_1});
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(error_text(*decoded) == "invalid JSON: expected an object");
  }
  BOOST_TEST(error_text(ask(1, messages::plan_request{})).starts_with("snapshot provider refuses peer"));
}

namespace {

/// Another node's snapshot: the source of the chunks a provider syncs, and
/// so serves in part.
struct source_node {
  storage::test::temp_dir dir;
  std::shared_ptr<storage::db> db;
  snapshot::authority_key key = *snapshot::authority_key::generate();
  storage::snapshot_info info;
  snapshot::plan plan;

  source_node() {
    db = std::move(*storage::db::open(dir.path()));
    BOOST_REQUIRE(storage::generate_state(*db, 2u << 20, 99).has_value());
    storage::build_options build;
    build.height = 5;
    build.page_size = 16384;
    auto built = store().build(build, key);
    BOOST_REQUIRE(built.has_value());
    info = *built;
    plan = *snapshot::decode_plan(*store().read_plan(info.plan_id));
  }

  storage::snapshot_store store() const { return storage::snapshot_store(*db); }

  /// Chunk `index` at `pages_per_chunk`, as this node serves it.
  byte_buffer chunk(std::uint64_t index, std::uint64_t pages_per_chunk) const {
    auto bytes = store().read_chunk(info.plan_id, index, pages_per_chunk);
    BOOST_REQUIRE(bytes.has_value());
    return std::move(*bytes);
  }

  /// Registers this snapshot in `target` as one it syncs: its live state
  /// cleared (it holds records of its own), the plan and the chain.
  void register_in(storage::db& target) const {
    BOOST_REQUIRE(target.clear_state().has_value());
    std::vector<byte_buffer> updates;
    for (std::uint64_t i = 0; i < info.update_count; ++i) updates.push_back(*store().read_update(info.plan_id, i));
    auto registered = storage::snapshot_store(target).register_synced(*store().read_plan(info.plan_id), updates);
    BOOST_REQUIRE_MESSAGE(registered.has_value(), registered.error().message());
  }

  /// Verifies chunk `index` against the plan and applies it in `target`, as
  /// a sync job does.
  void apply_in(storage::db& target, std::uint64_t index, std::uint64_t pages_per_chunk) const {
    // The verified chunk's records are views into these bytes.
    const byte_buffer bytes = chunk(index, pages_per_chunk);
    auto verified = snapshot::verify_chunk(plan, index, pages_per_chunk, bytes);
    BOOST_REQUIRE_MESSAGE(verified.has_value(), verified.error().message());
    storage::session_record job;
    job.session_id = 500;
    job.peer = "source";
    job.plan_id = info.plan_id;
    job.state = storage::session_state::syncing;
    job.chunk_size = pages_per_chunk * plan.page_size;
    job.total_chunks = snapshot::chunk_count(plan.page_count(), pages_per_chunk);
    job.total_updates = info.update_count;
    auto applied = storage::session_store(target).apply_chunk(job, nullptr, *verified);
    BOOST_REQUIRE_MESSAGE(applied.has_value(), applied.error().message());
  }
};

/// A libp2p host serving the provider through the bridge, as a node does,
/// and a client host, both on one I/O thread.
BOOST_FIXTURE_TEST_CASE(the_snapshot_list_is_read_by_a_storage_worker, fixture) {
  // Given a provider whose storage worker holds every task
  gate = system.spawn(gated_worker);
  provider_config config;
  config.workers = gate;
  start(config);
  // When the snapshots are listed
  auto pending = self->request(provider, 30s, list_snapshots_atom::value);
  // Then the read waits in the worker (not on the provider's thread), and
  // its answer comes once the worker ran it
  await_held(1);
  self->send(gate, release_atom::value);
  result<std::vector<storage::snapshot_info>> listed = error{provider_errc::unavailable, "no reply"};
  pending.receive([&](result<std::vector<storage::snapshot_info>>& r) { listed = std::move(r); },
                  [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  BOOST_REQUIRE_MESSAGE(listed.has_value(), listed.error().message());
  BOOST_REQUIRE(listed->size() == 1u);
  BOOST_TEST(listed->front().plan_id == info.plan_id);
}

struct wire {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  net::host server{io.get_executor(), libp2p::identity::generate()};
  net::host client{io.get_executor(), libp2p::identity::generate()};
  bridge b;
  libp2p::multiaddr address;
  std::thread thread;

  wire(caf::actor_system& system, provider_actor provider) : b(system) {
    // Before the I/O thread starts, nothing else touches the hosts.
    auto bound = server.listen(*libp2p::multiaddr::parse("/ip4/127.0.0.1/tcp/0"));
    BOOST_REQUIRE(bound.has_value());
    address = *bound;
    serve_snapshots(server, b, provider, 10s);
    thread = std::thread([this] { io.run(); });
  }

  ~wire() {
    run(stop_hosts(&server, &client));
    work.reset();
    thread.join();
    b.stop();
  }

  static asio::awaitable<void> stop_hosts(net::host* server, net::host* client) {
    co_await client->stop();
    co_await server->stop();
  }

  static asio::awaitable<result<net::response>> send(net::host* client, libp2p::multiaddr to,
                                                     std::vector<net::protocol_spec> protocols,
                                                     messages::snapshots_request request) {
    byte_buffer body;
    messages::encode(request, messages::byte_encoding::base64, body);
    co_return co_await client->request(std::move(to), std::move(protocols), std::move(body), 10s);
  }

  template <class T>
  T run(asio::awaitable<T> op) {
    return asio::co_spawn(io, std::move(op), asio::use_future).get();
  }

  /// Sends `request` offering `protocols` and decodes the response as the
  /// negotiated version; `negotiated` receives that version's protocol id.
  messages::snapshots_response exchange(std::vector<net::protocol_spec> protocols, messages::snapshots_request request,
                                        std::string& negotiated) {
    auto r = run(send(&client, address, std::move(protocols), std::move(request)));
    BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
    negotiated = r->protocol;
    const auto version = messages::version_of(r->protocol);
    BOOST_REQUIRE(version.has_value());
    auto decoded = messages::decode_response(r->body, {messages::max_response_size(*version), *version});
    BOOST_REQUIRE_MESSAGE(decoded.has_value(), decoded.error().message());
    return std::move(*decoded);
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(offers_on_1_2_0_list_the_built_snapshots_newest_first_and_open_no_session, fixture) {
  // Given a provider that built a second snapshot.
  start();
  const auto second = build();
  // When a peer asks what it serves.
  const auto list = offers(7);
  // Then both snapshots are offered, whole, signed by the node's key.
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(to_hex(list[0].state_root) == second.plan_id);
  BOOST_TEST(list[0].height == 2u);
  BOOST_TEST(list[0].update_count == 2u);
  BOOST_TEST(to_hex(list[1].state_root) == info.plan_id);
  BOOST_TEST(list[1].height == 1u);
  BOOST_TEST(list[1].page_size == 16384u);
  BOOST_TEST(list[1].page_count == info.page_count);
  BOOST_TEST(list[1].total_bytes == info.total_bytes);
  for (const auto& o : list) {
    BOOST_TEST(o.complete);
    BOOST_TEST((o.signers == std::vector<snapshot::ed25519_public_key>{key.public_key()}));
  }
  // And no session was opened: none is known, none was stored.
  const auto s = stats();
  BOOST_TEST(s.offers_served == 1u);
  BOOST_TEST(s.known_sessions == 0u);
  BOOST_TEST(s.active_sessions == 0u);
  BOOST_TEST(storage::served_store(*db).load_all()->empty());
  BOOST_TEST(error_text(ask(7, messages::chunk_request{0}, protocol_version::v1_2)) == "snapshot session 7 not found");
}

BOOST_FIXTURE_TEST_CASE(offers_that_do_not_fit_the_response_cap_are_left_out_partial_ones_first, fixture) {
  // Given two complete offers and partial ones whose bitmaps take 8, 16, 8 MiB and 2 bytes.
  auto offer_of = [](std::uint64_t height, bool complete, std::uint64_t pages) {
    snapshot::offer o;
    o.state_root.fill(static_cast<std::uint8_t>(height));
    o.height = height;
    o.page_size = 4096;
    o.page_count = pages;
    o.total_bytes = pages * 4096;
    o.update_count = 1;
    o.complete = complete;
    if (!complete) o.pages.assign(snapshot::offer_bitmap_size(pages), 0x01);
    return o;
  };
  std::vector<snapshot::offer> all{offer_of(9, true, 1u << 27), offer_of(8, true, 3),
                                   offer_of(7, false, 1u << 26), offer_of(6, false, 1u << 27),
                                   offer_of(5, false, 1u << 26), offer_of(4, false, 10)};
  // When they are fitted into one response of 1.2.0.
  const auto kept = offers_within_cap(all, 7, protocol_version::v1_2);
  // Then the complete ones and the partial ones that still fit are kept, in order.
  std::vector<std::uint64_t> heights;
  for (const auto& o : kept) heights.push_back(o.height);
  BOOST_TEST((heights == std::vector<std::uint64_t>{9, 8, 7, 4}));
  messages::snapshots_response r;
  r.session_id = 7;
  r.body = messages::offers_response{std::make_shared<const byte_buffer>(snapshot::encode_offers(kept))};
  BOOST_TEST(messages::encoded_size(r, messages::byte_encoding::base64) <= messages::max_response_size_v1_2);
  // And a list that fits is kept whole.
  std::vector<snapshot::offer> small{offer_of(2, true, 1), offer_of(1, false, 10)};
  BOOST_TEST((offers_within_cap(small, 7, protocol_version::v1_2) == small));
}

BOOST_FIXTURE_TEST_CASE(offers_and_plan_ids_are_unknown_to_a_1_1_0_stream, fixture) {
  // Given a provider served over libp2p, as a node serves it.
  start();
  wire w(system, provider);
  std::string negotiated;
  // When a peer that speaks only 1.1.0 asks for offers, or for a plan by plan_id.
  auto offers_v1_1 = w.exchange({net::snapshots_v1_1()}, {1, messages::offers_request{}}, negotiated);
  BOOST_TEST(negotiated == "/rpp/snapshots/1.1.0");
  auto plan_v1_1 = w.exchange({net::snapshots_v1_1()}, {2, messages::plan_request{65536, {}, {}, info.plan_id}},
                              negotiated);
  // Then both are refused as a 1.1.0 peer refuses them, without a code.
  BOOST_TEST(error_text(offers_v1_1) == "unknown type 'offers'");
  BOOST_TEST(error_text(plan_v1_1) == "unknown field 'plan_id' for a plan request");
  BOOST_TEST(!code_of(offers_v1_1).has_value());
  BOOST_TEST(!code_of(plan_v1_1).has_value());
  // And a peer offering every version gets 1.3.0 (1.2.0's messages, framed), where both are served.
  auto offered = w.exchange(net::snapshot_protocols(), {3, messages::offers_request{}}, negotiated);
  BOOST_TEST(negotiated == "/rpp/snapshots/1.3.0");
  BOOST_REQUIRE(std::holds_alternative<messages::offers_response>(offered.body));
  BOOST_TEST(snapshot::decode_offers(*std::get<messages::offers_response>(offered.body).offers)->size() == 1u);
  auto planned = w.exchange(net::snapshot_protocols(), {4, messages::plan_request{65536, {}, {}, info.plan_id}},
                            negotiated);
  BOOST_TEST(std::holds_alternative<messages::plan_response>(planned.body), error_text(planned));
  // And a refusal on 1.2.0 or later names its code.
  auto unknown = w.exchange(net::snapshot_protocols(), {5, messages::chunk_request{0}}, negotiated);
  BOOST_TEST(error_text(unknown) == "snapshot session 5 not found");
  BOOST_TEST((code_of(unknown) == refusal_code::not_found));
}

BOOST_FIXTURE_TEST_CASE(a_plan_id_plans_a_snapshot_that_is_not_the_latest, fixture) {
  start();
  const auto second = build();
  // Without plan_id: the latest.
  auto latest = ask(1, messages::plan_request{65536, {}, {}}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::plan_response>(latest.body), error_text(latest));
  BOOST_TEST(to_hex(snapshot::decode_plan(*std::get<messages::plan_response>(latest.body).plan)->state_root) ==
             second.plan_id);
  // With the first snapshot's plan_id: that one, whose chain and chunks verify.
  auto r = ask(2, messages::plan_request{65536, {}, {}, info.plan_id}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::plan_response>(r.body), error_text(r));
  const auto& p = std::get<messages::plan_response>(r.body);
  auto verifier = *snapshot::light_client_verifier::create(trust());
  BOOST_REQUIRE(verifier.accept_plan(*p.plan, *p.chunk_size).has_value());
  BOOST_TEST(verifier.plan_id() == info.plan_id);
  BOOST_TEST(verifier.update_count() == 1u);
  auto update = ask(2, messages::update_request{0}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::update_response>(update.body), error_text(update));
  BOOST_REQUIRE(verifier.accept_update(0, *std::get<messages::update_response>(update.body).update).has_value());
  auto chunk = ask(2, messages::chunk_request{0}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(chunk.body), error_text(chunk));
  BOOST_TEST(verifier.accept_chunk(0, *std::get<messages::chunk_response>(chunk.body).chunk).has_value());
  // An unknown (or malformed) plan_id opens no session.
  const std::string unknown(64, 'a');
  auto refused = ask(3, messages::plan_request{65536, {}, {}, unknown}, protocol_version::v1_2);
  BOOST_TEST(error_text(refused) == "snapshot " + unknown + " is not served here");
  BOOST_TEST((code_of(refused) == refusal_code::not_found));
  BOOST_TEST(error_text(ask(3, messages::chunk_request{0}, protocol_version::v1_2)) == "snapshot session 3 not found");
  auto malformed = ask(4, messages::plan_request{65536, {}, {}, std::string("xyz")}, protocol_version::v1_2);
  BOOST_TEST(error_text(malformed) == "snapshot xyz is not served here");
}

BOOST_FIXTURE_TEST_CASE(a_partial_snapshot_serves_the_chunks_whose_pages_are_applied, fixture) {
  // Given a provider syncing another node's snapshot, with chunk 1 (pages 4-7) applied.
  source_node source;
  source.register_in(*db);
  source.apply_in(*db, 1, 4);
  provider_config config;
  config.breakers = {.failure_threshold = 2, .window = 60s, .cool_down = 60s};
  start(config);

  // Then it offers its own snapshot whole and the synced one in part.
  const auto list = offers();
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(to_hex(list[0].state_root) == info.plan_id);
  BOOST_TEST(list[0].complete);
  const auto& partial = list[1];
  BOOST_TEST(to_hex(partial.state_root) == source.info.plan_id);
  BOOST_TEST(!partial.complete);
  BOOST_TEST(partial.height == 5u);
  BOOST_TEST((partial.signers == std::vector<snapshot::ed25519_public_key>{source.key.public_key()}));
  BOOST_TEST(partial.pages_held() == 4u);
  BOOST_TEST(partial.has_pages(4, 8));
  BOOST_TEST(!partial.has_pages(0, 1));

  // When a peer plans it by plan_id (chunks of 4 pages) and asks its chunks.
  const std::uint64_t session = 21;
  auto planned = ask(session, messages::plan_request{65536, {}, {}, source.info.plan_id}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::plan_response>(planned.body), error_text(planned));
  BOOST_TEST(*std::get<messages::plan_response>(planned.body).chunk_size == 65536u);
  auto update = ask(session, messages::update_request{0}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::update_response>(update.body), error_text(update));
  BOOST_TEST((*std::get<messages::update_response>(update.body).update ==
              *source.store().read_update(source.info.plan_id, 0)));

  // Then a chunk it lacks is not available yet, as often as asked, without
  // tripping the peer's breaker or ending its session.
  const std::string lacking =
    "chunk 0 of snapshot " + source.info.plan_id + " is not available here yet";
  for (int i = 0; i < 3; ++i) {
    auto r = ask(session, messages::chunk_request{0}, protocol_version::v1_2);
    BOOST_TEST(error_text(r) == lacking);
    BOOST_TEST((code_of(r) == refusal_code::not_available));
  }
  // And the chunk it holds is served as its source serves it.
  auto held = ask(session, messages::chunk_request{1}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(held.body), error_text(held));
  BOOST_TEST((*std::get<messages::chunk_response>(held.body).chunk == source.chunk(1, 4)));
  auto s = stats();
  BOOST_TEST(s.not_available_refusals == 3u);
  BOOST_TEST(s.breakers.empty());
  BOOST_TEST(s.known_sessions == 1u);

  // When chunk 0 is applied too, it is served.
  source.apply_in(*db, 0, 4);
  auto now_held = ask(session, messages::chunk_request{0}, protocol_version::v1_2);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(now_held.body), error_text(now_held));
  BOOST_TEST((*std::get<messages::chunk_response>(now_held.body).chunk == source.chunk(0, 4)));
  BOOST_TEST(offers()[1].pages_held() == 8u);
}

BOOST_FIXTURE_TEST_CASE(a_snapshot_pruned_while_served_is_refused_as_no_longer_served, fixture) {
  // Given a session of the provider's first snapshot, with retention 2.
  provider_config config;
  config.retain_snapshots = 2;
  start(config);
  const std::uint64_t session = 31;
  plan(session);
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(ask(session, messages::chunk_request{0}).body));
  // When two more snapshots are built, the first is pruned.
  const auto second = build();
  const auto third = build();
  std::vector<std::string> listed;
  for (const auto& i : *storage::snapshot_store(*db).list()) listed.push_back(i.plan_id);
  BOOST_TEST((listed == std::vector<std::string>{second.plan_id, third.plan_id}));
  // Then the session's next requests are refused, not crashed on.
  const std::string gone = "snapshot " + info.plan_id + " is no longer served";
  auto chunk = ask(session, messages::chunk_request{1}, protocol_version::v1_2);
  BOOST_TEST(error_text(chunk) == gone);
  BOOST_TEST((code_of(chunk) == refusal_code::not_found));
  BOOST_TEST(error_text(ask(session, messages::update_request{0}, protocol_version::v1_1)) == gone);
  // And it is not held against the peer: the provider removed the snapshot.
  BOOST_TEST(stats().breakers.empty());
  // A plan by its plan_id is refused too; new sessions get the latest.
  BOOST_TEST(error_text(ask(32, messages::plan_request{65536, {}, {}, info.plan_id}, protocol_version::v1_2)) ==
             "snapshot " + info.plan_id + " is not served here");
  auto latest = plan(33);
  BOOST_TEST(to_hex(snapshot::decode_plan(*latest.plan)->state_root) == third.plan_id);
}

BOOST_FIXTURE_TEST_CASE(refusals_carry_their_code_only_on_1_2_0, fixture) {
  provider_config config;
  config.sessions.max_active_sessions = 1;
  config.breakers = {.failure_threshold = 2, .window = 60s, .cool_down = 60s};
  start(config);
  plan(1);
  auto saturated = ask(2, messages::plan_request{65536, {}, {}}, protocol_version::v1_2);
  BOOST_TEST(error_text(saturated).starts_with("snapshot provider saturated"));
  BOOST_TEST((code_of(saturated) == refusal_code::saturated));
  auto out_of_range = ask(1, messages::chunk_request{1u << 30}, protocol_version::v1_2);
  BOOST_TEST((code_of(out_of_range) == refusal_code::invalid_request));
  auto stale = ask(1, messages::resume_request{info.plan_id, 5, 0, {}, {}, {}}, protocol_version::v1_2);
  BOOST_TEST((code_of(stale) == refusal_code::resume_rejected));
  // The breaker is open now: its refusal says so.
  auto refused = ask(1, messages::chunk_request{0}, protocol_version::v1_2);
  BOOST_TEST(error_text(refused).starts_with("snapshot provider refuses peer"));
  BOOST_TEST((code_of(refused) == refusal_code::breaker_open));
  // Under 1.0.0 the same refusal is the text alone (the strict decoder of `ask` checks it).
  auto old = ask(1, messages::chunk_request{0}, protocol_version::v1_0);
  BOOST_TEST(error_text(old).starts_with("snapshot provider refuses peer"));
  BOOST_TEST(!code_of(old).has_value());
}

BOOST_FIXTURE_TEST_CASE(an_upload_limited_provider_holds_chunk_responses_and_serves_the_whole_session, fixture) {
  // Given a provider limited to 1 MiB/s per peer (4 MiB/s in all), and a
  // session of 2 MiB chunks: the first chunk's response, 2.7 MiB in base64,
  // exceeds a second of the peer's rate, so it waits however fast the test runs.
  provider_config config;
  config.upload_limit = {.bytes_per_second = 4u << 20, .per_peer_bytes_per_second = 1u << 20};
  // Every chunk request below is probed once for backpressure: no breaker here.
  config.breakers.failure_threshold = 1'000'000;
  start(config);
  const std::uint64_t session = 41;
  auto p = plan(session, 2u << 20);
  BOOST_REQUIRE_EQUAL(*p.chunk_size, 2u << 20);
  auto verifier = *snapshot::light_client_verifier::create(trust());
  BOOST_REQUIRE(verifier.accept_plan(*p.plan, *p.chunk_size).has_value());
  BOOST_REQUIRE_GE(verifier.chunk_count(), 2u);
  ack(session, ack_kind::plan, 0);
  auto u = ask(session, messages::update_request{0});
  BOOST_REQUIRE(verifier.accept_update(0, *std::get<messages::update_response>(u.body).update).has_value());
  ack(session, ack_kind::light_client_update, 0);

  // When the whole session is fetched; each request in flight keeps its
  // session's backpressure, also while its response is held back.
  storage::test::temp_dir target_dir;
  auto target = std::move(*storage::db::open(target_dir.path()));
  storage::session_store sessions(*target);
  storage::session_record rec;
  rec.session_id = session;
  rec.peer = "provider";
  rec.plan_id = verifier.plan_id();
  std::uint64_t payload = 0;
  for (std::uint64_t c = 0; c < verifier.chunk_count(); ++c) {
    messages::snapshots_request req{session, messages::chunk_request{c}};
    auto pending = self->request(provider, 30s, serve_atom::value, consumer, protocol_version::v1_1, req);
    BOOST_TEST(error_text(ask(session, messages::chunk_request{c})) ==
               "backpressure: session 41 already has a request in flight");
    shared_bytes reply;
    pending.receive([&](shared_bytes& b) { reply = std::move(b); },
                    [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    auto r = messages::decode_response(*reply, {messages::max_response_size_v1_1, protocol_version::v1_1});
    BOOST_REQUIRE(r.has_value());
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(r->body), error_text(*r));
    const auto& bytes = *std::get<messages::chunk_response>(r->body).chunk;
    payload += bytes.size();
    auto verified = verifier.accept_chunk(c, bytes);
    BOOST_REQUIRE_MESSAGE(verified.has_value(), verified.error().message());
    rec.next_chunk_index = c + 1;
    BOOST_REQUIRE(sessions.apply_chunk(rec, nullptr, *verified).has_value());
    ack(session, ack_kind::chunk, c);
  }

  // Then the state arrived whole, and the counters tell what the limits did.
  BOOST_TEST((verifier.stage() == snapshot::verifier_stage::complete));
  BOOST_TEST((*target->digest_state() == *db->digest_state()));
  const auto s = stats();
  BOOST_TEST((s.upload_limit == config.upload_limit));
  BOOST_TEST(s.throttled_responses >= 1u);
  BOOST_TEST(s.throttled_responses <= verifier.chunk_count());
  BOOST_TEST(s.throttle_wait_ms > 0u);
  BOOST_TEST(s.chunks_served == verifier.chunk_count());
  BOOST_TEST(s.bytes_served == payload);
  BOOST_REQUIRE_EQUAL(s.peers.size(), 1u);
  BOOST_TEST((s.peers[0] == peer_upload_stats{consumer, payload, verifier.chunk_count()}));
  BOOST_TEST(s.backpressure_refusals == verifier.chunk_count());
}

BOOST_FIXTURE_TEST_CASE(per_peer_upload_counts_keep_the_peers_served_most_recently, fixture) {
  // Given a provider that counts the uploads of at most two peers,
  provider_config config;
  config.max_tracked_peers = 2;
  start(config);
  // when peers a, b, a again, then c fetch a chunk each (a new session each),
  std::uint64_t session = 60;
  auto fetch_one = [&](const std::string& peer) {
    const auto id = ++session;
    plan(id, 65536, peer);
    auto r = ask(id, messages::chunk_request{0}, protocol_version::v1_1, peer);
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<messages::chunk_response>(r.body), error_text(r));
  };
  for (const char* peer : {"peer-a", "peer-b", "peer-a", "peer-c"}) fetch_one(peer);
  // then b, served least recently, is forgotten; the totals count all four.
  const auto s = stats();
  BOOST_TEST(s.chunks_served == 4u);
  BOOST_REQUIRE_EQUAL(s.peers.size(), 2u);
  BOOST_TEST(s.peers[0].peer == "peer-a");
  BOOST_TEST(s.peers[0].chunks_served == 2u);
  BOOST_TEST(s.peers[1].peer == "peer-c");
  BOOST_TEST(s.peers[1].chunks_served == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_request_gets_a_typed_answer_not_a_reset_stream_when_the_provider_is_gone, fixture) {
  // Given the snapshot protocol served over libp2p by a provider actor that has stopped,
  start();
  wire w(system, provider);
  stop();
  // when a peer sends a request that does not decode, and one that does,
  auto raw = [&](std::string text) {
    byte_buffer body(text.begin(), text.end());
    auto r = w.run(w.client.request(w.address, {net::snapshots_v1_1()}, std::move(body), 10s));
    BOOST_REQUIRE_MESSAGE(r.has_value(), "the stream was not answered: " << r.error().message());
    auto decoded = messages::decode_response(r->body, {messages::max_response_size_v1_1, protocol_version::v1_1});
    BOOST_REQUIRE_MESSAGE(decoded.has_value(), decoded.error().message());
    return std::move(*decoded);
  };
  const auto garbled = raw("{\"session_id\":");
  const auto valid = raw(R"({"type":"chunk","session_id":5,"chunk_index":0})");
  // then each gets an error response saying the provider is unavailable.
  BOOST_TEST(error_text(garbled).starts_with("snapshot provider unavailable: "), error_text(garbled));
  BOOST_TEST(garbled.session_id == 0u);
  BOOST_TEST(error_text(valid).starts_with("snapshot provider unavailable: "), error_text(valid));
  BOOST_TEST(valid.session_id == 5u);
}
