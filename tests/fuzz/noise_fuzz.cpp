// libFuzzer target for the libp2p Noise XX handshake and its
// NoiseHandshakePayload protobuf (protocol/libp2p/noise.cpp), then the
// transport frames after it.
//
// Our side (initiator or responder, fixed keys) talks to a scripted peer:
//  - raw mode: every peer message is fuzz bytes;
//  - driven mode: the peer is a real `noise_xx` with its own fixed static
//    key, so its messages are correctly encrypted and the fuzz bytes choose
//    the *plaintext payloads* (the protobuf our side must authenticate) and
//    optional byte flips of the ciphertext; after the handshake the fuzz
//    bytes are sealed into transport frames, or sent as raw frames.
//
// Properties:
//  - `complete()` only with an authenticated remote: its peer id is that of
//    the only identity that signed the peer's static key (the peer's), and a
//    dialler expecting another id never completes;
//  - every failure is a typed error, and a failed handshake never goes on
//    (no write or read succeeds afterwards, no completion);
//  - transport frames sealed by the peer open to the same plaintext;
//    corrupted or raw frames fail with a typed error.

#include "fuzz_util.hpp"

#include "protocol/libp2p/detail/protobuf.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/noise.hpp"

using namespace snapstream;
using namespace snapstream::libp2p;
using snapstream::fuzz::require;

