#include "storage/snapshot_store.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/light_client_update.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/plan.hpp"
#include "storage/detail/codec.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/detail/snapshot_layout.hpp"
#include "storage/detail/status.hpp"

#include <rocksdb/snapshot.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace snapstream::storage {

namespace detail {

struct checkpoint_db {
  rocksdb::DB* rdb = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* state = nullptr;

  checkpoint_db() = default;
  checkpoint_db(const checkpoint_db&) = delete;
  checkpoint_db& operator=(const checkpoint_db&) = delete;
  ~checkpoint_db() {
    if (rdb == nullptr) return;
    for (auto* h : handles) rdb->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    rdb->Close().PermitUncheckedError();
    delete rdb;
  }
};

namespace {

/// Spare capacity after a chunk's bytes: a 1.3.0 provider appends the
/// response envelope to them in place (messages::max_envelope_size).
constexpr std::uint64_t response_room = 256;

std::string keyed(char tag, const hash256& root, std::size_t extra = 0) {
  std::string k;
  k.reserve(1 + root.size() + extra);
  k.push_back(tag);
  k.append(reinterpret_cast<const char*>(root.data()), root.size());
  return k;
}

} // namespace

std::string root_index_key(char tag, const hash256& root, std::uint64_t index) {
  std::string k = keyed(tag, root, 8);
  std::uint8_t be[8];
  store_be64(be, index);
  k.append(reinterpret_cast<const char*>(be), 8);
  return k;
}

std::string info_key(const hash256& root) { return keyed('i', root); }
std::string plan_key(const hash256& root) { return keyed('p', root); }
std::string page_index_key(const hash256& root, std::uint64_t page) { return root_index_key('x', root, page); }
std::string page_records_key(const hash256& root, std::uint64_t page) { return root_index_key('n', root, page); }
std::string synced_update_key(const hash256& root, std::uint64_t index) { return root_index_key('c', root, index); }

std::string update_key(std::uint64_t index) {
  std::string k(9, '\0');
  k[0] = 'u';
  store_be64(reinterpret_cast<std::uint8_t*>(k.data() + 1), index);
  return k;
}

std::string per_root_end(char tag, const hash256& root) {
  // Every key of the root is 41 bytes; this 42-byte key sorts after all of them.
  return keyed(tag, root, 9) + std::string(9, '\xff');
}

std::filesystem::path checkpoints_dir(const std::filesystem::path& data_dir) { return data_dir / "snapshots"; }

} // namespace detail

namespace {

using detail::from_status;
using detail::slice;

// Version 2 adds origin and complete; version 1 records are built, complete snapshots.
constexpr std::uint8_t info_version = 2;

byte_buffer encode_info(const snapshot_info& i) {
  detail::record_writer w;
  w.u8(info_version);
  w.u64(i.height);
  w.fixed(i.block_hash);
  w.fixed(i.state_root);
  w.u32(i.page_size);
  w.u64(i.page_count);
  w.u64(i.record_count);
  w.u64(i.total_bytes);
  w.u32(i.update_count);
  w.u64(i.created_unix_ms);
  w.u8(static_cast<std::uint8_t>(i.origin));
  w.u8(i.complete ? 1 : 0);
  return w.take();
}

result<snapshot_info> decode_info(bytes_view bytes, const std::string& what) {
  detail::record_reader r(bytes, what);
  snapshot_info i;
  std::uint8_t version = 0;
  r.u8(version, "version");
  if (version != 1 && version != 2) r.invalid("version", "is " + std::to_string(version) + ", expected 1 or 2");
  r.u64(i.height, "height");
  r.fixed(i.block_hash, "block_hash");
  r.fixed(i.state_root, "state_root");
  r.u32(i.page_size, "page_size");
  r.u64(i.page_count, "page_count");
  r.u64(i.record_count, "record_count");
  r.u64(i.total_bytes, "total_bytes");
  r.u32(i.update_count, "update_count");
  r.u64(i.created_unix_ms, "created");
  if (version >= 2) {
    std::uint8_t origin = 0;
    std::uint8_t complete = 0;
    r.u8(origin, "origin");
    if (origin > static_cast<std::uint8_t>(snapshot_origin::synced)) {
      r.invalid("origin", "value " + std::to_string(origin) + " is unknown");
    }
    r.u8(complete, "complete");
    if (complete > 1) r.invalid("complete", "value " + std::to_string(complete) + " is not 0 or 1");
    i.origin = static_cast<snapshot_origin>(origin);
    i.complete = complete == 1;
  }
  if (auto ok = r.finish(); !ok) return ok.error();
  i.plan_id = snapshot::plan_id(i.state_root);
  return i;
}

result<hash256> parse_plan_id(std::string_view plan_id) {
  hash256 root{};
  if (plan_id.size() != 64 || !from_hex_into(plan_id, root)) {
    return error{storage_errc::invalid_argument, "plan id \"" + std::string(plan_id.substr(0, 80)) +
                                                   "\" is not 64 hex characters"};
  }
  return root;
}

result<snapshot_info> load_info(detail::db_impl& impl, const hash256& root,
                                const rocksdb::ReadOptions& at = rocksdb::ReadOptions()) {
  rocksdb::PinnableSlice value;
  const auto s = impl.rdb->Get(at, impl.snapshots, detail::info_key(root), &value);
  const std::string id = snapshot::plan_id(root);
  if (s.IsNotFound()) return error{storage_errc::not_found, "snapshot " + id + " not found"};
  if (!s.ok()) return from_status(s, "read snapshot " + id);
  return decode_info(detail::view(value), "snapshot " + id);
}

// Every stored snapshot's info, in key order, read from one view.
result<std::vector<snapshot_info>> load_infos(detail::db_impl& impl, const rocksdb::ReadOptions& at) {
  std::vector<snapshot_info> out;
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(at, impl.snapshots));
  for (it->Seek("i"); it->Valid() && it->key().size() == 33 && it->key()[0] == 'i'; it->Next()) {
    hash256 root;
    std::memcpy(root.data(), it->key().data() + 1, 32);
    auto info = decode_info(detail::view(it->value()), "snapshot " + snapshot::plan_id(root));
    if (!info) return info.error();
    out.push_back(std::move(*info));
  }
  if (!it->status().ok()) return from_status(it->status(), "list snapshots");
  return out;
}

