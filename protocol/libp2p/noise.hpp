#pragma once
/// Noise XX for libp2p (`/noise`, libp2p noise spec):
/// `Noise_XX_25519_ChaChaPoly_SHA256`, empty prologue, every message framed
/// by a 2-byte big-endian length (at most 65535 bytes).
///
///   -> e
///   <- e, ee, s, es, payload(identity)
///   -> s, se, payload(identity)
///
/// The payload is the `NoiseHandshakePayload` protobuf: identity_key (1, the
/// `PublicKey` protobuf), identity_sig (2, Ed25519 signature of
/// "noise-libp2p-static-key:" || the sender's X25519 static key),
/// extensions (4, ignored: the muxer is always negotiated with
/// multistream-select afterwards).
///
/// Three layers, all sans-I/O and single-threaded:
///  - `noise_cipher`: one direction's ChaCha20-Poly1305 cipher state;
///  - `noise_xx`: the bare XX handshake state machine (any payloads,
///    injectable keys and prologue, so published vectors can drive it);
///  - `noise_handshake`: the libp2p handshake on top of it, and
///    `noise_transport`: the framed, encrypted byte stream after it.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/peer_id.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace snapstream::libp2p {

inline constexpr std::string_view noise_protocol_id = "/noise";
inline constexpr std::string_view noise_protocol_name = "Noise_XX_25519_ChaChaPoly_SHA256";
/// Largest Noise message (and transport frame) body.
inline constexpr std::size_t noise_max_message = 65535;
inline constexpr std::size_t noise_tag_size = 16;
/// Largest plaintext one transport frame carries.
inline constexpr std::size_t noise_max_plaintext = noise_max_message - noise_tag_size;
/// Bytes of the big-endian length prefix of each frame.
inline constexpr std::size_t noise_length_prefix = 2;

using noise_key = std::array<std::uint8_t, 32>;

/// An X25519 key pair.
struct noise_keypair {
  noise_key secret{};
  noise_key public_key{};
  [[nodiscard]] static noise_keypair generate();
  [[nodiscard]] static noise_keypair from_secret(const noise_key& secret);
};

/// One direction of ChaCha20-Poly1305 (Noise CipherState): a 32-byte key and
/// a 64-bit counter used as the nonce (4 zero bytes || little-endian counter).
/// Move-only; not thread-safe.
class noise_cipher {
public:
  noise_cipher();
  ~noise_cipher();
  noise_cipher(noise_cipher&&) noexcept;
  noise_cipher& operator=(noise_cipher&&) noexcept;
  noise_cipher(const noise_cipher&) = delete;
  noise_cipher& operator=(const noise_cipher&) = delete;

  void set_key(const noise_key& key);
  [[nodiscard]] bool has_key() const noexcept { return has_key_; }
  [[nodiscard]] std::uint64_t nonce() const noexcept { return nonce_; }

  /// Encrypts `plain` with associated data `ad` into `out`, which has room for
  /// `plain.size() + 16` bytes (`out` may equal `plain.data()`). Fails with
  /// `noise_frame_too_large` when the nonce is exhausted.
  [[nodiscard]] result<void> encrypt(bytes_view ad, bytes_view plain, std::uint8_t* out);
  /// Decrypts `ciphertext` (with its trailing tag) in place; the plaintext is
  /// the first `size() - 16` bytes. Fails with `noise_decrypt_failed` when the
  /// tag does not verify.
  [[nodiscard]] result<std::span<std::uint8_t>> decrypt_in_place(bytes_view ad,
                                                                  std::span<std::uint8_t> ciphertext);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::uint64_t nonce_ = 0;
  bool has_key_ = false;
};

/// The bare Noise XX handshake (Noise spec revision 34, section 5), roles
/// alternating initiator/responder/initiator. Not thread-safe.
class noise_xx {
public:
  noise_xx(bool initiator, const noise_keypair& static_key, const noise_keypair& ephemeral_key,
           bytes_view prologue);
  ~noise_xx();
  noise_xx(noise_xx&&) noexcept;
  noise_xx& operator=(noise_xx&&) noexcept;

  /// Appends the next handshake message carrying `payload` to `out`
  /// (without the length prefix). Fails when it is not this side's turn.
  [[nodiscard]] result<void> write_message(bytes_view payload, byte_buffer& out);
  /// Processes the peer's next message; returns its decrypted payload.
  [[nodiscard]] result<byte_buffer> read_message(bytes_view message);

  /// True when it is this side's turn to write.
  [[nodiscard]] bool my_turn() const noexcept;
  /// Handshake messages written or read so far (0..3).
  [[nodiscard]] int messages_done() const noexcept { return step_; }
  /// True after the third message.
  [[nodiscard]] bool finished() const noexcept { return step_ == 3; }
  /// The remote static key (valid after it was received).
  [[nodiscard]] const noise_key& remote_static() const noexcept { return rs_; }
  [[nodiscard]] const noise_key& handshake_hash() const noexcept { return h_; }

