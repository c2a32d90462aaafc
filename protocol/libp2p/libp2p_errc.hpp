#pragma once
/// Error codes of the pure libp2p layer (identity, peer id, multiaddr,
/// multistream-select, Noise, Yamux).

#include "protocol/common/error.hpp"

namespace snapstream::libp2p {

enum class libp2p_errc {
  invalid_varint = 1,      ///< truncated, over-long or non-minimal unsigned varint
  invalid_base58,          ///< a character outside the base58btc alphabet
  invalid_peer_id,         ///< not a base58btc identity/sha2-256 multihash of a key
  unsupported_key_type,    ///< a public key that is not Ed25519
  invalid_key,             ///< malformed key bytes or protobuf
  invalid_multiaddr,       ///< text that is not /ip4|ip6|dns4|dns6/<host>/tcp/<port>[/p2p/<id>]
  key_file_io,             ///< the key file could not be read or written
  key_file_permissions,    ///< the key file is readable by group or others
  multistream_error,       ///< bad header, oversized or malformed line, too many proposals
  protocol_not_supported,  ///< every proposed protocol was refused with `na`
  noise_handshake_failed,  ///< malformed handshake message or payload
  noise_decrypt_failed,    ///< an AEAD tag did not verify (bad key, tampered or replayed data)
  noise_frame_too_large,   ///< a Noise frame above 65535 bytes, or a nonce exhausted
  authentication_failed,   ///< the identity signature over the Noise static key is invalid
  peer_id_mismatch,        ///< the remote proved a peer id other than the one dialled
  yamux_protocol_error,    ///< bad version, flags or a frame that breaks the stream rules
  yamux_unknown_type,      ///< a frame type outside Data/WindowUpdate/Ping/GoAway
  yamux_frame_too_large,   ///< a Data frame above the configured cap
  yamux_window_exceeded,   ///< the remote sent more than its receive window allows
  yamux_stream_id_reuse,   ///< the remote opened a stream id it used before
  yamux_invalid_stream_id, ///< a stream id of the wrong parity, zero, or never opened
  yamux_stream_limit,      ///< too many open streams
  yamux_stream_closed,     ///< an operation on a closed or reset stream
  yamux_session_closed,    ///< the session received or sent GoAway
};

[[nodiscard]] constexpr const char* category_name(libp2p_errc) noexcept { return "snapstream.libp2p"; }
[[nodiscard]] std::string_view to_string(libp2p_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(libp2p_errc e) noexcept {
  return make_enum_error_code(e);
}

/// Shorthand: an `error` of code `e` with message `what`.
[[nodiscard]] inline error make_error(libp2p_errc e, std::string what) {
  return error(make_error_code(e), std::move(what));
}

} // namespace snapstream::libp2p

template <>
struct std::is_error_code_enum<snapstream::libp2p::libp2p_errc> : std::true_type {};
