// libFuzzer target for the RLPx handshake and frame layer (protocol/rlpx):
// ECIES (ecies.cpp), the auth and ack messages in EIP-8 and legacy form
// (handshake.cpp) and the frame codec (frame_codec.cpp). Our side holds the
// EIP-8 test vectors' keys, so the published auth/ack packets are seeds. The
// first byte picks:
//   0-3 read_auth / read_ack, EIP-8 or legacy, of raw bytes
//   4-5 auth / ack bodies from the input, ECIES-encrypted to our key by the
//       harness (so the body parser sees fuzz bytes behind a valid MAC)
//   6   ecies_decrypt of raw bytes
//   7   make_auth / make_ack with fuzz nonces and padding, read back
//   8   the frame codec between two sessions: frames written by the peer read
//       back equal; raw or corrupted frames fail with a MAC error
//
// Properties: an accepted auth names a valid initiator key and recovers a
// valid ephemeral key; what make_auth/make_ack write reads back to the same
// fields; frames round-trip; a corrupted frame never yields data; every
// failure is a typed error.

#include "fuzz_util.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/rlpx/ecies.hpp"
#include "protocol/rlpx/frame_codec.hpp"
#include "protocol/rlpx/handshake.hpp"
#include "protocol/rlpx/keys.hpp"

using namespace snapstream;
using namespace snapstream::rlpx;
using snapstream::fuzz::require;

