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

std::string keyed(char tag, const hash256& root, std::size_t extra = 0) {
  std::string k;
  k.reserve(1 + root.size() + extra);
  k.push_back(tag);
  k.append(reinterpret_cast<const char*>(root.data()), root.size());
  return k;
}

} // namespace

std::string info_key(const hash256& root) { return keyed('i', root); }
std::string plan_key(const hash256& root) { return keyed('p', root); }

std::string page_index_key(const hash256& root, std::uint64_t page) {
  std::string k = keyed('x', root, 8);
  std::uint8_t be[8];
  store_be64(be, page);
  k.append(reinterpret_cast<const char*>(be), 8);
  return k;
}

std::string update_key(std::uint64_t index) {
  std::string k(9, '\0');
  k[0] = 'u';
  store_be64(reinterpret_cast<std::uint8_t*>(k.data() + 1), index);
  return k;
}

std::filesystem::path checkpoints_dir(const std::filesystem::path& data_dir) { return data_dir / "snapshots"; }

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
      std::string value;
      const auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.snapshots, info_key(root), &value);
      if (!s.ok() && !s.IsNotFound()) return from_status(s, "scan snapshots");
      keep = s.ok();
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

} // namespace detail

namespace {

using detail::from_status;
using detail::slice;

constexpr std::uint8_t info_version = 1;

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
  return w.take();
}

result<snapshot_info> decode_info(bytes_view bytes, const std::string& what) {
  detail::record_reader r(bytes, what);
  snapshot_info i;
  std::uint8_t version = 0;
  r.u8(version, "version");
  if (version != info_version) r.invalid("version", "is " + std::to_string(version) + ", expected 1");
  r.u64(i.height, "height");
  r.fixed(i.block_hash, "block_hash");
  r.fixed(i.state_root, "state_root");
  r.u32(i.page_size, "page_size");
  r.u64(i.page_count, "page_count");
  r.u64(i.record_count, "record_count");
  r.u64(i.total_bytes, "total_bytes");
  r.u32(i.update_count, "update_count");
  r.u64(i.created_unix_ms, "created");
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

result<snapshot_info> load_info(detail::db_impl& impl, const hash256& root) {
  rocksdb::PinnableSlice value;
  const auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.snapshots, detail::info_key(root), &value);
  const std::string id = snapshot::plan_id(root);
  if (s.IsNotFound()) return error{storage_errc::not_found, "snapshot " + id + " not found"};
  if (!s.ok()) return from_status(s, "read snapshot " + id);
  return decode_info(detail::view(value), "snapshot " + id);
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

result<std::shared_ptr<detail::checkpoint_db>> open_checkpoint_at(detail::db_impl& impl,
                                                                   const std::filesystem::path& path) {
  auto cp = std::make_shared<detail::checkpoint_db>();
  rocksdb::DBOptions options;
  options.max_open_files = 256;
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

result<std::shared_ptr<detail::checkpoint_db>> checkpoint_for(detail::db_impl& impl, const std::string& plan_id) {
  {
    std::shared_lock lock(impl.checkpoints_mutex);
    if (auto it = impl.checkpoints.find(plan_id); it != impl.checkpoints.end()) return it->second;
  }
  std::unique_lock lock(impl.checkpoints_mutex);
  if (auto it = impl.checkpoints.find(plan_id); it != impl.checkpoints.end()) return it->second;
  auto cp = open_checkpoint_at(impl, detail::checkpoints_dir(impl.data_dir) / plan_id);
  if (!cp) return cp.error();
  impl.checkpoints.emplace(plan_id, *cp);
  return *cp;
}

std::uint64_t now_unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

// Removes a folder when the build that made it does not complete.
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

} // namespace

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
  auto tmp = dir / ("tmp-" + std::to_string(options.height));
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  std::filesystem::create_directories(dir, ec);
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  if (auto s = rocksdb::Checkpoint::Create(impl.rdb, &raw_checkpoint); !s.ok()) {
    return from_status(s, "build snapshot: checkpoint");
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  dir_guard guard(tmp);
  if (auto s = checkpoint->CreateCheckpoint(tmp.string()); !s.ok()) {
    return from_status(s, "build snapshot: checkpoint " + tmp.string());
  }

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

  // 4. The checkpoint takes its final name, then one synced batch publishes it.
  const auto final_dir = dir / id;
  std::filesystem::remove_all(final_dir, ec);
  std::filesystem::rename(tmp, final_dir, ec);
  if (ec) return error{storage_errc::io_error, "build snapshot: rename " + tmp.string() + ": " + ec.message()};
  guard.rename(final_dir);

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
  if (s.ok()) s = impl.rdb->Write(detail::db_impl::synced(), &batch);
  if (!s.ok()) return from_status(s, "build snapshot: store " + id);
  guard.release();
  return info;
}

result<std::vector<snapshot_info>> snapshot_store::list() const {
  auto& impl = db_->internals();
  std::vector<snapshot_info> out;
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.snapshots));
  for (it->Seek("i"); it->Valid() && it->key().size() == 33 && it->key()[0] == 'i'; it->Next()) {
    hash256 root;
    std::memcpy(root.data(), it->key().data() + 1, 32);
    auto info = decode_info(detail::view(it->value()), "snapshot " + snapshot::plan_id(root));
    if (!info) return info.error();
    out.push_back(std::move(*info));
  }
  if (!it->status().ok()) return from_status(it->status(), "list snapshots");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.height < b.height; });
  return out;
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
  auto info = load_info(impl, *root);
  if (!info) return info.error();
  if (update_index >= info->update_count) {
    return error{storage_errc::invalid_argument, "update index " + std::to_string(update_index) +
                                                   " is beyond the " + std::to_string(info->update_count) +
                                                   " updates of snapshot " + info->plan_id};
  }
  rocksdb::PinnableSlice value;
  const auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.snapshots, detail::update_key(update_index), &value);
  if (s.IsNotFound()) {
    return error{storage_errc::corruption, "update " + std::to_string(update_index) + " of the chain is missing"};
  }
  if (!s.ok()) return from_status(s, "read update " + std::to_string(update_index));
  return to_buffer(detail::view(value));
}

