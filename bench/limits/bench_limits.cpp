// The machine's limits for a snapshot session, measured without snapstream's
// runtime: the figures a session is compared with.
//
//   tcp       raw TCP loopback bulk throughput: one connection, a sender and a
//             receiver thread, 1 MiB writes and reads.
//   sha256    SHA-256 over 64 KiB pages (OpenSSL, SHA-NI where present).
//   pipeline  the bare pipeline: only the unavoidable work of a session. A
//             sender thread writes the chunks of a built snapshot (read into
//             memory before the clock starts) over one TCP connection, each
//             behind a u32 length; the receiver reads a chunk, hashes each of
//             its pages as a Merkle leaf and compares it with the plan's hash,
//             parses the records, and writes them with one synced RocksDB
//             WriteBatch per chunk into a fresh database with the column
//             family options of the node's state. No actors, no JSON, no
//             encryption, no acknowledgements. Two forms in every run: `batch`
//             (that WriteBatch) and `sst`, the fastest durable way RocksDB
//             offers: each chunk's records become an SST file
//             (SstFileWriter, synced by Finish) ingested with
//             IngestExternalFile (move_files), as a node applies chunks of
//             1 MiB and more (docs/storage.md).
//
// Each mode prints one JSON object per line on stdout: the figure's runs and
// their median, min and max in MiB/s. Measures only: no assertion on timings.
//
//   bench_limits tcp [--mib N] [--runs R]
//   bench_limits sha256 [--mib N] [--runs R]
//   bench_limits pipeline --data-dir DIR --work DIR [--chunk-sizes B1,B2,...] [--runs R]

#include "protocol/common/endian.hpp"
#include "protocol/common/sha256.hpp"
#include "storage/db.hpp"
#include "storage/snapshot_store.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace snapstream;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr double mib = 1024.0 * 1024.0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_limits: %s\n", what.c_str());
  std::exit(1);
}

std::string json_runs(const char* name, const std::vector<double>& runs, const std::string& extra) {
  auto v = runs;
  std::sort(v.begin(), v.end());
  const double median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  std::string out = std::string("{\"figure\":\"") + name + "\",\"unit\":\"MiB/s\",\"median\":" +
                    std::to_string(median) + ",\"min\":" + std::to_string(v.front()) +
                    ",\"max\":" + std::to_string(v.back()) + ",\"runs\":[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(runs[i]);
  }
  out += ']';
  out += extra;
  out += '}';
  return out;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// ------------------------------------------------------------------ sockets

struct socket_pair {
  int sender = -1;
  int receiver = -1;
  ~socket_pair() {
    if (sender >= 0) ::close(sender);
    if (receiver >= 0) ::close(receiver);
  }
};