namespace {

// EIP-8's test vectors (also in tests/protocol/rlpx/handshake_test.cpp).
constexpr std::string_view auth1 =
    "048ca79ad18e4b0659fab4853fe5bc58eb83992980f4c9cc147d2aa31532efd29a3d3dc6a3d89eaf913150cfc777ce0ce4af"
    "2758bf4810235f6e6ceccfee1acc6b22c005e9e3a49d6448610a58e98744ba3ac0399e82692d67c1f58849050b3024e21a52"
    "c9d3b01d871ff5f210817912773e610443a9ef142e91cdba0bd77b5fdf0769b05671fc35f83d83e4d3b0b000c6b2a1b1bba8"
    "9e0fc51bf4e460df3105c444f14be226458940d6061c296350937ffd5e3acaceeaaefd3c6f74be8e23e0f45163cc7ebd7622"
    "0f0128410fd05250273156d548a414444ae2f7dea4dfca2d43c057adb701a715bf59f6fb66b2d1d20f2c703f851cbf5ac473"
    "96d9ca65b6260bd141ac4d53e2de585a73d1750780db4c9ee4cd4d225173a4592ee77e2bd94d0be3691f3b406f9bba9b591f"
    "c63facc016bfa8";
constexpr std::string_view auth2 =
    "01b304ab7578555167be8154d5cc456f567d5ba302662433674222360f08d5f1534499d3678b513b0fca474f3a514b18e756"
    "83032eb63fccb16c156dc6eb2c0b1593f0d84ac74f6e475f1b8d56116b849634a8c458705bf83a626ea0384d4d7341aae591"
    "fae42ce6bd5c850bfe0b999a694a49bbbaf3ef6cda61110601d3b4c02ab6c30437257a6e0117792631a4b47c1d52fc0f8f89"
    "caadeb7d02770bf999cc147d2df3b62e1ffb2c9d8c125a3984865356266bca11ce7d3a688663a51d82defaa8aad69da39ab6"
    "d5470e81ec5f2a7a47fb865ff7cca21516f9299a07b1bc63ba56c7a1a892112841ca44b6e0034dee70c9adabc15d76a54f44"
    "3593fafdc3b27af8059703f88928e199cb122362a4b35f62386da7caad09c001edaeb5f8a06d2b26fb6cb93c52a9fca51853"
    "b68193916982358fe1e5369e249875bb8d0d0ec36f917bc5e1eafd5896d46bd61ff23f1a863a8a8dcd54c7b109b771c8e61e"
    "c9c8908c733c0263440e2aa067241aaa433f0bb053c7b31a838504b148f570c0ad62837129e547678c5190341e4f1693956c"
    "3bf7678318e2d5b5340c9e488eefea198576344afbdf66db5f51204a6961a63ce072c8926c";
constexpr std::string_view auth3 =
    "01b8044c6c312173685d1edd268aa95e1d495474c6959bcdd10067ba4c9013df9e40ff45f5bfd6f72471f93a91b493f8e00a"
    "bc4b80f682973de715d77ba3a005a242eb859f9a211d93a347fa64b597bf280a6b88e26299cf263b01b8dfdb712278464fd1"
    "c25840b995e84d367d743f66c0e54a586725b7bbf12acca27170ae3283c1073adda4b6d79f27656993aefccf16e0d0409fe0"
    "7db2dc398a1b7e8ee93bcd181485fd332f381d6a050fba4c7641a5112ac1b0b61168d20f01b479e19adf7fdbfa0905f63352"
    "bfc7e23cf3357657455119d879c78d3cf8c8c06375f3f7d4861aa02a122467e069acaf513025ff196641f6d2810ce493f51b"
    "ee9c966b15c5043505350392b57645385a18c78f14669cc4d960446c17571b7c5d725021babbcd786957f3d17089c084907b"
    "da22c2b2675b4378b114c601d858802a55345a15116bc61da4193996187ed70d16730e9ae6b3bb8787ebcaea1871d850997d"
    "dc08b4f4ea668fbf37407ac044b55be0908ecb94d4ed172ece66fd31bfdadf2b97a8bc690163ee11f5b575a4b44e36e2bfb2"
    "f0fce91676fd64c7773bac6a003f481fddd0bae0a1f31aa27504e2a533af4cef3b623f4791b2cca6d490";
constexpr std::string_view ack1 =
    "049f8abcfa9c0dc65b982e98af921bc0ba6e4243169348a236abe9df5f93aa69d99cadddaa387662b0ff2c08e9006d5a11a2"
    "78b1b3331e5aaabf0a32f01281b6f4ede0e09a2d5f585b26513cb794d9635a57563921c04a9090b4f14ee42be1a5461049af"
    "4ea7a7f49bf4c97a352d39c8d02ee4acc416388c1c66cec761d2bc1c72da6ba143477f049c9d2dde846c252c111b904f630a"
    "c98e51609b3b1f58168ddca6505b7196532e5f85b259a20c45e1979491683fee108e9660edbf38f3add489ae73e3dda2c71b"
    "d1497113d5c755e942d1";
constexpr std::string_view ack2 =
    "01ea0451958701280a56482929d3b0757da8f7fbe5286784beead59d95089c217c9b917788989470b0e330cc6e4fb383c034"
    "0ed85fab836ec9fb8a49672712aeabbdfd1e837c1ff4cace34311cd7f4de05d59279e3524ab26ef753a0095637ac88f2b499"
    "b9914b5f64e143eae548a1066e14cd2f4bd7f814c4652f11b254f8a2d0191e2f5546fae6055694aed14d906df79ad3b407d9"
    "4692694e259191cde171ad542fc588fa2b7333313d82a9f887332f1dfc36cea03f831cb9a23fea05b33deb999e85489e645f"
    "6aab1872475d488d7bd6c7c120caf28dbfc5d6833888155ed69d34dbdc39c1f299be1057810f34fbe754d021bfca14dc9897"
    "53d61c413d261934e1a9c67ee060a25eefb54e81a4d14baff922180c395d3f998d70f46f6b58306f969627ae364497e73fc2"
    "7f6d17ae45a413d322cb8814276be6ddd13b885b201b943213656cde498fa0e9ddc8e0b8f8a53824fbd82254f3e2c17e8eae"
    "a009c38b4aa0a3f306e8797db43c25d68e86f262e564086f59a2fc60511c42abfb3057c247a8a8fe4fb3ccbadde17514b7ac"
    "8000cdb6a912778426260c47f38919a91f25f4b5ffb455d6aaaf150f7e5529c100ce62d6d92826a71778d809bdf60232ae21"
    "ce8a437eca8223f45ac37f6487452ce626f549b3b5fdee26afd2072e4bc75833c2464c805246155289f4";
constexpr std::string_view ack3 =
    "01f004076e58aae772bb101ab1a8e64e01ee96e64857ce82b1113817c6cdd52c09d26f7b90981cd7ae835aeac72e1573b8a0"
    "225dd56d157a010846d888dac7464baf53f2ad4e3d584531fa203658fab03a06c9fd5e35737e417bc28c1cbf5e5dfc666de7"
    "090f69c3b29754725f84f75382891c561040ea1ddc0d8f381ed1b9d0d4ad2a0ec021421d847820d6fa0ba66eaf58175f1b23"
    "5e851c7e2124069fbc202888ddb3ac4d56bcbd1b9b7eab59e78f2e2d400905050f4a92dec1c4bdf797b3fc9b2f8e84a482f3"
    "d800386186712dae00d5c386ec9387a5e9c9a1aca5a573ca91082c7d68421f388e79127a5177d4f8590237364fd348c9611f"
    "a39f78dcdceee3f390f07991b7b47e1daa3ebcb6ccc9607811cb17ce51f1c8c2c5098dbdd28fca547b3f58c01a424ac05f86"
    "9f49c6a34672ea2cbbc558428aa1fe48bbfd61158b1b735a65d99f21e70dbc020bfdface9f724a0d1fb5895db971cc81aa76"
    "08baa0920abb0a565c9c436e2fd13323428296c86385f2384e408a31e104670df0791d93e743a3a5194ee6b076fb6323ca59"
    "3011b7348c16cf58f66b9633906ba54a2ee803187344b394f75dd2e663a57b956cb830dd7a908d4f39a2336a61ef9fda5491"
    "80d4ccde21514d117b6c6fd07a9102b5efe710a32af4eeacae2cb3b1dec035b9593b48b9d3ca4c13d245d5f04169b0b1";

struct fixture {
  secret_key static_a = fuzz::unhex_array<32>("49a7b37aa6f6645917e7b807e9d1c00d4fa71f18343b0d4122a4d2df64dd6fee");
  secret_key static_b = fuzz::unhex_array<32>("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291");
  secret_key ephemeral_a = fuzz::unhex_array<32>("869d6ecf5211f1cc60418a13b9d870b22959d0c16f02bec714c960dd2298a32d");
  secret_key ephemeral_b = fuzz::unhex_array<32>("e238eb8e04fee6511ab04c6dd3c89ce097b11f25d584863ac2b6d5b35b1847e4");
  hash256 nonce_a = fuzz::unhex_array<32>("7e968bba13b6c50e2c4cd7f241cc0d64d1ac25c7f5952df231ac6a2bda8ee5d6");
  hash256 nonce_b = fuzz::unhex_array<32>("559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd");
  public_key pub_a = *derive_public_key(static_a);
  public_key pub_b = *derive_public_key(static_b);
  public_key pub_eph_a = *derive_public_key(ephemeral_a);
  public_key pub_eph_b = *derive_public_key(ephemeral_b);
};

const fixture& keys() {
  static const fixture f;
  return f;
}

void check_auth(const result<auth_message>& r, handshake_format format) {
  if (!fuzz::ok_or_typed(r, "read_auth")) return;
  require(r->format == format, "the auth's format is the one framed");
  require(validate_public_key(r->initiator_id).has_value(), "an accepted auth names a valid initiator key");
  require(validate_public_key(r->initiator_ephemeral).has_value(), "an accepted auth recovers a valid ephemeral key");
}

void check_ack(const result<ack_message>& r, handshake_format format) {
  if (!fuzz::ok_or_typed(r, "read_ack")) return;
  require(r->format == format, "the ack's format is the one framed");
  require(validate_public_key(r->recipient_ephemeral).has_value(), "an accepted ack names a valid ephemeral key");
}

/// `body` encrypted to `to` as a packet of `format` (EIP-8: with its size prefix).
byte_buffer seal(handshake_format format, const public_key& to, bytes_view body) {
  const std::array<std::uint8_t, 16> iv{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  byte_buffer packet;
  if (format == handshake_format::eip8) {
    packet.resize(2);
    store_be16(packet.data(), static_cast<std::uint16_t>(body.size() + ecies_overhead));
  }
  const byte_buffer prefix = packet;
  auto c = ecies_encrypt(to, body, prefix, keys().ephemeral_a, iv);
  require(c.has_value(), "ECIES encryption to a valid key succeeds");
  append(packet, *c);
  return packet;
}

void fuzz_frames(fuzz::fuzz_input& in) {
  const auto& k = keys();
  const byte_buffer auth = fuzz::unhex(auth2);
  const byte_buffer ack = fuzz::unhex(ack2);
  auto a = derive_session_secrets(true, k.ephemeral_a, k.pub_eph_b, k.nonce_a, k.nonce_b, auth, ack);
  auto b = derive_session_secrets(false, k.ephemeral_b, k.pub_eph_a, k.nonce_a, k.nonce_b, auth, ack);
  require(a.has_value() && b.has_value(), "session secrets derive");
  auto peer = frame_codec::create(*a);
  auto ours = frame_codec::create(*b);
  require(peer.has_value() && ours.has_value(), "frame codecs are created");
  while (!in.empty()) {
    const std::uint8_t op = in.u8();
    const bytes_view head = in.take(in.u8() % 4);
    const bytes_view tail = in.chunk16();
    byte_buffer wire;
    const bool genuine = op % 2 == 0;
    if (genuine) {
      auto w = peer->write_frame(head, tail, wire);
      require(w.has_value(), "writing a frame succeeds");
    } else {
      append(wire, head);
      append(wire, tail);
    }
    const bool flipped = (op & 0x80) != 0 && !wire.empty();
    if (flipped) wire[in.u16() % wire.size()] ^= static_cast<std::uint8_t>(in.u8() | 1);
    if (wire.size() < frame_codec::header_wire_size) return;
    const std::size_t limit = (op & 0x40) != 0 ? 64 : frame_codec::max_frame_size;
    auto size = ours->read_header(std::span<const std::uint8_t, 32>(wire.data(), 32), limit);
    if (!fuzz::ok_or_typed(size, "frame_codec::read_header")) return; // the ingress state is spent
    require(*size <= limit, "a frame size above the limit is refused");
    const std::size_t body = frame_codec::body_wire_size(*size);
    if (wire.size() - 32 < body) return;
    std::span<std::uint8_t> body_span(wire.data() + 32, body);
    auto data = ours->read_body(body_span, *size);
    if (!fuzz::ok_or_typed(data, "frame_codec::read_body")) return;
    require(data->size() == *size, "the frame data has the header's size");
    if (genuine && !flipped) {
      byte_buffer expected(head.begin(), head.end());
      append(expected, tail);
      require(std::ranges::equal(*data, expected), "frame round trip");
    }
    // Only an untouched genuine frame passes both MACs.
    require(genuine && !flipped, "a forged or corrupted frame never passes both MACs");
  }
}

void write_seeds(fuzz::seed_writer& w) {
  w.write("auth-legacy-vector", 1, fuzz::unhex(auth1));
  w.write("auth-eip8-vector", 0, fuzz::unhex(auth2));
  w.write("auth-eip8-vector-v56", 0, fuzz::unhex(auth3));
  w.write("ack-legacy-vector", 3, fuzz::unhex(ack1));
  w.write("ack-eip8-vector", 2, fuzz::unhex(ack2));
  w.write("ack-eip8-vector-v57", 2, fuzz::unhex(ack3));
  const auto& k = keys();
  // Bodies: decrypt the vectors to get real bodies as the harness would encrypt them.
  for (auto [name, vec, sel, key] : {std::tuple{"body-auth-eip8", auth2, 4, k.static_b},
                                     std::tuple{"body-ack-eip8", ack2, 5, k.static_a}}) {
    const byte_buffer packet = fuzz::unhex(vec);
    auto plain = ecies_decrypt(key, bytes_view(packet).subspan(2), bytes_view(packet).first(2));
    if (!plain) std::abort();
    byte_buffer b{static_cast<std::uint8_t>(sel), 0};
    append(b, *plain);
    w.write(name, b);
  }
  for (auto [name, vec, sel, key] : {std::tuple{"body-auth-legacy", auth1, 4, k.static_b},
                                     std::tuple{"body-ack-legacy", ack1, 5, k.static_a}}) {
    const byte_buffer packet = fuzz::unhex(vec);
    auto plain = ecies_decrypt(key, packet, {});
    if (!plain) std::abort();
    byte_buffer b{static_cast<std::uint8_t>(sel), 1};
    append(b, *plain);
    w.write(name, b);
  }
  auto ecies = ecies_encrypt(k.pub_b, as_bytes("hello ecies"), {}, k.ephemeral_a,
                             std::array<std::uint8_t, 16>{});
  w.write("ecies", 6, *ecies);
  byte_buffer made{7, 0, 100};
  append(made, k.nonce_a);
  w.write("make-eip8", made);
  byte_buffer made_legacy{7, 1, 0};
  append(made_legacy, k.nonce_b);
  w.write("make-legacy", made_legacy);
  byte_buffer frames{8};
  for (std::string_view text : {std::string_view("\x80\xc0"), std::string_view("\x10 status payload"),
                                std::string_view("")}) {
    frames.push_back(0);
    frames.push_back(1);
    frames.push_back(static_cast<std::uint8_t>(text.empty() ? 0x80 : text[0]));
    fuzz::put_chunk16(frames, as_bytes(text.substr(text.empty() ? 0 : 1)));
  }
  w.write("frames", frames);
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::fuzz_input in(data, size);
  const auto& k = keys();
  switch (in.u8() % 9) {
  case 0: check_auth(read_auth(handshake_format::eip8, k.static_b, in.rest()), handshake_format::eip8); break;
  case 1: check_auth(read_auth(handshake_format::legacy, k.static_b, in.rest()), handshake_format::legacy); break;
  case 2: check_ack(read_ack(handshake_format::eip8, k.static_a, in.rest()), handshake_format::eip8); break;
  case 3: check_ack(read_ack(handshake_format::legacy, k.static_a, in.rest()), handshake_format::legacy); break;
  case 4: {
    const auto format = in.u8() % 2 == 0 ? handshake_format::eip8 : handshake_format::legacy;
    const byte_buffer packet = seal(format, k.pub_b, in.rest());
    check_auth(read_auth(format, k.static_b, packet), format);
    break;
  }
  case 5: {
    const auto format = in.u8() % 2 == 0 ? handshake_format::eip8 : handshake_format::legacy;
    const byte_buffer packet = seal(format, k.pub_a, in.rest());
    check_ack(read_ack(format, k.static_a, packet), format);
    break;
  }
  case 6: {
    auto plain = ecies_decrypt(k.static_b, in.rest(), {});
    (void)fuzz::ok_or_typed(plain, "ecies_decrypt");
    break;
  }
  case 7: {
    const auto format = in.u8() % 2 == 0 ? handshake_format::eip8 : handshake_format::legacy;
    const std::size_t padding = in.u8();
    hash256 nonce{};
    const bytes_view n = in.take(32);
    std::copy(n.begin(), n.end(), nonce.begin());
    auto auth = make_auth(format, k.static_a, k.pub_b, k.ephemeral_a, nonce, padding);
    require(auth.has_value(), "make_auth succeeds with valid keys");
    auto read = read_auth(format, k.static_b, *auth);
    require(read.has_value(), "an auth we make reads back");
    require(read->initiator_id == k.pub_a && read->initiator_ephemeral == k.pub_eph_a &&
                read->initiator_nonce == nonce && read->version == handshake_version,
            "auth round trip");
    auto ack = make_ack(format, k.pub_a, k.ephemeral_b, nonce, padding);
    require(ack.has_value(), "make_ack succeeds with valid keys");
    auto read_back = read_ack(format, k.static_a, *ack);
    require(read_back.has_value(), "an ack we make reads back");
    require(read_back->recipient_ephemeral == k.pub_eph_b && read_back->recipient_nonce == nonce,
            "ack round trip");
    break;
  }
  case 8: fuzz_frames(in); break;
  }
  return 0;
}
