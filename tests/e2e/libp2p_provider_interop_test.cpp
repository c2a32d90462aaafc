// A real `snapstream node` provider served to js-libp2p (interop/libp2p,
// snapshot_client.mjs): the same plan, light-client update and chunk asked for
// on /rpp/snapshots/1.0.0 (bytes as JSON arrays), on 1.1.0 (base64) and on
// 1.3.0 (raw frames, acks carried by the requests), in three sessions, decode
// to the same bytes; and those bytes are the snapshot the
// node built: the plan is the one `snapshot create` described and its root
// checks, the update is signed by the node's key for that root, and the chunk
// verifies page by page against the plan.
#define BOOST_TEST_MODULE e2e_libp2p_provider_interop
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/light_client_update.hpp"
#include "protocol/snapshot/plan.hpp"
#include "tests/app/process.hpp"
#include "tests/e2e/cli.hpp"
#include "tests/e2e/http_call.hpp"
#include "tests/e2e/node_process.hpp"
#include "tests/http/prometheus_text.hpp"

#include <boost/json.hpp>

#include <regex>

using namespace snapstream;
using namespace snapstream::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr std::uint64_t page_size = 16384;
constexpr std::uint64_t chunk_size = 65536; // 4 pages
constexpr std::uint64_t chunk_index = 1;

byte_buffer bytes_of(const json::object& response) {
  auto b = from_hex(response.at("hex").as_string());
  BOOST_REQUIRE(b);
  return std::move(*b);
}

/// Runs snapshot_client.mjs for one session on `protocol`; its JSON report.
json::object fetch_with_js(const std::filesystem::path& dir, const std::string& address, const std::string& protocol,
                           std::uint64_t session) {
  const auto interop = source_path("interop/libp2p");
  const std::string name = "js-" + std::to_string(session);
  process js(name, dir,
             {"node", (interop / "snapshot_client.mjs").string(), address, protocol, std::to_string(session),
              std::to_string(chunk_size), std::to_string(chunk_index)},
             {}, interop);
  const int code = js.wait(120s);
  BOOST_REQUIRE_MESSAGE(code == 0, name << " exited " << code << ": " << js.log());
  boost::system::error_code ec;
  auto report = json::parse(js.out(), ec);
  BOOST_REQUIRE_MESSAGE(!ec && report.is_object(), "unreadable report: " << js.out().substr(0, 500));
  return report.as_object();
}

} // namespace

