#include "protocol/snapshot/light_client_verifier.hpp"

#include "protocol/common/hex.hpp"
#include "protocol/snapshot/merkle.hpp"

#include <string>
#include <string_view>

namespace snapstream::snapshot {

namespace {

std::string num(std::uint64_t v) { return std::to_string(v); }

error update_error(verify_errc code, std::uint64_t index, const std::string& what) {
  return error{code, "update " + num(index) + ": " + what};
}

// Re-labels a codec message "update: ..." or "plan: ..." with the artefact's index.
std::string without_prefix(const std::string& message, std::string_view prefix) {
  if (message.compare(0, prefix.size(), prefix) == 0) return message.substr(prefix.size());
  return message;
}

} // namespace

light_client_verifier::light_client_verifier(trust_config trust)
  : trust_(std::move(trust)), last_height_(trust_.checkpoint_height), last_commitment_(trust_.checkpoint) {}

result<light_client_verifier> light_client_verifier::create(trust_config trust) {
  if (auto ok = check_trust(trust); !ok) return ok.error();
  return light_client_verifier(std::move(trust));
}

result<void> light_client_verifier::accept_plan(bytes_view plan_bytes, std::uint64_t chunk_size) {
  if (stage_ != verifier_stage::awaiting_plan) {
    return error{verify_errc::unexpected_artefact, "plan: a plan was already accepted (" + plan_id_ + ")"};
  }
  auto decoded = decode_plan(plan_bytes);
  if (!decoded) return error{verify_errc::plan_malformed, decoded.error().message()};
  const hash256 root = merkle_root(decoded->page_hashes);
  if (root != decoded->state_root) {
    return error{verify_errc::plan_root_mismatch, "plan: page hashes hash to " + to_hex(root) +
                                                    ", the plan's state root is " + to_hex(decoded->state_root)};
  }
  auto ppc = snapshot::pages_per_chunk(decoded->page_size, chunk_size);
  if (!ppc) return error{verify_errc::invalid_chunk_size, "plan: " + ppc.error().message()};
  plan_ = std::move(*decoded);
  plan_id_ = snapshot::plan_id(plan_);
  chunk_size_ = chunk_size;
  pages_per_chunk_ = *ppc;
  chunk_count_ = snapshot::chunk_count(plan_.page_count(), pages_per_chunk_);
  stage_ = verifier_stage::awaiting_updates;
  return {};
}

result<void> light_client_verifier::accept_update(std::uint64_t index, bytes_view update_bytes) {
  if (stage_ == verifier_stage::awaiting_plan) {
    return update_error(verify_errc::unexpected_artefact, index, "no plan accepted yet");
  }
  if (stage_ != verifier_stage::awaiting_updates) {
    return update_error(verify_errc::update_out_of_order, index,
                        "all " + num(plan_.update_count) + " updates are already accepted");
  }
  if (index != next_update_) {
    return update_error(verify_errc::update_out_of_order, index, "expected update " + num(next_update_));
  }
  auto decoded = decode_update(update_bytes);
  if (!decoded) {
    return update_error(verify_errc::update_malformed, index, without_prefix(decoded.error().message(), "update: "));
  }
  const light_client_update& u = *decoded;
  if (u.previous_commitment != last_commitment_) {
    return update_error(verify_errc::broken_link, index,
                        "previous commitment " + to_hex(u.previous_commitment) + " does not match " +
                          (index == 0 ? "the checkpoint " : "the commitment of update " + num(index - 1) + " ") +
                          to_hex(last_commitment_));
  }
  if (u.height <= last_height_) {
    return update_error(verify_errc::height_not_increasing, index,
                        "height " + num(u.height) + " does not exceed " +
                          (index == 0 ? "the checkpoint height " : "the height of update " + num(index - 1) + " ") +
                          num(last_height_));
  }
  // Cheap checks on every signer first, so that a flood of bogus signatures
  // costs no signature verification.
  std::vector<bool> signed_by(trust_.authorities.size(), false);
  for (std::size_t j = 0; j < u.signatures.size(); ++j) {
    const auto& signer = u.signatures[j].signer;
    std::size_t a = 0;
    while (a < trust_.authorities.size() && trust_.authorities[a] != signer) ++a;
    if (a == trust_.authorities.size()) {
      return update_error(verify_errc::unknown_signer, index,
                          "signature " + num(j) + " by " + to_hex(signer) + " is not from an authority");
    }
    if (signed_by[a]) {
      return update_error(verify_errc::duplicate_signer, index,
                          "signature " + num(j) + " by " + to_hex(signer) + " repeats a signer");
    }
    signed_by[a] = true;
  }
  const hash256 c = commitment(u);
  for (std::size_t j = 0; j < u.signatures.size(); ++j) {
    if (!verify_signature(u.signatures[j].signer, c, u.signatures[j].signature)) {
      return update_error(verify_errc::bad_signature, index,
                          "signature " + num(j) + " by " + to_hex(u.signatures[j].signer) + " does not verify");
    }
  }
  if (u.signatures.size() < trust_.threshold) {
    return update_error(verify_errc::below_threshold, index,
                        num(u.signatures.size()) + " signatures, the threshold is " + num(trust_.threshold));
  }
  const bool last = index + 1 == plan_.update_count;
  if (last && u.state_root != plan_.state_root) {
    return update_error(verify_errc::final_root_mismatch, index,
                        "state root " + to_hex(u.state_root) + " does not match the plan's " + plan_id_);
  }
  if (last && u.height != plan_.height) {
    return update_error(verify_errc::final_height_mismatch, index,
                        "height " + num(u.height) + " does not match the plan's " + num(plan_.height));
  }
  last_commitment_ = c;
  last_height_ = u.height;
  last_block_hash_ = u.block_hash;
  ++next_update_;
  if (last) stage_ = chunk_count_ == 0 ? verifier_stage::complete : verifier_stage::awaiting_chunks;
  return {};
}

result<void> light_client_verifier::check_totals(std::uint64_t chunk_index, std::uint64_t page_bytes,
                                                 std::uint64_t records) const {
  if (page_bytes != plan_.total_bytes) {
    return error{verify_errc::totals_mismatch, "chunk " + num(chunk_index) + ": pages hold " + num(page_bytes) +
                                                 " bytes in total, the plan says " + num(plan_.total_bytes)};
  }
  if (records != plan_.record_count) {
    return error{verify_errc::totals_mismatch, "chunk " + num(chunk_index) + ": pages hold " + num(records) +
                                                 " records in total, the plan says " + num(plan_.record_count)};
  }
  return {};
}

result<void> light_client_verifier::accept_chunk(std::uint64_t index, bytes_view chunk_bytes, verified_chunk& out) {
  if (stage_ == verifier_stage::awaiting_plan || stage_ == verifier_stage::awaiting_updates) {
    return error{verify_errc::chunk_before_head,
                 "chunk " + num(index) + ": the light-client head is not verified yet (" + num(next_update_) +
                   " of " + num(plan_.update_count) + " updates accepted)"};
  }
  if (stage_ == verifier_stage::complete) {
    return error{verify_errc::chunk_out_of_order,
                 "chunk " + num(index) + ": all " + num(chunk_count_) + " chunks are already verified"};
  }
  if (index != progress_.next_chunk_index) {
    return error{verify_errc::chunk_out_of_order,
                 "chunk " + num(index) + ": expected chunk " + num(progress_.next_chunk_index)};
  }
  if (auto ok = verify_chunk(plan_, index, pages_per_chunk_, chunk_bytes, out); !ok) return ok.error();
  const std::uint64_t bytes = progress_.page_bytes + out.page_bytes;
  const std::uint64_t records = progress_.record_count + out.records.size();
  const bool last = index + 1 == chunk_count_;
  if (last) {
    if (auto ok = check_totals(index, bytes, records); !ok) return ok.error();
  }
  progress_.page_bytes = bytes;
  progress_.record_count = records;
  ++progress_.next_chunk_index;
  if (last) stage_ = verifier_stage::complete;
  return {};
}

result<verified_chunk> light_client_verifier::accept_chunk(std::uint64_t index, bytes_view chunk_bytes) {
  verified_chunk out;
  if (auto ok = accept_chunk(index, chunk_bytes, out); !ok) return ok.error();
  return out;
}

std::optional<verified_head> light_client_verifier::head() const {
  if (stage_ != verifier_stage::complete) return std::nullopt;
  return verified_head{last_height_, last_block_hash_, plan_.state_root};
}

result<light_client_verifier> light_client_verifier::restore(trust_config trust, bytes_view plan_bytes,
                                                             std::uint64_t chunk_size,
                                                             std::span<const byte_buffer> updates,
                                                             const verifier_progress& progress) {
  auto v = create(std::move(trust));
  if (!v) return v.error();
  if (auto ok = v->accept_plan(plan_bytes, chunk_size); !ok) return ok.error();
  if (updates.size() > v->plan_.update_count) {
    return error{verify_errc::unexpected_artefact, "resume: " + num(updates.size()) +
                                                     " stored updates, the plan announces " +
                                                     num(v->plan_.update_count)};
  }
  for (std::size_t i = 0; i < updates.size(); ++i) {
    if (auto ok = v->accept_update(i, updates[i]); !ok) return ok.error();
  }
  const bool mid_updates = v->stage_ == verifier_stage::awaiting_updates;
  if (progress.next_chunk_index == 0 && progress.page_bytes == 0 && progress.record_count == 0) return v;
  if (mid_updates) {
    return error{verify_errc::chunk_before_head, "resume: chunk progress " + num(progress.next_chunk_index) +
                                                   " recorded before the light-client head was verified"};
  }
  if (progress.next_chunk_index > v->chunk_count_ || progress.page_bytes > v->plan_.total_bytes ||
      progress.record_count > v->plan_.record_count || progress.next_chunk_index == 0) {
    return error{verify_errc::unexpected_artefact,
                 "resume: progress (chunk " + num(progress.next_chunk_index) + ", " + num(progress.page_bytes) +
                   " bytes, " + num(progress.record_count) + " records) contradicts the plan (" +
                   num(v->chunk_count_) + " chunks, " + num(v->plan_.total_bytes) + " bytes, " +
                   num(v->plan_.record_count) + " records)"};
  }
  if (progress.next_chunk_index == v->chunk_count_) {
    if (auto ok = v->check_totals(progress.next_chunk_index - 1, progress.page_bytes, progress.record_count); !ok) {
      return ok.error();
    }
    v->stage_ = verifier_stage::complete;
  }
  v->progress_ = progress;
  return v;
}

} // namespace snapstream::snapshot
