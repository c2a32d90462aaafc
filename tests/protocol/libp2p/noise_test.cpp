#define BOOST_TEST_MODULE libp2p_noise
#include <boost/test/unit_test.hpp>

#include "protocol/common/endian.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/libp2p/detail/protobuf.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/noise.hpp"

#include <optional>

using namespace snapstream;
using namespace snapstream::libp2p;

namespace {

noise_key key_of(std::string_view hex) {
  noise_key k{};
  BOOST_REQUIRE(from_hex_into(hex, k).has_value());
  return k;
}

byte_buffer hex_bytes(std::string_view hex) {
  auto b = from_hex(hex);
  BOOST_REQUIRE(b.has_value());
  return *b;
}

/// Strips the 2-byte length of one handshake message.
bytes_view body(const byte_buffer& framed) {
  BOOST_REQUIRE(framed.size() >= 2);
  BOOST_REQUIRE(load_be16(framed.data()) == framed.size() - 2);
  return bytes_view(framed).subspan(2);
}

struct handshake_outcome {
  result<void> dialer{};
  result<void> listener{};
};

/// Runs the libp2p handshake between `d` and `l`, stopping at the first error.
handshake_outcome run(noise_handshake& d, noise_handshake& l) {
  handshake_outcome o;
  for (int step = 0; step < 3; ++step) {
    noise_handshake& writer = step % 2 == 0 ? d : l;
    noise_handshake& reader = step % 2 == 0 ? l : d;
    byte_buffer msg;
    auto w = writer.write(msg);
    if (!w) {
      (step % 2 == 0 ? o.dialer : o.listener) = w;
      return o;
    }
    auto r = reader.read(body(msg));
    if (!r) {
      (step % 2 == 0 ? o.listener : o.dialer) = r;
      return o;
    }
  }
  return o;
}

} // namespace