result<std::optional<std::string>> read_owner_at(detail::db_impl& impl, const rocksdb::ReadOptions& at) {
  std::string value;
  const auto s = impl.rdb->Get(at, impl.meta, slice(detail::owner_key), &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return from_status(s, "read state owner");
  return std::optional<std::string>{std::move(value)};
}

// Calls `visit(page, value)` for the entries `tag || root || u64(page)` with
// page in [first, end), in page order, from one view.
template <class Visit>
result<void> for_each_page_entry(detail::db_impl& impl, const rocksdb::ReadOptions& at, char tag,
                                 const hash256& root, std::uint64_t first, std::uint64_t end, Visit visit) {
  const std::string upper = detail::root_index_key(tag, root, end);
  rocksdb::ReadOptions ro = at;
  rocksdb::Slice bound(upper);
  ro.iterate_upper_bound = &bound;
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(ro, impl.snapshots));
  for (it->Seek(detail::root_index_key(tag, root, first)); it->Valid(); it->Next()) {
    if (it->key().size() != 41) continue;
    const auto page = load_be64(reinterpret_cast<const std::uint8_t*>(it->key().data() + 33));
    if (auto ok = visit(page, detail::view(it->value())); !ok) return ok;
  }
  if (!it->status().ok()) return from_status(it->status(), "read page index of " + snapshot::plan_id(root));
  return {};
}

struct chain_head {
  std::uint64_t length = 0;
  std::uint64_t height = 0;
  hash256 commitment = snapshot::genesis_commitment;
};

result<chain_head> read_chain_head(detail::db_impl& impl) {
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.snapshots));
  it->SeekForPrev(detail::update_key(~std::uint64_t{0}));
  if (!it->status().ok()) return from_status(it->status(), "read update chain");
  chain_head head;
  if (!it->Valid() || it->key().size() != 9 || it->key()[0] != 'u') return head;
  const std::uint64_t index = load_be64(reinterpret_cast<const std::uint8_t*>(it->key().data() + 1));
  auto u = snapshot::decode_update(detail::view(it->value()));
  if (!u) return error{storage_errc::corrupt_record, "update " + std::to_string(index) + ": " + u.error().message()};
  head.length = index + 1;
  head.height = u->height;
  head.commitment = snapshot::commitment(*u);
  return head;
}

// Update `index` of the snapshot's chain: the provider's ('u') for a built
// snapshot, the one it was verified with ('c') for a synced one.
result<byte_buffer> read_update_of(detail::db_impl& impl, const snapshot_info& info, std::uint64_t index,
                                   const rocksdb::ReadOptions& at = rocksdb::ReadOptions()) {
  const std::string key = info.origin == snapshot_origin::built ? detail::update_key(index)
                                                                : detail::synced_update_key(info.state_root, index);
  rocksdb::PinnableSlice value;
  const auto s = impl.rdb->Get(at, impl.snapshots, key, &value);
  if (s.IsNotFound()) {
    return error{storage_errc::corruption,
                 info.origin == snapshot_origin::built
                   ? "update " + std::to_string(index) + " of the chain is missing"
                   : "snapshot " + info.plan_id + ": update " + std::to_string(index) + " of its chain is missing"};
  }
  if (!s.ok()) return from_status(s, "read update " + std::to_string(index));
  return to_buffer(detail::view(value));
}

result<std::shared_ptr<detail::checkpoint_db>> open_checkpoint_at(detail::db_impl& impl,
                                                                   const std::filesystem::path& path) {
  auto cp = std::make_shared<detail::checkpoint_db>();
  rocksdb::DBOptions options;
  options.max_open_files = 256;
  // A checkpoint's files never change: blocks are read in place from the
  // mapping instead of being copied out of the page cache.
  options.allow_mmap_reads = true;
  const std::vector<rocksdb::ColumnFamilyDescriptor> families{
    {rocksdb::kDefaultColumnFamilyName, detail::small_cf_options(impl.cache)},
    {detail::cf_state, detail::state_cf_options(impl.cache)},
  };
  const auto s = rocksdb::DB::OpenForReadOnly(options, path.string(), families, &cp->handles, &cp->rdb);
  if (!s.ok()) {
    cp->rdb = nullptr;
    return from_status(s, "open checkpoint " + path.string());
  }
  cp->state = cp->handles[1];
  return cp;
}