  /// The transport ciphers once `finished()`: first sends, second receives.
  [[nodiscard]] std::pair<noise_cipher, noise_cipher> split();

private:
  void mix_hash(bytes_view data) noexcept;
  void mix_key(bytes_view ikm);
  [[nodiscard]] result<void> dh_into(const noise_key& secret, const noise_key& pub, noise_key& out) const;
  [[nodiscard]] result<void> encrypt_and_hash(bytes_view plain, byte_buffer& out);
  [[nodiscard]] result<byte_buffer> decrypt_and_hash(bytes_view cipher);

  bool initiator_;
  int step_ = 0;
  noise_keypair s_;
  noise_keypair e_;
  noise_key rs_{};
  noise_key re_{};
  noise_key ck_{};
  noise_key h_{};
  noise_cipher cipher_;
};

/// The transport after the handshake: frames plaintext into encrypted
/// length-prefixed frames and opens received frames in place. Not thread-safe
/// (one sender and one receiver direction, usually driven by two coroutines of
/// the same strand).
class noise_transport {
public:
  noise_transport(noise_cipher send, noise_cipher receive) noexcept
    : send_(std::move(send)), receive_(std::move(receive)) {}

  /// Wire bytes `seal_into` produces for `n` plaintext bytes.
  [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n) noexcept {
    const std::size_t frames = n == 0 ? 0 : (n + noise_max_plaintext - 1) / noise_max_plaintext;
    return n + frames * (noise_length_prefix + noise_tag_size);
  }
  /// Encrypts `plain` as frames of at most 65519 plaintext bytes into `out`
  /// (room for `sealed_size(plain.size())` bytes, not overlapping `plain`).
  [[nodiscard]] result<void> seal_into(bytes_view plain, std::uint8_t* out);
  /// Appends the sealed frames of `plain` to `wire`.
  [[nodiscard]] result<void> seal(bytes_view plain, byte_buffer& wire);

  /// One opened frame: how many input bytes it took (0 when `buffer` does not
  /// yet hold a whole frame) and its plaintext, decrypted in place.
  struct opened {
    std::size_t consumed = 0;
    std::span<std::uint8_t> plaintext;
  };
  /// Opens the frame at the start of `buffer` in place. Fails with
  /// `noise_decrypt_failed` on a bad tag and `noise_frame_too_large` for a
  /// frame shorter than its tag.
  [[nodiscard]] result<opened> open_in_place(std::span<std::uint8_t> buffer);

private:
  noise_cipher send_;
  noise_cipher receive_;
};

/// The libp2p Noise handshake for one connection. Drive it by alternating
/// `write` (when `my_turn()`) and `read` of the peer's message bodies (the
/// 2-byte length already removed), until `complete()`.
class noise_handshake {
public:
  /// The dialer; when `expected` is set, a remote proving another peer id
  /// fails with `peer_id_mismatch`.
  [[nodiscard]] static noise_handshake initiator(const identity& local, std::optional<peer_id> expected);
  [[nodiscard]] static noise_handshake responder(const identity& local);
  /// Same, with given X25519 keys (tests).
  [[nodiscard]] static noise_handshake initiator(const identity& local, std::optional<peer_id> expected,
                                                 const noise_keypair& static_key,
                                                 const noise_keypair& ephemeral_key);

  /// Appends this side's next message, with its 2-byte length prefix, to `out`.
  /// After any failure of `read` or `write`, fails with `noise_handshake_failed`.
  [[nodiscard]] result<void> write(byte_buffer& out);
  /// Processes the peer's next message body. Fails with
  /// `noise_handshake_failed` (malformed), `noise_decrypt_failed` (bad tag),
  /// `unsupported_key_type`, `authentication_failed` (bad signature) or
  /// `peer_id_mismatch`.
  [[nodiscard]] result<void> read(bytes_view message);

  [[nodiscard]] bool my_turn() const noexcept { return xx_.my_turn(); }
  /// True once the third message went through and the remote was
  /// authenticated; never after a failed `read` or `write`.
  [[nodiscard]] bool complete() const noexcept { return xx_.finished() && !failed_; }
  /// The authenticated remote peer (valid once its payload was read).
  [[nodiscard]] const peer_id& remote_peer() const noexcept { return remote_; }
  /// The transport (only once `complete()`).
  [[nodiscard]] noise_transport into_transport();

private:
  noise_handshake(const identity& local, bool initiator, std::optional<peer_id> expected,
                  const noise_keypair& static_key, const noise_keypair& ephemeral_key);
  [[nodiscard]] result<void> check_payload(bytes_view payload);

  byte_buffer payload_; // this side's signed NoiseHandshakePayload
  std::optional<peer_id> expected_;
  peer_id remote_;
  noise_xx xx_;
  bool failed_ = false; // a read or write failed: the handshake is over
};

} // namespace snapstream::libp2p
