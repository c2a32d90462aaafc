#include "protocol/libp2p/libp2p_errc.hpp"

namespace snapstream::libp2p {

std::string_view to_string(libp2p_errc e) noexcept {
  switch (e) {
    case libp2p_errc::invalid_varint: return "invalid varint";
    case libp2p_errc::invalid_base58: return "invalid base58";
    case libp2p_errc::invalid_peer_id: return "invalid peer id";
    case libp2p_errc::unsupported_key_type: return "unsupported key type";
    case libp2p_errc::invalid_key: return "invalid key";
    case libp2p_errc::invalid_multiaddr: return "invalid multiaddr";
    case libp2p_errc::key_file_io: return "key file i/o error";
    case libp2p_errc::key_file_permissions: return "key file permissions too open";
    case libp2p_errc::multistream_error: return "multistream-select error";
    case libp2p_errc::protocol_not_supported: return "protocol not supported";
    case libp2p_errc::noise_handshake_failed: return "noise handshake failed";
    case libp2p_errc::noise_decrypt_failed: return "noise decryption failed";
    case libp2p_errc::noise_frame_too_large: return "noise frame too large";
    case libp2p_errc::authentication_failed: return "authentication failed";
    case libp2p_errc::peer_id_mismatch: return "peer id mismatch";
    case libp2p_errc::yamux_protocol_error: return "yamux protocol error";
    case libp2p_errc::yamux_unknown_type: return "yamux unknown frame type";
    case libp2p_errc::yamux_frame_too_large: return "yamux frame too large";
    case libp2p_errc::yamux_window_exceeded: return "yamux receive window exceeded";
    case libp2p_errc::yamux_stream_id_reuse: return "yamux stream id reused";
    case libp2p_errc::yamux_invalid_stream_id: return "yamux invalid stream id";
    case libp2p_errc::yamux_stream_limit: return "yamux stream limit reached";
    case libp2p_errc::yamux_stream_closed: return "yamux stream closed";
    case libp2p_errc::yamux_session_closed: return "yamux session closed";
  }
  return "unknown";
}

} // namespace snapstream::libp2p