// The open checkpoint of a complete snapshot, shared by its readers (each
// holds it while it reads, so a `remove` never closes it under a reader).
// A checkpoint is cached only if the snapshot is still stored and complete
// once it is open: `remove` erases the cache entry after its batch, so no
// removed snapshot's checkpoint stays cached.
result<std::shared_ptr<detail::checkpoint_db>> checkpoint_for(detail::db_impl& impl, const hash256& root,
                                                               const std::string& plan_id) {
  {
    std::shared_lock lock(impl.checkpoints_mutex);
    if (auto it = impl.checkpoints.find(plan_id); it != impl.checkpoints.end()) return it->second;
  }
  std::unique_lock lock(impl.checkpoints_mutex);
  if (auto it = impl.checkpoints.find(plan_id); it != impl.checkpoints.end()) return it->second;
  auto cp = open_checkpoint_at(impl, detail::checkpoints_dir(impl.data_dir) / plan_id);
  auto info = load_info(impl, root);
  if (!info) return info.error();
  if (!info->complete) return error{storage_errc::not_found, "snapshot " + plan_id + " has no checkpoint"};
  if (!cp) return cp.error();
  impl.checkpoints.emplace(plan_id, *cp);
  return *cp;
}

std::uint64_t now_unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

// Removes a folder when the operation that made it does not complete.
class dir_guard {
public:
  explicit dir_guard(std::filesystem::path p) : path_(std::move(p)) {}
  dir_guard(const dir_guard&) = delete;
  dir_guard& operator=(const dir_guard&) = delete;
  ~dir_guard() {
    if (armed_) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  void rename(std::filesystem::path to) { path_ = std::move(to); }
  void release() noexcept { armed_ = false; }

private:
  std::filesystem::path path_;
  bool armed_ = true;
};

// A checkpoint of the live database at `tmp` (replacing whatever is there),
// removed again by the returned guard unless released.
result<std::unique_ptr<dir_guard>> checkpoint_into(detail::db_impl& impl, const std::filesystem::path& tmp,
                                                   const std::string& what) {
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  std::filesystem::create_directories(tmp.parent_path(), ec);
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  if (auto s = rocksdb::Checkpoint::Create(impl.rdb, &raw_checkpoint); !s.ok()) {
    return from_status(s, what + ": checkpoint");
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  auto guard = std::make_unique<dir_guard>(tmp);
  if (auto s = checkpoint->CreateCheckpoint(tmp.string()); !s.ok()) {
    return from_status(s, what + ": checkpoint " + tmp.string());
  }
  return guard;
}

// Gives the checkpoint at `tmp` the snapshot's folder name.
result<void> publish_checkpoint(const std::filesystem::path& tmp, const std::filesystem::path& final_dir,
                                dir_guard& guard, const std::string& what) {
  std::error_code ec;
  std::filesystem::remove_all(final_dir, ec);
  std::filesystem::rename(tmp, final_dir, ec);
  if (ec) return error{storage_errc::io_error, what + ": rename " + tmp.string() + ": " + ec.message()};
  guard.rename(final_dir);
  return {};
}

// Deletes a snapshot's records, then its cached checkpoint and folder. The
// caller holds build_mutex.
result<void> remove_snapshot(detail::db_impl& impl, const snapshot_info& info) {
  const hash256& root = info.state_root;
  rocksdb::WriteBatch batch;
  auto s = batch.Delete(impl.snapshots, detail::info_key(root));
  if (s.ok()) s = batch.Delete(impl.snapshots, detail::plan_key(root));
  for (const char tag : {'x', 'n', 'c'}) {
    if (s.ok()) {
      s = batch.DeleteRange(impl.snapshots, detail::root_index_key(tag, root, 0), detail::per_root_end(tag, root));
    }
  }
  if (s.ok()) s = impl.write(batch);
  if (!s.ok()) return from_status(s, "remove snapshot " + info.plan_id);
  {
    std::unique_lock lock(impl.checkpoints_mutex);
    impl.checkpoints.erase(info.plan_id);
  }
  std::error_code ec;
  std::filesystem::remove_all(detail::checkpoints_dir(impl.data_dir) / info.plan_id, ec);
  if (ec) return error{storage_errc::io_error, "remove checkpoint of " + info.plan_id + ": " + ec.message()};
  return {};
}

std::string chunk_name(const snapshot_info& info, std::uint64_t chunk_index) {
  return "snapshot " + info.plan_id + ": chunk " + std::to_string(chunk_index);
}

// A complete snapshot's chunk: Seek to the first page's first key in the
// checkpoint and re-cut pages by the canonical rule.
result<byte_buffer> chunk_from_checkpoint(detail::db_impl& impl, const snapshot_info& info,
                                          std::uint64_t chunk_index, const snapshot::page_range& range,
                                          const rocksdb::ReadOptions& at) {
  rocksdb::PinnableSlice first_key;
  auto s = impl.rdb->Get(at, impl.snapshots, detail::page_index_key(info.state_root, range.first), &first_key);
  if (!s.ok()) {
    return s.IsNotFound() ? error{storage_errc::corruption, "snapshot " + info.plan_id + ": page index entry " +
                                                              std::to_string(range.first) + " is missing"}
                          : from_status(s, "read page index");
  }
  auto cp = checkpoint_for(impl, info.state_root, info.plan_id);
  if (!cp) return cp.error();

  byte_buffer out;
  out.reserve(std::min<std::uint64_t>(range.size() * info.page_size, info.total_bytes) + 4 * range.size() +
              detail::response_room);
  snapshot::chunk_encoder encoder(info.page_size, range.size(), out);
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2u << 20;
  ro.fill_cache = false; // a chunk is read once per session: keep the cache for the index
  std::unique_ptr<rocksdb::Iterator> it((*cp)->rdb->NewIterator(ro, (*cp)->state));
  for (it->Seek(first_key); it->Valid(); it->Next()) {
    if (encoder.push(detail::view(it->key()), detail::view(it->value())) ==
        snapshot::chunk_encoder::push_result::chunk_full) {
      break;
    }
  }
  if (!it->status().ok()) return from_status(it->status(), "read chunk " + std::to_string(chunk_index));
  encoder.finish();
  if (encoder.pages() != range.size()) {
    return error{storage_errc::corruption, "snapshot " + info.plan_id + ": chunk " + std::to_string(chunk_index) +
                                             " yields " + std::to_string(encoder.pages()) + " pages, the plan has " +
                                             std::to_string(range.size())};
  }
  return out;
}

// A partial snapshot's chunk, from the live state as seen by `at`: each page
// is the `n` records from its indexed first key. Pages are disjoint key
// ranges in key order, so the chunk's records are one run of the state.
result<byte_buffer> chunk_from_live(detail::db_impl& impl, const snapshot_info& info, std::uint64_t chunk_index,
                                    const snapshot::page_range& range, const rocksdb::ReadOptions& at) {
  const hash256& root = info.state_root;
  auto owner = read_owner_at(impl, at);
  if (!owner) return owner.error();
  if (!*owner || **owner != info.plan_id) {
    return error{storage_errc::not_available,
                 chunk_name(info, chunk_index) + " is not available: the live state does not hold its records"};
  }
  std::vector<std::uint32_t> counts;
  counts.reserve(range.size());
  auto counted = for_each_page_entry(
    impl, at, 'n', root, range.first, range.end, [&](std::uint64_t page, bytes_view value) -> result<void> {
      if (page != range.first + counts.size()) return {}; // past a gap, reported below
      if (value.size() != 4 || load_be32(value.data()) == 0) {
        return error{storage_errc::corrupt_record,
                     "snapshot " + info.plan_id + ": record count of page " + std::to_string(page) + " is malformed"};
      }
      counts.push_back(load_be32(value.data()));
      return {};
    });
  if (!counted) return counted.error();
  if (counts.size() != range.size()) {
    return error{storage_errc::not_available, chunk_name(info, chunk_index) + " is not available: page " +
                                                std::to_string(range.first + counts.size()) + " is not applied yet"};
  }
  std::vector<std::string> first_keys;
  first_keys.reserve(range.size());
  auto indexed = for_each_page_entry(
    impl, at, 'x', root, range.first, range.end, [&](std::uint64_t page, bytes_view value) -> result<void> {
      if (page == range.first + first_keys.size()) first_keys.emplace_back(as_chars(value));
      return {};
    });
  if (!indexed) return indexed.error();
  if (first_keys.size() != range.size()) {
    return error{storage_errc::corruption, "snapshot " + info.plan_id + ": page index entry " +
                                             std::to_string(range.first + first_keys.size()) + " is missing"};
  }

  byte_buffer out;
  out.reserve(std::min<std::uint64_t>(range.size() * info.page_size, info.total_bytes) + 4 * range.size() +
              detail::response_room);
  rocksdb::ReadOptions ro = at;
  ro.readahead_size = 2u << 20;
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(ro, impl.state));
  it->Seek(first_keys.front());
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const std::uint64_t page = range.first + k;
    const std::size_t frame = out.size();
    out.resize(frame + 4);
    for (std::uint32_t n = 0; n < counts[k]; ++n, it->Next()) {
      if (!it->Valid()) {
        if (!it->status().ok()) return from_status(it->status(), "read " + chunk_name(info, chunk_index));
        return error{storage_errc::corruption, "snapshot " + info.plan_id + ": the live state ends inside page " +
                                                 std::to_string(page)};
      }
      if (n == 0 && it->key() != rocksdb::Slice(first_keys[k])) {
        return error{storage_errc::corruption, "snapshot " + info.plan_id + ": page " + std::to_string(page) +
                                                 " does not start at its indexed key in the live state"};
      }
      snapshot::append_record(out, detail::view(it->key()), detail::view(it->value()));
    }
    store_be32(out.data() + frame, static_cast<std::uint32_t>(out.size() - frame - 4));
  }
  if (!it->status().ok()) return from_status(it->status(), "read " + chunk_name(info, chunk_index));
  return out;
}

} // namespace

