#include "storage/session_store.hpp"

#include "protocol/common/hex.hpp"
#include "protocol/snapshot/plan.hpp"
#include "storage/detail/codec.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/detail/snapshot_layout.hpp"
#include "storage/detail/status.hpp"

#include <lz4.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <numeric>

namespace snapstream::storage {

namespace {

using detail::from_status;
using detail::slice;

// Version 2 adds chunks_applied, chunk_writes, requested_plan_id and peers.
constexpr std::uint8_t session_version = 2;
constexpr std::uint8_t provider_version = 1;

// sessions column family: 's' || u64(id) -> cursor, 'p' || u64(id) -> plan,
// 'u' || u64(id) || u64(index) -> update, 'a' || u64(id) || u64(chunk) -> ""
// (applied bit), 'k' || u64(id) || peer -> provider record.
std::string session_key(char tag, std::uint64_t id) {
  std::string k(9, '\0');
  k[0] = tag;
  store_be64(reinterpret_cast<std::uint8_t*>(k.data() + 1), id);
  return k;
}

// The first key after every `tag || u64(id) || ...` key.
std::string session_end(char tag, std::uint64_t id) {
  if (id == ~std::uint64_t{0}) return std::string(1, static_cast<char>(tag + 1));
  return session_key(tag, id + 1);
}

std::string indexed_key(char tag, std::uint64_t id, std::uint64_t index) {
  std::string k = session_key(tag, id);
  k.resize(17);
  store_be64(reinterpret_cast<std::uint8_t*>(k.data() + 9), index);
  return k;
}

std::string update_key(std::uint64_t id, std::uint64_t index) { return indexed_key('u', id, index); }
std::string applied_key(std::uint64_t id, std::uint64_t chunk) { return indexed_key('a', id, chunk); }

std::string provider_key(std::uint64_t id, std::string_view peer) {
  std::string k = session_key('k', id);
  k.append(peer);
  return k;
}

std::string name(std::uint64_t id) { return "session " + std::to_string(id); }

result<void> put_cursor(rocksdb::WriteBatch& batch, detail::db_impl& impl, const session_record& r) {
  const byte_buffer bytes = encode_session_record(r);
  return detail::check(batch.Put(impl.sessions, session_key('s', r.session_id), slice(bytes)), "save " + name(r.session_id));
}

result<void> write(detail::db_impl& impl, rocksdb::WriteBatch& batch, const std::string& what) {
  return detail::check(impl.write(batch), what);
}

result<stored_session> load_rest(detail::db_impl& impl, session_record record) {
  stored_session out;
  const auto id = record.session_id;
  const std::string what = "load " + name(id);
  std::string plan;
  auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.sessions, session_key('p', id), &plan);
  if (!s.ok() && !s.IsNotFound()) return from_status(s, what);
  if (s.ok()) out.plan.assign(plan.begin(), plan.end());
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.sessions));

  const std::string updates = session_key('u', id);
  for (it->Seek(updates); it->Valid() && it->key().starts_with(updates); it->Next()) {
    const auto index = load_be64(reinterpret_cast<const std::uint8_t*>(it->key().data() + 9));
    if (it->key().size() != 17 || index != out.updates.size()) {
      return error{storage_errc::corrupt_record, name(id) + ": stored update " + std::to_string(index) +
                                                   " follows " + std::to_string(out.updates.size()) + " updates"};
    }
    out.updates.push_back(to_buffer(detail::view(it->value())));
  }
  if (!it->status().ok()) return from_status(it->status(), what);

  // The contiguous prefix first (a version 1 record has no bits for it), then the bits above it.
  out.applied.resize(record.next_chunk_index);
  std::iota(out.applied.begin(), out.applied.end(), std::uint64_t{0});
  const std::string applied = session_key('a', id);
  for (it->Seek(applied_key(id, record.next_chunk_index)); it->Valid() && it->key().starts_with(applied); it->Next()) {
    if (it->key().size() != 17) {
      return error{storage_errc::corrupt_record, name(id) + ": an applied-chunk key is " +
                                                   std::to_string(it->key().size()) + " bytes, expected 17"};
    }
    out.applied.push_back(load_be64(reinterpret_cast<const std::uint8_t*>(it->key().data() + 9)));
  }
  if (!it->status().ok()) return from_status(it->status(), what);

  const std::string providers = session_key('k', id);
  for (it->Seek(providers); it->Valid() && it->key().starts_with(providers); it->Next()) {
    auto p = decode_provider_record(detail::view(it->value()));
    if (!p) return error{storage_errc::corrupt_record, name(id) + ": " + p.error().message()};
    out.providers.push_back(std::move(*p));
  }
  if (!it->status().ok()) return from_status(it->status(), what);
  out.record = std::move(record);
  return out;
}

