#include "storage/served_store.hpp"

#include "storage/detail/codec.hpp"
#include "storage/detail/db_impl.hpp"
#include "storage/detail/status.hpp"

#include <rocksdb/write_batch.h>

namespace snapstream::storage {

namespace {

using detail::from_status;
using detail::slice;

constexpr std::uint8_t served_version = 1;

// served column family: u64(session_id) || peer -> record.
std::string served_key(std::uint64_t session_id, std::string_view peer) {
  std::string k(8, '\0');
  store_be64(reinterpret_cast<std::uint8_t*>(k.data()), session_id);
  k.append(peer);
  return k;
}

std::string name(std::uint64_t id, std::string_view peer) {
  return "served session " + std::to_string(id) + " of " + std::string(peer);
}

} // namespace

byte_buffer encode_served_record(const served_record& r) {
  detail::record_writer w;
  w.u8(served_version);
  w.str(r.peer);
  w.u64(r.session_id);
  w.str(r.plan_id);
  w.u64(r.chunk_size);
  w.u64(r.total_chunks);
  w.u64(r.total_updates);
  w.opt_u64(r.last_served_chunk);
  w.opt_u64(r.last_served_update);
  w.opt_u64(r.last_confirmed_chunk);
  w.opt_u64(r.last_confirmed_update);
  w.u64(r.created_unix_ms);
  w.u64(r.updated_unix_ms);
  return w.take();
}

result<served_record> decode_served_record(bytes_view bytes) {
  detail::record_reader rd(bytes, "served record");
  served_record r;
  std::uint8_t version = 0;
  rd.u8(version, "version");
  if (version != served_version) rd.invalid("version", "is " + std::to_string(version) + ", expected 1");
  rd.str(r.peer, "peer");
  rd.u64(r.session_id, "session_id");
  rd.str(r.plan_id, "plan_id");
  rd.u64(r.chunk_size, "chunk_size");
  rd.u64(r.total_chunks, "total_chunks");
  rd.u64(r.total_updates, "total_updates");
  rd.opt_u64(r.last_served_chunk, "last_served_chunk");
  rd.opt_u64(r.last_served_update, "last_served_update");
  rd.opt_u64(r.last_confirmed_chunk, "last_confirmed_chunk");
  rd.opt_u64(r.last_confirmed_update, "last_confirmed_update");
  rd.u64(r.created_unix_ms, "created");
  rd.u64(r.updated_unix_ms, "updated");
  if (auto ok = rd.finish(); !ok) return ok.error();
  return r;
}

result<void> served_store::save(const served_record& r) {
  auto& impl = db_->internals();
  const byte_buffer bytes = encode_served_record(r);
  rocksdb::WriteBatch batch;
  auto s = batch.Put(impl.served, served_key(r.session_id, r.peer), slice(bytes));
  if (s.ok()) s = impl.write(batch);
  return detail::check(s, "save " + name(r.session_id, r.peer));
}

result<std::optional<served_record>> served_store::load(std::uint64_t session_id, std::string_view peer) const {
  auto& impl = db_->internals();
  std::string value;
  const auto s = impl.rdb->Get(rocksdb::ReadOptions(), impl.served, served_key(session_id, peer), &value);
  if (s.IsNotFound()) return std::optional<served_record>{};
  if (!s.ok()) return from_status(s, "load " + name(session_id, peer));
  auto r = decode_served_record(as_bytes(value));
  if (!r) return error{storage_errc::corrupt_record, name(session_id, peer) + ": " + r.error().message()};
  return std::optional<served_record>{std::move(*r)};
}

result<std::vector<served_record>> served_store::load_all() const {
  auto& impl = db_->internals();
  std::vector<served_record> out;
  std::unique_ptr<rocksdb::Iterator> it(impl.rdb->NewIterator(rocksdb::ReadOptions(), impl.served));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto r = decode_served_record(detail::view(it->value()));
    if (!r) return error{storage_errc::corrupt_record, r.error().message()};
    out.push_back(std::move(*r));
  }
  if (!it->status().ok()) return from_status(it->status(), "load served sessions");
  return out;
}

result<void> served_store::erase(std::uint64_t session_id, std::string_view peer) {
  auto& impl = db_->internals();
  rocksdb::WriteBatch batch;
  auto s = batch.Delete(impl.served, served_key(session_id, peer));
  if (s.ok()) s = impl.write(batch);
  return detail::check(s, "erase " + name(session_id, peer));
}

} // namespace snapstream::storage