namespace detail {

result<void> remove_orphan_checkpoints(db_impl& impl) {
  const auto dir = checkpoints_dir(impl.data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return {};
  std::vector<std::filesystem::path> orphans;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    hash256 root{};
    bool keep = false;
    if (name.size() == 64 && from_hex_into(name, root)) {
      auto info = load_info(impl, root);
      // An info that does not decode keeps its folder: nothing is deleted on a doubt.
      if (info) {
        keep = info->complete;
      } else if (info.error().is(storage_errc::corrupt_record)) {
        keep = true;
      } else if (!info.error().is(storage_errc::not_found)) {
        return info.error();
      }
    }
    if (!keep) orphans.push_back(entry.path());
  }
  if (ec) return error{storage_errc::io_error, "scan " + dir.string() + ": " + ec.message()};
  for (const auto& p : orphans) {
    std::filesystem::remove_all(p, ec);
    if (ec) return error{storage_errc::io_error, "remove orphan checkpoint " + p.string() + ": " + ec.message()};
  }
  return {};
}

result<void> forget_live_pages(db_impl& impl, rocksdb::WriteBatch& batch, std::string_view owner) {
  hash256 root{};
  if (owner.size() != 64 || !from_hex_into(owner, root)) return {};
  auto info = load_info(impl, root);
  if (info && info->complete) return {};
  if (!info && !info.error().is(storage_errc::not_found)) return info.error();
  auto s = batch.DeleteRange(impl.snapshots, page_index_key(root, 0), per_root_end('x', root));
  if (s.ok()) s = batch.DeleteRange(impl.snapshots, page_records_key(root, 0), per_root_end('n', root));
  return check(s, "forget the page index of " + std::string(owner));
}

} // namespace detail

