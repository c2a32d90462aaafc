// Sync jobs over many providers between real `snapstream node` processes on
// loopback, driven the way an operator drives them: the HTTP control plane
// (docs/http.md), the command line (docs/operations.md) and signals. One
// authority, A, generates a state and a snapshot signed by its key; every
// node trusts A's peer id only. Providers either run on a copy of A's data
// directory under keys of their own (a copy serves A's snapshot, signed by
// A), or sync the snapshot first and serve it on.
#define BOOST_TEST_MODULE e2e_swarm_nodes
#include <boost/test/unit_test.hpp>

#include "tests/app/process.hpp"
#include "tests/e2e/cli.hpp"
#include "tests/e2e/http_call.hpp"
#include "tests/e2e/node_process.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace snapstream;
using namespace snapstream::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

/// Copies a stopped node's data directory.
void copy_dir(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, ec);
  BOOST_REQUIRE_MESSAGE(!ec, "copy " << from << " to " << to << ": " << ec.message());
}

/// A node key made by `snapstream keygen`; returns the peer id it printed.
std::string keygen(const std::string& path) {
  auto r = cli({"keygen", "--out", path});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  BOOST_REQUIRE_MESSAGE(std::regex_match(r.out, std::regex("12D3KooW[1-9A-HJ-NP-Za-km-z]+\n")), r.out);
  return r.out.substr(0, r.out.size() - 1);
}

/// The authority A while no node runs on it: its key, and a data directory
/// with a generated 24 MiB state and one snapshot of it signed by that key.
/// Built by the first case that needs it; the cases run nodes on copies.
struct authority_source {
  app::test::temp_dir dir;
  std::string key;
  std::string peer_id;
  std::string data;
  std::string digest; ///< `state digest` line of the state
  std::string plan_id;

  authority_source() : key(dir / "A.key"), data(dir / "A") {
    peer_id = keygen(key);
    auto gen = cli({"state", "generate", "--data-dir", data, "--bytes", "24MiB", "--seed", "11"});
    BOOST_REQUIRE_MESSAGE(gen.code == 0, gen.err);
    digest = digest_of(data);
    plan_id = create_snapshot(data, key).plan_id;
  }
};

std::unique_ptr<authority_source> shared_source;
bool shared_source_attempted = false;

authority_source& source() {
  if (!shared_source) {
    BOOST_REQUIRE_MESSAGE(!shared_source_attempted, "building the authority's state failed in an earlier case");
    shared_source_attempted = true;
    shared_source = std::make_unique<authority_source>();
  }
  return *shared_source;
}

struct drop_shared_source {
  void setup() {}
  void teardown() { shared_source.reset(); }
};

/// Where a node's data directory comes from.
enum class origin {
  empty,     ///< a fresh node: it has to sync the snapshot
  copy,      ///< a copy of A's data directory, run under the node's own key
  authority, ///< a copy of A's data directory, run under A's key: A itself
};


/// `chunks_applied` of a status (absent while it is 0).
std::uint64_t applied(const json::object& s) { return s.contains("chunks_applied") ? u64(s.at("chunks_applied")) : 0; }

/// The `peers` entry of provider `peer` (fails when there is none).
json::object share_of(const json::object& s, const std::string& peer) {
  BOOST_REQUIRE_MESSAGE(s.contains("peers"), "no peers in " << json::serialize(s));
  for (const auto& p : s.at("peers").as_array())
    if (p.at("peer").as_string() == peer) return p.as_object();
  BOOST_FAIL("provider " << peer << " is not in " << json::serialize(s));
  return {};
}

/// One case's nodes: a temporary directory for their data and logs, and the
/// bearer token of their control planes.
class swarm {
public:
  swarm() {
    std::random_device rd;
    token_ = "e2e-";
    for (int i = 0; i < 4; ++i) token_ += std::to_string(rd());
    token_file_ = dir_.write("token", token_ + "\n");
  }

