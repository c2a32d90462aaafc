// Two `snapstream node` processes on loopback, driven only the way an
// operator drives them: the HTTP control plane (docs/http.md) and the command
// line (docs/operations.md). A provider with a generated 256 MiB state and a
// snapshot is shared by the cases; every case starts its own consumer(s).
#define BOOST_TEST_MODULE e2e_two_nodes
#include <boost/test/unit_test.hpp>

#include "tests/app/process.hpp"
#include "tests/e2e/cli.hpp"
#include "tests/e2e/http_call.hpp"
#include "tests/e2e/node_process.hpp"
#include "tests/http/prometheus_text.hpp"

#include <boost/json.hpp>

#include <memory>
#include <random>
#include <regex>
#include <thread>

using namespace snapstream;
using namespace snapstream::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

/// The provider every case syncs from, with the facts `snapshot create` printed.
struct provider_world {
  app::test::temp_dir dir;
  std::string token;
  std::string token_file;
  std::string plan_id;
  std::uint64_t pages = 0;
  std::uint64_t total_bytes = 0; ///< sum of the pages' lengths
  std::string digest;            ///< `state digest` line of the provider's state
  std::unique_ptr<node_process> node;

  /// Chunk payload bytes of the whole snapshot: every page framed by its u32
  /// length (docs/protocol.md 3.5), whatever the chunk size.
  [[nodiscard]] std::uint64_t payload_bytes() const { return total_bytes + 4 * pages; }
  /// Chunks at the default chunk size (1 MiB = 16 pages of 64 KiB).
  [[nodiscard]] std::uint64_t default_chunks() const { return (pages + 15) / 16; }
  [[nodiscard]] const std::string& peer_id() const { return node->address().peer_id; }

  provider_world() {
    std::random_device rd;
    token = "e2e-";
    for (int i = 0; i < 4; ++i) token += std::to_string(rd());
    token_file = dir.write("token", token + "\n");

    BOOST_REQUIRE(cli({"keygen", "--out", dir / "provider.key"}).code == 0);
    auto gen = cli({"state", "generate", "--data-dir", dir / "provider", "--bytes", "256MiB", "--seed", "7"});
    BOOST_REQUIRE_MESSAGE(gen.code == 0, gen.err);
    digest = digest_of(dir / "provider");
    const auto snap = create_snapshot(dir / "provider", dir / "provider.key");
    plan_id = snap.plan_id;
    pages = snap.pages;
    total_bytes = snap.total_bytes;
    BOOST_REQUIRE_GE(total_bytes, 256u << 20);
    node = std::make_unique<node_process>(
      "provider", dir.path(),
      std::vector<std::string>{"--data-dir", dir / "provider", "--key", dir / "provider.key", "--token-file",
                               token_file});
  }

  /// Flags of a consumer node `name` that dials and trusts this provider.
  [[nodiscard]] std::vector<std::string> consumer_flags(const std::string& name) const {
    return {"--data-dir", dir / name, "--key", dir / (name + ".key"), "--token-file", token_file,
            "--peer",     node->address().p2p, "--trust", peer_id()};
  }

  /// Starts a consumer `name` (creating its key on first use); `log_name`
  /// tells restarts apart in the captured logs.
  [[nodiscard]] std::unique_ptr<node_process> start_consumer(const std::string& name,
                                                             const std::string& log_name = std::string(),
                                                             const std::vector<std::string>& more_flags = {}) const {
    if (!std::filesystem::exists(dir / (name + ".key")))
      BOOST_REQUIRE(cli({"keygen", "--out", dir / (name + ".key")}).code == 0);
    auto flags = consumer_flags(name);
    flags.insert(flags.end(), more_flags.begin(), more_flags.end());
    return std::make_unique<node_process>(log_name.empty() ? name : log_name, dir.path(), flags);
  }
};

std::unique_ptr<provider_world> shared_world;
bool shared_world_attempted = false;

/// Built by the first case that needs it, shared by the others.
provider_world& provider() {
  if (!shared_world) {
    BOOST_REQUIRE_MESSAGE(!shared_world_attempted, "the shared provider failed to start in an earlier case");
    shared_world_attempted = true;
    shared_world = std::make_unique<provider_world>();
  }
  return *shared_world;
}