namespace {

constexpr std::string_view signature_prefix = "noise-libp2p-static-key:";

struct fixture {
  identity local = *identity::from_seed(fuzz::unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  identity remote = *identity::from_seed(fuzz::unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  identity stranger = *identity::from_seed(fuzz::unhex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"));
  noise_keypair local_static = noise_keypair::from_secret(fuzz::unhex_array<32>(
      "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1"));
  noise_keypair local_ephemeral = noise_keypair::from_secret(fuzz::unhex_array<32>(
      "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a"));
  noise_keypair remote_static = noise_keypair::from_secret(fuzz::unhex_array<32>(
      "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"));
  noise_keypair remote_ephemeral = noise_keypair::from_secret(fuzz::unhex_array<32>(
      "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b"));

  /// The peer's real payload: its identity key and signature of its static key.
  [[nodiscard]] byte_buffer signed_payload(const identity& who) const {
    byte_buffer signed_data(as_bytes(signature_prefix).begin(), as_bytes(signature_prefix).end());
    append(signed_data, remote_static.public_key);
    const ed25519_signature sig = who.sign(signed_data);
    byte_buffer p;
    libp2p::detail::pb_put_bytes(p, 1, who.public_key_protobuf());
    libp2p::detail::pb_put_bytes(p, 2, sig);
    return p;
  }
};

const fixture& keys() {
  static const fixture f;
  return f;
}

/// Our handshake, as the node makes it, with the fixture's keys.
noise_handshake make_local(bool initiator, std::uint8_t expect) {
  const auto& k = keys();
  if (!initiator) {
    // The responder API draws its X25519 keys at random; the tests' fixed-key
    // form exists for the initiator only, which is all the properties need
    // (a responder's keys never reach a check below).
    return noise_handshake::responder(k.local);
  }
  std::optional<peer_id> expected;
  if (expect == 1) expected = k.remote.id();
  if (expect == 2) expected = k.stranger.id();
  return noise_handshake::initiator(k.local, expected, k.local_static, k.local_ephemeral);
}

/// Strips the 2-byte length prefix `noise_handshake::write` puts on.
bytes_view body_of(const byte_buffer& framed) {
  require(framed.size() >= noise_length_prefix, "a written handshake message has its length prefix");
  const std::size_t n = (std::size_t{framed[0]} << 8) | framed[1];
  require(n + noise_length_prefix == framed.size(), "the length prefix is exact");
  return bytes_view(framed).subspan(noise_length_prefix);
}

/// `signer`: the identity whose signature over the peer's static key the peer
/// sent (none when its payload was fuzz bytes, which carry no valid signature).
void check_completion(const noise_handshake& hs, bool initiator, std::uint8_t expect,
                      const std::optional<peer_id>& signer) {
  if (!hs.complete()) return;
  require(!hs.remote_peer().empty(), "a complete handshake has an authenticated remote peer");
  require(signer.has_value() && hs.remote_peer() == *signer,
          "the remote peer is the identity that signed the peer's static key");
  if (initiator && expect == 1) require(hs.remote_peer() == keys().remote.id(), "a dialler gets the peer it expected");
  if (initiator && expect == 2) require(hs.remote_peer() == keys().stranger.id(), "a dialler gets the peer it expected");
}

void run_raw(fuzz::fuzz_input& in, bool initiator, std::uint8_t expect) {
  noise_handshake hs = make_local(initiator, expect);
  bool failed = false;
  for (int round = 0; round < 4 && !hs.complete(); ++round) {
    if (hs.my_turn()) {
      byte_buffer out;
      auto w = hs.write(out);
      // Writing fails only for what the peer sent (a low-order ephemeral key).
      if (!fuzz::ok_or_typed(w, "noise_handshake::write")) {
        failed = true;
        break;
      }
      (void)body_of(out);
      continue;
    }
    auto r = hs.read(in.chunk16());
    if (!fuzz::ok_or_typed(r, "noise_handshake::read")) {
      failed = true;
      break;
    }
  }
  if (failed) {
    byte_buffer out;
    require(!hs.complete(), "a failed handshake is not complete");
    if (hs.my_turn()) require(!hs.write(out).has_value(), "a failed handshake writes nothing more");
  }
  check_completion(hs, initiator, expect, std::nullopt);
}

void run_driven(fuzz::fuzz_input& in, bool initiator, std::uint8_t expect) {
  const auto& k = keys();
  noise_handshake hs = make_local(initiator, expect);
  // The peer: a bare XX machine with its own static key and fuzz payloads.
  noise_xx peer(!initiator, k.remote_static, k.remote_ephemeral, {});
  bool failed = false;
  std::optional<peer_id> signer;
  bool flipped = false;
  while (!hs.complete() && !failed) {
    if (hs.my_turn()) {
      byte_buffer out;
      auto w = hs.write(out);
      if (!fuzz::ok_or_typed(w, "noise_handshake::write")) {
        failed = true;
        break;
      }
      auto got = peer.read_message(body_of(out));
      if (!got) {
        // Only a peer message we let the input corrupt (its plaintext
        // ephemeral key) can make our reply unreadable to the peer.
        require(flipped, "the peer reads what we write");
        return;
      }
      continue;
    }
    // The peer's turn: payload from the input (selector 0: its real signed
    // payload, 1: a stranger's, 2: fuzz bytes), then an optional flip.
    const std::uint8_t how = in.u8();
    byte_buffer payload;
    switch (how % 3) {
    case 0: payload = k.signed_payload(k.remote); break;
    case 1: payload = k.signed_payload(k.stranger); break;
    default: payload = to_buffer(in.chunk16()); break;
    }
    if (peer.messages_done() > 0) {
      if (how % 3 == 0) signer = k.remote.id();
      else if (how % 3 == 1) signer = k.stranger.id();
      else signer.reset();
      if (how & 0x80) signer.reset(); // a flipped message proves nothing
    }
    byte_buffer msg;
    auto w = peer.write_message(peer.messages_done() == 0 ? bytes_view{} : bytes_view(payload), msg);
    if (!w) return; // e.g. a payload too large for one message
    if (how & 0x80 && !msg.empty()) {
      msg[in.u16() % msg.size()] ^= static_cast<std::uint8_t>(in.u8() | 1);
      flipped = true;
    }
    auto r = hs.read(msg);
    if (!fuzz::ok_or_typed(r, "noise_handshake::read")) failed = true;
  }
  if (failed) {
    require(!hs.complete(), "a failed handshake is not complete");
    byte_buffer out;
    if (hs.my_turn()) require(!hs.write(out).has_value(), "a failed handshake writes nothing more");
    return;
  }
  check_completion(hs, initiator, expect, signer);
  if (!peer.finished()) return;

  // Transport: frames the peer seals open to the same bytes; raw ones fail typed.
  noise_transport ours = hs.into_transport();
  auto [send, receive] = peer.split();
  noise_transport theirs(std::move(send), std::move(receive));
  while (!in.empty()) {
    const std::uint8_t op = in.u8();
    const bytes_view data = in.chunk16();
    byte_buffer wire;
    if (op % 2 == 0) {
      auto s = theirs.seal(data, wire);
      require(s.has_value(), "sealing succeeds");
    } else {
      append(wire, data);
    }
    if (op & 0x80 && !wire.empty()) wire[in.u16() % wire.size()] ^= 1;
    std::span<std::uint8_t> buffer(wire);
    byte_buffer opened;
    bool bad = false;
    while (!buffer.empty()) {
      auto o = ours.open_in_place(buffer);
      if (!fuzz::ok_or_typed(o, "noise_transport::open_in_place")) {
        bad = true;
        break;
      }
      if (o->consumed == 0) break; // incomplete frame
      require(o->consumed <= buffer.size(), "a frame lies within the buffer");
      require(o->plaintext.size() + noise_tag_size + noise_length_prefix == o->consumed, "frame sizes add up");
      append(opened, o->plaintext);
      buffer = buffer.subspan(o->consumed);
    }
    if (op % 2 == 0 && !(op & 0x80)) {
      require(!bad && buffer.empty(), "frames the peer sealed open");
      require(std::ranges::equal(opened, data), "transport round trip");
    }
    if (bad) return; // a receive failure ends the connection
    // A corrupted sealed frame that was not refused (its length prefix now
    // asks for more bytes) took a nonce the receiver never used: the
    // directions are out of step, as on a broken connection.
    if (op % 2 == 0 && (op & 0x80) != 0) return;
  }
}

void write_seeds(fuzz::seed_writer& w) {
  // Driven mode (bit 1 set), each role, with the peer's real payload, with a
  // stranger's, and an expected-id mismatch; then transport frames.
  for (std::uint8_t role : {0, 1}) {
    for (std::uint8_t expect : {0, 1, 2}) {
      byte_buffer b{static_cast<std::uint8_t>(role | 2 | (expect << 2))};
      b.push_back(0); // peer message: its real payload
      b.push_back(0);
      b.push_back(0); // transport: a sealed frame
      fuzz::put_chunk16(b, as_bytes("/multistream/1.0.0\n"));
      b.push_back(1); // a raw frame
      fuzz::put_chunk16(b, fuzz::unhex("0010000102030405060708090a0b0c0d0e0f"));
      w.write("driven-role" + std::to_string(role) + "-expect" + std::to_string(expect), b);
    }
  }
  byte_buffer stranger{0 | 2, 1, 1, 1};
  w.write("driven-stranger-payload", stranger);
  byte_buffer garbage{1 | 2, 2};
  fuzz::put_chunk16(garbage, fuzz::unhex("0a0012020102"));
  w.write("driven-garbage-payload", garbage);
  // Raw mode: what a real initiator's first message and our own messages look like.
  {
    noise_handshake dialer = noise_handshake::initiator(keys().remote, std::nullopt, keys().remote_static,
                                                        keys().remote_ephemeral);
    byte_buffer first;
    (void)dialer.write(first);
    byte_buffer b{1};
    fuzz::put_chunk16(b, body_of(first));
    w.write("raw-responder-first", b);
    byte_buffer c{0};
    fuzz::put_chunk16(c, body_of(first));
    w.write("raw-initiator-reads-e", c);
  }
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::fuzz_input in(data, size);
  const std::uint8_t mode = in.u8();
  // bit 0: our side is the responder; bit 1: driven; bits 2-3: expected id.
  const bool initiator = (mode & 1) == 0;
  const std::uint8_t expect = static_cast<std::uint8_t>((mode >> 2) % 3);
  if (mode & 2) {
    run_driven(in, initiator, expect);
  } else {
    run_raw(in, initiator, expect);
  }
  return 0;
}