  [[nodiscard]] std::string data_dir(const std::string& name) const { return dir_ / name; }
  /// Writes `text` to a file `name` in the case's directory; returns its path.
  std::string write_file(const std::string& name, const std::string& text) { return dir_.write(name, text); }

  /// Starts node `name` with a data directory from `from`, trusting A, with
  /// the `peers` in its address book and `extra` flags.
  std::unique_ptr<node_process> start(const std::string& name, origin from,
                                      const std::vector<const node_process*>& peers = {},
                                      const std::vector<std::string>& extra = {}) {
    auto& a = source();
    if (from != origin::empty) copy_dir(a.data, data_dir(name));
    const std::string key = from == origin::authority ? a.key : dir_ / (name + ".key");
    if (from != origin::authority) keygen(key);
    std::vector<std::string> flags{"--data-dir",   data_dir(name), "--key",   key,
                                   "--token-file", token_file_,    "--trust", a.peer_id};
    for (const auto* p : peers) {
      flags.push_back("--peer");
      flags.push_back(p->address().p2p);
    }
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto n = std::make_unique<node_process>(name, dir_.path(), flags);
    names_[n->address().peer_id] = name;
    return n;
  }

  /// `POST /p2p/snapshots` on `consumer` with `peers` (and a chunk size when
  /// given); returns the session id.
  std::uint64_t sync(node_process& consumer, const std::vector<const node_process*>& peers,
                     std::optional<std::uint64_t> chunk_size = std::nullopt) {
    json::object body;
    json::array ids;
    for (const auto* p : peers) ids.emplace_back(p->address().peer_id);
    body["peers"] = std::move(ids);
    if (chunk_size) body["chunk_size"] = *chunk_size;
    auto a = http_post(consumer.http_port(), "/p2p/snapshots", token_, json::serialize(body));
    BOOST_REQUIRE_MESSAGE(a.status == 200u, consumer.proc().name() << ": POST /p2p/snapshots: " << a.status << " "
                                                                    << a.body);
    return u64(a.json().at("session"));
  }

  json::object status(node_process& n, std::uint64_t id) {
    auto a = http_get(n.http_port(), "/p2p/snapshots/" + std::to_string(id), token_);
    if (a.status != 200u) BOOST_FAIL(n.proc().name() << ": GET session " << id << ": " << a.status << " " << a.body);
    return a.json().as_object();
  }

  /// Polls session `id` on `n` every `interval` until `done` holds for its
  /// status and returns that status. Fails when the session fails or is
  /// cancelled, when it is verified before `done` holds (`done` is then a
  /// point the test wants to act at, mid-job), or after two minutes. (Each
  /// poll is a line in the node's log: the interval keeps the log's tail,
  /// printed on failure, about the node's work.)
  json::object poll(node_process& n, std::uint64_t id, const std::string& what,
                    const std::function<bool(const json::object&)>& done,
                    std::chrono::milliseconds interval = 50ms) {
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
      auto s = status(n, id);
      if (done(s)) return s;
      const auto state = state_of(s);
      if (state == "failed" || state == "cancelled" || state == "verified")
        BOOST_FAIL(n.proc().name() << " session " << id << " is " << state << " before " << what << ": "
                                   << json::serialize(s));
      if (std::chrono::steady_clock::now() >= deadline)
        BOOST_FAIL(n.proc().name() << " session " << id << ": no " << what << " within 120 s: " << json::serialize(s));
      std::this_thread::sleep_for(interval);
    }
  }

  /// Waits until `n` has applied at least `chunks` chunks of session `id`,
  /// which must still be syncing then.
  json::object wait_applied(node_process& n, std::uint64_t id, std::uint64_t chunks) {
    return poll(
      n, id, std::to_string(chunks) + " chunks applied",
      [&](const json::object& s) { return state_of(s) == "syncing" && applied(s) >= chunks; }, 10ms);
  }

  json::object wait_verified(node_process& n, std::uint64_t id) {
    return poll(n, id, "verified", [](const json::object& s) { return state_of(s) == "verified"; });
  }

  /// Every provider's share of a status, for the test log:
  /// ` name:state/chunks` each, by the names the nodes were started with.
  [[nodiscard]] std::string shares(const json::object& s) const {
    std::string out;
    if (!s.contains("peers")) return out;
    for (const auto& p : s.at("peers").as_array()) {
      const std::string peer(p.at("peer").as_string());
      const auto name = names_.find(peer);
      out += " " + (name == names_.end() ? peer : name->second) + ":" + std::string(p.at("state").as_string()) + "/" +
             std::to_string(u64(p.at("chunks")));
    }
    return out;
  }