/// A connected loopback TCP pair (listen on an ephemeral port, connect, accept).
socket_pair connect_loopback() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind failed");
  if (::listen(listener, 1) != 0) die("listen failed");
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  socket_pair p;
  p.sender = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(p.sender, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect failed");
  p.receiver = ::accept(listener, nullptr, nullptr);
  if (p.receiver < 0) die("accept failed");
  ::close(listener);
  const int one = 1;
  ::setsockopt(p.sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return p;
}

void write_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const auto w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) die("send failed");
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool read_all(int fd, std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const auto r = ::recv(fd, data, n, 0);
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// ------------------------------------------------------------------ tcp

double tcp_run(std::size_t bytes) {
  constexpr std::size_t piece = 1 << 20;
  auto pair = connect_loopback();
  std::vector<std::uint8_t> out(piece, 0x5a);
  const auto start = clock_type::now();
  std::thread sender([&] {
    for (std::size_t sent = 0; sent < bytes; sent += piece) write_all(pair.sender, out.data(), piece);
    ::shutdown(pair.sender, SHUT_WR);
  });
  std::vector<std::uint8_t> in(piece);
  std::size_t got = 0;
  for (;;) {
    const auto r = ::recv(pair.receiver, in.data(), in.size(), 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  sender.join();
  if (got != bytes) die("tcp: received " + std::to_string(got) + " of " + std::to_string(bytes) + " bytes");
  return static_cast<double>(bytes) / mib / secs;
}

// ------------------------------------------------------------------ sha256

double sha256_run(std::size_t bytes) {
  constexpr std::size_t page = 64 * 1024;
  std::vector<std::uint8_t> data(page + 1);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 7);
  std::uint8_t sink = 0;
  const auto start = clock_type::now();
  for (std::size_t done = 0; done < bytes; done += page) {
    const auto h = sha256(bytes_view(data.data(), page + 1)); // leaf prefix byte + page
    sink ^= h[0];
    data[0] = sink;
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  return static_cast<double>(bytes) / mib / secs;
}

// ------------------------------------------------------------------ pipeline

/// The node's `state` column family options (storage/db.cpp), so the bare
/// pipeline writes under the same LSM settings as a session.
rocksdb::Options state_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1u << 20;
  o.keep_log_file_num = 4;
  o.write_buffer_size = 64u << 20;
  o.target_file_size_base = 64u << 20;
  o.level_compaction_dynamic_level_bytes = true;
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.block_size = 16 * 1024;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

struct loaded_snapshot {
  std::vector<byte_buffer> chunks;
  std::vector<hash256> page_hashes;
  std::uint64_t total_bytes = 0;
  std::uint32_t page_size = 0;
};

/// The snapshot's chunks at one page per chunk (read before any clock starts).
loaded_snapshot load_snapshot(const std::filesystem::path& data_dir) {
  storage::db_options options;
  options.create_if_missing = false;
  auto d = storage::db::open(data_dir, options);
  if (!d) die("open " + data_dir.string() + ": " + d.error().message());
  storage::snapshot_store store(**d);
  auto latest = store.latest();
  if (!latest || !*latest) die("no snapshot in " + data_dir.string() + " (run snapstream snapshot create)");
  const auto& info = **latest;
  loaded_snapshot s;
  s.page_size = info.page_size;
  auto plan = store.read_plan(info.plan_id);
  if (!plan) die("read plan: " + plan.error().message());
  constexpr std::size_t header = 4 + 1 + 8 + 4 + 8 + 8 + 8 + 4 + 32;
  for (std::uint64_t p = 0; p < info.page_count; ++p) {
    hash256 h;
    std::memcpy(h.data(), plan->data() + header + 32 * p, 32);
    s.page_hashes.push_back(h);
  }
  for (std::uint64_t i = 0; i < info.page_count; ++i) {
    auto c = store.read_chunk(info.plan_id, i, 1);
    if (!c) die("read chunk " + std::to_string(i) + ": " + c.error().message());
    s.total_bytes += c->size();
    s.chunks.push_back(std::move(*c));
  }
  return s;
}

/// The same snapshot cut at `pages_per_chunk` pages: a chunk is its pages'
/// one-page chunks concatenated (docs/protocol.md 3.5).
loaded_snapshot regroup(const loaded_snapshot& pages, std::uint64_t pages_per_chunk) {
  loaded_snapshot s;
  s.page_size = pages.page_size;
  s.page_hashes = pages.page_hashes;
  s.total_bytes = pages.total_bytes;
  for (std::size_t i = 0; i < pages.chunks.size(); i += pages_per_chunk) {
    byte_buffer c;
    for (std::size_t j = i; j < std::min(pages.chunks.size(), i + pages_per_chunk); ++j)
      c.insert(c.end(), pages.chunks[j].begin(), pages.chunks[j].end());
    s.chunks.push_back(std::move(c));
  }
  return s;
}

struct pipeline_figures {
  double mib_per_s = 0;
  double cpu_seconds = 0;
};

pipeline_figures pipeline_run(const loaded_snapshot& snap, const std::filesystem::path& work, bool sst) {
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  auto cache = rocksdb::NewLRUCache(64u << 20);
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(state_options(cache), (work / "db").string(), &raw);
  if (!s.ok()) die("rocksdb open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  auto options = state_options(cache);
  options.bottommost_compression = rocksdb::kLZ4Compression; // as the node's ingested files (storage/db.cpp)
  const auto sst_path = (work / "chunk.sst").string();
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;

  auto pair = connect_loopback();
  const double cpu0 = cpu_seconds();
  const auto start = clock_type::now();
  std::thread sender([&] {
    std::uint8_t len[4];
    for (const auto& c : snap.chunks) {
      store_be32(len, static_cast<std::uint32_t>(c.size()));
      write_all(pair.sender, len, 4);
      write_all(pair.sender, c.data(), c.size());
    }
    ::shutdown(pair.sender, SHUT_WR);
  });

  byte_buffer chunk;
  byte_buffer leaf; // 0x00 || page, hashed as a Merkle leaf
  std::uint64_t page_index = 0;
  std::uint64_t received = 0;
  for (;;) {
    std::uint8_t len[4];
    if (!read_all(pair.receiver, len, 4)) break;
    chunk.resize(load_be32(len));
    if (!read_all(pair.receiver, chunk.data(), chunk.size())) die("pipeline: connection ended inside a chunk");
    received += chunk.size();
    rocksdb::WriteBatch batch(sst ? 0 : chunk.size() + 4096);
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
    if (sst && !(s = writer.Open(sst_path)).ok()) die("sst open: " + s.ToString());
    std::size_t at = 0;
    while (at < chunk.size()) {
      const std::uint32_t page_len = load_be32(chunk.data() + at);
      at += 4;
      const std::uint8_t* page = chunk.data() + at;
      sha256_hasher hasher;
      const std::uint8_t prefix = 0;
      hasher.update(bytes_view(&prefix, 1));
      hasher.update(bytes_view(page, page_len));
      if (hasher.finish() != snap.page_hashes.at(page_index)) die("pipeline: page " + std::to_string(page_index) + " hash mismatch");
      ++page_index;
      std::size_t r = 0;
      while (r < page_len) {
        const std::uint32_t kl = load_be32(page + r);
        const char* key = reinterpret_cast<const char*>(page + r + 4);
        const std::uint32_t vl = load_be32(page + r + 4 + kl);
        const char* value = reinterpret_cast<const char*>(page + r + 8 + kl);
        if (sst) {
          if (!(s = writer.Put(rocksdb::Slice(key, kl), rocksdb::Slice(value, vl))).ok()) die("sst put: " + s.ToString());
        } else {
          batch.Put(rocksdb::Slice(key, kl), rocksdb::Slice(value, vl));
        }
        r += 8 + kl + vl;
      }
      at += page_len;
    }
    if (sst) {
      if (!(s = writer.Finish()).ok()) die("sst finish: " + s.ToString()); // syncs the file
      if (!(s = db->IngestExternalFile({sst_path}, ingest)).ok()) die("ingest: " + s.ToString());
    } else {
      s = db->Write(synced, &batch);
      if (!s.ok()) die("rocksdb write: " + s.ToString());
    }
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  const double cpu = cpu_seconds() - cpu0;
  sender.join();
  if (received != snap.total_bytes) die("pipeline: received " + std::to_string(received) + " bytes");
  db.reset();
  std::filesystem::remove_all(work);
  return {static_cast<double>(received) / mib / secs, cpu};
}

std::map<std::string, std::string> parse_flags(int argc, char** argv, int from) {
  std::map<std::string, std::string> flags;
  for (int i = from; i < argc; ++i) {
    std::string f = argv[i];
    if (!f.starts_with("--") || i + 1 >= argc) die("usage: bench_limits tcp|sha256|pipeline [--flag value]...");
    flags[f.substr(2)] = argv[++i];
  }
  return flags;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: bench_limits tcp|sha256|pipeline [--flag value]...");
  const std::string mode = argv[1];
  auto flags = parse_flags(argc, argv, 2);
  auto get = [&](const char* name, const std::string& fallback) {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  };
  const int runs = std::stoi(get("runs", "3"));
  if (mode == "tcp" || mode == "sha256") {
    const std::size_t bytes = std::stoull(get("mib", mode == "tcp" ? "1024" : "512")) << 20;
    (mode == "tcp" ? tcp_run : sha256_run)(bytes / 8); // warm-up
    std::vector<double> v;
    for (int i = 0; i < runs; ++i) v.push_back((mode == "tcp" ? tcp_run : sha256_run)(bytes));
    std::printf("%s\n", json_runs(mode == "tcp" ? "raw_tcp" : "sha256", v, "").c_str());
    return 0;
  }
  if (mode == "pipeline") {
    const std::string data_dir = get("data-dir", "");
    const std::string work = get("work", "");
    if (data_dir.empty() || work.empty()) die("pipeline needs --data-dir and --work");
    const auto pages = load_snapshot(data_dir);
    std::string sizes = get("chunk-sizes", "1048576");
    for (std::size_t at = 0; at < sizes.size();) {
      const auto comma = sizes.find(',', at);
      const std::uint64_t chunk_size = std::stoull(sizes.substr(at, comma - at));
      at = comma == std::string::npos ? sizes.size() : comma + 1;
      const auto snap = regroup(pages, std::max<std::uint64_t>(1, chunk_size / pages.page_size));
      for (const bool sst : {false, true}) {
        std::vector<double> v;
        std::vector<double> cpu;
        for (int i = 0; i < runs; ++i) {
          auto f = pipeline_run(snap, work, sst);
          v.push_back(f.mib_per_s);
          cpu.push_back(f.cpu_seconds / (static_cast<double>(snap.total_bytes) / (mib * 1024.0)));
        }
        std::sort(cpu.begin(), cpu.end());
        const std::string extra = ",\"form\":\"" + std::string(sst ? "sst" : "batch") +
                                  "\",\"chunk_size\":" + std::to_string(chunk_size) +
                                  ",\"chunks\":" + std::to_string(snap.chunks.size()) +
                                  ",\"bytes\":" + std::to_string(snap.total_bytes) +
                                  ",\"cpu_s_per_gib\":" + std::to_string(cpu[cpu.size() / 2]);
        std::printf("%s\n", json_runs("bare_pipeline", v, extra).c_str());
        std::fflush(stdout);
      }
    }
    return 0;
  }
  die("unknown mode " + mode);
}
