#include "storage/state_loader.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/snapshot/record.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/detail/status.hpp"

#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <fstream>
#include <string>

namespace snapstream::storage {

namespace {

using detail::slice;

// Holds the owner lock for a local write and checks that the state may take one.
result<bool> check_local_owner(detail::db_impl& impl, const char* what) {
  auto owner = impl.read_owner();
  if (!owner) return owner.error();
  if (*owner && **owner != local_owner) {
    return error{storage_errc::owner_mismatch,
                 std::string(what) + ": the state holds the records of plan " + **owner + ", local writes are refused"};
  }
  return owner->has_value();
}

constexpr std::size_t batch_bytes = 4u << 20;
// The longest line a valid record can take: both fields in hex and a space.
constexpr std::size_t max_line = 2 * (snapshot::max_key_size + snapshot::max_value_size) + 1;

error import_error(std::uint64_t line, const std::string& what) {
  return error{storage_errc::invalid_import, "import line " + std::to_string(line) + ": " + what};
}

} // namespace

result<load_stats> import_state(db& d, std::istream& in) {
  auto& impl = d.internals();
  std::lock_guard lock(impl.owner_mutex);
  auto owned = check_local_owner(impl, "import");
  if (!owned) return owned.error();

  load_stats stats;
  rocksdb::WriteBatch batch;
  if (!*owned) {
    if (auto s = batch.Put(impl.meta, slice(detail::owner_key), slice(local_owner)); !s.ok()) {
      return detail::from_status(s, "import");
    }
  }
  std::uint64_t line_no = 0;
  byte_buffer key;
  byte_buffer value;
  char block[1 << 16];
  std::string pending;
  bool eof = false;
  auto process = [&](std::string_view text) -> result<void> {
    ++line_no;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty() || text.front() == '#') return {};
    const auto space = text.find(' ');
    const std::string_view key_hex = text.substr(0, space);
    const std::string_view value_hex = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    auto k = from_hex(key_hex);
    if (!k) return import_error(line_no, "key: " + k.error().message());
    auto v = from_hex(value_hex);
    if (!v) return import_error(line_no, "value: " + v.error().message());
    if (auto ok = snapshot::check_record(*k, *v); !ok) return import_error(line_no, ok.error().message());
    if (auto s = batch.Put(impl.state, slice(*k), slice(*v)); !s.ok()) return detail::from_status(s, "import");
    ++stats.records;
    stats.bytes += snapshot::encoded_record_size(k->size(), v->size());
    if (batch.GetDataSize() >= batch_bytes) {
      auto s = impl.check_space(batch.GetDataSize());
      if (s.ok()) s = impl.rdb->Write(rocksdb::WriteOptions(), &batch);
      if (!s.ok()) return detail::from_status(s, "import");
      batch.Clear();
    }
    return {};
  };
  while (!eof) {
    in.read(block, sizeof block);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) {
      if (in.bad()) return error{storage_errc::io_error, "import: read failed after line " + std::to_string(line_no)};
      eof = true;
    }
    pending.append(block, got);
    std::size_t start = 0;
    for (;;) {
      const auto nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      if (auto ok = process(std::string_view(pending).substr(start, nl - start)); !ok) return ok.error();
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > max_line + 1) return import_error(line_no + 1, "line exceeds the longest valid record");
  }
  if (!pending.empty()) {
    if (auto ok = process(pending); !ok) return ok.error();
  }
  auto s = impl.write(batch);
  if (!s.ok()) return detail::from_status(s, "import");
  return stats;
}

result<load_stats> import_state(db& d, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return error{storage_errc::io_error, "import: cannot open " + file.string()};
  return import_state(d, in);
}

namespace {

// splitmix64: a fast, well-distributed deterministic stream.
class generator {
public:
  explicit generator(std::uint64_t seed) : x_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (x_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  void fill(std::uint8_t* p, std::size_t n) noexcept {
    while (n >= 8) {
      store_le64(p, next());
      p += 8;
      n -= 8;
    }
    if (n > 0) {
      std::uint64_t v = next();
      for (; n > 0; --n, v >>= 8) *p++ = static_cast<std::uint8_t>(v);
    }
  }

private:
  std::uint64_t x_;
};

constexpr std::uint64_t sst_file_bytes = 256u << 20;

} // namespace

result<load_stats> generate_state(db& d, std::uint64_t bytes, std::uint64_t seed) {
  auto& impl = d.internals();
  std::lock_guard lock(impl.owner_mutex);
  auto owned = check_local_owner(impl, "generate");
  if (!owned) return owned.error();

  const auto tmp = impl.data_dir / "tmp-generate";
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  std::filesystem::create_directories(tmp, ec);
  if (ec) return error{storage_errc::io_error, "generate: create " + tmp.string() + ": " + ec.message()};

  rocksdb::Options options(rocksdb::DBOptions(), detail::state_cf_options(impl.cache));
  options.compression = rocksdb::kNoCompression; // random bytes do not compress
  options.bottommost_compression = rocksdb::kNoCompression;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, impl.state);

  generator gen(seed);
  load_stats stats;
  std::vector<std::string> files;
  std::uint64_t file_bytes = 0;
  bool open = false;
  std::uint8_t key[48];
  byte_buffer value(4096);
  auto fail = [&](const rocksdb::Status& s) {
    std::filesystem::remove_all(tmp, ec);
    return detail::from_status(s, "generate");
  };
  while (stats.bytes < bytes) {
    // The whole rest of the state goes through these files: keep the margin
    // for it (an SST writer meeting ENOSPC aborts, see db_options).
    if (!open) {
      if (auto s = impl.check_space(bytes - stats.bytes); !s.ok()) return fail(s);
      files.push_back((tmp / ("part-" + std::to_string(files.size()) + ".sst")).string());
      if (auto s = writer.Open(files.back()); !s.ok()) return fail(s);
      open = true;
      file_bytes = 0;
    }
    const std::uint64_t r = gen.next();
    const std::size_t key_size = 16 + r % 33;
    const std::size_t value_size = 64 + (r >> 8) % (4096 - 64 + 1);
    // The prefix grows with the record index, so keys come out sorted and distinct.
    store_be64(key, (stats.records << 20) | (r >> 44));
    gen.fill(key + 8, key_size - 8);
    gen.fill(value.data(), value_size);
    const rocksdb::Slice k(reinterpret_cast<const char*>(key), key_size);
    const rocksdb::Slice v(reinterpret_cast<const char*>(value.data()), value_size);
    if (auto s = writer.Put(k, v); !s.ok()) return fail(s);
    ++stats.records;
    const auto size = snapshot::encoded_record_size(key_size, value_size);
    stats.bytes += size;
    file_bytes += size;
    if (file_bytes >= sst_file_bytes) {
      if (auto s = writer.Finish(); !s.ok()) return fail(s);
      open = false;
    }
  }
  if (open) {
    if (auto s = writer.Finish(); !s.ok()) return fail(s);
  }
  if (!*owned) {
    rocksdb::WriteBatch batch;
    auto s = batch.Put(impl.meta, slice(detail::owner_key), slice(local_owner));
    if (s.ok()) s = impl.write(batch);
    if (!s.ok()) return fail(s);
  }
  if (!files.empty()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    if (auto s = impl.rdb->IngestExternalFile(impl.state, files, ingest); !s.ok()) return fail(s);
  }
  std::filesystem::remove_all(tmp, ec);
  return stats;
}

} // namespace snapstream::storage