// The state's owner check of apply_chunk: empty (then `set_owner`) or owned by `plan_id`.
result<void> check_owner(detail::db_impl& impl, const std::string& plan_id, const std::string& what,
                         bool& set_owner) {
  auto owner = impl.read_owner();
  if (!owner) return owner.error();
  set_owner = false;
  if (!*owner) {
    auto empty = impl.state_is_empty();
    if (!empty) return empty.error();
    if (!*empty) return error{storage_errc::owner_mismatch, what + ": the state holds records of no known plan"};
    set_owner = true;
  } else if (**owner != plan_id) {
    return error{storage_errc::owner_mismatch,
                 what + ": the state holds " +
                   (**owner == local_owner ? std::string("local records") : "the records of plan " + **owner) +
                   ", not of plan " + plan_id};
  }
  return {};
}

// Refuses a chunk whose applied bit is set or which lies below the stored
// cursor's contiguous prefix.
result<void> check_not_applied(detail::db_impl& impl, std::uint64_t id, std::uint64_t chunk,
                               const std::string& what) {
  const auto already = error{storage_errc::invalid_argument, what + ": chunk " + std::to_string(chunk) +
                                                               " is already applied"};
  std::string value;
  auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.sessions, applied_key(id, chunk), &value);
  if (s.ok()) return already;
  if (!s.IsNotFound()) return from_status(s, what);
  s = impl.rdb->Get(rocksdb::ReadOptions(), impl.sessions, session_key('s', id), &value);
  if (s.IsNotFound()) return {};
  if (!s.ok()) return from_status(s, what);
  auto stored = decode_session_record(as_bytes(value));
  if (!stored) return error{storage_errc::corrupt_record, name(id) + ": " + stored.error().message()};
  if (chunk < stored->next_chunk_index) return already;
  return {};
}

} // namespace

byte_buffer encode_session_record(const session_record& r) {
  detail::record_writer w;
  w.u8(session_version);
  w.u64(r.session_id);
  w.str(r.peer);
  w.str(r.plan_id);
  w.u8(static_cast<std::uint8_t>(r.state));
  w.u64(r.chunk_size);
  w.u64(r.total_chunks);
  w.u64(r.total_updates);
  w.u64(r.next_chunk_index);
  w.u64(r.next_update_index);
  w.u64(r.last_update_height);
  w.u64(r.bytes_received);
  w.u64(r.page_bytes_applied);
  w.u64(r.records_applied);
  w.str(r.error);
  w.str(r.error_code);
  w.u64(r.created_unix_ms);
  w.u64(r.updated_unix_ms);
  w.u64(r.chunks_applied);
  w.u64(r.chunk_writes);
  w.str(r.requested_plan_id);
  w.u32(static_cast<std::uint32_t>(r.peers.size()));
  for (const auto& peer : r.peers) w.str(peer);
  return w.take();
}