BOOST_AUTO_TEST_CASE(js_libp2p_gets_the_same_snapshot_bytes_on_1_0_0_1_1_0_and_1_3_0) {
  // Given a provider node with a generated state and a snapshot.
  app::test::temp_dir dir;
  BOOST_REQUIRE(cli({"keygen", "--out", dir / "provider.key"}).code == 0);
  auto gen = cli({"state", "generate", "--data-dir", dir / "provider", "--bytes", "4MiB", "--seed", "3"});
  BOOST_REQUIRE_MESSAGE(gen.code == 0, gen.err);
  const auto snap = create_snapshot(dir / "provider", dir / "provider.key", {"--page-size", std::to_string(page_size)});
  const std::string plan_id = snap.plan_id;
  const std::uint64_t pages = snap.pages;
  const std::uint64_t total_bytes = snap.total_bytes;
  const std::uint64_t records = snap.records;
  BOOST_REQUIRE_GT(pages, 2 * (chunk_size / page_size)); // chunk 1 is a whole chunk

  const std::string token = "interop-token";
  const auto token_file = dir.write("token", token + "\n");
  node_process node("provider", dir.path(),
                    {"--data-dir", dir / "provider", "--key", dir / "provider.key", "--token-file", token_file});
  ensure_npm_packages(source_path("interop/libp2p"), "libp2p/package.json");

  // When js-libp2p asks for plan, update 0 and chunk 1 in one session per version.
  const auto v10 = fetch_with_js(dir.path(), node.address().p2p, "/rpp/snapshots/1.0.0", 101);
  const auto v11 = fetch_with_js(dir.path(), node.address().p2p, "/rpp/snapshots/1.1.0", 102);
  const auto v13 = fetch_with_js(dir.path(), node.address().p2p, "/rpp/snapshots/1.3.0", 103);

  // Then each version carries its own byte encoding ...
  for (const char* part : {"plan", "update", "chunk"}) {
    BOOST_TEST_CONTEXT(part) {
      const auto& a = v10.at(part).as_object();
      const auto& b = v11.at(part).as_object();
      BOOST_TEST(a.at("protocol").as_string() == "/rpp/snapshots/1.0.0");
      BOOST_TEST(b.at("protocol").as_string() == "/rpp/snapshots/1.1.0");
      BOOST_TEST(a.at("encoding").as_string() == "array");
      BOOST_TEST(b.at("encoding").as_string() == "base64");
      // ... and the same bytes, byte for byte.
      BOOST_TEST((a.at("hex") == b.at("hex")), "the decoded bytes differ (" << a.at("hex").as_string().size() / 2
                                                                               << " vs " << b.at("hex").as_string().size() / 2
                                                                               << " bytes)");
      // 1.3.0 carries the same bytes raw, after which comes the envelope.
      const auto& c = v13.at(part).as_object();
      BOOST_TEST(c.at("protocol").as_string() == "/rpp/snapshots/1.3.0");
      BOOST_TEST(c.at("encoding").as_string() == "raw");
      BOOST_TEST((c.at("hex") == a.at("hex")), "the 1.3.0 payload differs from the 1.0.0 bytes");
    }
  }
  BOOST_TEST(json::value_to<std::uint64_t>(v13.at("chunk").at("fields").at("chunk_index")) == chunk_index);
  // The provider took the two acks js carried with its update and chunk
  // requests (the plan's and update 0's), and no other session carried any.
  const auto metrics = http_get(node.http_port(), "/metrics", token);
  BOOST_REQUIRE(metrics.status == 200u);
  const auto doc = http::test::parse_prometheus(metrics.body);
  BOOST_REQUIRE_MESSAGE(doc.error.empty(), doc.error);
  BOOST_TEST(doc.value("snapstream_carried_acks_total") == 2.0);
  BOOST_TEST(v10.at("plan").at("fields").at("chunk_size") == v11.at("plan").at("fields").at("chunk_size"));
  BOOST_TEST(json::value_to<std::uint64_t>(v10.at("plan").at("fields").at("chunk_size")) == chunk_size);
  BOOST_TEST(json::value_to<std::uint64_t>(v10.at("plan").at("fields").at("max_concurrent_requests")) == 1u);
  BOOST_TEST(json::value_to<std::uint64_t>(v10.at("chunk").at("fields").at("chunk_index")) == chunk_index);
  BOOST_TEST(json::value_to<std::uint64_t>(v11.at("chunk").at("fields").at("chunk_index")) == chunk_index);

  // And they are the snapshot the node built: the plan `snapshot create` described ...
  const auto plan_bytes = bytes_of(v10.at("plan").as_object());
  auto plan = snapshot::decode_plan(plan_bytes);
  BOOST_REQUIRE_MESSAGE(plan, plan.error().message());
  BOOST_TEST(snapshot::check_plan_root(*plan));
  BOOST_TEST(snapshot::plan_id(*plan) == plan_id);
  BOOST_TEST(plan->page_count() == pages);
  BOOST_TEST(plan->total_bytes == total_bytes);
  BOOST_TEST(plan->record_count == records);
  BOOST_TEST(plan->page_size == page_size);
  BOOST_TEST(plan->height == 1u);
  // ... its update, signed by the node's own key for that root ...
  const auto update_bytes = bytes_of(v10.at("update").as_object());
  auto update = snapshot::decode_update(update_bytes);
  BOOST_REQUIRE_MESSAGE(update, update.error().message());
  BOOST_TEST(update->state_root == plan->state_root);
  BOOST_TEST(update->height == 1u);
  auto identity = libp2p::load_identity(dir / "provider.key");
  BOOST_REQUIRE(identity);
  BOOST_REQUIRE_EQUAL(update->signatures.size(), 1u);
  BOOST_TEST(update->signatures[0].signer == identity->public_key());
  const auto commitment = snapshot::commitment(*update);
  BOOST_TEST(snapshot::verify_signature(update->signatures[0].signer, commitment, update->signatures[0].signature));
  // ... and a chunk whose pages hash to the plan's.
  const auto chunk_bytes = bytes_of(v10.at("chunk").as_object());
  auto verified = snapshot::verify_chunk(*plan, chunk_index, chunk_size / page_size, chunk_bytes);
  BOOST_REQUIRE_MESSAGE(verified, verified.error().message());
  BOOST_TEST(verified->first_page == chunk_index * (chunk_size / page_size));
  BOOST_TEST(verified->page_count == chunk_size / page_size);
  BOOST_TEST(!verified->records.empty());

  node.stop_cleanly();
}