/// After the last case: the provider must stop cleanly too.
struct stop_shared_provider {
  void setup() {}
  void teardown() {
    if (shared_world && shared_world->node) shared_world->node->stop_cleanly();
    shared_world.reset();
  }
};

/// Prints the provider's log when a case fails (the case's own nodes print theirs).
struct e2e_case {
  ~e2e_case() {
    if (!current_test_passing()) {
      static const char* note = "(the provider is shared by every case; its log covers them all)\n";
      std::cerr << note;
      if (auto* n = provider_node()) n->proc().dump();
    }
  }
  static node_process* provider_node() { return shared_world ? shared_world->node.get() : nullptr; }
};

/// An error answer's `error` and `code`.
void check_error(const http_answer& a, const std::string& error, const std::string& code) {
  const auto [got_error, got_code] = a.error();
  BOOST_TEST(got_error == error);
  BOOST_TEST(got_code == code);
}

/// Polls the session until `last_chunk_index` reaches `at_least`; fails when
/// the session ends first (the kill would come too late to test anything).
std::uint64_t wait_for_chunk(std::uint16_t port, const std::string& token, std::uint64_t id, std::uint64_t at_least) {
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  for (;;) {
    auto s = session_status(port, token, id);
    BOOST_REQUIRE_MESSAGE(state_of(s) != "verified",
                          "the session finished before the test could kill the consumer: " << json::serialize(s));
    BOOST_REQUIRE_MESSAGE(state_of(s) != "failed", json::serialize(s));
    if (s.contains("last_chunk_index") && u64(s.at("last_chunk_index")) >= at_least)
      return u64(s.at("last_chunk_index"));
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "no progress: " << json::serialize(s));
    std::this_thread::sleep_for(2ms);
  }
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(stop_shared_provider);

BOOST_FIXTURE_TEST_SUITE(e2e, e2e_case)

BOOST_AUTO_TEST_CASE(healthz_needs_no_token_and_every_other_route_wants_the_bearer_token) {
  auto& p = provider();
  const auto port = p.node->http_port();

  auto health = http_get(port, "/healthz", std::nullopt);
  BOOST_TEST(health.status == 200u);
  BOOST_TEST(health.body == "ok");

  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
         {"GET", "/p2p/snapshots"}, {"POST", "/p2p/snapshots"}, {"GET", "/p2p/peers"}, {"GET", "/metrics"},
         {"DELETE", "/p2p/snapshots/1"}, {"GET", "/no/such/route"}}) {
    std::optional<std::string> body;
    if (method == "POST") body = "{\"peer\":\"" + p.peer_id() + "\"}";
    auto missing = http_call(port, {method, target, std::nullopt, body, {}});
    BOOST_TEST(missing.status == 401u, method << " " << target);
    BOOST_TEST(missing.header("www-authenticate") == "Bearer realm=\"snapstream\"");
    check_error(missing, "missing bearer token", "unauthorized");

    auto wrong = http_call(port, {method, target, p.token + "x", body, {}});
    BOOST_TEST(wrong.status == 401u, method << " " << target);
    BOOST_TEST(wrong.header("www-authenticate") == "Bearer realm=\"snapstream\", error=\"invalid_token\"");
    check_error(wrong, "invalid bearer token", "unauthorized");
  }
  // None of the refused POSTs started a session.
  auto list = http_get(port, "/p2p/snapshots", p.token);
  BOOST_TEST(list.status == 200u);
  BOOST_TEST(list.body == "[]");
}