result<session_record> decode_session_record(bytes_view bytes) {
  detail::record_reader rd(bytes, "session record");
  session_record r;
  std::uint8_t version = 0;
  rd.u8(version, "version");
  if (version != 1 && version != 2) rd.invalid("version", "is " + std::to_string(version) + ", expected 1 or 2");
  rd.u64(r.session_id, "session_id");
  rd.str(r.peer, "peer");
  rd.str(r.plan_id, "plan_id");
  std::uint8_t state = 0;
  rd.u8(state, "state");
  if (state > static_cast<std::uint8_t>(session_state::cancelled)) {
    rd.invalid("state", "value " + std::to_string(state) + " is unknown");
  }
  r.state = static_cast<session_state>(state);
  rd.u64(r.chunk_size, "chunk_size");
  rd.u64(r.total_chunks, "total_chunks");
  rd.u64(r.total_updates, "total_updates");
  rd.u64(r.next_chunk_index, "next_chunk_index");
  rd.u64(r.next_update_index, "next_update_index");
  rd.u64(r.last_update_height, "last_update_height");
  rd.u64(r.bytes_received, "bytes_received");
  rd.u64(r.page_bytes_applied, "page_bytes_applied");
  rd.u64(r.records_applied, "records_applied");
  rd.str(r.error, "error");
  rd.str(r.error_code, "error_code");
  rd.u64(r.created_unix_ms, "created");
  rd.u64(r.updated_unix_ms, "updated");
  if (version >= 2) {
    rd.u64(r.chunks_applied, "chunks_applied");
    rd.u64(r.chunk_writes, "chunk_writes");
    rd.str(r.requested_plan_id, "requested_plan_id");
    std::uint32_t peers = 0;
    rd.u32(peers, "peers");
    // Each peer takes at least its 4-byte length: no count beyond the input is believed.
    if (peers > bytes.size() / 4) rd.invalid("peers", "count " + std::to_string(peers) + " exceeds the record");
    for (std::uint32_t i = 0; i < peers && rd.ok(); ++i) rd.str(r.peers.emplace_back(), "peers");
  }
  if (auto ok = rd.finish(); !ok) return ok.error();
  if (version == 1) {
    // One provider, chunks applied in order, each once.
    r.chunks_applied = r.next_chunk_index;
    r.chunk_writes = r.next_chunk_index;
    if (!r.peer.empty()) r.peers.push_back(r.peer);
  }
  return r;
}

byte_buffer encode_provider_record(const provider_session_record& p) {
  detail::record_writer w;
  w.u8(provider_version);
  w.u64(p.session_id);
  w.str(p.peer);
  w.u8(p.planned ? 1 : 0);
  w.u64(p.next_ack_chunk);
  w.u64(p.next_ack_update);
  w.u64(p.bytes);
  w.u64(p.chunks);
  w.u8(p.banned ? 1 : 0);
  w.str(p.ban_reason);
  return w.take();
}

result<provider_session_record> decode_provider_record(bytes_view bytes) {
  detail::record_reader rd(bytes, "provider record");
  provider_session_record p;
  std::uint8_t version = 0;
  rd.u8(version, "version");
  if (version != provider_version) rd.invalid("version", "is " + std::to_string(version) + ", expected 1");
  rd.u64(p.session_id, "session_id");
  rd.str(p.peer, "peer");
  std::uint8_t flag = 0;
  rd.u8(flag, "planned");
  if (flag > 1) rd.invalid("planned", "value " + std::to_string(flag) + " is not 0 or 1");
  p.planned = flag == 1;
  rd.u64(p.next_ack_chunk, "next_ack_chunk");
  rd.u64(p.next_ack_update, "next_ack_update");
  rd.u64(p.bytes, "bytes");
  rd.u64(p.chunks, "chunks");
  rd.u8(flag, "banned");
  if (flag > 1) rd.invalid("banned", "value " + std::to_string(flag) + " is not 0 or 1");
  p.banned = flag == 1;
  rd.str(p.ban_reason, "ban_reason");
  if (auto ok = rd.finish(); !ok) return ok.error();
  return p;
}

