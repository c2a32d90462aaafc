#include "protocol/snapshot/errors.hpp"

namespace snapstream::snapshot {

std::string_view to_string(snapshot_errc e) noexcept {
  switch (e) {
    case snapshot_errc::invalid_record: return "invalid record";
    case snapshot_errc::truncated: return "truncated";
    case snapshot_errc::trailing_bytes: return "trailing bytes";
    case snapshot_errc::keys_not_increasing: return "keys not increasing";
    case snapshot_errc::invalid_page_size: return "invalid page size";
    case snapshot_errc::invalid_chunk_size: return "invalid chunk size";
    case snapshot_errc::bad_magic: return "bad magic";
    case snapshot_errc::unsupported_version: return "unsupported version";
    case snapshot_errc::invalid_plan: return "invalid plan";
    case snapshot_errc::invalid_trust: return "invalid trust configuration";
    case snapshot_errc::invalid_key: return "invalid key";
    case snapshot_errc::crypto_unavailable: return "crypto unavailable";
    case snapshot_errc::builder_finished: return "builder finished";
    case snapshot_errc::invalid_offer: return "invalid offer";
  }
  return "unknown";
}

std::string_view to_string(verify_errc e) noexcept {
  switch (e) {
    case verify_errc::unexpected_artefact: return "unexpected artefact";
    case verify_errc::plan_malformed: return "plan malformed";
    case verify_errc::plan_root_mismatch: return "plan root mismatch";
    case verify_errc::invalid_chunk_size: return "invalid chunk size";
    case verify_errc::update_out_of_order: return "update out of order";
    case verify_errc::update_malformed: return "update malformed";
    case verify_errc::broken_link: return "broken link";
    case verify_errc::height_not_increasing: return "height not increasing";
    case verify_errc::unknown_signer: return "unknown signer";
    case verify_errc::duplicate_signer: return "duplicate signer";
    case verify_errc::bad_signature: return "bad signature";
    case verify_errc::below_threshold: return "below threshold";
    case verify_errc::final_root_mismatch: return "final root mismatch";
    case verify_errc::final_height_mismatch: return "final height mismatch";
    case verify_errc::chunk_before_head: return "chunk before head";
    case verify_errc::chunk_out_of_order: return "chunk out of order";
    case verify_errc::chunk_malformed: return "chunk malformed";
    case verify_errc::page_count_mismatch: return "page count mismatch";
    case verify_errc::page_hash_mismatch: return "page hash mismatch";
    case verify_errc::page_malformed: return "page malformed";
    case verify_errc::totals_mismatch: return "totals mismatch";
  }
  return "unknown";
}

} // namespace snapstream::snapshot