private:
  app::test::temp_dir dir_;
  std::string token_;
  std::string token_file_;
  std::map<std::string, std::string> names_; ///< peer id -> node name
};

/// The session's facts once verified: the snapshot is A's, every chunk
/// applied exactly once, and the providers' shares add up to the whole.
void check_verified_whole(const json::object& s) {
  const auto& a = source();
  BOOST_TEST(s.at("verified").as_bool());
  BOOST_TEST(s.at("plan_id").as_string() == a.plan_id);
  BOOST_TEST(s.at("root").as_string() == a.plan_id);
  const auto total = u64(s.at("total_chunks"));
  BOOST_TEST(applied(s) == total);
  BOOST_REQUIRE(s.contains("chunk_writes"));
  BOOST_TEST(u64(s.at("chunk_writes")) == total); // no chunk applied twice
  std::uint64_t from_peers = 0;
  for (const auto& p : s.at("peers").as_array()) from_peers += u64(p.at("chunks"));
  BOOST_TEST(from_peers == total);
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(drop_shared_source);

BOOST_AUTO_TEST_SUITE(e2e)

BOOST_AUTO_TEST_CASE(four_providers_one_frozen_with_sigstop_mid_job_and_the_job_still_completes) {
  // Given four providers of A's snapshot, each held to a per-consumer upload
  // rate so that the job lasts long enough to freeze one of them mid-job, B
  // slower than the others; and a consumer E that knows all four.
  swarm w;
  const std::vector<std::string> limited{"--upload-limit-per-peer", "4MiB"};
  auto a = w.start("A", origin::authority, {}, limited);
  auto b = w.start("B", origin::copy, {}, {"--upload-limit-per-peer", "2MiB"});
  auto c = w.start("C", origin::copy, {}, limited);
  auto d = w.start("D", origin::copy, {}, limited);
  const std::vector<const node_process*> providers{a.get(), b.get(), c.get(), d.get()};
  auto e = w.start("E", origin::empty, providers);

  // When E syncs from the four, and one that is fetching for E freezes
  // (SIGSTOP) once E has applied a few chunks,
  const auto id = w.sync(*e, providers);
  const auto before = w.wait_applied(*e, id, 4);
  node_process* frozen = c.get();
  for (const auto& p : before.at("peers").as_array())
    for (auto* candidate : {a.get(), c.get(), d.get()})
      if (p.at("peer").as_string() == candidate->address().peer_id && p.at("state").as_string() == "fetching")
        frozen = candidate;
  frozen->freeze();
  BOOST_TEST_MESSAGE("froze " << frozen->proc().name() << " at " << applied(before) << " of "
                              << u64(before.at("total_chunks")) << " chunks:" << w.shares(before));
  BOOST_REQUIRE(state_of(w.status(*e, id)) == "syncing");

  // then the job completes without it, while it is still frozen.
  const auto done = w.wait_verified(*e, id);
  BOOST_TEST(frozen->proc().stopped());
  BOOST_TEST_MESSAGE("verified:" << w.shares(done));
  check_verified_whole(done);
  BOOST_TEST(done.at("peers").as_array().size() == 4u);
  for (const auto* p : providers) (void)share_of(done, p->address().peer_id);

  frozen->thaw();
  e->stop_cleanly();
  for (auto* p : {a.get(), b.get(), c.get(), d.get()}) p->stop_cleanly();
  BOOST_TEST(digest_of(w.data_dir("E")) == source().digest);
}

BOOST_AUTO_TEST_CASE(a_lone_provider_frozen_mid_job_times_out_and_the_job_completes_after_it_thaws) {
  // Given A, held to 4 MiB/s per consumer, and a consumer that syncs from A
  // alone, gives up on a response after 1.5 s and retries A for as long as
  // this case lasts (backoff capped at 1 s);
  swarm w;
  auto a = w.start("A", origin::authority, {}, {"--upload-limit-per-peer", "4MiB"});
  const auto config = w.write_file(
    "consumer.json",
    R"({"consumer": {"request_timeout_ms": 1500, "restart": {"max_retries": 1000, "base_delay_ms": 100, "max_delay_ms": 1000}}})");
  auto e = w.start("E", origin::empty, {a.get()}, {"--config", config});

  // when A freezes (SIGSTOP) once E has applied a few chunks,
  const auto id = w.sync(*e, {a.get()});
  const auto before = w.wait_applied(*e, id, 3);
  a->freeze();
  BOOST_TEST_MESSAGE("froze A at " << applied(before) << " of " << u64(before.at("total_chunks")) << " chunks");

  // then E's requests time out and it keeps retrying A, the job still
  // syncing (not failed) while A is stopped,
  const auto peer = a->address().peer_id;
  const auto stalled = w.poll(*e, id, "two failed requests to the frozen provider", [&](const json::object& s) {
    return u64(share_of(s, peer).at("failures")) >= 2;
  });
  BOOST_TEST(a->proc().stopped());
  BOOST_TEST(state_of(stalled) == "syncing");
  BOOST_TEST(u64(stalled.at("retries")) >= 2u);
  BOOST_TEST_MESSAGE("while frozen: " << json::serialize(share_of(stalled, peer)));

  // and once A runs again the job completes by itself, every chunk applied once.
  a->thaw();
  const auto done = w.wait_verified(*e, id);
  check_verified_whole(done);
  e->stop_cleanly();
  a->stop_cleanly();
  BOOST_TEST(digest_of(w.data_dir("E")) == source().digest);
}

BOOST_AUTO_TEST_CASE(a_consumer_killed_with_sigkill_at_several_points_of_a_many_provider_job_resumes_to_equal_digests) {
  // Given three providers of A's snapshot, each held to 2 MiB/s per consumer,
  // and a consumer syncing from all three in 256 KiB chunks;
  swarm w;
  const std::vector<std::string> slowed{"--upload-limit-per-peer", "2MiB"};
  auto p1 = w.start("P1", origin::authority, {}, slowed);
  auto p2 = w.start("P2", origin::copy, {}, slowed);
  auto p3 = w.start("P3", origin::copy, {}, slowed);
  const std::vector<const node_process*> providers{p1.get(), p2.get(), p3.get()};
  auto consumer = w.start("consumer", origin::empty, providers);
  const auto id = w.sync(*consumer, providers, 256u << 10);
  const auto planned =
    w.poll(*consumer, id, "a plan", [](const json::object& s) { return s.contains("total_chunks"); });
  const auto total = u64(planned.at("total_chunks"));
  BOOST_TEST_MESSAGE("total_chunks=" << total);

  // when it is killed with SIGKILL at about 20%, 50% and 80% of the chunks,
  // and restarted each time on the same data directory, key and ports,
  for (const double fraction : {0.2, 0.5, 0.8}) {
    const auto at = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(total)));
    const auto seen = w.wait_applied(*consumer, id, at);
    consumer->kill9();
    BOOST_TEST_MESSAGE("killed at " << applied(seen) << " of " << total << " chunks:" << w.shares(seen));
    consumer->restart();
    // the job is back with at least the progress seen before the kill, and
    // the node resumes it by itself.
    const auto back = w.status(*consumer, id);
    BOOST_TEST(applied(back) >= applied(seen), json::serialize(back));
    BOOST_TEST(state_of(back) != "failed", json::serialize(back));
    static const std::regex resuming("supervisor sessions_loaded count=1 resuming=1");
    consumer->proc().wait_for_output(resuming, /*in_log=*/true);
  }

  // Then it ends verified, each chunk applied exactly once across the crashes,
  // with A's state.
  const auto done = w.wait_verified(*consumer, id);
  BOOST_TEST_MESSAGE("verified:" << w.shares(done));
  check_verified_whole(done);
  BOOST_TEST(u64(done.at("total_chunks")) == total);
  BOOST_TEST(done.at("peers").as_array().size() == 3u);

  consumer->stop_cleanly();
  for (auto* p : {p1.get(), p2.get(), p3.get()}) p->stop_cleanly();
  BOOST_TEST(digest_of(w.data_dir("consumer")) == source().digest);
}