// Cacophony test vectors (haskell-cryptography/cacophony, vectors/cacophony.txt,
// as redistributed in mcginty/snow tests/vectors/cacophony.txt), entry
// "Noise_XX_25519_ChaChaPoly_SHA256" with prologue "John Galt".
BOOST_AUTO_TEST_CASE(matches_the_cacophony_xx_vector) {
  const byte_buffer prologue = hex_bytes("4a6f686e2047616c74");
  const auto is = noise_keypair::from_secret(key_of("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1"));
  const auto ie = noise_keypair::from_secret(key_of("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a"));
  const auto rs = noise_keypair::from_secret(key_of("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"));
  const auto re = noise_keypair::from_secret(key_of("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b"));
  noise_xx init(true, is, ie, prologue);
  noise_xx resp(false, rs, re, prologue);

  const std::pair<std::string_view, std::string_view> handshake[] = {
      {"4c756477696720766f6e204d69736573",
       "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"},
      {"4d757272617920526f746862617264",
       "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"},
      {"462e20412e20486179656b",
       "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"},
  };
  for (int i = 0; i < 3; ++i) {
    noise_xx& writer = i % 2 == 0 ? init : resp;
    noise_xx& reader = i % 2 == 0 ? resp : init;
    byte_buffer msg;
    BOOST_REQUIRE(writer.write_message(hex_bytes(handshake[i].first), msg).has_value());
    BOOST_TEST(to_hex(msg) == handshake[i].second);
    auto payload = reader.read_message(msg);
    BOOST_REQUIRE(payload.has_value());
    BOOST_TEST(to_hex(*payload) == handshake[i].first);
  }
  BOOST_TEST(init.finished());
  BOOST_TEST(resp.finished());
  BOOST_TEST(to_hex(init.handshake_hash()) == "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e");
  BOOST_TEST(to_hex(resp.handshake_hash()) == to_hex(init.handshake_hash()));
  BOOST_TEST(to_hex(init.remote_static()) == to_hex(rs.public_key));
  BOOST_TEST(to_hex(resp.remote_static()) == to_hex(is.public_key));

  auto [i_send, i_recv] = init.split();
  auto [r_send, r_recv] = resp.split();
  // Transport messages alternate, starting with the responder.
  const std::pair<std::string_view, std::string_view> transport[] = {
      {"4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
      {"4a65616e2d426170746973746520536179", "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"},
      {"457567656e2042f6686d20766f6e2042617765726b", "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"},
  };
  for (int i = 0; i < 3; ++i) {
    noise_cipher& send = i % 2 == 0 ? r_send : i_send;
    noise_cipher& recv = i % 2 == 0 ? i_recv : r_recv;
    const byte_buffer plain = hex_bytes(transport[i].first);
    byte_buffer ct(plain.size() + noise_tag_size);
    BOOST_REQUIRE(send.encrypt({}, plain, ct.data()).has_value());
    BOOST_TEST(to_hex(ct) == transport[i].second);
    auto opened = recv.decrypt_in_place({}, ct);
    BOOST_REQUIRE(opened.has_value());
    BOOST_TEST(to_hex(*opened) == transport[i].first);
  }
}

BOOST_AUTO_TEST_CASE(two_libp2p_handshakes_authenticate_each_other) {
  const identity a = identity::generate();
  const identity b = identity::generate();
  auto d = noise_handshake::initiator(a, b.id());
  auto l = noise_handshake::responder(b);
  const auto o = run(d, l);
  BOOST_REQUIRE(o.dialer.has_value());
  BOOST_REQUIRE(o.listener.has_value());
  BOOST_TEST(d.complete());
  BOOST_TEST(l.complete());
  BOOST_TEST((d.remote_peer() == b.id()));
  BOOST_TEST((l.remote_peer() == a.id()));

  noise_transport td = d.into_transport();
  noise_transport tl = l.into_transport();
  // Three frames: 65519 + 65519 + 2 bytes.
  byte_buffer big(2 * noise_max_plaintext + 2);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  byte_buffer wire;
  BOOST_REQUIRE(td.seal(big, wire).has_value());
  BOOST_TEST(wire.size() == noise_transport::sealed_size(big.size()));
  BOOST_TEST(wire.size() == big.size() + 3 * 18);
  byte_buffer received;
  std::span<std::uint8_t> rest(wire);
  while (!rest.empty()) {
    auto f = tl.open_in_place(rest);
    BOOST_REQUIRE(f.has_value());
    BOOST_REQUIRE(f->consumed > 0);
    BOOST_TEST(f->plaintext.size() <= noise_max_plaintext);
    append(received, f->plaintext);
    rest = rest.subspan(f->consumed);
  }
  BOOST_TEST((received == big));

  byte_buffer back;
  BOOST_REQUIRE(tl.seal(as_bytes("pong"), back).has_value());
  auto f = td.open_in_place(back);
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(as_chars(f->plaintext) == "pong");
}

BOOST_AUTO_TEST_CASE(incomplete_frames_wait_for_more_bytes) {
  const identity a = identity::generate(), b = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  auto l = noise_handshake::responder(b);
  BOOST_REQUIRE(run(d, l).listener.has_value());
  noise_transport td = d.into_transport(), tl = l.into_transport();
  byte_buffer wire;
  BOOST_REQUIRE(td.seal(as_bytes("hello"), wire).has_value());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    auto f = tl.open_in_place(std::span<std::uint8_t>(wire.data(), n));
    BOOST_REQUIRE(f.has_value());
    BOOST_TEST(f->consumed == 0u);
  }
  auto f = tl.open_in_place(wire);
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->consumed == wire.size());
}

