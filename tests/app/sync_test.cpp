// `snapstream sync` against a control-plane server over a scripted node
// (tests/http's fake backend): a verified session, a failed one, a refused
// token, Ctrl-C, and the swarm: several providers, discovery, a named plan.
#define BOOST_TEST_MODULE app_sync
#include <boost/test/unit_test.hpp>

#include "protocol/libp2p/identity.hpp"
#include "tests/app/process.hpp"
#include "tests/http/test_server.hpp"

#include <regex>
#include <thread>

using namespace snapstream;
using namespace snapstream::app::test;
using snapstream::http::test::test_server;

namespace {

const std::string token = "s3cret-token"; // test_server's token

std::string provider_id() { return libp2p::identity::generate().id().to_string(); }

/// Waits until the binary has started (or resumed) a session on the fake node
/// and received the answer: only then may the test change the session, since
/// the fake node stores the new session after recording the command.
actors::start_command wait_for_start(test_server& server, child& sync) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto& out = sync.out_so_far();
    const bool answered = out.find(" started from ") != std::string::npos ||
                          out.find(" started, discovering providers\n") != std::string::npos ||
                          out.find(" resumed") != std::string::npos;
    if (answered) {
      if (auto cmd = server.backend().last_command()) return *cmd;
    }
    if (!sync.streams_open()) break;
    sync.pump(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("sync did not start a session; it wrote: " + sync.out_so_far());
}

actors::session_status syncing(const std::string& peer, std::uint64_t chunks_done, std::uint64_t bytes) {
  actors::session_status s;
  s.session = 1;
  s.peer = peer;
  s.state = actors::session_state::syncing;
  s.root = std::string(64, 'e');
  s.plan_id = s.root;
  s.chunk_size = 1 << 20;
  s.total_chunks = 8;
  s.total_updates = 2;
  s.last_chunk_index = chunks_done - 1;
  s.bytes_received = bytes;
  return s;
}

actors::peer_status provider(const std::string& peer, std::string state, std::uint64_t chunks) {
  actors::peer_status p;
  p.peer = peer;
  p.state = std::move(state);
  p.chunks = chunks;
  p.bytes = chunks << 20;
  return p;
}

/// The lines of `text`, without their line ends.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(sync_exits_0_with_the_verified_root) {
  test_server server;
  const std::string peer = provider_id();
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--peer", peer, "--chunk-size", "2MiB", "--interval", "20"},
             {{"RPP_RPC_TOKEN", token}});
  const auto cmd = wait_for_start(server, sync);
  BOOST_TEST(cmd.peer == peer);
  BOOST_TEST((cmd.chunk_size == std::optional<std::uint64_t>(2u << 20)));
  BOOST_TEST(!cmd.resume);

  server.backend().add_session(syncing(peer, 4, 4u << 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto done = syncing(peer, 8, 8u << 20);
  done.state = actors::session_state::verified;
  done.verified = true;
  done.last_update_height = 12;
  server.backend().add_session(done);

  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.empty());
  BOOST_TEST(first_line(r.out) == "session 1 started from " + peer);
  // Not a terminal: plain lines, then the final line.
  BOOST_TEST(r.out.find("\nsession 1 syncing 50% 4.00 MiB chunk 4/8 ") != std::string::npos, r.out);
  const std::string last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  BOOST_TEST(std::regex_match(last, std::regex("verified session=1 state_root=" + std::string(64, 'e') +
                                               " height=12 bytes=8388608 seconds=[0-9.]+ mib_per_s=[0-9.]+\n")),
             last);
}

BOOST_AUTO_TEST_CASE(sync_reports_a_failed_session_with_its_error_code) {
  test_server server;
  const std::string peer = provider_id();
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  temp_dir dir;
  const std::string token_file = dir.write("token", token + "\n");
  child sync({"sync", "--http", http, "--peer", peer, "--token-file", token_file, "--interval", "20"});
  wait_for_start(server, sync);
  auto failed = syncing(peer, 2, 2u << 20);
  failed.state = actors::session_state::failed;
  failed.error = "chunk 2: page 17 hash mismatch";
  failed.error_code = "checksum";
  server.backend().add_session(failed);
  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err == "snapstream sync: session 1 failed: chunk 2: page 17 hash mismatch (error_code=checksum); "
                      "resume it with: snapstream sync --http " + http + " --peer " + peer + " --resume 1\n");
}