std::string_view to_string(snapshot_origin o) noexcept {
  switch (o) {
    case snapshot_origin::built: return "built";
    case snapshot_origin::synced: return "synced";
  }
  return "unknown";
}

hash256 derived_block_hash(std::uint64_t height, const hash256& state_root) {
  static constexpr std::string_view domain = "snapstream/block/v1";
  std::uint8_t buf[domain.size() + 8 + 32];
  std::memcpy(buf, domain.data(), domain.size());
  store_be64(buf + domain.size(), height);
  std::memcpy(buf + domain.size() + 8, state_root.data(), 32);
  return sha256(bytes_view(buf, sizeof buf));
}

result<snapshot_info> snapshot_store::build(const build_options& options, const snapshot::authority_key& key) {
  auto& impl = db_->internals();
  if (auto ok = snapshot::check_page_size(options.page_size); !ok) {
    return error{storage_errc::invalid_argument, "build snapshot: " + ok.error().message()};
  }
  std::lock_guard build_lock(impl.build_mutex);
  auto head = read_chain_head(impl);
  if (!head) return head.error();
  if (head->length > 0 && options.height <= head->height) {
    return error{storage_errc::height_not_increasing, "build snapshot: height " + std::to_string(options.height) +
                                                        " does not exceed the last snapshot's height " +
                                                        std::to_string(head->height)};
  }
  if (head->length >= 0xffffffffull) {
    return error{storage_errc::invalid_argument, "build snapshot: the update chain is full"};
  }

  // 1. A checkpoint: an immutable, openable copy of the database (hard links).
  const auto dir = detail::checkpoints_dir(impl.data_dir);
  const auto tmp = dir / ("tmp-" + std::to_string(options.height));
  auto guard = checkpoint_into(impl, tmp, "build snapshot");
  if (!guard) return guard.error();

  // 2. Pages, page index and root, streamed from the checkpoint.
  std::vector<hash256> hashes;
  std::vector<byte_buffer> first_keys;
  snapshot::plan p;
  {
    auto cp = open_checkpoint_at(impl, tmp);
    if (!cp) return cp.error();
    auto builder = snapshot::page_builder::create(options.page_size, [&](const snapshot::closed_page& page) {
      hashes.push_back(page.hash);
      first_keys.push_back(to_buffer(page.first_key));
      return result<void>{};
    });
    if (!builder) return error{storage_errc::invalid_argument, "build snapshot: " + builder.error().message()};
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4u << 20;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it((*cp)->rdb->NewIterator(ro, (*cp)->state));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (auto ok = builder->push(detail::view(it->key()), detail::view(it->value())); !ok) {
        return error{storage_errc::invalid_argument, "build snapshot: state " + ok.error().message()};
      }
    }
    if (!it->status().ok()) return from_status(it->status(), "build snapshot: read state");
    if (auto ok = builder->finish(); !ok) return error{storage_errc::other, "build snapshot: " + ok.error().message()};
    p.page_size = options.page_size;
    p.record_count = builder->record_count();
    p.total_bytes = builder->total_bytes();
  }
  p.height = options.height;
  p.update_count = static_cast<std::uint32_t>(head->length + 1);
  p.state_root = snapshot::merkle_root(hashes);
  p.page_hashes = std::move(hashes);
  const std::string id = snapshot::plan_id(p);

  std::string existing;
  auto found = impl.rdb->Get(rocksdb::ReadOptions(), impl.snapshots, detail::info_key(p.state_root), &existing);
  if (found.ok()) {
    return error{storage_errc::snapshot_exists, "build snapshot: a snapshot of state root " + id + " exists already"};
  }
  if (!found.IsNotFound()) return from_status(found, "build snapshot");

  // 3. The next update of the chain.
  snapshot::light_client_update update;
  update.height = options.height;
  update.block_hash = options.block_hash ? *options.block_hash : derived_block_hash(options.height, p.state_root);
  update.state_root = p.state_root;
  update.previous_commitment = head->commitment;
  key.sign_update(update);

  snapshot_info info;
  info.plan_id = id;
  info.height = p.height;
  info.block_hash = update.block_hash;
  info.state_root = p.state_root;
  info.page_size = p.page_size;
  info.page_count = p.page_count();
  info.record_count = p.record_count;
  info.total_bytes = p.total_bytes;
  info.update_count = p.update_count;
  info.created_unix_ms = now_unix_ms();
  info.origin = snapshot_origin::built;
  info.complete = true;

  // 4. The checkpoint takes its final name, then one synced batch publishes it.
  if (auto ok = publish_checkpoint(tmp, dir / id, **guard, "build snapshot"); !ok) return ok.error();

  rocksdb::WriteBatch batch;
  const byte_buffer info_bytes = encode_info(info);
  const byte_buffer plan_bytes = snapshot::encode_plan(p);
  const byte_buffer update_bytes = snapshot::encode_update(update);
  auto s = batch.Put(impl.snapshots, detail::info_key(p.state_root), slice(info_bytes));
  if (s.ok()) s = batch.Put(impl.snapshots, detail::plan_key(p.state_root), slice(plan_bytes));
  for (std::uint64_t i = 0; s.ok() && i < first_keys.size(); ++i) {
    s = batch.Put(impl.snapshots, detail::page_index_key(p.state_root, i), slice(first_keys[i]));
  }
  if (s.ok()) s = batch.Put(impl.snapshots, detail::update_key(head->length), slice(update_bytes));
  if (s.ok()) s = impl.write(batch);
  if (!s.ok()) return from_status(s, "build snapshot: store " + id);
  (*guard)->release();
  return info;
}

