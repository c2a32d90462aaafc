#include "protocol/rlpx/rlpx_errc.hpp"

namespace snapstream::rlpx {

std::string_view to_string(rlpx_errc e) noexcept {
  switch (e) {
    case rlpx_errc::rlp_truncated: return "truncated RLP";
    case rlpx_errc::rlp_non_canonical: return "non-canonical RLP";
    case rlpx_errc::rlp_trailing_bytes: return "trailing bytes after RLP";
    case rlpx_errc::rlp_wrong_kind: return "wrong RLP item kind";
    case rlpx_errc::rlp_value_too_large: return "RLP value out of range";
    case rlpx_errc::invalid_key: return "invalid secp256k1 key";
    case rlpx_errc::invalid_signature: return "invalid signature";
    case rlpx_errc::ecies_invalid: return "invalid ECIES message";
    case rlpx_errc::handshake_invalid: return "invalid handshake message";
    case rlpx_errc::frame_mac_mismatch: return "frame MAC mismatch";
    case rlpx_errc::frame_too_large: return "frame too large";
    case rlpx_errc::message_too_large: return "message too large";
    case rlpx_errc::snappy_invalid: return "invalid Snappy data";
    case rlpx_errc::unknown_message_code: return "unknown message code";
    case rlpx_errc::code_out_of_range: return "message code out of capability range";
    case rlpx_errc::capability_not_shared: return "capability not shared";
    case rlpx_errc::invalid_capability: return "invalid capability";
    case rlpx_errc::invalid_message: return "invalid message";
    case rlpx_errc::status_mismatch: return "eth status mismatch";
    case rlpx_errc::fork_incompatible: return "fork id incompatible";
    case rlpx_errc::fork_remote_stale: return "fork id of a stale remote";
    case rlpx_errc::invalid_chain_config: return "invalid chain config";
    case rlpx_errc::invalid_enode: return "invalid enode URL";
    case rlpx_errc::crypto_failure: return "cryptographic failure";
  }
  return "unknown";
}

} // namespace snapstream::rlpx
