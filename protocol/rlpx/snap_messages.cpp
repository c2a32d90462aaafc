#include "protocol/rlpx/snap_messages.hpp"

#include "protocol/rlpx/rlp.hpp"

#include <string>

namespace snapstream::rlpx::snap {

namespace {

// "X.items[]: ..." becomes "X.items[7]: ..." on the error path only.
error at_index(const error& e, std::size_t index) {
  std::string m = e.message();
  if (auto pos = m.find("[]"); pos != std::string::npos) {
    std::string at(1, '[');
    at += std::to_string(index);
    at += ']';
    m.replace(pos, 2, at);
  }
  return error(e.code(), std::move(m));
}

void write_views(rlp_writer& w, const std::vector<bytes_view>& items) {
  w.begin_list();
  for (auto b : items) w.bytes(b);
  w.end_list();
}

void write_hashes(rlp_writer& w, const std::vector<hash256>& items) {
  w.begin_list();
  for (const auto& h : items) w.bytes(h);
  w.end_list();
}

result<std::vector<bytes_view>> read_views(rlp_reader& r, std::string_view list, std::string_view item) {
  auto l = r.list(list);
  if (!l) return l.error();
  std::vector<bytes_view> out;
  out.reserve(l->count());
  while (!l->at_end()) {
    auto b = l->bytes(item);
    if (!b) return at_index(b.error(), out.size());
    out.push_back(*b);
  }
  return out;
}

result<std::vector<hash256>> read_hashes(rlp_reader& r, std::string_view list, std::string_view item) {
  auto l = r.list(list);
  if (!l) return l.error();
  std::vector<hash256> out;
  out.reserve(l->count());
  while (!l->at_end()) {
    auto h = l->fixed<32>(item);
    if (!h) return at_index(h.error(), out.size());
    out.push_back(*h);
  }
  return out;
}

result<bytes_view> read_bounded(rlp_reader& r, std::string_view what) {
  auto b = r.bytes(what);
  if (!b) return b.error();
  if (b->size() > 32)
    return make_error(rlpx_errc::rlp_value_too_large,
                      std::string(what) + ": " + std::to_string(b->size()) + " bytes, at most 32");
  return b;
}

// Every snap message starts `[reqID, ...`.
result<rlp_reader> open(bytes_view payload, std::string_view name, std::uint64_t& request_id) {
  auto r = rlp_reader::from_list(payload, name);
  if (!r) return r.error();
  auto id = r->uint64(std::string(name) + ".reqID");
  if (!id) return id.error();
  request_id = *id;
  return r;
}

// Opens a message: reserves its estimated size, the list, the request id.
void start(rlp_writer& w, byte_buffer& out, std::size_t size_hint, std::uint64_t request_id) {
  out.reserve(size_hint);
  w.begin_list();
  w.uint(request_id);
}

} // namespace

std::string_view message_name(std::uint64_t code) noexcept {
  switch (code) {
    case get_account_range_code: return "GetAccountRange";
    case account_range_code: return "AccountRange";
    case get_storage_ranges_code: return "GetStorageRanges";
    case storage_ranges_code: return "StorageRanges";
    case get_byte_codes_code: return "GetByteCodes";
    case byte_codes_code: return "ByteCodes";
    case get_trie_nodes_code: return "GetTrieNodes";
    case trie_nodes_code: return "TrieNodes";
    default: return "unknown";
  }
}

byte_buffer encode(const get_account_range& m) {
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, 120, m.request_id);
  w.bytes(m.root_hash);
  w.bytes(m.starting_hash);
  w.bytes(m.limit_hash);
  w.uint(m.response_bytes);
  w.end_list();
  return out;
}

byte_buffer encode(const account_range& m) {
  std::size_t hint = 16;
  for (const auto& a : m.accounts) hint += 40 + a.body.size();
  for (auto p : m.proof) hint += 4 + p.size();
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, hint, m.request_id);
  w.begin_list();
  for (const auto& a : m.accounts) {
    w.begin_list();
    w.bytes(a.hash);
    w.bytes(a.body);
    w.end_list();
  }
  w.end_list();
  write_views(w, m.proof);
  w.end_list();
  return out;
}

byte_buffer encode(const get_storage_ranges& m) {
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, 120 + 33 * m.account_hashes.size(), m.request_id);
  w.bytes(m.root_hash);
  write_hashes(w, m.account_hashes);
  w.bytes(m.starting_hash);
  w.bytes(m.limit_hash);
  w.uint(m.response_bytes);
  w.end_list();
  return out;
}

byte_buffer encode(const storage_ranges& m) {
  std::size_t hint = 16;
  for (const auto& account : m.slots)
    for (const auto& s : account) hint += 40 + s.data.size();
  for (auto p : m.proof) hint += 4 + p.size();
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, hint, m.request_id);
  w.begin_list();
  for (const auto& account : m.slots) {
    w.begin_list();
    for (const auto& s : account) {
      w.begin_list();
      w.bytes(s.hash);
      w.bytes(s.data);
      w.end_list();
    }
    w.end_list();
  }
  w.end_list();
  write_views(w, m.proof);
  w.end_list();
  return out;
}

