// libFuzzer target for the devp2p message codecs (protocol/rlpx): p2p
// (p2p_messages.cpp), eth (eth_messages.cpp), snap/1 (snap_messages.cpp) and
// what a frame carries (message_codec.cpp: message code, Snappy). The first
// byte picks the decoder:
//   0 Hello  1 Disconnect  2 Ping/Pong  3 Status as eth/68  4 Status as eth/69
//   5 BlockRangeUpdate  6..13 the eight snap/1 messages  14 frame-data
//   (split_frame_data, then Snappy with the 16 MiB cap, then the decoder its
//   code names)  15 Snappy compress -> decompress
//
// Properties: decode -> encode -> decode gives the same message (equal
// values where the type compares, equal re-encodings otherwise);
// peek_request_id agrees with the decoded request id; the frame's code and
// payload re-encode to the frame; Snappy round-trips and never yields more
// than the cap; every failure is a typed error.

#include "fuzz_util.hpp"

#include "protocol/rlpx/eth_messages.hpp"
#include "protocol/rlpx/message_codec.hpp"
#include "protocol/rlpx/p2p_messages.hpp"
#include "protocol/rlpx/rlp.hpp"
#include "protocol/rlpx/snap_messages.hpp"

using namespace snapstream;
using namespace snapstream::rlpx;
using snapstream::fuzz::require;

