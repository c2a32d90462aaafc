#include "storage/session_store.hpp"

#include "storage/detail/codec.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/detail/status.hpp"

#include <rocksdb/write_batch.h>

namespace snapstream::storage {

namespace {

using detail::from_status;
using detail::slice;

constexpr std::uint8_t session_version = 1;

// sessions column family: 's' || u64(id) -> cursor, 'p' || u64(id) -> plan,
// 'u' || u64(id) || u64(index) -> update.
std::string session_key(char tag, std::uint64_t id) {
  std::string k(9, '\0');
  k[0] = tag;
  store_be64(reinterpret_cast<std::uint8_t*>(k.data() + 1), id);
  return k;
}

std::string update_key(std::uint64_t id, std::uint64_t index) {
  std::string k = session_key('u', id);
  k.resize(17);
  store_be64(reinterpret_cast<std::uint8_t*>(k.data() + 9), index);
  return k;
}

std::string name(std::uint64_t id) { return "session " + std::to_string(id); }

result<void> put_cursor(rocksdb::WriteBatch& batch, detail::db_impl& impl, const session_record& r) {
  const byte_buffer bytes = encode_session_record(r);
  return detail::check(batch.Put(impl.sessions, session_key('s', r.session_id), slice(bytes)), "save " + name(r.session_id));
}

result<void> write(detail::db_impl& impl, rocksdb::WriteBatch& batch, const std::string& what) {
  return detail::check(impl.rdb->Write(detail::db_impl::synced(), &batch), what);
}

result<stored_session> load_rest(detail::db_impl& impl, session_record record) {
  stored_session out;
  const auto id = record.session_id;
  std::string plan;
  auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.sessions, session_key('p', id), &plan);
  if (!s.ok() && !s.IsNotFound()) return from_status(s, "load " + name(id));
  if (s.ok()) out.plan.assign(plan.begin(), plan.end());
  const std::string prefix = session_key('u', id);
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.sessions));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const auto index = load_be64(reinterpret_cast<const std::uint8_t*>(it->key().data() + 9));
    if (it->key().size() != 17 || index != out.updates.size()) {
      return error{storage_errc::corrupt_record, name(id) + ": stored update " + std::to_string(index) +
                                                   " follows " + std::to_string(out.updates.size()) + " updates"};
    }
    out.updates.push_back(to_buffer(detail::view(it->value())));
  }
  if (!it->status().ok()) return from_status(it->status(), "load " + name(id));
  out.record = std::move(record);
  return out;
}

} // namespace

std::string_view to_string(session_state s) noexcept {
  switch (s) {
    case session_state::planning: return "planning";
    case session_state::syncing: return "syncing";
    case session_state::verified: return "verified";
    case session_state::failed: return "failed";
    case session_state::cancelled: return "cancelled";
  }
  return "unknown";
}

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
  return w.take();
}

result<session_record> decode_session_record(bytes_view bytes) {
  detail::record_reader rd(bytes, "session record");
  session_record r;
  std::uint8_t version = 0;
  rd.u8(version, "version");
  if (version != session_version) rd.invalid("version", "is " + std::to_string(version) + ", expected 1");
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
  if (auto ok = rd.finish(); !ok) return ok.error();
  return r;
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

result<void> session_store::apply_chunk(const session_record& r, const snapshot::verified_chunk& chunk) {
  const std::string what = name(r.session_id) + ": apply chunk " + std::to_string(chunk.chunk_index);
  if (r.plan_id.empty()) return error{storage_errc::invalid_argument, what + ": the session has no plan id"};
  if (r.next_chunk_index != chunk.chunk_index + 1) {
    return error{storage_errc::invalid_argument,
                 what + ": the cursor's next chunk index is " + std::to_string(r.next_chunk_index) + ", expected " +
                   std::to_string(chunk.chunk_index + 1)};
  }
  auto& impl = db_->internals();
  std::lock_guard lock(impl.owner_mutex);
  auto owner = impl.read_owner();
  if (!owner) return owner.error();
  bool set_owner = false;
  if (!*owner) {
    auto empty = impl.state_is_empty();
    if (!empty) return empty.error();
    if (!*empty) return error{storage_errc::owner_mismatch, what + ": the state holds records of no known plan"};
    set_owner = true;
  } else if (**owner != r.plan_id) {
    return error{storage_errc::owner_mismatch,
                 what + ": the state holds " +
                   (**owner == local_owner ? std::string("local records") : "the records of plan " + **owner) +
                   ", not of plan " + r.plan_id};
  }
  // Room for every record and its WriteBatch framing (tag, CF id, two varints).
  rocksdb::WriteBatch batch(chunk.page_bytes + 16 * chunk.records.size() + 1024);
  rocksdb::Status s;
  for (const auto& rec : chunk.records) {
    s = batch.Put(impl.state, slice(rec.key), slice(rec.value));
    if (!s.ok()) return from_status(s, what);
  }
  if (set_owner) {
    s = batch.Put(impl.meta, slice(detail::owner_key), slice(r.plan_id));
    if (!s.ok()) return from_status(s, what);
  }
  if (auto ok = put_cursor(batch, impl, r); !ok) return ok;
  return write(impl, batch, what);
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
  if (s.ok()) s = batch.DeleteRange(impl.sessions, session_key('u', session_id), session_key('u', session_id + 1));
  if (s.ok()) s = impl.rdb->Write(detail::db_impl::synced(), &batch);
  return detail::check(s, "erase " + name(session_id));
}

} // namespace snapstream::storage