BOOST_AUTO_TEST_CASE(malformed_commands_are_answered_400_404_405_and_413) {
  auto& p = provider();
  auto consumer = p.start_consumer("consumer-bad-requests");
  const auto port = consumer->http_port();
  const std::string& t = p.token;
  const std::string peer = p.peer_id();

  struct bad_case {
    std::string method, target, body;
    unsigned status;
    std::string error, code;
  };
  const std::vector<bad_case> cases{
    {"POST", "/p2p/snapshots", "{\"peer\":", 400, "", "invalid_json"},
    {"POST", "/p2p/snapshots", "{\"peer\":\"" + peer + "\",\"colour\":\"red\"}", 400, "unknown field: colour",
     "invalid_argument"},
    {"POST", "/p2p/snapshots", "{\"peer\":\"nonsense\"}", 400, "", "invalid_argument"},
    {"POST", "/p2p/snapshots", "{\"peer\":\"" + peer + "\",\"chunk_size\":0}", 400,
     "chunk_size must be greater than zero", "invalid_argument"},
    {"POST", "/p2p/snapshots", "{\"peer\":\"" + peer + "\",\"resume\":{\"session\":\"x\"}}", 400,
     "invalid snapshot session id: \"x\"", "invalid_argument"},
    {"GET", "/p2p/snapshots/abc", "", 400, "invalid snapshot session id: abc", "invalid_argument"},
    {"DELETE", "/p2p/snapshots/12x", "", 400, "invalid snapshot session id: 12x", "invalid_argument"},
    {"GET", "/p2p/snapshots/4242", "", 404, "unknown snapshot session 4242", "not_found"},
    {"DELETE", "/p2p/snapshots/4242", "", 404, "unknown snapshot session 4242", "not_found"},
    {"POST", "/p2p/snapshots", "{\"peer\":\"" + peer + "\",\"resume\":{\"session\":4242}}", 404,
     "unknown snapshot session 4242", "not_found"},
    {"GET", "/nowhere", "", 404, "no route for GET /nowhere", "route_not_found"},
    {"DELETE", "/p2p/snapshots", "", 405, "method DELETE is not allowed on /p2p/snapshots (allowed: GET, POST)",
     "method_not_allowed"},
  };
  for (const auto& c : cases) {
    std::optional<std::string> body;
    if (!c.body.empty()) body = c.body;
    auto a = http_call(port, {c.method, c.target, t, body, {}});
    BOOST_TEST_CONTEXT(c.method << " " << c.target << " " << c.body) {
      BOOST_TEST(a.status == c.status);
      BOOST_TEST(a.header("content-type") == "application/json");
      const auto [error, code] = a.error();
      BOOST_TEST(code == c.code);
      if (!c.error.empty()) BOOST_TEST(error == c.error);
      if (c.code == "invalid_json") BOOST_TEST(error.starts_with("malformed JSON body: "));
      if (c.body == "{\"peer\":\"nonsense\"}") BOOST_TEST(error.starts_with("invalid peer id: "));
      if (c.status == 405) BOOST_TEST(a.header("allow") == "GET, POST");
    }
  }
  auto big = http_post(port, "/p2p/snapshots", t, "{\"peer\":\"" + std::string(70000, 'a') + "\"}");
  BOOST_TEST(big.status == 413u);
  check_error(big, "request body exceeds 65536 bytes", "payload_too_large");

  // Nothing above started a session, and the node still works.
  auto list = http_get(port, "/p2p/snapshots", t);
  BOOST_TEST(list.status == 200u);
  BOOST_TEST(list.body == "[]");
  BOOST_TEST(http_get(port, "/healthz", std::nullopt).body == "ok");
  consumer->stop_cleanly();
}