result<void> session_store::save(const session_record& r) {
  auto& impl = db_->internals();
  rocksdb::WriteBatch batch;
  if (auto ok = put_cursor(batch, impl, r); !ok) return ok;
  return write(impl, batch, "save " + name(r.session_id));
}

result<void> session_store::save_plan(const session_record& r, bytes_view plan) {
  auto& impl = db_->internals();
  rocksdb::WriteBatch batch;
  if (auto ok = put_cursor(batch, impl, r); !ok) return ok;
  if (auto ok = detail::check(batch.Put(impl.sessions, session_key('p', r.session_id), slice(plan)), "save plan"); !ok) {
    return ok;
  }
  return write(impl, batch, "save plan of " + name(r.session_id));
}

result<void> session_store::save_update(const session_record& r, std::uint64_t index, bytes_view update) {
  auto& impl = db_->internals();
  rocksdb::WriteBatch batch;
  if (auto ok = put_cursor(batch, impl, r); !ok) return ok;
  if (auto ok = detail::check(batch.Put(impl.sessions, update_key(r.session_id, index), slice(update)), "save update");
      !ok) {
    return ok;
  }
  return write(impl, batch, "save update " + std::to_string(index) + " of " + name(r.session_id));
}

result<void> session_store::save_provider(const provider_session_record& p) {
  auto& impl = db_->internals();
  const byte_buffer bytes = encode_provider_record(p);
  const std::string what = "save provider " + p.peer + " of " + name(p.session_id);
  return detail::check(impl.put(impl.sessions, provider_key(p.session_id, p.peer),
                                     slice(bytes)),
                       what);
}

namespace {

// Whether LZ4 would shrink the chunk's records enough to be kept: RocksDB
// stores a compressed block only when it is at least 1/8 smaller than the
// raw one, else it keeps the raw block and the compression was CPU spent for
// nothing (0.2 CPU s/GiB on random values). A sample of the chunk's first
// 64 KiB of records, compressed once, decides for the whole SST file.
bool worth_compressing(const snapshot::verified_chunk& chunk) {
  constexpr std::size_t sample_bytes = 64u << 10;
  thread_local std::vector<char> sample, packed;
  sample.clear();
  for (const auto& rec : chunk.records) {
    if (sample.size() >= sample_bytes) break;
    sample.insert(sample.end(), rec.key.begin(), rec.key.end());
    sample.insert(sample.end(), rec.value.begin(), rec.value.end());
  }
  if (sample.size() > sample_bytes) sample.resize(sample_bytes);
  packed.resize(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(sample.size()))));
  const int n = LZ4_compress_default(sample.data(), packed.data(), static_cast<int>(sample.size()),
                                     static_cast<int>(packed.size()));
  return n > 0 && static_cast<std::size_t>(n) < sample.size() - sample.size() / 8;
}

/// Writes the chunk's records into an SST file (synced by Finish) and ingests
/// it into the state: one atomic, durable step that bypasses the WAL, the
/// memtable and the flush. false (and nothing ingested, the file removed)
/// when the records are not in strictly ascending key order, which SST files
/// require: the caller then writes them in its batch.
result<bool> ingest_records(detail::db_impl& impl, std::uint64_t session, const snapshot::verified_chunk& chunk,
                            const std::string& what) {
  if (auto s = impl.check_space(chunk.page_bytes + 4096); !s.ok()) return from_status(s, what);
  const auto dir = detail::ingest_dir(impl.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error{storage_errc::io_error, what + ": create " + dir.string() + ": " + ec.message()};
  const auto file = dir / (std::to_string(session) + "-" + std::to_string(chunk.chunk_index) + ".sst");
  struct remove_on_exit {
    std::filesystem::path path;
    ~remove_on_exit() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } cleanup{file};
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(),
                               worth_compressing(chunk) ? impl.state_options : impl.state_options_uncompressed,
                               impl.state);
  auto s = writer.Open(file.string());
  if (!s.ok()) return from_status(s, what + ": open " + file.string());
  for (std::size_t i = 0; i < chunk.records.size(); ++i) {
    const auto& rec = chunk.records[i];
    const auto& prev = chunk.records[i > 0 ? i - 1 : 0].key;
    if (i > 0 && !std::lexicographical_compare(prev.begin(), prev.end(), rec.key.begin(), rec.key.end()))
      return false;
    s = writer.Put(slice(rec.key), slice(rec.value));
    if (!s.ok()) return from_status(s, what + ": write " + file.string());
  }
  s = writer.Finish(); // syncs the file
  if (!s.ok()) return from_status(s, what + ": finish " + file.string());
  detail::crash_point("before_ingest");
  rocksdb::IngestExternalFileOptions options;
  options.move_files = true;        // hard-linked into the database, not copied
  options.allow_blocking_flush = true;
  // RocksDB's advice for databases that never go back to a version before
  // 5.16: a file that needs a sequence number gets it in the MANIFEST, not
  // by a write into the file after it was synced.
  options.write_global_seqno = false;
  s = impl.rdb->IngestExternalFile(impl.state, {file.string()}, options);
  if (!s.ok()) return from_status(s, what + ": ingest " + file.string());
  return true;
}

} // namespace

