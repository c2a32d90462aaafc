#pragma once
/// Error codes of the snapshot data model (docs/protocol.md sections 3 and 4)
/// and of the offer list (section 3.6).
///
/// `snapshot_errc` reports malformed or invalid encodings (a record, a page, a
/// plan, an update, an offer list) and misuse of the builders; `verify_errc`
/// reports why the light-client verifier refused an artefact. Every message
/// names the artefact and its index (`update 3: signature 1 by <key> does not
/// verify`).

#include "protocol/common/error.hpp"

namespace snapstream::snapshot {

enum class snapshot_errc {
  invalid_record = 1,   ///< key empty or above 65536 bytes, or value above 1 MiB
  truncated,            ///< the input ends inside a field
  trailing_bytes,       ///< bytes left over after the last field
  keys_not_increasing,  ///< a key not strictly greater than the one before it
  invalid_page_size,    ///< not a power of two from 4 KiB to 4 MiB
  invalid_chunk_size,   ///< not a whole, non-zero multiple of the page size
  bad_magic,            ///< the encoding does not start with its magic
  unsupported_version,  ///< a format version this code does not know
  invalid_plan,         ///< plan fields that contradict each other
  invalid_trust,        ///< a trust configuration that cannot be satisfied
  invalid_key,          ///< a key seed of the wrong size
  crypto_unavailable,   ///< libsodium failed to initialise
  builder_finished,     ///< a record pushed after `finish()`
  invalid_offer,        ///< an offer list breaking a rule: too many offers, unknown flags, a page bit past page_count
};

[[nodiscard]] constexpr const char* category_name(snapshot_errc) noexcept { return "snapstream.snapshot"; }
[[nodiscard]] std::string_view to_string(snapshot_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(snapshot_errc e) noexcept {
  return make_enum_error_code(e);
}

/// Why the light-client verifier (section 4.3) refused an artefact.
enum class verify_errc {
  unexpected_artefact = 1, ///< an artefact the verifier is not at (update before plan, second plan)
  plan_malformed,          ///< the plan does not parse or its fields are inconsistent
  plan_root_mismatch,      ///< the plan's page hashes do not hash to its state root
  invalid_chunk_size,      ///< the session's chunk size is not a whole multiple of the page size
  update_out_of_order,     ///< an update index other than the next one, or beyond update_count
  update_malformed,        ///< the update does not parse exactly
  broken_link,             ///< previous_commitment is not the predecessor's commitment
  height_not_increasing,   ///< height not above the predecessor's (or the checkpoint's)
  unknown_signer,          ///< a signer outside the authority set
  duplicate_signer,        ///< a signer that signed twice
  bad_signature,           ///< a signature that does not verify
  below_threshold,         ///< fewer signatures than the threshold k
  final_root_mismatch,     ///< the last update's state root is not the plan's
  final_height_mismatch,   ///< the last update's height is not the plan's
  chunk_before_head,       ///< a chunk before the last update was accepted
  chunk_out_of_order,      ///< a chunk index other than the next one, or beyond chunk_count
  chunk_malformed,         ///< chunk framing broken: a truncated page length or page, trailing bytes
  page_count_mismatch,     ///< the chunk holds more or fewer pages than its index requires
  page_hash_mismatch,      ///< a page whose hash is not the plan's hash at its position
  page_malformed,          ///< a page whose records do not parse exactly or are not in key order
  totals_mismatch,         ///< after the last chunk: bytes or records differ from the plan
};

[[nodiscard]] constexpr const char* category_name(verify_errc) noexcept { return "snapstream.verify"; }
[[nodiscard]] std::string_view to_string(verify_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(verify_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream::snapshot

template <>
struct std::is_error_code_enum<snapstream::snapshot::snapshot_errc> : std::true_type {};
template <>
struct std::is_error_code_enum<snapstream::snapshot::verify_errc> : std::true_type {};
