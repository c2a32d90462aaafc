#define BOOST_TEST_MODULE actors_provider
#include <boost/test/unit_test.hpp>

#include "actors/atoms.hpp"
#include "actors/provider_actor.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "storage/session_store.hpp"
#include "storage/state_loader.hpp"
#include "tests/storage/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>

#include <deque>
#include <thread>

using namespace snapstream;
using namespace snapstream::actors;
using namespace std::chrono_literals;
using messages::ack_kind;
using messages::byte_encoding;

namespace {

const std::string consumer = "12D3KooWconsumer";

using release_atom = caf::atom_constant<caf::atom("release")>;
using held_atom = caf::atom_constant<caf::atom("held")>;

/// A storage worker that holds every task until released, so a test can keep
/// a request in flight for as long as it needs.
caf::behavior gated_worker(caf::event_based_actor* self) {
  auto held = std::make_shared<std::deque<std::pair<storage_task, caf::response_promise>>>();
  return {
    [self, held](storage_task& task) {
      held->emplace_back(std::move(task), self->make_response_promise());
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
  caf::actor provider;
  caf::actor gate; // a gated storage worker, when a test uses one

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

  messages::snapshots_response ask(std::uint64_t session, decltype(messages::snapshots_request::body) body,
                                   byte_encoding enc = byte_encoding::base64, const std::string& peer = consumer) {
    messages::snapshots_request req{session, std::move(body)};
    shared_bytes reply;
    self->request(provider, 30s, serve_atom::value, peer, enc, req)
      .receive([&](shared_bytes& b) { reply = std::move(b); },
               [&](caf::error& e) { BOOST_FAIL("provider failed: " << caf::to_string(e)); });
    BOOST_REQUIRE(reply);
    auto decoded = messages::decode_response(*reply, {messages::max_response_size(enc)});
    BOOST_REQUIRE_MESSAGE(decoded.has_value(), "undecodable response");
    BOOST_TEST(decoded->session_id == session);
    return std::move(*decoded);
  }

  static std::string error_text(const messages::snapshots_response& r) {
    auto* e = std::get_if<messages::error_message>(&r.body);
    return e ? e->message : std::string("<not an error>");
  }

  messages::plan_response plan(std::uint64_t session, std::optional<std::uint64_t> chunk_size = 65536,
                               const std::string& peer = consumer) {
    auto r = ask(session, messages::plan_request{chunk_size, {}, {}}, byte_encoding::base64, peer);
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
    BOOST_REQUIRE(sessions.apply_chunk(rec, *verified).has_value());
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

BOOST_FIXTURE_TEST_CASE(chunks_are_served_in_the_negotiated_encoding_with_the_same_bytes, fixture) {
  start();
  plan(1);
  auto r = ask(1, messages::plan_request{65536, {}, {}}, byte_encoding::array);
  BOOST_REQUIRE(std::holds_alternative<messages::plan_response>(r.body));
  auto b64 = ask(1, messages::chunk_request{0}, byte_encoding::base64);
  auto arr = ask(1, messages::chunk_request{0}, byte_encoding::array);
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

BOOST_FIXTURE_TEST_CASE(a_concurrent_request_of_one_session_gets_backpressure, fixture) {
  gate = system.spawn(gated_worker);
  provider_config config;
  config.workers = gate;
  start(config);
  // The plan request is held in the gate: release it.
  messages::snapshots_request plan_req{3, messages::plan_request{65536, {}, {}}};
  auto pending_plan = self->request(provider, 30s, serve_atom::value, consumer, byte_encoding::base64, plan_req);
  await_held(1);
  self->send(gate, release_atom::value);
  pending_plan.receive([](shared_bytes&) {}, [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
  // Chunk 0 stays in flight in the gate while chunk 1 arrives.
  messages::snapshots_request first{3, messages::chunk_request{0}};
  auto in_flight = self->request(provider, 30s, serve_atom::value, consumer, byte_encoding::base64, first);
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

BOOST_FIXTURE_TEST_CASE(a_misbehaving_peer_trips_only_its_own_breaker_which_half_opens_after_cool_down,
                        fixture) {
  provider_config config;
  config.breakers = {.failure_threshold = 3, .window = 60s, .cool_down = 300ms};
  start(config);
  const std::string mallory = "12D3KooWmallory";
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(error_text(ask(70, messages::chunk_request{0}, byte_encoding::base64, mallory)) ==
               "snapshot session 70 not found");
  auto refused = error_text(ask(70, messages::plan_request{}, byte_encoding::base64, mallory));
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
  auto trial = ask(71, messages::plan_request{65536, {}, {}}, byte_encoding::base64, mallory);
  BOOST_TEST(std::holds_alternative<messages::plan_response>(trial.body));
  auto after = ask(71, messages::chunk_request{0}, byte_encoding::base64, mallory);
  BOOST_TEST(std::holds_alternative<messages::chunk_response>(after.body));
}

BOOST_FIXTURE_TEST_CASE(malformed_requests_are_answered_with_an_error_and_count_against_the_peer, fixture) {
  provider_config config;
  config.breakers = {.failure_threshold = 2, .window = 60s, .cool_down = 60s};
  start(config);
  for (int i = 0; i < 2; ++i) {
    shared_bytes reply;
    self->request(provider, 5s, bad_request_atom::value, consumer, byte_encoding::base64,
                  std::string("invalid JSON: expected an object"))
      .receive([&](shared_bytes& b) { reply = b; }, [](caf::error&) {});
    auto decoded = messages::decode_response(*reply, {messages::max_response_size_v1_1});
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(error_text(*decoded) == "invalid JSON: expected an object");
  }
  BOOST_TEST(error_text(ask(1, messages::plan_request{})).starts_with("snapshot provider refuses peer"));
}