result<void> session_store::apply_chunk(const session_record& r, const provider_session_record* p,
                                        const snapshot::verified_chunk& chunk) {
  const std::string what = name(r.session_id) + ": apply chunk " + std::to_string(chunk.chunk_index);
  if (r.plan_id.empty()) return error{storage_errc::invalid_argument, what + ": the session has no plan id"};
  // The owner marker and the page index must name the plan as snapshot_store does.
  hash256 root{};
  if (r.plan_id.size() != 64 || !from_hex_into(r.plan_id, root) || snapshot::plan_id(root) != r.plan_id) {
    return error{storage_errc::invalid_argument, what + ": plan id \"" + r.plan_id.substr(0, 80) +
                                                   "\" is not 64 lower-case hex characters"};
  }
  if (p != nullptr && p->session_id != r.session_id) {
    return error{storage_errc::invalid_argument,
                 what + ": the provider record is of session " + std::to_string(p->session_id)};
  }
  const std::uint64_t described =
    std::accumulate(chunk.page_records.begin(), chunk.page_records.end(), std::uint64_t{0});
  const bool empty_page =
    std::find(chunk.page_records.begin(), chunk.page_records.end(), 0u) != chunk.page_records.end();
  if (chunk.page_records.size() != chunk.page_count || described != chunk.records.size() || empty_page) {
    return error{storage_errc::invalid_argument,
                 what + ": its " + std::to_string(chunk.page_records.size()) + " page record counts (for " +
                   std::to_string(chunk.page_count) + " pages) do not describe its " +
                   std::to_string(chunk.records.size()) + " records"};
  }
  auto& impl = db_->internals();
  // One lock for the owner check, the applied check and the write.
  std::lock_guard lock(impl.owner_mutex);
  bool set_owner = false;
  if (auto ok = check_owner(impl, r.plan_id, what, set_owner); !ok) return ok;
  if (auto ok = check_not_applied(impl, r.session_id, chunk.chunk_index, what); !ok) return ok;

  rocksdb::Status s;
  // A large chunk's records are ingested as an SST file before the batch of
  // its progress (docs/storage.md, "Applying a chunk"): a crash between the
  // two leaves the records without the applied bit, so the chunk is fetched
  // and ingested again, the same keys with the same values.
  bool ingested = false;
  if (chunk.page_bytes >= impl.ingest_min_bytes && !chunk.records.empty()) {
    if (set_owner) {
      // The owner first: state without an owner would refuse every chunk.
      rocksdb::WriteBatch owner;
      s = owner.Put(impl.meta, slice(detail::owner_key), slice(r.plan_id));
      if (s.ok()) s = impl.write(owner);
      if (!s.ok()) return from_status(s, what);
      set_owner = false;
    }
    auto done = ingest_records(impl, r.session_id, chunk, what);
    if (!done) return done.error();
    ingested = *done;
    if (ingested) detail::crash_point("after_ingest");
  }
  // Room for every record and its WriteBatch framing (tag, CF id, two varints),
  // plus the page index entries.
  rocksdb::WriteBatch batch((ingested ? 0 : chunk.page_bytes + 16 * chunk.records.size()) + 112 * chunk.page_count +
                            1024);
  if (!ingested) {
    for (const auto& rec : chunk.records) {
      s = batch.Put(impl.state, slice(rec.key), slice(rec.value));
      if (!s.ok()) return from_status(s, what);
    }
  }
  if (set_owner) s = batch.Put(impl.meta, slice(detail::owner_key), slice(r.plan_id));
  if (s.ok()) s = batch.Put(impl.sessions, applied_key(r.session_id, chunk.chunk_index), rocksdb::Slice());
  std::size_t first_record = 0;
  for (std::uint64_t k = 0; s.ok() && k < chunk.page_count; ++k) {
    const std::uint64_t page = chunk.first_page + k;
    std::uint8_t count[4];
    store_be32(count, chunk.page_records[k]);
    s = batch.Put(impl.snapshots, detail::page_index_key(root, page), slice(chunk.records[first_record].key));
    if (s.ok()) s = batch.Put(impl.snapshots, detail::page_records_key(root, page), slice(bytes_view(count, 4)));
    first_record += chunk.page_records[k];
  }
  if (!s.ok()) return from_status(s, what);
  if (p != nullptr) {
    const byte_buffer bytes = encode_provider_record(*p);
    s = batch.Put(impl.sessions, provider_key(p->session_id, p->peer), slice(bytes));
    if (!s.ok()) return from_status(s, what);
  }
  if (auto ok = put_cursor(batch, impl, r); !ok) return ok;
  auto written = write(impl, batch, what);
  if (written) detail::crash_point("after_progress");
  return written;
}