byte_buffer encode(const get_byte_codes& m) {
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, 24 + 33 * m.hashes.size(), m.request_id);
  write_hashes(w, m.hashes);
  w.uint(m.response_bytes);
  w.end_list();
  return out;
}

byte_buffer encode(const byte_codes& m) {
  std::size_t hint = 16;
  for (auto c : m.codes) hint += 4 + c.size();
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, hint, m.request_id);
  write_views(w, m.codes);
  w.end_list();
  return out;
}

byte_buffer encode(const get_trie_nodes& m) {
  std::size_t hint = 64;
  for (const auto& set : m.paths)
    for (auto p : set) hint += 4 + p.size();
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, hint, m.request_id);
  w.bytes(m.root_hash);
  w.begin_list();
  for (const auto& set : m.paths) write_views(w, set);
  w.end_list();
  w.uint(m.response_bytes);
  w.end_list();
  return out;
}

byte_buffer encode(const trie_nodes& m) {
  std::size_t hint = 16;
  for (auto n : m.nodes) hint += 4 + n.size();
  byte_buffer out;
  rlp_writer w(out);
  start(w, out, hint, m.request_id);
  write_views(w, m.nodes);
  w.end_list();
  return out;
}

result<get_account_range> decode_get_account_range(bytes_view payload) {
  get_account_range m;
  auto r = open(payload, "GetAccountRange", m.request_id);
  if (!r) return r.error();
  auto root = r->fixed<32>("GetAccountRange.rootHash");
  if (!root) return root.error();
  m.root_hash = *root;
  auto from = r->fixed<32>("GetAccountRange.startingHash");
  if (!from) return from.error();
  m.starting_hash = *from;
  auto to = r->fixed<32>("GetAccountRange.limitHash");
  if (!to) return to.error();
  m.limit_hash = *to;
  auto bytes = r->uint64("GetAccountRange.responseBytes");
  if (!bytes) return bytes.error();
  m.response_bytes = *bytes;
  if (auto f = r->finish("GetAccountRange"); !f) return f.error();
  return m;
}

result<account_range> decode_account_range(bytes_view payload) {
  account_range m;
  auto r = open(payload, "AccountRange", m.request_id);
  if (!r) return r.error();
  auto accounts = r->list("AccountRange.accounts");
  if (!accounts) return accounts.error();
  m.accounts.reserve(accounts->count());
  while (!accounts->at_end()) {
    const std::size_t i = m.accounts.size();
    auto entry = accounts->list("AccountRange.accounts[]");
    if (!entry) return at_index(entry.error(), i);
    auto hash = entry->fixed<32>("AccountRange.accounts[].accHash");
    if (!hash) return at_index(hash.error(), i);
    auto body = entry->bytes("AccountRange.accounts[].accBody");
    if (!body) return at_index(body.error(), i);
    if (auto f = entry->finish("AccountRange.accounts[]"); !f) return at_index(f.error(), i);
    m.accounts.push_back(account_data{*hash, *body});
  }
  auto proof = read_views(*r, "AccountRange.proof", "AccountRange.proof[]");
  if (!proof) return proof.error();
  m.proof = std::move(*proof);
  if (auto f = r->finish("AccountRange"); !f) return f.error();
  return m;
}

result<get_storage_ranges> decode_get_storage_ranges(bytes_view payload) {
  get_storage_ranges m;
  auto r = open(payload, "GetStorageRanges", m.request_id);
  if (!r) return r.error();
  auto root = r->fixed<32>("GetStorageRanges.rootHash");
  if (!root) return root.error();
  m.root_hash = *root;
  auto hashes = read_hashes(*r, "GetStorageRanges.accountHashes", "GetStorageRanges.accountHashes[]");
  if (!hashes) return hashes.error();
  m.account_hashes = std::move(*hashes);
  auto from = read_bounded(*r, "GetStorageRanges.startingHash");
  if (!from) return from.error();
  m.starting_hash = *from;
  auto to = read_bounded(*r, "GetStorageRanges.limitHash");
  if (!to) return to.error();
  m.limit_hash = *to;
  auto bytes = r->uint64("GetStorageRanges.responseBytes");
  if (!bytes) return bytes.error();
  m.response_bytes = *bytes;
  if (auto f = r->finish("GetStorageRanges"); !f) return f.error();
  return m;
}

