#pragma once
/// Error codes of the devp2p RLPx protocol layer (RLP, crypto, framing,
/// capability negotiation, message codecs).

#include "protocol/common/error.hpp"

namespace snapstream::rlpx {

enum class rlpx_errc {
  rlp_truncated = 1,      ///< the input ends inside an RLP item
  rlp_non_canonical,      ///< a length or integer not in its shortest form, or a byte < 0x80 wrapped
  rlp_trailing_bytes,     ///< bytes left over after the item or list that should end the input
  rlp_wrong_kind,         ///< a list where a string is expected, or the reverse
  rlp_value_too_large,    ///< an integer wider than its type, or a fixed-size field of the wrong size
  invalid_key,            ///< a secp256k1 secret or public key that is not valid
  invalid_signature,      ///< a recoverable signature that cannot be parsed or recovered
  ecies_invalid,          ///< an ECIES message too short, or its MAC does not verify
  handshake_invalid,      ///< an auth or ack body that does not parse
  frame_mac_mismatch,     ///< the header or body MAC of an RLPx frame does not verify
  frame_too_large,        ///< a frame above the size limit
  message_too_large,      ///< a message above the size limit once decompressed
  snappy_invalid,         ///< Snappy data that does not decompress
  unknown_message_code,   ///< a wire code >= 0x10 outside every shared capability's range
  code_out_of_range,      ///< a relative code >= the capability's message count (send refused)
  capability_not_shared,  ///< a capability that was not negotiated with this peer
  invalid_capability,     ///< a local capability list that cannot be negotiated (name, length, duplicate)
  invalid_message,        ///< a message whose fields do not match its definition
  status_mismatch,        ///< an eth Status for another eth version, network or genesis
  fork_incompatible,      ///< EIP-2124 rule 1a or 4: the remote's fork id is not on our chain
  fork_remote_stale,      ///< EIP-2124 rule 2: the remote is on a past fork of ours, unaware of the next
  invalid_chain_config,   ///< a chain config (fork schedule) that is malformed
  invalid_enode,          ///< an enode URL that does not parse
  crypto_failure,         ///< OpenSSL or the random source failed
};

[[nodiscard]] constexpr const char* category_name(rlpx_errc) noexcept { return "snapstream.rlpx"; }
[[nodiscard]] std::string_view to_string(rlpx_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(rlpx_errc e) noexcept {
  return make_enum_error_code(e);
}

/// Shorthand for a failed `result` of this module.
[[nodiscard]] inline error make_error(rlpx_errc e, std::string message) {
  return error(make_error_code(e), std::move(message));
}

} // namespace snapstream::rlpx

template <>
struct std::is_error_code_enum<snapstream::rlpx::rlpx_errc> : std::true_type {};