namespace {

void fuzz_hello(bytes_view in) {
  auto m = p2p::decode_hello(in);
  if (!fuzz::ok_or_typed(m, "decode_hello")) return;
  auto again = p2p::decode_hello(p2p::encode(*m));
  require(again.has_value() && *again == *m, "Hello round trip");
}

void fuzz_disconnect(bytes_view in) {
  auto m = p2p::decode_disconnect(in);
  if (!fuzz::ok_or_typed(m, "decode_disconnect")) return;
  require(!p2p::to_string(*m).empty(), "a decoded reason has a name");
  auto again = p2p::decode_disconnect(p2p::encode_disconnect(*m));
  require(again.has_value() && *again == *m, "Disconnect round trip");
}

void fuzz_ping(bytes_view in) {
  auto m = p2p::decode_ping_or_pong(in);
  (void)fuzz::ok_or_typed(m, "decode_ping_or_pong");
}

void fuzz_status(bytes_view in, std::uint64_t negotiated) {
  auto m = eth::decode_status(in, negotiated);
  if (!fuzz::ok_or_typed(m, "decode_status")) return;
  if ((m->version >= 69) != (negotiated >= 69)) return; // encode picks the form by the version field
  auto again = eth::decode_status(eth::encode(*m), negotiated);
  require(again.has_value() && *again == *m, "Status round trip");
}

void fuzz_block_range(bytes_view in) {
  auto m = eth::decode_block_range_update(in);
  if (!fuzz::ok_or_typed(m, "decode_block_range_update")) return;
  auto again = eth::decode_block_range_update(eth::encode(*m));
  require(again.has_value() && *again == *m, "BlockRangeUpdate round trip");
  (void)eth::validate_block_range(*m, "BlockRangeUpdate");
}

// Used by fuzz_snap for the empty responses (decodes without the round trip's traps).
bool fuzz_snap_decodes(std::uint64_t code, bytes_view in) {
  switch (code) {
  case snap::account_range_code: return snap::decode_account_range(in).has_value();
  case snap::storage_ranges_code: return snap::decode_storage_ranges(in).has_value();
  case snap::byte_codes_code: return snap::decode_byte_codes(in).has_value();
  case snap::trie_nodes_code: return snap::decode_trie_nodes(in).has_value();
  default: return false;
  }
}

template <class Decode>
void snap_round_trip(bytes_view in, Decode decode, const char* what, bool request) {
  auto m = decode(in);
  if (!fuzz::ok_or_typed(m, what)) return;
  const byte_buffer first = snap::encode(*m);
  auto again = decode(first);
  require(again.has_value(), "a re-encoded snap message decodes");
  const byte_buffer second = snap::encode(*again);
  require(first == second, "snap message round trip");
  require(again->request_id == m->request_id, "the request id survives");
  if (request) {
    auto id = snap::peek_request_id(in);
    require(id.has_value() && *id == m->request_id, "peek_request_id agrees with the decoder");
  }
}

bool fuzz_snap(std::uint64_t code, bytes_view in) {
  switch (code) {
  case snap::get_account_range_code: snap_round_trip(in, snap::decode_get_account_range, "GetAccountRange", true); break;
  case snap::account_range_code: snap_round_trip(in, snap::decode_account_range, "AccountRange", false); break;
  case snap::get_storage_ranges_code: snap_round_trip(in, snap::decode_get_storage_ranges, "GetStorageRanges", true); break;
  case snap::storage_ranges_code: snap_round_trip(in, snap::decode_storage_ranges, "StorageRanges", false); break;
  case snap::get_byte_codes_code: snap_round_trip(in, snap::decode_get_byte_codes, "GetByteCodes", true); break;
  case snap::byte_codes_code: snap_round_trip(in, snap::decode_byte_codes, "ByteCodes", false); break;
  case snap::get_trie_nodes_code: snap_round_trip(in, snap::decode_get_trie_nodes, "GetTrieNodes", true); break;
  case snap::trie_nodes_code: snap_round_trip(in, snap::decode_trie_nodes, "TrieNodes", false); break;
  default: return false;
  }
  if (auto rc = snap::response_code(code)) {
    auto id = snap::peek_request_id(in);
    if (id) {
      auto empty = snap::empty_response(code, *id);
      require(empty.has_value(), "a request has an empty response");
      require(fuzz_snap_decodes(*rc, *empty), "the empty response decodes");
    }
  }
  return true;
}

void fuzz_frame(bytes_view in) {
  auto msg = split_frame_data(in);
  if (!fuzz::ok_or_typed(msg, "split_frame_data")) return;
  byte_buffer again = rlp_encode_uint(msg->code);
  append(again, msg->payload);
  require(std::ranges::equal(again, in), "code and payload re-encode to the frame");
  byte_buffer plain;
  constexpr std::size_t limit = 1 << 20; // a smaller cap than the node's, to keep runs fast
  auto d = snappy_decompress(msg->payload, limit, plain);
  if (!fuzz::ok_or_typed(d, "snappy_decompress")) return;
  require(plain.size() <= limit, "decompression honours the cap");
  // The offsets our node uses when eth/68 + snap/1 are shared: p2p 0x00-0x0f,
  // eth 0x10-0x20, snap 0x21-0x28.
  const std::uint64_t code = msg->code;
  if (code == p2p::hello_code) fuzz_hello(plain);
  else if (code == p2p::disconnect_code) fuzz_disconnect(plain);
  else if (code == p2p::ping_code || code == p2p::pong_code) fuzz_ping(plain);
  else if (code == 0x10) fuzz_status(plain, 68);
  else if (code == 0x10 + eth::block_range_update_code) fuzz_block_range(plain);
  else if (code >= 0x21) (void)fuzz_snap(code - 0x21, plain);
}

void fuzz_snappy(bytes_view in) {
  byte_buffer compressed;
  snappy_compress(in, compressed);
  byte_buffer plain;
  auto d = snappy_decompress(compressed, in.size(), plain);
  require(d.has_value() && std::ranges::equal(plain, in), "Snappy round trip");
  if (!in.empty()) {
    auto over = snappy_decompress(compressed, in.size() - 1, plain);
    require(!over.has_value(), "a message above the cap is refused");
    fuzz::require_typed(over.error(), "snappy_decompress");
  }
}

byte_buffer frame(std::uint64_t code, bytes_view payload, bool compress) {
  byte_buffer out = rlp_encode_uint(code);
  if (compress) {
    snappy_compress(payload, out);
  } else {
    append(out, payload);
  }
  return out;
}

void write_seeds(fuzz::seed_writer& w) {
  p2p::hello h;
  h.client_id = "snapstream/v0.1.0";
  h.capabilities = {{"eth", 68}, {"eth", 69}, {"snap", 1}};
  h.listen_port = 30303;
  h.node_id.fill(0x42);
  const byte_buffer hello = p2p::encode(h);
  w.write("hello", 0, hello);
  w.write("disconnect", 1, p2p::encode_disconnect(p2p::disconnect_reason::useless_peer));
  w.write("ping", 2, p2p::encode_ping());
  eth::status s68;
  s68.version = 68;
  s68.total_difficulty.back() = 0x11;
  s68.best_hash.fill(0xbb);
  s68.genesis_hash = fuzz::unhex_array<32>("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");
  s68.fork.hash = {0xfc, 0x64, 0xec, 0x04};
  s68.fork.next = 1150000;
  w.write("status68", 3, eth::encode(s68));
  eth::status s69 = s68;
  s69.version = 69;
  s69.range = {0, 21000000, {}};
  s69.range.latest_hash.fill(0xcc);
  w.write("status69", 4, eth::encode(s69));
  w.write("block-range", 5, eth::encode(s69.range));

  hash256 root{}, a{}, b{};
  root.fill(0x01);
  a.fill(0x00);
  b.fill(0xff);
  const byte_buffer account = fuzz::unhex("c80102a0" + std::string(64, '5') + "a0" + std::string(64, '6'));
  const byte_buffer node = fuzz::unhex("e213a0" + std::string(64, '7'));
  std::vector<byte_buffer> payloads;
  payloads.push_back(snap::encode(snap::get_account_range{1, root, a, b, 512 * 1024}));
  payloads.push_back(snap::encode(snap::account_range{1, {{a, account}, {b, account}}, {node, node}}));
  payloads.push_back(snap::encode(snap::get_storage_ranges{2, root, {a, b}, bytes_view(a), bytes_view(b), 1 << 19}));
  payloads.push_back(snap::encode(snap::storage_ranges{2, {{{a, as_bytes("v")}}, {}}, {node}}));
  payloads.push_back(snap::encode(snap::get_byte_codes{3, {a, b}, 1 << 19}));
  payloads.push_back(snap::encode(snap::byte_codes{3, {as_bytes("\x60\x80\x60\x40")}}));
  payloads.push_back(snap::encode(snap::get_trie_nodes{4, root, {{as_bytes("\x01")}, {as_bytes("\x02"), as_bytes("\x03")}}, 1 << 19}));
  payloads.push_back(snap::encode(snap::trie_nodes{4, {node}}));
  for (std::uint8_t i = 0; i < 8; ++i) {
    w.write("snap-" + std::string(snap::message_name(i)), static_cast<std::uint8_t>(6 + i), payloads[i]);
    w.write("frame-snap-" + std::string(snap::message_name(i)), 14, frame(0x21 + i, payloads[i], true));
  }
  w.write("frame-hello", 14, frame(p2p::hello_code, hello, false));
  w.write("frame-status", 14, frame(0x10, eth::encode(s68), true));
  w.write("frame-ping", 14, frame(p2p::ping_code, p2p::encode_ping(), true));
  w.write("snappy", 15, as_bytes("snappy snappy snappy snappy compressible text"));
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bytes_view in(data + 1, size - 1);
  const std::uint8_t which = data[0] % 16;
  switch (which) {
  case 0: fuzz_hello(in); break;
  case 1: fuzz_disconnect(in); break;
  case 2: fuzz_ping(in); break;
  case 3: fuzz_status(in, 68); break;
  case 4: fuzz_status(in, 69); break;
  case 5: fuzz_block_range(in); break;
  case 14: fuzz_frame(in); break;
  case 15: fuzz_snappy(in); break;
  default: (void)fuzz_snap(which - 6u, in); break;
  }
  return 0;
}