BOOST_AUTO_TEST_CASE(sync_with_a_wrong_token_says_how_to_give_one) {
  test_server server;
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  auto r = run({"sync", "--http", http, "--peer", provider_id()}, {{"RPP_RPC_TOKEN", "wrong"}});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.starts_with("snapstream sync: start a session: HTTP 401: "), r.err);
  BOOST_TEST(r.err.ends_with(" (give --token-file or set RPP_RPC_TOKEN)\n"), r.err);
  BOOST_TEST(!server.backend().last_command());
}

BOOST_AUTO_TEST_CASE(sync_of_an_unknown_session_fails) {
  test_server server;
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  auto r = run({"sync", "--http", http, "--peer", provider_id(), "--resume", "42"}, {{"RPP_RPC_TOKEN", token}});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err == "snapstream sync: session 42: HTTP 404: unknown snapshot session 42\n");
}

BOOST_AUTO_TEST_CASE(resume_of_a_failed_session_posts_a_resume) {
  test_server server;
  const std::string peer = provider_id();
  auto failed = syncing(peer, 3, 3u << 20);
  failed.session = 5;
  failed.state = actors::session_state::failed;
  failed.error = "network";
  server.backend().add_session(failed);
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--peer", peer, "--resume", "5", "--interval", "20"},
             {{"RPP_RPC_TOKEN", token}});
  const auto cmd = wait_for_start(server, sync);
  BOOST_REQUIRE(cmd.resume);
  BOOST_TEST(cmd.resume->session == 5u);
  BOOST_TEST((cmd.resume->plan_id == std::optional<std::string>(std::string(64, 'e'))));
  auto done = syncing(peer, 8, 8u << 20);
  done.session = 5;
  done.state = actors::session_state::verified;
  done.verified = true;
  server.backend().add_session(done);
  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 0);
  BOOST_TEST(first_line(r.out) == "session 5 resumed from " + peer);
}

BOOST_AUTO_TEST_CASE(ctrl_c_stops_watching_and_says_how_to_resume) {
  test_server server;
  const std::string peer = provider_id();
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--peer", peer, "--interval", "20"}, {{"RPP_RPC_TOKEN", token}});
  wait_for_start(server, sync);
  server.backend().add_session(syncing(peer, 1, 1u << 20));
  // Wait for the first progress line, so the signal lands while polling.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sync.out_so_far().find("syncing") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    sync.pump(std::chrono::milliseconds(50));
  sync.signal(SIGINT);
  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 130);
  BOOST_TEST(r.out.ends_with("stopped watching session 1; it keeps running on the node. Watch it again with:\n"
                             "  snapstream sync --http " + http + " --peer " + peer + " --resume 1\n"),
             r.out);
  // The session was not cancelled: the node still knows it.
  boost::asio::io_context io;
  auto still = boost::asio::co_spawn(io, server.backend().session(1), boost::asio::use_future);
  io.run();
  BOOST_TEST(still.get().has_value());
}

