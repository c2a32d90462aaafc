// libFuzzer target for libp2p's small decoders (protocol/libp2p); the first
// input byte picks one, the rest is its input:
//   0 uvarint         decode -> append -> the same bytes (minimal encoding only)
//   1 peer id (text)  parse -> to_string -> parse gives the same id; text is canonical
//   2 peer id (bin)   from_multihash -> multihash is the input; embedded key re-derives it
//   3 multiaddr       parse -> to_string -> parse gives the same address
//   4 public key      decode_public_key -> encode_public_key -> decode, same key
//   5 key file        identity::from_private_key_protobuf -> private_key_protobuf is the input
//   6 protobuf        pb_reader walks every field or fails, never reads out of bounds
//   7 base58          decode -> encode -> the same text
// Every failure is a typed error with a message.

#include "fuzz_util.hpp"

#include "protocol/libp2p/detail/base58.hpp"
#include "protocol/libp2p/detail/protobuf.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/multiaddr.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/libp2p/public_key.hpp"
#include "protocol/libp2p/uvarint.hpp"

using namespace snapstream;
using namespace snapstream::libp2p;
using snapstream::fuzz::require;

namespace {

constexpr std::string_view spec_key_pb = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr std::string_view spec_peer_id = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr std::string_view rfc_seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

void fuzz_uvarint(bytes_view in) {
  auto r = uvarint_decode(in);
  if (!fuzz::ok_or_typed(r, "uvarint_decode")) return;
  if (!*r) {
    require(in.size() < uvarint_max_bytes + 1, "an incomplete uvarint is short");
    return;
  }
  const auto [value, size] = **r;
  require(size >= 1 && size <= uvarint_max_bytes && size <= in.size(), "uvarint size in range");
  byte_buffer again;
  uvarint_append(again, value);
  require(again.size() == size && uvarint_size(value) == size, "uvarint_size agrees with the encoding");
  require(std::equal(again.begin(), again.end(), in.begin()), "uvarint round trip is byte exact");
}

void check_peer_id(const peer_id& id) {
  require(!id.empty(), "a parsed peer id is not empty");
  const std::string text = id.to_string();
  auto again = peer_id::parse(text);
  require(again.has_value() && *again == id, "peer id text round trip");
  auto bin = peer_id::from_multihash(id.multihash());
  require(bin.has_value() && *bin == id, "peer id multihash round trip");
  if (auto key = id.public_key()) {
    require(id.matches(*key), "a peer id matches the key it embeds");
    require(peer_id::from_public_key(*key) == id, "the embedded key derives the same id");
  }
}

void fuzz_peer_id_text(bytes_view in) {
  auto r = peer_id::parse(as_chars(in));
  if (!fuzz::ok_or_typed(r, "peer_id::parse")) return;
  check_peer_id(*r);
  require(r->to_string() == as_chars(in), "an accepted peer id text is canonical");
}

void fuzz_peer_id_binary(bytes_view in) {
  auto r = peer_id::from_multihash(in);
  if (!fuzz::ok_or_typed(r, "peer_id::from_multihash")) return;
  require(std::ranges::equal(r->multihash(), in), "a peer id keeps its multihash");
  check_peer_id(*r);
}

void fuzz_multiaddr(bytes_view in) {
  auto r = multiaddr::parse(as_chars(in));
  if (!fuzz::ok_or_typed(r, "multiaddr::parse")) return;
  const std::string text = r->to_string();
  auto again = multiaddr::parse(text);
  require(again.has_value(), "a formatted multiaddr parses");
  require(*again == *r, "multiaddr round trip");
  require(again->to_string() == text, "multiaddr text is stable");
  require(!r->without_peer().peer, "without_peer drops the peer");
}

void fuzz_public_key(bytes_view in) {
  auto r = decode_public_key(in);
  if (!fuzz::ok_or_typed(r, "decode_public_key")) return;
  const byte_buffer encoded = encode_public_key(*r);
  require(encoded.size() == ed25519_public_key_protobuf_size, "encoded key size");
  auto again = decode_public_key(encoded);
  require(again.has_value() && *again == *r, "public key round trip");
}

void fuzz_key_file(bytes_view in) {
  auto r = identity::from_private_key_protobuf(in);
  if (!fuzz::ok_or_typed(r, "identity::from_private_key_protobuf")) return;
  const byte_buffer encoded = r->private_key_protobuf();
  auto again = identity::from_private_key_protobuf(encoded);
  require(again.has_value() && again->public_key() == r->public_key(), "key file round trip");
  require(r->id() == peer_id::from_public_key(r->public_key()), "the identity's peer id is its key's");
  const auto sig = r->sign(in);
  require(verify_signature(r->public_key(), in, sig), "a loaded key signs verifiably");
}

void fuzz_protobuf(bytes_view in) {
  libp2p::detail::pb_reader reader(in);
  std::size_t fields = 0;
  while (auto f = reader.next()) {
    ++fields;
    require(f->wire_type == 0 || f->wire_type == 2, "only varint and bytes fields are returned");
    if (f->wire_type == 2)
      require(f->bytes.data() >= in.data() && f->bytes.data() + f->bytes.size() <= in.data() + in.size(),
              "a bytes field lies inside the message");
  }
  require(fields <= in.size(), "every field takes at least one byte");
}

void fuzz_base58(bytes_view in) {
  auto r = libp2p::detail::base58_decode(as_chars(in));
  if (!fuzz::ok_or_typed(r, "base58_decode")) return;
  require(libp2p::detail::base58_encode(*r) == as_chars(in), "base58 round trip");
}

void write_seeds(fuzz::seed_writer& w) {
  const byte_buffer key_pb = fuzz::unhex(spec_key_pb);
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 16384ull, (1ull << 63) - 1}) {
    byte_buffer b;
    uvarint_append(b, v);
    w.write("uvarint-" + std::to_string(v), 0, b);
  }
  w.write("uvarint-non-minimal", 0, fuzz::unhex("8000"));
  w.write("peer-id-spec", 1, spec_peer_id);
  const peer_id spec = *peer_id::parse(spec_peer_id);
  w.write("peer-id-spec-bin", 2, spec.multihash());
  // The spec key's protobuf with its fields swapped: it decodes to the key,
  // so an id holding it must still be refused (one key, one id).
  byte_buffer swapped{0x00, 0x24};
  swapped.insert(swapped.end(), key_pb.begin() + 2, key_pb.end());
  swapped.push_back(0x08);
  swapped.push_back(0x01);
  w.write("peer-id-non-canonical-bin", 2, swapped);
  byte_buffer sha{0x12, 0x20};
  sha.resize(34, 0xab);
  w.write("peer-id-sha256-bin", 2, sha);
  w.write("peer-id-sha256", 1, (*peer_id::from_multihash(sha)).to_string());
  w.write("multiaddr-ip4", 3, "/ip4/127.0.0.1/tcp/4001");
  w.write("multiaddr-ip6", 3, "/ip6/fe80::1/tcp/443/p2p/" + std::string(spec_peer_id));
  w.write("multiaddr-dns4", 3, "/dns4/node-1.example.org/tcp/65535");
  w.write("multiaddr-dns6", 3, "/dns6/localhost/tcp/0");
  w.write("multiaddr-ip6-long", 3, "/ip6/2001:db8:0:0:1:0:0:1/tcp/80");
  w.write("public-key-spec", 4, key_pb);
  const auto rfc = *identity::from_seed(fuzz::unhex(rfc_seed));
  w.write("key-file-rfc8032", 5, rfc.private_key_protobuf());
  w.write("public-key-rfc8032", 4, rfc.public_key_protobuf());
  w.write("protobuf-key", 6, key_pb);
  w.write("protobuf-key-file", 6, rfc.private_key_protobuf());
  w.write("base58-1", 7, "2cFupjhnEsSn59qHXstmK2ffpLv2");
  w.write("base58-2", 7, "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L");
  w.write("base58-3", 7, "1111111111");
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::fuzz_one_of(data, size, fuzz_uvarint, fuzz_peer_id_text, fuzz_peer_id_binary, fuzz_multiaddr, fuzz_public_key, fuzz_key_file, fuzz_protobuf, fuzz_base58);
}