result<byte_buffer> snapshot_store::read_chunk(std::string_view plan_id, std::uint64_t chunk_index,
                                               std::uint64_t pages_per_chunk) const {
  auto root = parse_plan_id(plan_id);
  if (!root) return root.error();
  auto& impl = db_->internals();
  auto info = load_info(impl, *root);
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
  rocksdb::PinnableSlice first_key;
  auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.snapshots, detail::page_index_key(*root, range.first),
                         &first_key);
  if (!s.ok()) {
    return s.IsNotFound() ? error{storage_errc::corruption, "snapshot " + info->plan_id + ": page index entry " +
                                                              std::to_string(range.first) + " is missing"}
                          : from_status(s, "read page index");
  }
  auto cp = checkpoint_for(impl, info->plan_id);
  if (!cp) return cp.error();

  byte_buffer out;
  out.reserve(std::min<std::uint64_t>(range.size() * info->page_size, info->total_bytes) + 4 * range.size());
  snapshot::chunk_encoder encoder(info->page_size, range.size(), out);
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2u << 20;
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
    return error{storage_errc::corruption, "snapshot " + info->plan_id + ": chunk " + std::to_string(chunk_index) +
                                             " yields " + std::to_string(encoder.pages()) + " pages, the plan has " +
                                             std::to_string(range.size())};
  }
  return out;
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
  rocksdb::WriteBatch batch;
  auto s = batch.Delete(impl.snapshots, detail::info_key(*root));
  if (s.ok()) s = batch.Delete(impl.snapshots, detail::plan_key(*root));
  if (s.ok()) {
    s = batch.DeleteRange(impl.snapshots, detail::page_index_key(*root, 0),
                          detail::page_index_key(*root, info->page_count));
  }
  if (s.ok()) s = impl.rdb->Write(detail::db_impl::synced(), &batch);
  if (!s.ok()) return from_status(s, "remove snapshot " + info->plan_id);
  {
    std::unique_lock lock(impl.checkpoints_mutex);
    impl.checkpoints.erase(info->plan_id);
  }
  std::error_code ec;
  std::filesystem::remove_all(detail::checkpoints_dir(impl.data_dir) / info->plan_id, ec);
  if (ec) return error{storage_errc::io_error, "remove checkpoint of " + info->plan_id + ": " + ec.message()};
  return {};
}

} // namespace snapstream::storage
