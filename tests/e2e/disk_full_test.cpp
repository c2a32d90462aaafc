// A full disk, met by real `snapstream node` processes whose data
// directories sit on small tmpfs mounts (the test mounts them; it needs root,
// and says so when it is not). The consumer's disk fills during a sync: the
// session fails with an error that says so, the node stays up and answers
// HTTP, and once space is freed a resume completes with the provider's
// digest. The provider's disk fills: it refuses new sessions (its
// served-session records cannot be written), stays up, and serves again once
// space is freed.
#define BOOST_TEST_MODULE e2e_disk_full
#include <boost/test/unit_test.hpp>

#include "tests/app/process.hpp"
#include "tests/e2e/cli.hpp"
#include "tests/e2e/http_call.hpp"
#include "tests/e2e/node_process.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <regex>
#include <thread>

using namespace snapstream;
using namespace snapstream::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr std::uint64_t mib = 1u << 20;
/// What every node here keeps free (min_free_disk_bytes): small, so that the
/// mounts stay small, and still far above what RocksDB writes by itself
/// between two of our writes (the WAL of one chunk, a 64 MiB memtable is
/// never reached by the 32 MiB state).
constexpr std::uint64_t keep_free = 48 * mib;

std::uint64_t free_bytes(const std::filesystem::path& p) {
  struct statvfs fs {};
  BOOST_REQUIRE(::statvfs(p.c_str(), &fs) == 0);
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

/// Mounting needs root: without it the cases are skipped, and say why.
boost::test_tools::assertion_result root_only(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(::geteuid() == 0);
  r.message() << "mounting tmpfs needs root";
  return r;
}

/// Moves this process (and the nodes it starts) into a mount namespace of
/// its own, once: a tmpfs mounted there goes away with the process, also
/// when a timeout kills it before the destructor could unmount.
void own_mount_namespace() {
  static const bool done = [] {
    BOOST_REQUIRE_MESSAGE(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): " << std::strerror(errno));
    BOOST_REQUIRE_MESSAGE(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0,
                          "make / private: " << std::strerror(errno));
    return true;
  }();
  (void)done;
}

/// A tmpfs of `bytes` mounted at `<dir>/<name>` for the test's lifetime, and
/// a filler file on it that the test grows and removes to take and give back
/// space.
class small_disk {
public:
  small_disk(const std::filesystem::path& dir, const std::string& name, std::uint64_t bytes)
      : at_(dir / name), filler_(at_ / "filler") {
    std::filesystem::create_directories(at_);
    own_mount_namespace();
    const std::string options = "size=" + std::to_string(bytes);
    BOOST_REQUIRE_MESSAGE(::mount("tmpfs", at_.c_str(), "tmpfs", 0, options.c_str()) == 0,
                          "mount tmpfs at " << at_ << ": " << std::strerror(errno));
    mounted_ = true;
  }
  small_disk(const small_disk&) = delete;
  small_disk& operator=(const small_disk&) = delete;
  ~small_disk() {
    if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return at_; }
  [[nodiscard]] std::uint64_t free() const { return free_bytes(at_); }

  /// Grows the filler until `left` bytes are free.
  void leave_free(std::uint64_t left) {
    const std::uint64_t now = free();
    BOOST_REQUIRE_MESSAGE(now > left, "only " << now << " bytes free, wanted to leave " << left);
    const int fd = ::open(filler_.c_str(), O_WRONLY | O_CREAT, 0644);
    BOOST_REQUIRE(fd >= 0);
    const auto size = static_cast<off_t>(std::filesystem::file_size(filler_) + (now - left));
    const int rc = ::posix_fallocate(fd, 0, size);
    ::close(fd);
    BOOST_REQUIRE_MESSAGE(rc == 0, "fallocate filler: " << std::strerror(rc));
  }
  /// Removes the filler: its space is free again.
  void free_filler() { std::filesystem::remove(filler_); }

private:
  std::filesystem::path at_;
  std::filesystem::path filler_;
  bool mounted_ = false;
};

/// A provider of a generated 32 MiB state on its own small disk, and a
/// consumer on another, both keeping `keep_free` bytes free.
struct world {
  app::test::temp_dir dir;
  std::string token;
  std::string token_file;
  std::string config;
  std::string plan_id;
  std::uint64_t pages = 0;
  std::uint64_t total_bytes = 0;
  std::string digest;
  std::unique_ptr<small_disk> provider_disk;
  std::unique_ptr<small_disk> consumer_disk;
  std::unique_ptr<node_process> provider;

  world() {
    std::random_device rd;
    token = "disk-" + std::to_string(rd()) + std::to_string(rd());
    token_file = dir.write("token", token + "\n");
    // No automatic retries: each failure below stays visible to the test.
    config = dir.write("config.json", "{\"min_free_disk_bytes\":" + std::to_string(keep_free) +
                                        ",\"consumer\":{\"restart\":{\"max_retries\":0}}}");
    // The offline commands (state generate, snapshot create) keep the
    // default 256 MiB free.
    provider_disk = std::make_unique<small_disk>(dir.path(), "provider-fs", 384 * mib);
    consumer_disk = std::make_unique<small_disk>(dir.path(), "consumer-fs", 160 * mib);

    BOOST_REQUIRE(cli({"keygen", "--out", dir / "provider.key"}).code == 0);
    BOOST_REQUIRE(cli({"keygen", "--out", dir / "consumer.key"}).code == 0);
    const auto data = provider_dir();
    auto gen = cli({"state", "generate", "--data-dir", data, "--bytes", "32MiB", "--seed", "11"});
    BOOST_REQUIRE_MESSAGE(gen.code == 0, gen.err);
    digest = digest_of(data);
    const auto snap = create_snapshot(data, dir / "provider.key");
    plan_id = snap.plan_id;
    pages = snap.pages;
    total_bytes = snap.total_bytes;
    provider = std::make_unique<node_process>(
      "provider", dir.path(),
      std::vector<std::string>{"--data-dir", data, "--key", dir / "provider.key", "--token-file", token_file,
                               "--config", config});
  }

  [[nodiscard]] std::string provider_dir() const { return (provider_disk->path() / "data").string(); }
  [[nodiscard]] std::string consumer_dir() const { return (consumer_disk->path() / "data").string(); }
  [[nodiscard]] std::uint64_t payload_bytes() const { return total_bytes + 4 * pages; }

  [[nodiscard]] std::unique_ptr<node_process> start_consumer(const std::string& log_name) const {
    return std::make_unique<node_process>(
      log_name, dir.path(),
      std::vector<std::string>{"--data-dir", consumer_dir(), "--key", dir / "consumer.key", "--token-file",
                               token_file, "--peer", provider->address().p2p, "--trust",
                               provider->address().peer_id, "--config", config});
  }

  /// POST /p2p/snapshots from the provider (`resume`: of session `id`).
  [[nodiscard]] http_answer sync(const node_process& consumer, std::optional<std::uint64_t> resume = {}) const {
    std::string body = "{\"peer\":\"" + provider->address().peer_id + "\"";
    if (resume) body += ",\"resume\":{\"session\":" + std::to_string(*resume) + "}";
    body += "}";
    return http_post(consumer.http_port(), "/p2p/snapshots", token, body);
  }
};

/// The node answers HTTP: health, and its session list.
void check_serves_http(const node_process& n, const std::string& token) {
  BOOST_TEST(http_get(n.http_port(), "/healthz", std::nullopt).body == "ok");
  BOOST_TEST(http_get(n.http_port(), "/p2p/snapshots", token).status == 200u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(e2e, *boost::unit_test::precondition(root_only))

BOOST_AUTO_TEST_CASE(the_consumer_disk_fills_mid_sync_the_node_stays_up_and_a_resume_after_freeing_space_completes) {
  world w;
  auto consumer = w.start_consumer("consumer");
  // Given a consumer whose disk has room for about a third of the state
  // above what it keeps free,
  w.consumer_disk->leave_free(keep_free + 12 * mib);

  // when it syncs,
  auto started = w.sync(*consumer);
  BOOST_REQUIRE_MESSAGE(started.status == 200u, started.body);
  const std::uint64_t id = u64(started.json().at("session"));

  // then the session fails with an error that says the disk is full,
  const auto failed = wait_state(consumer->http_port(), w.token, id, "failed");
  BOOST_TEST(failed.at("error_code").as_string() == "local", json::serialize(failed));
  const std::string why(failed.at("error").as_string());
  BOOST_TEST(why.find("disk full") != std::string::npos, why);
  BOOST_TEST(why.find("min_free_disk_bytes") != std::string::npos, why);
  BOOST_REQUIRE(failed.contains("last_chunk_index"));
  const std::uint64_t durable = u64(failed.at("last_chunk_index"));
  BOOST_TEST(durable >= 1u);
  BOOST_TEST(durable + 1 < u64(failed.at("total_chunks")));
  BOOST_TEST(consumer->proc().log().find("disk full") != std::string::npos);
  // the node stays up and answers HTTP, and what it kept free is still free.
  BOOST_TEST(!consumer->proc().poll_exit().has_value());
  check_serves_http(*consumer, w.token);
  BOOST_TEST(w.consumer_disk->free() >= keep_free);

  // When space is freed and the session resumed,
  w.consumer_disk->free_filler();
  auto resumed = w.sync(*consumer, id);
  BOOST_REQUIRE_MESSAGE(resumed.status == 200u, resumed.body);
  BOOST_TEST(u64(resumed.json().at("session")) == id);

  // then it completes from its durable progress, every chunk counted once,
  const auto done = wait_state(consumer->http_port(), w.token, id, "verified");
  BOOST_TEST(done.at("root").as_string() == w.plan_id);
  BOOST_TEST(u64(done.at("bytes_received")) == w.payload_bytes());
  // and the consumer holds the provider's state.
  consumer->stop_cleanly();
  BOOST_TEST(digest_of(w.consumer_dir()) == w.digest);
  w.provider->stop_cleanly();
}

BOOST_AUTO_TEST_CASE(the_provider_disk_is_full_it_refuses_new_sessions_stays_up_and_serves_once_space_is_freed) {
  world w;
  auto consumer = w.start_consumer("consumer");
  // Given a provider whose disk has less free than it keeps,
  w.provider_disk->leave_free(keep_free - 4 * mib);

  // when a consumer asks it for a session (whose record it must write first),
  auto started = w.sync(*consumer);
  BOOST_REQUIRE_MESSAGE(started.status == 200u, started.body);
  const std::uint64_t id = u64(started.json().at("session"));

  // then the session fails with the provider's refusal, which says why,
  const auto failed = wait_state(consumer->http_port(), w.token, id, "failed");
  const std::string why(failed.at("error").as_string());
  BOOST_TEST(why.find("disk full") != std::string::npos, json::serialize(failed));
  BOOST_TEST(!failed.contains("last_chunk_index"));
  // and the provider stays up and answers HTTP.
  BOOST_TEST(!w.provider->proc().poll_exit().has_value());
  check_serves_http(*w.provider, w.token);

  // Once the provider's space is freed, a new session completes.
  w.provider_disk->free_filler();
  auto again = w.sync(*consumer);
  BOOST_REQUIRE_MESSAGE(again.status == 200u, again.body);
  const std::uint64_t second = u64(again.json().at("session"));
  const auto done = wait_state(consumer->http_port(), w.token, second, "verified");
  BOOST_TEST(u64(done.at("bytes_received")) == w.payload_bytes());
  consumer->stop_cleanly();
  w.provider->stop_cleanly();
  BOOST_TEST(digest_of(w.consumer_dir()) == w.digest);
  BOOST_TEST(digest_of(w.provider_dir()) == w.digest);
}

BOOST_AUTO_TEST_SUITE_END()