result<snapshot_info> snapshot_store::register_synced(bytes_view plan_bytes, std::span<const byte_buffer> updates) {
  auto p = snapshot::decode_plan(plan_bytes);
  if (!p) return error{storage_errc::invalid_argument, "register snapshot: " + p.error().message()};
  const std::string id = snapshot::plan_id(*p);
  const std::string what = "register snapshot " + id;
  if (!snapshot::check_plan_root(*p)) {
    return error{storage_errc::invalid_argument, what + ": the page hashes do not match the state root"};
  }
  if (updates.size() != p->update_count) {
    return error{storage_errc::invalid_argument, what + ": " + std::to_string(updates.size()) +
                                                   " updates given, the plan has " + std::to_string(p->update_count)};
  }
  std::optional<snapshot::light_client_update> last;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    auto u = snapshot::decode_update(updates[i]);
    if (!u) {
      return error{storage_errc::invalid_argument, what + ": update " + std::to_string(i) + ": " + u.error().message()};
    }
    if (i + 1 == updates.size()) last = std::move(*u);
  }
  if (last->state_root != p->state_root || last->height != p->height) {
    return error{storage_errc::invalid_argument, what + ": the last update names another state root or height"};
  }

  auto& impl = db_->internals();
  std::lock_guard build_lock(impl.build_mutex);
  auto existing = load_info(impl, p->state_root);
  if (existing) {
    if (existing->origin == snapshot_origin::synced) return *existing;
    return error{storage_errc::snapshot_exists, what + ": this node built a snapshot of that state root"};
  }
  if (!existing.error().is(storage_errc::not_found)) return existing.error();

  snapshot_info info;
  info.plan_id = id;
  info.height = p->height;
  info.block_hash = last->block_hash;
  info.state_root = p->state_root;
  info.page_size = p->page_size;
  info.page_count = p->page_count();
  info.record_count = p->record_count;
  info.total_bytes = p->total_bytes;
  info.update_count = p->update_count;
  info.created_unix_ms = now_unix_ms();
  info.origin = snapshot_origin::synced;
  info.complete = false;

  rocksdb::WriteBatch batch;
  const byte_buffer info_bytes = encode_info(info);
  auto s = batch.Put(impl.snapshots, detail::info_key(p->state_root), slice(info_bytes));
  if (s.ok()) s = batch.Put(impl.snapshots, detail::plan_key(p->state_root), slice(plan_bytes));
  for (std::size_t i = 0; s.ok() && i < updates.size(); ++i) {
    s = batch.Put(impl.snapshots, detail::synced_update_key(p->state_root, i), slice(updates[i]));
  }
  if (s.ok()) s = impl.write(batch);
  if (!s.ok()) return from_status(s, what);
  return info;
}