BOOST_AUTO_TEST_CASE(a_newcomer_syncs_from_three_nodes_at_once_and_a_fifth_node_syncs_from_the_fourth) {
  // Given A with its snapshot, and B and C that sync it from A; A, B and C
  // are held to 8 MiB/s per consumer, so that no one of them can serve a
  // whole job before the others join it.
  swarm w;
  const std::vector<std::string> limited{"--upload-limit-per-peer", "8MiB"};
  auto a = w.start("A", origin::authority, {}, limited);
  auto b = w.start("B", origin::empty, {a.get()}, limited);
  auto c = w.start("C", origin::empty, {a.get()}, limited);
  const auto b_id = w.sync(*b, {a.get()});
  const auto c_id = w.sync(*c, {a.get()});
  check_verified_whole(w.wait_verified(*b, b_id));
  check_verified_whole(w.wait_verified(*c, c_id));

  // When the newcomer D syncs from A, B and C at once,
  auto d = w.start("D", origin::empty, {a.get(), b.get(), c.get()});
  const auto d_id = w.sync(*d, {a.get(), b.get(), c.get()});
  const auto d_done = w.wait_verified(*d, d_id);
  BOOST_TEST_MESSAGE("D verified:" << w.shares(d_done));

  // then its status shows each provider's share, and the work was shared.
  check_verified_whole(d_done);
  BOOST_TEST(d_done.at("peers").as_array().size() == 3u);
  int sharing = 0;
  for (const auto* p : {a.get(), b.get(), c.get()}) {
    const auto share = share_of(d_done, p->address().peer_id);
    const bool has_chunks = u64(share.at("chunks")) > 0;
    const bool has_bytes = u64(share.at("bytes")) > 0;
    BOOST_TEST(has_bytes == has_chunks);
    if (has_chunks) ++sharing;
  }
  BOOST_TEST(sharing >= 2, "providers with chunks: " << sharing << w.shares(d_done));

  // And E, which knows D only and trusts A's key only, syncs from D alone.
  auto e = w.start("E", origin::empty, {d.get()});
  const auto e_id = w.sync(*e, {d.get()});
  const auto e_done = w.wait_verified(*e, e_id);
  check_verified_whole(e_done);
  BOOST_REQUIRE(e_done.at("peers").as_array().size() == 1u);
  BOOST_TEST(u64(share_of(e_done, d->address().peer_id).at("chunks")) == u64(e_done.at("total_chunks")));

  // Every node stops cleanly and holds A's state.
  for (auto* n : {e.get(), d.get(), c.get(), b.get(), a.get()}) n->stop_cleanly();
  for (const std::string name : {"A", "B", "C", "D", "E"})
    BOOST_TEST(digest_of(w.data_dir(name)) == source().digest, name);
}

BOOST_AUTO_TEST_SUITE_END()
