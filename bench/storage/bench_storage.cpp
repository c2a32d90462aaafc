// bench_storage <data-dir> [state-MiB=1024] [chunk-pages=16] [page-size=65536] [verify=1]
//
// Generates a deterministic state of the given size into a fresh database at
// <data-dir>, builds a snapshot of it, then reads every chunk in order (and,
// with verify=1, runs each through the light-client verifier, as a consumer
// would). Prints the time of each phase. Measures; asserts nothing.

#include "protocol/common/hex.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "storage/db.hpp"
#include "storage/snapshot_store.hpp"
#include "storage/state_loader.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace snapstream;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

[[noreturn]] void die(const std::string& what, const error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), to_string(e).c_str());
  std::exit(1);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <data-dir> [state-MiB] [chunk-pages] [page-size] [verify]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const std::uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  const std::uint64_t chunk_pages = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 16;
  const std::uint32_t page_size = argc > 4 ? static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10)) : 65536;
  const bool verify = argc > 5 ? std::atoi(argv[5]) != 0 : true;

  std::filesystem::remove_all(dir);
  auto d = storage::db::open(dir);
  if (!d) die("open", d.error());

  auto t0 = clock_type::now();
  auto generated = storage::generate_state(**d, mib << 20, 1);
  if (!generated) die("generate", generated.error());
  const double t_generate = seconds_since(t0);
  std::printf("generate: %llu records, %.1f MiB in %.2f s (%.0f MiB/s)\n",
              static_cast<unsigned long long>(generated->records), generated->bytes / 1048576.0, t_generate,
              generated->bytes / 1048576.0 / t_generate);

  auto key = snapshot::authority_key::generate();
  if (!key) die("key", key.error());
  storage::snapshot_store store(**d);
  storage::build_options options;
  options.height = 1;
  options.page_size = page_size;
  t0 = clock_type::now();
  auto info = store.build(options, *key);
  if (!info) die("build", info.error());
  const double t_build = seconds_since(t0);
  std::printf("build: %llu pages, plan %s in %.2f s (%.0f MiB/s)\n",
              static_cast<unsigned long long>(info->page_count), info->plan_id.c_str(), t_build,
              info->total_bytes / 1048576.0 / t_build);

  snapshot::trust_config trust;
  trust.authorities = {key->public_key()};
  auto verifier = snapshot::light_client_verifier::create(trust);
  if (!verifier) die("verifier", verifier.error());
  if (verify) {
    auto plan = store.read_plan(info->plan_id);
    if (!plan) die("plan", plan.error());
    if (auto ok = verifier->accept_plan(*plan, chunk_pages * page_size); !ok) die("accept plan", ok.error());
    auto update = store.read_update(info->plan_id, 0);
    if (!update) die("update", update.error());
    if (auto ok = verifier->accept_update(0, *update); !ok) die("accept update", ok.error());
  }

  const std::uint64_t chunks = snapshot::chunk_count(info->page_count, chunk_pages);
  std::uint64_t bytes = 0;
  std::size_t largest = 0;
  snapshot::verified_chunk out;
  t0 = clock_type::now();
  for (std::uint64_t i = 0; i < chunks; ++i) {
    auto chunk = store.read_chunk(info->plan_id, i, chunk_pages);
    if (!chunk) die("read chunk " + std::to_string(i), chunk.error());
    bytes += chunk->size();
    largest = std::max(largest, chunk->size());
    if (verify) {
      if (auto ok = verifier->accept_chunk(i, *chunk, out); !ok) die("verify", ok.error());
    }
  }
  const double t_read = seconds_since(t0);
  std::printf("read%s: %llu chunks of %llu pages, %.1f MiB (largest chunk %zu bytes) in %.2f s (%.0f MiB/s)\n",
              verify ? " + verify" : "", static_cast<unsigned long long>(chunks),
              static_cast<unsigned long long>(chunk_pages), bytes / 1048576.0, largest, t_read,
              bytes / 1048576.0 / t_read);
  if (verify) std::printf("verified head: %s\n", verifier->head() ? "yes" : "NO");

  t0 = clock_type::now();
  auto digest = (*d)->digest_state();
  if (!digest) die("digest", digest.error());
  std::printf("digest: %llu records in %.2f s\n", static_cast<unsigned long long>(digest->record_count),
              seconds_since(t0));
  return 0;
}