result<storage_ranges> decode_storage_ranges(bytes_view payload) {
  storage_ranges m;
  auto r = open(payload, "StorageRanges", m.request_id);
  if (!r) return r.error();
  auto accounts = r->list("StorageRanges.slots");
  if (!accounts) return accounts.error();
  m.slots.reserve(accounts->count());
  while (!accounts->at_end()) {
    const std::size_t i = m.slots.size();
    auto account = accounts->list("StorageRanges.slots[]");
    if (!account) return at_index(account.error(), i);
    std::vector<storage_data> slots;
    slots.reserve(account->count());
    while (!account->at_end()) {
      auto entry = account->list("StorageRanges.slots[]");
      if (!entry) return at_index(entry.error(), i);
      auto hash = entry->fixed<32>("StorageRanges.slots[].slotHash");
      if (!hash) return at_index(hash.error(), i);
      auto data = entry->bytes("StorageRanges.slots[].slotData");
      if (!data) return at_index(data.error(), i);
      if (auto f = entry->finish("StorageRanges.slots[]"); !f) return at_index(f.error(), i);
      slots.push_back(storage_data{*hash, *data});
    }
    m.slots.push_back(std::move(slots));
  }
  auto proof = read_views(*r, "StorageRanges.proof", "StorageRanges.proof[]");
  if (!proof) return proof.error();
  m.proof = std::move(*proof);
  if (auto f = r->finish("StorageRanges"); !f) return f.error();
  return m;
}

result<get_byte_codes> decode_get_byte_codes(bytes_view payload) {
  get_byte_codes m;
  auto r = open(payload, "GetByteCodes", m.request_id);
  if (!r) return r.error();
  auto hashes = read_hashes(*r, "GetByteCodes.hashes", "GetByteCodes.hashes[]");
  if (!hashes) return hashes.error();
  m.hashes = std::move(*hashes);
  auto bytes = r->uint64("GetByteCodes.bytes");
  if (!bytes) return bytes.error();
  m.response_bytes = *bytes;
  if (auto f = r->finish("GetByteCodes"); !f) return f.error();
  return m;
}

result<byte_codes> decode_byte_codes(bytes_view payload) {
  byte_codes m;
  auto r = open(payload, "ByteCodes", m.request_id);
  if (!r) return r.error();
  auto codes = read_views(*r, "ByteCodes.codes", "ByteCodes.codes[]");
  if (!codes) return codes.error();
  m.codes = std::move(*codes);
  if (auto f = r->finish("ByteCodes"); !f) return f.error();
  return m;
}

result<get_trie_nodes> decode_get_trie_nodes(bytes_view payload) {
  get_trie_nodes m;
  auto r = open(payload, "GetTrieNodes", m.request_id);
  if (!r) return r.error();
  auto root = r->fixed<32>("GetTrieNodes.rootHash");
  if (!root) return root.error();
  m.root_hash = *root;
  auto sets = r->list("GetTrieNodes.paths");
  if (!sets) return sets.error();
  m.paths.reserve(sets->count());
  while (!sets->at_end()) {
    const std::size_t i = m.paths.size();
    auto set = read_views(*sets, "GetTrieNodes.paths[]", "GetTrieNodes.paths[][]");
    if (!set) return at_index(set.error(), i);
    m.paths.push_back(std::move(*set));
  }
  auto bytes = r->uint64("GetTrieNodes.bytes");
  if (!bytes) return bytes.error();
  m.response_bytes = *bytes;
  if (auto f = r->finish("GetTrieNodes"); !f) return f.error();
  return m;
}

result<trie_nodes> decode_trie_nodes(bytes_view payload) {
  trie_nodes m;
  auto r = open(payload, "TrieNodes", m.request_id);
  if (!r) return r.error();
  auto nodes = read_views(*r, "TrieNodes.nodes", "TrieNodes.nodes[]");
  if (!nodes) return nodes.error();
  m.nodes = std::move(*nodes);
  if (auto f = r->finish("TrieNodes"); !f) return f.error();
  return m;
}

result<std::uint64_t> peek_request_id(bytes_view payload) {
  std::uint64_t id = 0;
  auto r = open(payload, "snap message", id);
  if (!r) return r.error();
  return id;
}

std::optional<std::uint64_t> response_code(std::uint64_t request_code) noexcept {
  switch (request_code) {
    case get_account_range_code: return account_range_code;
    case get_storage_ranges_code: return storage_ranges_code;
    case get_byte_codes_code: return byte_codes_code;
    case get_trie_nodes_code: return trie_nodes_code;
    default: return std::nullopt;
  }
}

result<byte_buffer> empty_response(std::uint64_t request_code, std::uint64_t request_id) {
  switch (request_code) {
    case get_account_range_code: return encode(account_range{request_id, {}, {}});
    case get_storage_ranges_code: return encode(storage_ranges{request_id, {}, {}});
    case get_byte_codes_code: return encode(byte_codes{request_id, {}});
    case get_trie_nodes_code: return encode(trie_nodes{request_id, {}});
    default: break;
  }
  return make_error(rlpx_errc::invalid_message,
                    std::string(message_name(request_code)) + " is not a snap request");
}

} // namespace snapstream::rlpx::snap