result<snapshot_info> snapshot_store::finalize_synced(std::string_view plan_id) {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  auto& impl = db_->internals();
  std::lock_guard build_lock(impl.build_mutex);
  auto info = load_info(impl, *root);
  if (!info) return info.error();
  const std::string what = "finalize snapshot " + info->plan_id;
  if (info->origin != snapshot_origin::synced) {
    return error{storage_errc::invalid_argument, what + ": it is a built snapshot"};
  }
  if (info->complete) return *info;

  // The owner lock keeps the state and its page index as checked until the
  // snapshot is marked complete (no clear_state, no chunk of another plan).
  std::lock_guard owner_lock(impl.owner_mutex);
  std::uint64_t indexed = 0;
  auto counted = for_each_page_entry(impl, rocksdb::ReadOptions(), 'n', *root, 0, info->page_count,
                                     [&](std::uint64_t page, bytes_view) -> result<void> {
                                       if (page == indexed) ++indexed;
                                       return {};
                                     });
  if (!counted) return counted.error();
  if (indexed != info->page_count) {
    return error{storage_errc::invalid_argument, what + ": page " + std::to_string(indexed) + " is not applied yet"};
  }
  auto owner = impl.read_owner();
  if (!owner) return owner.error();
  if (info->page_count == 0) {
    auto empty = impl.state_is_empty();
    if (!empty) return empty.error();
    if (!*empty) return error{storage_errc::owner_mismatch, what + ": the state holds records, the snapshot has none"};
  } else if (!*owner || **owner != info->plan_id) {
    const std::string held = !*owner                  ? std::string("no plan's records")
                             : **owner == local_owner ? std::string("local records")
                                                      : "the records of plan " + **owner;
    return error{storage_errc::owner_mismatch, what + ": the state holds " + held + ", not of plan " + info->plan_id};
  }

  // 1. The checkpoint, under a name db::open removes; 2. its final name;
  // 3. one synced write marks the snapshot complete. A crash before 3 leaves
  // a folder whose info is not complete, which db::open removes.
  const auto dir = detail::checkpoints_dir(impl.data_dir);
  const auto tmp = dir / ("tmp-" + info->plan_id);
  auto guard = checkpoint_into(impl, tmp, what);
  if (!guard) return guard.error();
  if (auto ok = publish_checkpoint(tmp, dir / info->plan_id, **guard, what); !ok) return ok.error();
  info->complete = true;
  const byte_buffer info_bytes = encode_info(*info);
  auto s = impl.put(impl.snapshots, detail::info_key(*root), slice(info_bytes));
  if (!s.ok()) return from_status(s, what);
  (*guard)->release();
  return *info;
}

result<std::vector<snapshot_info>> snapshot_store::list() const {
  auto all = load_infos(db_->internals(), rocksdb::ReadOptions());
  if (!all) return all.error();
  std::erase_if(*all, [](const snapshot_info& i) { return !i.complete; });
  std::sort(all->begin(), all->end(), [](const auto& a, const auto& b) { return a.height < b.height; });
  return all;
}

result<std::optional<snapshot_info>> snapshot_store::latest() const {
  auto all = list();
  if (!all) return all.error();
  if (all->empty()) return std::optional<snapshot_info>{};
  return std::optional<snapshot_info>{std::move(all->back())};
}

result<snapshot_info> snapshot_store::info(std::string_view plan_id) const {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  return load_info(db_->internals(), *root);
}