BOOST_AUTO_TEST_CASE(sync_from_several_providers_shows_the_active_ones_and_each_share) {
  test_server server;
  const std::string a = provider_id();
  const std::string b = provider_id();
  const std::string c = provider_id();
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--peer", a, "--peer", b, "--peer", c, "--interval", "20"},
             {{"RPP_RPC_TOKEN", token}});
  const auto cmd = wait_for_start(server, sync);
  BOOST_TEST(cmd.peer.empty());
  BOOST_TEST((cmd.peers == std::vector<std::string>{a, b, c}));
  BOOST_TEST(!cmd.plan_id);

  // Chunks land out of order: 5 applied, the contiguous prefix is 2.
  auto running = syncing(a, 2, 5u << 20);
  running.chunks_applied = 5;
  running.peers = {provider(a, "fetching", 3), provider(b, "idle", 2), provider(c, "waiting", 0)};
  server.backend().add_session(running);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sync.out_so_far().find("providers 2/3") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    sync.pump(std::chrono::milliseconds(20));
  auto done = syncing(a, 8, 8u << 20);
  done.state = actors::session_state::verified;
  done.verified = true;
  done.chunks_applied = 8;
  done.peers = {provider(a, "done", 5), provider(b, "done", 3), provider(c, "banned", 0)};
  server.backend().add_session(done);

  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(first_line(r.out) == "session 1 started from " + a + ", " + b + ", " + c);
  BOOST_TEST(r.out.find("\nsession 1 syncing 62% 5.00 MiB chunk 5/8 ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(" providers 2/3\n") != std::string::npos, r.out);
  // Each provider's share, then the verified line, last as before.
  const auto lines = lines_of(r.out);
  BOOST_REQUIRE_GE(lines.size(), 4u);
  BOOST_TEST(lines[lines.size() - 4] == "provider peer=" + a + " bytes=5242880 chunks=5");
  BOOST_TEST(lines[lines.size() - 3] == "provider peer=" + b + " bytes=3145728 chunks=3");
  BOOST_TEST(lines[lines.size() - 2] == "provider peer=" + c + " bytes=0 chunks=0");
  BOOST_TEST(lines.back().starts_with("verified session=1 state_root=" + std::string(64, 'e') + " bytes=8388608 "));
}

BOOST_AUTO_TEST_CASE(sync_without_a_peer_lets_the_node_discover_and_may_name_the_plan) {
  test_server server;
  const std::string plan(64, 'c');
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--plan-id", plan, "--interval", "20"}, {{"RPP_RPC_TOKEN", token}});
  const auto cmd = wait_for_start(server, sync);
  BOOST_TEST(cmd.peer.empty());
  BOOST_TEST(cmd.peers.empty());
  BOOST_TEST((cmd.plan_id == std::optional<std::string>(plan)));
  auto failed = syncing(provider_id(), 2, 2u << 20);
  failed.state = actors::session_state::failed;
  failed.error = "no provider offers snapshot " + plan;
  failed.error_code = "remote";
  server.backend().add_session(failed);
  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(first_line(r.out) == "session 1 started, discovering providers");
  // The job keeps its providers: resuming it needs no --peer.
  BOOST_TEST(r.err == "snapstream sync: session 1 failed: no provider offers snapshot " + plan +
                          " (error_code=remote); resume it with: snapstream sync --http " + http + " --resume 1\n");
}

BOOST_AUTO_TEST_CASE(resume_without_a_peer_resumes_the_job_with_all_its_providers) {
  test_server server;
  const std::string a = provider_id();
  const std::string b = provider_id();
  auto failed = syncing(a, 3, 3u << 20);
  failed.session = 6;
  failed.state = actors::session_state::failed;
  failed.error = "network";
  failed.peers = {provider(a, "dropped", 2), provider(b, "dropped", 1)};
  server.backend().add_session(failed);
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--resume", "6", "--interval", "20"}, {{"RPP_RPC_TOKEN", token}});
  const auto cmd = wait_for_start(server, sync);
  BOOST_TEST(cmd.peer.empty());
  BOOST_TEST(cmd.peers.empty());
  BOOST_REQUIRE(cmd.resume);
  BOOST_TEST(cmd.resume->session == 6u);
  auto done = syncing(a, 8, 8u << 20);
  done.session = 6;
  done.state = actors::session_state::verified;
  done.verified = true;
  server.backend().add_session(done);
  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 0, r.err);
  // The fake node answers a resume with the status it makes of the command: no provider named.
  BOOST_TEST(first_line(r.out) == "session 6 resumed");
}

BOOST_AUTO_TEST_CASE(watching_a_running_job_names_its_providers) {
  test_server server;
  const std::string a = provider_id();
  const std::string b = provider_id();
  auto running = syncing(a, 3, 3u << 20);
  running.session = 8;
  running.peers = {provider(a, "fetching", 2), provider(b, "fetching", 1)};
  server.backend().add_session(running);
  const std::string http = "127.0.0.1:" + std::to_string(server.port());
  child sync({"sync", "--http", http, "--resume", "8", "--interval", "20"}, {{"RPP_RPC_TOKEN", token}});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sync.out_so_far().find("providers 2/2") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    sync.pump(std::chrono::milliseconds(20));
  auto done = running;
  done.state = actors::session_state::verified;
  done.verified = true;
  server.backend().add_session(done);
  auto r = sync.wait(std::chrono::seconds(30));
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(first_line(r.out) == "watching session 8 (syncing) from " + a + ", " + b);
  BOOST_TEST(!server.backend().last_command()); // watched, not resumed
}