BOOST_AUTO_TEST_CASE(dialer_meeting_another_peer_fails_with_peer_id_mismatch) {
  const identity a = identity::generate(), b = identity::generate(), expected = identity::generate();
  auto d = noise_handshake::initiator(a, expected.id());
  auto l = noise_handshake::responder(b);
  const auto o = run(d, l);
  BOOST_REQUIRE(!o.dialer.has_value());
  BOOST_TEST(o.dialer.error().is(libp2p_errc::peer_id_mismatch));
  BOOST_TEST(o.dialer.error().message().find(expected.id().to_string()) != std::string::npos);
  BOOST_TEST(o.dialer.error().message().find(b.id().to_string()) != std::string::npos);
  BOOST_TEST(!d.complete());
}

BOOST_AUTO_TEST_CASE(tampered_handshake_message_fails_the_tag_check) {
  const identity a = identity::generate(), b = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  auto l = noise_handshake::responder(b);
  byte_buffer m1, m2;
  BOOST_REQUIRE(d.write(m1).has_value());
  BOOST_REQUIRE(l.read(body(m1)).has_value());
  BOOST_REQUIRE(l.write(m2).has_value());
  m2[2 + 40] ^= 0x01; // inside the encrypted static key
  auto r = d.read(body(m2));
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::noise_decrypt_failed));
}

BOOST_AUTO_TEST_CASE(tampered_transport_frame_fails_the_tag_check) {
  const identity a = identity::generate(), b = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  auto l = noise_handshake::responder(b);
  BOOST_REQUIRE(run(d, l).listener.has_value());
  noise_transport td = d.into_transport(), tl = l.into_transport();
  byte_buffer wire;
  BOOST_REQUIRE(td.seal(as_bytes("payload"), wire).has_value());
  wire.back() ^= 0x80; // the tag
  auto f = tl.open_in_place(wire);
  BOOST_REQUIRE(!f.has_value());
  BOOST_TEST(f.error().is(libp2p_errc::noise_decrypt_failed));
}

BOOST_AUTO_TEST_CASE(replayed_frame_fails_because_the_nonce_moved_on) {
  const identity a = identity::generate(), b = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  auto l = noise_handshake::responder(b);
  BOOST_REQUIRE(run(d, l).listener.has_value());
  noise_transport td = d.into_transport(), tl = l.into_transport();
  byte_buffer wire;
  BOOST_REQUIRE(td.seal(as_bytes("once"), wire).has_value());
  byte_buffer copy = wire;
  BOOST_REQUIRE(tl.open_in_place(wire).has_value());
  BOOST_TEST(tl.open_in_place(copy).error().is(libp2p_errc::noise_decrypt_failed));
}

BOOST_AUTO_TEST_CASE(forged_identity_signature_fails_authentication) {
  // The listener claims identity `b` but signs someone else's static key.
  const identity a = identity::generate(), b = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  const noise_keypair rs = noise_keypair::generate();
  noise_xx forger(false, rs, noise_keypair::generate(), {});
  byte_buffer m1;
  BOOST_REQUIRE(d.write(m1).has_value());
  BOOST_REQUIRE(forger.read_message(body(m1)).has_value());
  byte_buffer payload;
  libp2p::detail::pb_put_bytes(payload, 1, b.public_key_protobuf());
  const noise_keypair other = noise_keypair::generate();
  byte_buffer signed_data(as_bytes("noise-libp2p-static-key:").begin(), as_bytes("noise-libp2p-static-key:").end());
  append(signed_data, other.public_key);
  libp2p::detail::pb_put_bytes(payload, 2, b.sign(signed_data));
  byte_buffer m2;
  BOOST_REQUIRE(forger.write_message(payload, m2).has_value());
  auto r = d.read(m2);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::authentication_failed));
}