BOOST_AUTO_TEST_CASE(a_full_sync_is_verified_counted_in_metrics_and_digests_equal) {
  auto& p = provider();
  auto consumer = p.start_consumer("consumer-full");
  const auto port = consumer->http_port();
  const std::string& t = p.token;

  // `snapstream sync` drives the whole session and exits 0 once it is verified.
  auto sync = cli({"sync", "--http", "127.0.0.1:" + std::to_string(port), "--peer", p.peer_id(), "--token-file",
                   p.token_file},
                  300s);
  BOOST_REQUIRE_MESSAGE(sync.code == 0, "sync exited " << sync.code << ": " << sync.err << sync.out);
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(sync.out, m,
                                          std::regex("\nverified session=([0-9]+) state_root=([0-9a-f]{64}) height=1 "
                                                     "bytes=([0-9]+) seconds=[0-9.]+ mib_per_s=[0-9.]+\n$")),
                        sync.out);
  const std::uint64_t id = std::stoull(m[1].str());
  BOOST_TEST(m[2].str() == p.plan_id);
  BOOST_TEST(std::stoull(m[3].str()) == p.payload_bytes());

  auto s = session_status(port, t, id);
  BOOST_TEST(state_of(s) == "verified");
  BOOST_TEST(s.at("verified").as_bool());
  BOOST_TEST(s.at("root").as_string() == p.plan_id);
  BOOST_TEST(s.at("plan_id").as_string() == p.plan_id);
  BOOST_TEST(u64(s.at("chunk_size")) == 1048576u);
  BOOST_TEST(u64(s.at("total_chunks")) == p.default_chunks());
  BOOST_TEST(u64(s.at("last_chunk_index")) == p.default_chunks() - 1);
  BOOST_TEST(u64(s.at("total_updates")) == 1u);
  BOOST_TEST(u64(s.at("last_update_height")) == 1u);
  BOOST_TEST(u64(s.at("bytes_received")) == p.payload_bytes());
  BOOST_TEST(!s.contains("error"));

  // /metrics is valid Prometheus text and counts exactly the session's bytes.
  auto metrics = http_get(port, "/metrics", t);
  BOOST_TEST(metrics.status == 200u);
  BOOST_TEST(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  const auto doc = http::test::parse_prometheus(metrics.body);
  BOOST_REQUIRE_MESSAGE(doc.error.empty(), doc.error << "\n" << metrics.body);
  BOOST_TEST(doc.value("snapstream_snapshot_bytes_received_total") == static_cast<double>(u64(s.at("bytes_received"))));
  BOOST_TEST(doc.value("snapstream_snapshot_chunks_received_total") == static_cast<double>(p.default_chunks()));
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "verified"}}) == 1.0);
  BOOST_TEST(doc.value("snapstream_sessions", {{"state", "syncing"}}) == 0.0);
  BOOST_TEST(doc.value("snapstream_verification_failures_total") == 0.0);
  BOOST_TEST(doc.families.at("snapstream_snapshot_bytes_received_total").type == "counter");
  auto provider_metrics = http_get(p.node->http_port(), "/metrics", t);
  const auto pdoc = http::test::parse_prometheus(provider_metrics.body);
  BOOST_REQUIRE_MESSAGE(pdoc.error.empty(), pdoc.error);
  BOOST_TEST(pdoc.value("snapstream_snapshot_bytes_served_total") >= static_cast<double>(p.payload_bytes()));

  // Cancel: 204 with no body, then the session is gone.
  auto cancel = http_delete(port, "/p2p/snapshots/" + std::to_string(id), t);
  BOOST_TEST(cancel.status == 204u);
  BOOST_TEST(cancel.body.empty());
  auto gone = http_get(port, "/p2p/snapshots/" + std::to_string(id), t);
  BOOST_TEST(gone.status == 404u);
  check_error(gone, "unknown snapshot session " + std::to_string(id), "not_found");
  BOOST_TEST(http_get(port, "/p2p/snapshots", t).body == "[]");

  // `state digest` opens the database itself: stop the node first.
  consumer->stop_cleanly();
  BOOST_TEST(digest_of(p.dir / "consumer-full") == p.digest);
}

