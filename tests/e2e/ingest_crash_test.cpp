// kill -9 at each crash point of applying a chunk by SST ingestion
// (docs/storage.md, "Applying a chunk"): before the ingest, after the ingest
// and before the chunk's progress batch, after that batch. The consumer node
// kills itself there (SNAPSTREAM_CRASH_AT, docs/testing.md), is started
// again on its data directory, resumes by itself, and ends verified with
// the provider's digest and every count exact: nothing lost, nothing counted
// twice.
#define BOOST_TEST_MODULE e2e_ingest_crash
#include <boost/test/unit_test.hpp>

#include "tests/app/process.hpp"
#include "tests/e2e/cli.hpp"
#include "tests/e2e/http_call.hpp"
#include "tests/e2e/node_process.hpp"

#include <boost/json.hpp>

using namespace snapstream;
using namespace snapstream::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
constexpr std::uint64_t chunk_size = 1u << 20; // at the ingest threshold (db_options::ingest_min_bytes)
} // namespace

BOOST_AUTO_TEST_CASE(a_consumer_killed_at_each_ingest_crash_point_resumes_to_the_same_digest) {
  app::test::temp_dir dir;
  const std::string token = "ingest-crash-token";
  const auto token_file = dir.write("token", token + "\n");
  BOOST_REQUIRE(cli({"keygen", "--out", dir / "provider.key"}).code == 0);
  auto gen = cli({"state", "generate", "--data-dir", dir / "provider", "--bytes", "24MiB", "--seed", "11"});
  BOOST_REQUIRE_MESSAGE(gen.code == 0, gen.err);
  const auto digest = digest_of(dir / "provider");
  const auto snap = create_snapshot(dir / "provider", dir / "provider.key");
  node_process provider("provider", dir.path(),
                        {"--data-dir", dir / "provider", "--key", dir / "provider.key", "--token-file", token_file});

  // The third chunk at each point; and the very first chunk after its
  // ingest, when the state's owner marker is new (it must be durable first).
  const std::vector<std::string> crashes{"before_ingest:3", "after_ingest:3", "after_progress:3", "after_ingest:1"};
  for (const auto& crash : crashes) {
    BOOST_TEST_CONTEXT(crash) {
      std::string name = "consumer-" + crash;
      name[name.find(':')] = '-';
      BOOST_REQUIRE(cli({"keygen", "--out", dir / (name + ".key")}).code == 0);
      // Killed at the crash point.
      node_process consumer(name, dir.path(),
                            {"--data-dir", dir / name, "--key", dir / (name + ".key"), "--token-file", token_file,
                             "--peer", provider.address().p2p, "--trust", provider.address().peer_id},
                            {{"SNAPSTREAM_CRASH_AT", crash}});
      auto started = http_post(consumer.http_port(), "/p2p/snapshots", token,
                               "{\"peer\":\"" + provider.address().peer_id +
                                 "\",\"chunk_size\":" + std::to_string(chunk_size) + "}");
      BOOST_REQUIRE_MESSAGE(started.status == 200u, started.body);
      const std::uint64_t id = u64(started.json().at("session"));
      const int code = consumer.proc().wait(120s);
      BOOST_TEST(code == 128 + SIGKILL);
      BOOST_TEST(consumer.proc().log().find("SNAPSTREAM_CRASH_AT=" + crash + " reached") != std::string::npos);

      // Started again without the crash point: it resumes by itself.
      consumer.set_env({});
      consumer.restart();
      const auto s = wait_state(consumer.http_port(), token, id, "verified");
      // Every chunk applied once: the counts are the snapshot's exactly.
      BOOST_TEST(u64(s.at("bytes_received")) >= snap.total_bytes);
      BOOST_TEST(u64(s.at("chunks_applied")) == u64(s.at("total_chunks")));
      consumer.stop_cleanly();
      BOOST_TEST(digest_of(dir / name) == digest);
      // No SST file of an interrupted ingest is left behind.
      const auto staging = std::filesystem::path(dir / name) / "ingest";
      BOOST_TEST((!std::filesystem::exists(staging) || std::filesystem::is_empty(staging)));
    }
  }
  provider.stop_cleanly();
}
