#pragma once
/// The RLPx encrypted handshake (devp2p rlpx.md "Initial Handshake", EIP-8):
/// the initiator's auth and the recipient's ack, in the EIP-8 form (RLP body,
/// random padding, 2-byte size prefix authenticated by the ECIES MAC) and the
/// legacy pre-EIP-8 form (fixed-size bodies of 194 and 97 bytes), then the
/// session secrets both sides derive.
///
///   auth-body (EIP-8)   = [sig, initiator-pubk, initiator-nonce, auth-vsn, ...] || padding
///   auth-body (legacy)  = sig || keccak256(ephemeral-pubk) || initiator-pubk || nonce || 0x00
///   ack-body  (EIP-8)   = [recipient-ephemeral-pubk, recipient-nonce, ack-vsn, ...] || padding
///   ack-body  (legacy)  = recipient-ephemeral-pubk || recipient-nonce || 0x00
///   sig = sign(ephemeral-key, ecdh.agree(static-key, remote-pubk) ^ initiator-nonce)
///
/// Readers follow EIP-8: they ignore the version, extra list elements and
/// trailing data after the list. Every function is pure and thread-safe.

#include "protocol/common/bytes.hpp"
#include "protocol/rlpx/keccak.hpp"
#include "protocol/rlpx/keys.hpp"

#include <cstdint>

namespace snapstream::rlpx {

enum class handshake_format : std::uint8_t {
  eip8,   ///< RLP body with padding and a size prefix (what every current client sends)
  legacy, ///< fixed-size pre-EIP-8 body, no prefix
};

/// Bytes of a legacy auth packet (194 + ECIES overhead).
inline constexpr std::size_t legacy_auth_size = 307;
/// Bytes of a legacy ack packet (97 + ECIES overhead).
inline constexpr std::size_t legacy_ack_size = 210;
/// The largest EIP-8 packet accepted (size prefix included); go-ethereum's limit.
inline constexpr std::size_t max_eip8_packet_size = 2 + 2048;
/// The version written into auth and ack bodies.
inline constexpr std::uint64_t handshake_version = 4;
/// Random padding appended to EIP-8 bodies: [min, max] bytes (EIP-8 asks >= 100).
inline constexpr std::size_t min_handshake_padding = 100;
inline constexpr std::size_t max_handshake_padding = 250;

/// What the recipient learns from an auth packet.
struct auth_message {
  handshake_format format = handshake_format::eip8;
  public_key initiator_id{};        ///< the initiator's static public key (its node id)
  public_key initiator_ephemeral{}; ///< recovered from the signature
  hash256 initiator_nonce{};
  std::uint64_t version = 0;        ///< auth-vsn as sent (legacy: 4)
};

/// What the initiator learns from an ack packet.
struct ack_message {
  handshake_format format = handshake_format::eip8;
  public_key recipient_ephemeral{};
  hash256 recipient_nonce{};
  std::uint64_t version = 0;
};

/// The initiator's auth packet, exactly as sent: `format` decides the body and
/// the size prefix; `padding` random bytes follow an EIP-8 body (ignored for
/// legacy). The ECIES ephemeral key and IV come from the CSPRNG.
[[nodiscard]] result<byte_buffer> make_auth(handshake_format format, const secret_key& static_key,
                                            const public_key& remote_id, const secret_key& ephemeral,
                                            const hash256& nonce, std::size_t padding);

/// Reads an auth packet (the exact bytes received: size prefix included for
/// EIP-8). `format` says which form the caller framed. Verifies the ECIES MAC
/// and recovers the initiator's ephemeral key.
[[nodiscard]] result<auth_message> read_auth(handshake_format format, const secret_key& recipient_key,
                                             bytes_view packet);

/// The recipient's ack packet, exactly as sent.
[[nodiscard]] result<byte_buffer> make_ack(handshake_format format, const public_key& initiator_id,
                                           const secret_key& ephemeral, const hash256& nonce,
                                           std::size_t padding);

/// Reads an ack packet (exact bytes received).
[[nodiscard]] result<ack_message> read_ack(handshake_format format, const secret_key& initiator_key,
                                           bytes_view packet);

/// A fresh 32-byte handshake nonce from the CSPRNG.
[[nodiscard]] result<hash256> random_nonce();

/// A random padding length in [min_handshake_padding, max_handshake_padding].
[[nodiscard]] std::size_t random_handshake_padding();

/// The keys of an established RLPx session.
struct session_secrets {
  hash256 aes_secret{};
  hash256 mac_secret{};
  keccak256_hasher egress_mac;  ///< running MAC state for frames we send
  keccak256_hasher ingress_mac; ///< running MAC state for frames we receive
};

/// Derives the session secrets (rlpx.md, "Secrets generated following the
/// exchange of handshake messages" and "MAC"):
///   shared-secret = keccak256(ephemeral-key || keccak256(recipient-nonce || initiator-nonce))
///   aes-secret = keccak256(ephemeral-key || shared-secret)
///   mac-secret = keccak256(ephemeral-key || aes-secret)
///   initiator egress = keccak256.init((mac-secret ^ recipient-nonce) || auth), ingress
///   = keccak256.init((mac-secret ^ initiator-nonce) || ack); the recipient's are swapped.
/// `auth_packet` and `ack_packet` are the exact bytes sent (EIP-8: with prefix).
[[nodiscard]] result<session_secrets> derive_session_secrets(bool initiator, const secret_key& local_ephemeral,
                                                             const public_key& remote_ephemeral,
                                                             const hash256& initiator_nonce,
                                                             const hash256& recipient_nonce,
                                                             bytes_view auth_packet, bytes_view ack_packet);

} // namespace snapstream::rlpx