BOOST_AUTO_TEST_CASE(a_consumer_killed_mid_sync_resumes_after_restarts_to_the_same_digest) {
  auto& p = provider();
  const std::string& t = p.token;
  const std::string name = "consumer-killed";
  auto consumer = p.start_consumer(name);

  auto started = http_post(consumer->http_port(), "/p2p/snapshots", t, "{\"peer\":\"" + p.peer_id() + "\"}");
  BOOST_REQUIRE_MESSAGE(started.status == 200u, started.body);
  const std::uint64_t id = u64(started.json().at("session"));

  // kill -9 after some durable progress (a few chunks of ~260): no shutdown, no flush.
  const std::uint64_t first_kill = wait_for_chunk(consumer->http_port(), t, id, 3);
  BOOST_TEST_MESSAGE("first kill after chunk " << first_kill << " of " << p.default_chunks());
  consumer->kill9();
  consumer.reset();

  // Restarted on the same data directory, the node knows the session with its
  // durable progress and resumes it by itself (auto_resume is on by default).
  consumer = p.start_consumer(name, name + "-restart-1");
  {
    auto s = session_status(consumer->http_port(), t, id);
    BOOST_REQUIRE(s.contains("last_chunk_index"));
    BOOST_TEST(u64(s.at("last_chunk_index")) >= first_kill);
    BOOST_TEST(s.at("plan_id").as_string() == p.plan_id);
  }
  const std::uint64_t second_kill = wait_for_chunk(consumer->http_port(), t, id, first_kill + 3);
  BOOST_TEST(consumer->proc().log().find("supervisor sessions_loaded count=1 resuming=1") != std::string::npos);
  BOOST_TEST_MESSAGE("second kill after chunk " << second_kill);
  consumer->kill9();
  consumer.reset();

  // Restarted without auto-resume (and without automatic restarts after a
  // failure, so that only the operator's commands move it), the session waits.
  const auto config = p.dir.write("no-retries.json", "{\"consumer\":{\"restart\":{\"max_retries\":0}}}");
  consumer = p.start_consumer(name, name + "-restart-2", {"--no-auto-resume", "--config", config});
  const auto port = consumer->http_port();
  auto waiting = session_status(port, t, id);
  BOOST_REQUIRE(waiting.contains("last_chunk_index"));
  const std::uint64_t durable = u64(waiting.at("last_chunk_index"));
  BOOST_TEST(durable >= second_kill);
  BOOST_TEST(state_of(waiting) == "syncing");

  // A resume from behind the provider's confirmed acks is refused by the
  // provider, and the 500 names the chunk. (The consumer re-acknowledges its
  // last durable chunk first, so the provider expects the one after it.)
  const std::string resume_body = "{\"peer\":\"" + p.peer_id() + "\",\"resume\":{\"session\":" + std::to_string(id);
  auto stale = http_post(port, "/p2p/snapshots", t, resume_body + ",\"chunk_index\":0}}");
  // The provider may still be finishing the request the killed process left
  // in flight (it answers that session with backpressure until then): ask again.
  for (int i = 0; i < 40 && stale.body.find("backpressure") != std::string::npos; ++i) {
    std::this_thread::sleep_for(250ms);
    stale = http_post(port, "/p2p/snapshots", t, resume_body + ",\"chunk_index\":0}}");
  }
  BOOST_TEST(stale.status == 500u, stale.body);
  const auto [stale_error, stale_code] = stale.error();
  BOOST_TEST(stale_code == "resume_rejected");
  const std::string named = "resume chunk index 0 precedes next expected chunk " + std::to_string(durable + 1);
  BOOST_TEST(stale_error.find(named) != std::string::npos, stale_error);
  auto refused = session_status(port, t, id);
  BOOST_TEST(state_of(refused) == "failed");
  BOOST_TEST(refused.at("error_code").as_string() == "resume_mismatch");
  BOOST_TEST(u64(refused.at("last_chunk_index")) == durable);

  // Resumed by POST from its durable cursor, it completes.
  auto resumed = http_post(port, "/p2p/snapshots", t, resume_body + "}}");
  BOOST_REQUIRE_MESSAGE(resumed.status == 200u, resumed.body);
  BOOST_TEST(u64(resumed.json().at("session")) == id);
  json::object s;
  const auto deadline = std::chrono::steady_clock::now() + 180s;
  for (;;) {
    s = session_status(port, t, id);
    if (state_of(s) == "verified") break;
    BOOST_REQUIRE_MESSAGE(state_of(s) != "failed", "the resumed session failed: " << json::serialize(s));
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                          "the resumed session did not verify: " << json::serialize(s));
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(s.at("verified").as_bool());
  BOOST_TEST(s.at("root").as_string() == p.plan_id);
  // Every chunk counted exactly once across the three runs.
  BOOST_TEST(u64(s.at("bytes_received")) == p.payload_bytes());
  BOOST_TEST(u64(s.at("last_chunk_index")) == p.default_chunks() - 1);

  consumer->stop_cleanly();
  BOOST_TEST(digest_of(p.dir / name) == p.digest);
}

BOOST_AUTO_TEST_SUITE_END()
