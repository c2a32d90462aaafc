// libFuzzer target for strict RLP (protocol/rlpx/rlp.cpp) and enode URLs
// (protocol/rlpx/enode.cpp); the first byte picks:
//   0 rlp_decode: a decoded item tree re-encodes (rlp_writer) to exactly the
//     input, since every value has one accepted encoding; rlp_peek agrees;
//     the reader's count() matches the items read
//   1 rlp_to_uint64: the value re-encodes (rlp_encode_uint) to the input item
//   2 parse_enode: format_enode -> parse_enode gives the same URL
// Every failure is a typed error.

#include "fuzz_util.hpp"

#include "protocol/rlpx/enode.hpp"
#include "protocol/rlpx/keys.hpp"
#include "protocol/rlpx/rlp.hpp"

using namespace snapstream;
using namespace snapstream::rlpx;
using snapstream::fuzz::require;

namespace {

/// Re-encodes `item`; false when a nested item does not decode (rlp_decode
/// checks the outer item only: lists are read lazily, and reading reports it).
bool reencode(const rlp_item& item, rlp_writer& w, int depth) {
  require(item.encoding.size() >= item.payload.size(), "an item holds its payload");
  if (!item.is_list) {
    w.bytes(item.payload);
    return true;
  }
  require(depth < 10000, "nesting is bounded by the input");
  w.begin_list();
  rlp_reader r(item.payload);
  const std::size_t expected = r.count();
  std::size_t n = 0;
  while (!r.at_end()) {
    auto child = r.item("child");
    if (!fuzz::ok_or_typed(child, "rlp_reader::item")) return false;
    if (!reencode(*child, w, depth + 1)) return false;
    ++n;
  }
  require(n == expected, "count() equals the items read");
  require(r.finish("list").has_value(), "finish succeeds at the end");
  w.end_list();
  return true;
}

void fuzz_rlp(bytes_view in) {
  auto peeked = rlp_peek(in);
  auto item = rlp_decode(in);
  if (!fuzz::ok_or_typed(item, "rlp_decode")) {
    if (peeked) require(peeked->encoding.size() < in.size(), "peek accepts only a prefix of what decode refuses");
    else fuzz::require_typed(peeked.error(), "rlp_peek");
    return;
  }
  require(peeked.has_value() && peeked->encoding.size() == in.size(), "peek and decode agree");
  require(item->encoding.size() == in.size(), "decode consumes its input exactly");
  byte_buffer out;
  rlp_writer w(out);
  if (!reencode(*item, w, 0)) return;
  require(w.depth() == 0, "every list closed");
  require(std::ranges::equal(out, in), "RLP round trip is byte exact");
  // A list read through the reader API too.
  if (item->is_list) {
    auto reader = rlp_reader::from_list(in, "top");
    require(reader.has_value(), "from_list accepts a decoded list");
  }
}

void fuzz_uint(bytes_view in) {
  auto item = rlp_decode(in);
  if (!item || item->is_list) return;
  auto v = rlp_to_uint64(item->payload, "value");
  if (!fuzz::ok_or_typed(v, "rlp_to_uint64")) return;
  const byte_buffer again = rlp_encode_uint(*v);
  require(std::ranges::equal(again, in), "RLP integer round trip");
  rlp_reader r(in);
  auto via_reader = r.uint64("value");
  require(via_reader.has_value() && *via_reader == *v, "reader and rlp_to_uint64 agree");
}

void fuzz_enode(bytes_view in) {
  auto e = parse_enode(as_chars(in));
  if (!fuzz::ok_or_typed(e, "parse_enode")) return;
  const std::string text = format_enode(*e);
  auto again = parse_enode(text);
  require(again.has_value(), "a formatted enode parses");
  require(*again == *e, "enode round trip");
  require(format_enode(*again) == text, "enode text is stable");
}

void write_seeds(fuzz::seed_writer& w) {
  // The yellow paper's and ethereum.org's examples, and our writer's output.
  w.write("dog", 0, fuzz::unhex("83646f67"));
  w.write("cat-dog", 0, fuzz::unhex("c88363617483646f67"));
  w.write("empty-string", 0, fuzz::unhex("80"));
  w.write("empty-list", 0, fuzz::unhex("c0"));
  w.write("set-theory", 0, fuzz::unhex("c7c0c1c0c3c0c1c0"));
  w.write("lorem", 0,
          fuzz::unhex("b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069"
                      "736963696e6720656c6974"));
  {
    byte_buffer out;
    rlp_writer wr(out);
    wr.begin_list();
    wr.uint(5);
    wr.string("snapstream/v0.1.0");
    wr.begin_list();
    wr.begin_list();
    wr.string("eth");
    wr.uint(68);
    wr.end_list();
    wr.begin_list();
    wr.string("snap");
    wr.uint(1);
    wr.end_list();
    wr.end_list();
    wr.uint(30303);
    wr.bytes(byte_buffer(64, 0x42));
    wr.end_list();
    w.write("hello-like", 0, out);
    byte_buffer big;
    rlp_writer wb(big);
    wb.bytes(byte_buffer(300, 0x11));
    w.write("long-string", 0, big);
  }
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 1024ull, 0xffffffffffffffffull}) {
    w.write("uint-" + std::to_string(v), 1, rlp_encode_uint(v));
  }
  w.write("enode-ip4", 2,
          "enode://6f8a80d14311c39f35f516fa664deaaaa13e85b2f7493f37f6144d86991ec012937307647bd3b9a82abe2974e1407241d54947"
          "bbb39763a4cac9f77166ad92a0@10.3.58.6:30303?discport=30301");
  w.write("enode-ip6", 2,
          "enode://6f8a80d14311c39f35f516fa664deaaaa13e85b2f7493f37f6144d86991ec012937307647bd3b9a82abe2974e1407241d54947"
          "bbb39763a4cac9f77166ad92a0@[::1]:30303");
  w.write("enode-dns", 2,
          "enode://6f8a80d14311c39f35f516fa664deaaaa13e85b2f7493f37f6144d86991ec012937307647bd3b9a82abe2974e1407241d54947"
          "bbb39763a4cac9f77166ad92a0@boot.example.org:30303");
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::fuzz_one_of(data, size, fuzz_rlp, fuzz_uint, fuzz_enode);
}
