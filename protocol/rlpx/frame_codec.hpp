#pragma once
/// The RLPx frame codec (devp2p rlpx.md, "Framing" and "MAC"): AES-256-CTR
/// with aes-secret (zero IV, one running keystream per direction) and the
/// egress/ingress MACs: Keccak-256 running states updated with the
/// ciphertext, seeded through AES-256-ECB under mac-secret.
///
///   frame  = header-ciphertext (16) || header-mac (16) || frame-ciphertext || frame-mac (16)
///   header = frame-size (24-bit big-endian) || rlp([0, 0]) || zero padding to 16
///   frame-ciphertext = aes(frame-data || zero padding to 16)
///
/// A codec is one session's state: not thread-safe, movable, not copyable.
/// After any MAC failure the ingress state is spent; drop the connection.

#include "protocol/common/bytes.hpp"
#include "protocol/rlpx/detail/openssl.hpp"
#include "protocol/rlpx/handshake.hpp"

#include <span>

namespace snapstream::rlpx {

class frame_codec {
public:
  /// Bytes of an encrypted header and its MAC.
  static constexpr std::size_t header_wire_size = 32;
  /// The largest frame-size a 24-bit header can carry.
  static constexpr std::size_t max_frame_size = 0xffffff;

  [[nodiscard]] static result<frame_codec> create(const session_secrets& secrets);

  /// Bytes that follow the header on the wire for a frame of `frame_size`.
  [[nodiscard]] static constexpr std::size_t body_wire_size(std::size_t frame_size) noexcept {
    return (frame_size + 15) / 16 * 16 + 16;
  }

  /// Encrypts and authenticates one frame whose frame-data is `head || tail`
  /// (message id and payload, passed apart to avoid a copy) and appends it to
  /// `out`. Fails with `frame_too_large` above `max_frame_size`.
  [[nodiscard]] result<void> write_frame(bytes_view head, bytes_view tail, byte_buffer& out);

  /// Verifies the MAC of a received 32-byte header, decrypts it and returns
  /// the frame-size. Fails with `frame_mac_mismatch`, or `frame_too_large` when
  /// frame-size exceeds `limit`.
  [[nodiscard]] result<std::size_t> read_header(std::span<const std::uint8_t, header_wire_size> header,
                                                std::size_t limit);

  /// Verifies the MAC of a received body (`body_wire_size(frame_size)` bytes),
  /// decrypts it in place and returns the frame-data (its first `frame_size`
  /// bytes). Fails with `frame_mac_mismatch`.
  [[nodiscard]] result<std::span<std::uint8_t>> read_body(std::span<std::uint8_t> body, std::size_t frame_size);

private:
  frame_codec() = default;
  // header-mac / frame-mac update: seed = aes(mac-secret, digest[:16]) ^ (x or digest[:16]).
  std::array<std::uint8_t, 16> update_header_mac(keccak256_hasher& mac, const std::uint8_t* header_ciphertext);
  std::array<std::uint8_t, 16> update_body_mac(keccak256_hasher& mac, bytes_view ciphertext);

  detail::aes_ctr egress_aes_;
  detail::aes_ctr ingress_aes_;
  detail::aes256_ecb mac_cipher_;
  keccak256_hasher egress_mac_;
  keccak256_hasher ingress_mac_;
};

} // namespace snapstream::rlpx
