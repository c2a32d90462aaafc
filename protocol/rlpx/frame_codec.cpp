#include "protocol/rlpx/frame_codec.hpp"

#include <cstring>
#include <string>

namespace snapstream::rlpx {

result<frame_codec> frame_codec::create(const session_secrets& secrets) {
  const std::array<std::uint8_t, 16> zero_iv{};
  frame_codec c;
  auto egress = detail::aes_ctr::create(secrets.aes_secret, zero_iv);
  if (!egress) return egress.error();
  auto ingress = detail::aes_ctr::create(secrets.aes_secret, zero_iv);
  if (!ingress) return ingress.error();
  auto mac = detail::aes256_ecb::create(secrets.mac_secret);
  if (!mac) return mac.error();
  c.egress_aes_ = std::move(*egress);
  c.ingress_aes_ = std::move(*ingress);
  c.mac_cipher_ = std::move(*mac);
  c.egress_mac_ = secrets.egress_mac;
  c.ingress_mac_ = secrets.ingress_mac;
  return c;
}

std::array<std::uint8_t, 16> frame_codec::update_header_mac(keccak256_hasher& mac,
                                                            const std::uint8_t* header_ciphertext) {
  const hash256 d = mac.digest();
  auto seed = mac_cipher_.encrypt_block(d.data());
  for (std::size_t i = 0; i < 16; ++i) seed[i] ^= header_ciphertext[i];
  mac.update(seed);
  const hash256 out = mac.digest();
  std::array<std::uint8_t, 16> tag{};
  std::memcpy(tag.data(), out.data(), 16);
  return tag;
}

std::array<std::uint8_t, 16> frame_codec::update_body_mac(keccak256_hasher& mac, bytes_view ciphertext) {
  mac.update(ciphertext);
  const hash256 d = mac.digest();
  auto seed = mac_cipher_.encrypt_block(d.data());
  for (std::size_t i = 0; i < 16; ++i) seed[i] ^= d[i];
  mac.update(seed);
  const hash256 out = mac.digest();
  std::array<std::uint8_t, 16> tag{};
  std::memcpy(tag.data(), out.data(), 16);
  return tag;
}

result<void> frame_codec::write_frame(bytes_view head, bytes_view tail, byte_buffer& out) {
  const std::size_t size = head.size() + tail.size();
  if (size > max_frame_size)
    return make_error(rlpx_errc::frame_too_large,
                      "frame of " + std::to_string(size) + " bytes exceeds the 24-bit frame size");
  const std::size_t start = out.size();
  out.resize(start + header_wire_size + body_wire_size(size));
  std::uint8_t* h = out.data() + start;
  // header: size, rlp([0, 0]) = c2 80 80, zero padding
  std::memset(h, 0, 16);
  h[0] = static_cast<std::uint8_t>(size >> 16);
  h[1] = static_cast<std::uint8_t>(size >> 8);
  h[2] = static_cast<std::uint8_t>(size);
  h[3] = 0xc2;
  h[4] = 0x80;
  h[5] = 0x80;
  egress_aes_.apply(h, h, 16);
  const auto header_mac = update_header_mac(egress_mac_, h);
  std::memcpy(h + 16, header_mac.data(), 16);

  std::uint8_t* body = h + header_wire_size;
  const std::size_t padded = (size + 15) / 16 * 16;
  std::memcpy(body, head.data(), head.size());
  if (!tail.empty()) std::memcpy(body + head.size(), tail.data(), tail.size());
  std::memset(body + size, 0, padded - size);
  egress_aes_.apply(body, body, padded);
  const auto body_mac = update_body_mac(egress_mac_, bytes_view(body, padded));
  std::memcpy(body + padded, body_mac.data(), 16);
  return {};
}

result<std::size_t> frame_codec::read_header(std::span<const std::uint8_t, header_wire_size> header,
                                             std::size_t limit) {
  const auto expected = update_header_mac(ingress_mac_, header.data());
  if (!detail::equal_constant_time(expected, header.subspan(16, 16)))
    return make_error(rlpx_errc::frame_mac_mismatch, "frame header MAC does not verify");
  std::uint8_t plain[16];
  ingress_aes_.apply(header.data(), plain, 16);
  // header-data ([capability-id, context-id]) is unused by RLPx 5 and ignored, as go-ethereum does.
  const std::size_t size = (std::size_t{plain[0]} << 16) | (std::size_t{plain[1]} << 8) | plain[2];
  if (size > limit)
    return make_error(rlpx_errc::frame_too_large,
                      "frame of " + std::to_string(size) + " bytes exceeds the limit of " + std::to_string(limit));
  return size;
}

result<std::span<std::uint8_t>> frame_codec::read_body(std::span<std::uint8_t> body, std::size_t frame_size) {
  if (body.size() != body_wire_size(frame_size))
    return make_error(rlpx_errc::frame_mac_mismatch, "frame body of " + std::to_string(body.size()) +
                                                         " bytes, expected " +
                                                         std::to_string(body_wire_size(frame_size)));
  const std::size_t padded = body.size() - 16;
  const auto expected = update_body_mac(ingress_mac_, body.first(padded));
  if (!detail::equal_constant_time(expected, body.subspan(padded, 16)))
    return make_error(rlpx_errc::frame_mac_mismatch, "frame body MAC does not verify");
  ingress_aes_.apply(body.data(), body.data(), padded);
  return body.first(frame_size);
}

} // namespace snapstream::rlpx