result<std::vector<snapshot::offer>> snapshot_store::offers() const {
  auto& impl = db_->internals();
  rocksdb::ManagedSnapshot view(impl.rdb);
  rocksdb::ReadOptions at;
  at.snapshot = view.snapshot();
  auto all = load_infos(impl, at);
  if (!all) return all.error();
  auto owner = read_owner_at(impl, at);
  if (!owner) return owner.error();
  // Complete before partial; each newest first.
  std::sort(all->begin(), all->end(), [](const snapshot_info& a, const snapshot_info& b) {
    if (a.complete != b.complete) return a.complete;
    if (a.height != b.height) return a.height > b.height;
    return a.created_unix_ms > b.created_unix_ms;
  });
  if (all->size() > snapshot::max_offers) all->resize(snapshot::max_offers);

  std::vector<snapshot::offer> out;
  out.reserve(all->size());
  for (const auto& info : *all) {
    snapshot::offer o;
    o.state_root = info.state_root;
    o.height = info.height;
    o.page_size = info.page_size;
    o.page_count = info.page_count;
    o.total_bytes = info.total_bytes;
    o.update_count = info.update_count;
    o.complete = info.complete;
    if (info.update_count > 0) {
      auto bytes = read_update_of(impl, info, info.update_count - 1, at);
      if (!bytes) return bytes.error();
      auto last = snapshot::decode_update(*bytes);
      if (!last) {
        return error{storage_errc::corrupt_record,
                     "snapshot " + info.plan_id + ": its last update: " + last.error().message()};
      }
      for (const auto& sig : last->signatures) {
        if (o.signers.size() == snapshot::max_offer_signers) break;
        o.signers.push_back(sig.signer);
      }
    }
    if (!info.complete) {
      o.pages.assign(static_cast<std::size_t>((info.page_count + 7) / 8), 0);
      // Pages count as held only while the live state holds the plan's records.
      if (*owner && **owner == info.plan_id) {
        auto held = for_each_page_entry(impl, at, 'n', info.state_root, 0, info.page_count,
                                        [&](std::uint64_t page, bytes_view) -> result<void> {
                                          o.pages[page / 8] |= static_cast<std::uint8_t>(1u << (page % 8));
                                          return {};
                                        });
        if (!held) return held.error();
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

result<byte_buffer> snapshot_store::read_plan(std::string_view plan_id) const {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  auto& impl = db_->internals();
  rocksdb::PinnableSlice value;
  const auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.snapshots, detail::plan_key(*root), &value);
  if (s.IsNotFound()) return error{storage_errc::not_found, "snapshot " + std::string(plan_id) + " not found"};
  if (!s.ok()) return from_status(s, "read plan " + std::string(plan_id));
  return to_buffer(detail::view(value));
}

result<byte_buffer> snapshot_store::read_update(std::string_view plan_id, std::uint64_t update_index) const {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  auto& impl = db_->internals();
  rocksdb::ManagedSnapshot view(impl.rdb);
  rocksdb::ReadOptions at;
  at.snapshot = view.snapshot();
  auto info = load_info(impl, *root, at);
  if (!info) return info.error();
  if (update_index >= info->update_count) {
    return error{storage_errc::invalid_argument, "update index " + std::to_string(update_index) +
                                                   " is beyond the " + std::to_string(info->update_count) +
                                                   " updates of snapshot " + info->plan_id};
  }
  return read_update_of(impl, *info, update_index, at);
}

result<byte_buffer> snapshot_store::read_chunk(std::string_view plan_id, std::uint64_t chunk_index,
                                               std::uint64_t pages_per_chunk) const {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  auto& impl = db_->internals();
  // One view for the info, the page index and (partial snapshots) the state.
  rocksdb::ManagedSnapshot view(impl.rdb);
  rocksdb::ReadOptions at;
  at.snapshot = view.snapshot();
  auto info = load_info(impl, *root, at);
  if (!info) return info.error();
  if (pages_per_chunk == 0) return error{storage_errc::invalid_argument, "read chunk: 0 pages per chunk"};
  const auto chunks = snapshot::chunk_count(info->page_count, pages_per_chunk);
  if (chunk_index >= chunks) {
    return error{storage_errc::invalid_argument,
                 "chunk index " + std::to_string(chunk_index) + " is beyond the " + std::to_string(chunks) +
                   " chunks of snapshot " + info->plan_id + " at " + std::to_string(pages_per_chunk) +
                   " pages per chunk"};
  }
  const auto range = snapshot::chunk_pages(chunk_index, pages_per_chunk, info->page_count);
  if (!info->complete) return chunk_from_live(impl, *info, chunk_index, range, at);

  auto chunk = chunk_from_checkpoint(impl, *info, chunk_index, range, at);
  if (!chunk && !chunk.error().is(storage_errc::not_found)) {
    // A remove that ran meanwhile may have deleted the checkpoint's files:
    // that is the snapshot being gone, not a broken store.
    auto now = load_info(impl, *root);
    if (!now && now.error().is(storage_errc::not_found)) return now.error();
  }
  return chunk;
}

result<std::uint64_t> snapshot_store::chain_length() const {
  auto head = read_chain_head(db_->internals());
  if (!head) return head.error();
  return head->length;
}

result<void> snapshot_store::remove(std::string_view plan_id) {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  auto& impl = db_->internals();
  std::lock_guard build_lock(impl.build_mutex);
  auto info = load_info(impl, *root);
  if (!info) return info.error();
  return remove_snapshot(impl, *info);
}

result<std::vector<std::string>> snapshot_store::prune(std::size_t keep) {
  if (keep == 0) return error{storage_errc::invalid_argument, "prune snapshots: keep must be at least 1"};
  auto& impl = db_->internals();
  std::lock_guard build_lock(impl.build_mutex);
  auto all = load_infos(impl, rocksdb::ReadOptions());
  if (!all) return all.error();
  std::erase_if(*all, [](const snapshot_info& i) { return !i.complete; });
  std::sort(all->begin(), all->end(), [](const snapshot_info& a, const snapshot_info& b) {
    if (a.height != b.height) return a.height < b.height;
    return a.created_unix_ms < b.created_unix_ms;
  });
  std::vector<std::string> removed;
  for (std::size_t i = 0; i + keep < all->size(); ++i) {
    if (auto ok = remove_snapshot(impl, (*all)[i]); !ok) return ok.error();
    removed.push_back((*all)[i].plan_id);
  }
  return removed;
}

} // namespace snapstream::storage
