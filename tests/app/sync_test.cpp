// `snapstream sync` against a control-plane server over a scripted node
// (tests/http's fake backend): a verified session, a failed one, a refused
// token, and Ctrl-C.
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
                          out.find(" resumed from ") != std::string::npos;
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