BOOST_AUTO_TEST_CASE(a_responder_refusing_the_third_message_is_not_complete_and_goes_no_further) {
  // Found by fuzz_noise: the XX machine has finished once it took message 3,
  // before the identity in its payload is checked; a refused payload must
  // not leave the handshake reporting `complete()`.
  const identity b = identity::generate(), c = identity::generate();
  auto l = noise_handshake::responder(b);
  const noise_keypair is = noise_keypair::generate();
  noise_xx dialer(true, is, noise_keypair::generate(), {});
  byte_buffer m1, m2, m3;
  BOOST_REQUIRE(dialer.write_message({}, m1).has_value());
  BOOST_REQUIRE(l.read(m1).has_value());
  BOOST_REQUIRE(l.write(m2).has_value());
  BOOST_REQUIRE(dialer.read_message(body(m2)).has_value());
  // `c` signs a static key that is not the dialer's.
  byte_buffer payload;
  libp2p::detail::pb_put_bytes(payload, 1, c.public_key_protobuf());
  byte_buffer signed_data(as_bytes("noise-libp2p-static-key:").begin(), as_bytes("noise-libp2p-static-key:").end());
  append(signed_data, noise_keypair::generate().public_key);
  libp2p::detail::pb_put_bytes(payload, 2, c.sign(signed_data));
  BOOST_REQUIRE(dialer.write_message(payload, m3).has_value());

  auto r = l.read(m3);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::authentication_failed));
  BOOST_TEST(!l.complete());
  BOOST_TEST(l.remote_peer().empty());
}

BOOST_AUTO_TEST_CASE(a_dialer_refusing_the_second_message_writes_nothing_more) {
  const identity a = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  noise_xx bare(false, noise_keypair::generate(), noise_keypair::generate(), {});
  byte_buffer m1, m2;
  BOOST_REQUIRE(d.write(m1).has_value());
  BOOST_REQUIRE(bare.read_message(body(m1)).has_value());
  BOOST_REQUIRE(bare.write_message({}, m2).has_value());
  BOOST_REQUIRE(!d.read(m2).has_value());

  byte_buffer m3;
  auto w = d.write(m3);
  BOOST_REQUIRE(!w.has_value());
  BOOST_TEST(w.error().is(libp2p_errc::noise_handshake_failed));
  BOOST_TEST(m3.empty());
  BOOST_TEST(!d.complete());
}

BOOST_AUTO_TEST_CASE(payload_without_identity_is_refused) {
  const identity a = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  noise_xx bare(false, noise_keypair::generate(), noise_keypair::generate(), {});
  byte_buffer m1, m2;
  BOOST_REQUIRE(d.write(m1).has_value());
  BOOST_REQUIRE(bare.read_message(body(m1)).has_value());
  BOOST_REQUIRE(bare.write_message({}, m2).has_value());
  auto r = d.read(m2);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::noise_handshake_failed));
}

BOOST_AUTO_TEST_CASE(truncated_handshake_messages_are_refused) {
  const identity a = identity::generate(), b = identity::generate();
  auto l = noise_handshake::responder(b);
  const byte_buffer short_e(31, 0x01);
  auto r = l.read(short_e);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::noise_handshake_failed));

  auto d = noise_handshake::initiator(a, std::nullopt);
  byte_buffer m1;
  BOOST_REQUIRE(d.write(m1).has_value());
  const byte_buffer m2(40, 0x09);
  BOOST_TEST(d.read(m2).error().is(libp2p_errc::noise_handshake_failed));
}

BOOST_AUTO_TEST_CASE(low_order_ephemeral_key_is_refused) {
  const identity a = identity::generate();
  auto d = noise_handshake::initiator(a, std::nullopt);
  byte_buffer m1;
  BOOST_REQUIRE(d.write(m1).has_value());
  byte_buffer m2(32 + 48 + 16, 0); // all-zero ephemeral key: X25519 output is zero
  auto r = d.read(m2);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::noise_handshake_failed));
}

BOOST_AUTO_TEST_CASE(writing_out_of_turn_is_refused) {
  const identity b = identity::generate();
  auto l = noise_handshake::responder(b);
  byte_buffer out;
  BOOST_TEST(!l.write(out).has_value());
  BOOST_TEST(out.empty());
}