result<std::optional<stored_session>> session_store::load(std::uint64_t session_id) const {
  auto& impl = db_->internals();
  std::string value;
  const auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.sessions, session_key('s', session_id), &value);
  if (s.IsNotFound()) return std::optional<stored_session>{};
  if (!s.ok()) return from_status(s, "load " + name(session_id));
  auto record = decode_session_record(as_bytes(value));
  if (!record) return error{storage_errc::corrupt_record, name(session_id) + ": " + record.error().message()};
  auto full = load_rest(impl, std::move(*record));
  if (!full) return full.error();
  return std::optional<stored_session>{std::move(*full)};
}

result<std::vector<stored_session>> session_store::load_all() const {
  auto& impl = db_->internals();
  std::vector<stored_session> out;
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.sessions));
  for (it->Seek("s"); it->Valid() && it->key().size() == 9 && it->key()[0] == 's'; it->Next()) {
    const auto id = load_be64(reinterpret_cast<const std::uint8_t*>(it->key().data() + 1));
    auto record = decode_session_record(detail::view(it->value()));
    if (!record) return error{storage_errc::corrupt_record, name(id) + ": " + record.error().message()};
    auto full = load_rest(impl, std::move(*record));
    if (!full) return full.error();
    out.push_back(std::move(*full));
  }
  if (!it->status().ok()) return from_status(it->status(), "load sessions");
  return out;
}

result<void> session_store::erase(std::uint64_t session_id) {
  auto& impl = db_->internals();
  rocksdb::WriteBatch batch;
  auto s = batch.Delete(impl.sessions, session_key('s', session_id));
  if (s.ok()) s = batch.Delete(impl.sessions, session_key('p', session_id));
  for (const char tag : {'u', 'a', 'k'}) {
    if (s.ok()) s = batch.DeleteRange(impl.sessions, session_key(tag, session_id), session_end(tag, session_id));
  }
  if (s.ok()) s = impl.write(batch);
  return detail::check(s, "erase " + name(session_id));
}

} // namespace snapstream::storage
