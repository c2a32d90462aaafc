#pragma once
/// The consumer's verifier (docs/protocol.md section 4.3): a pure state
/// machine that accepts a plan, then light-client updates 0..update_count-1 in
/// order, then chunks 0..chunk_count-1 in order, and emits the verified head.
///
/// Every `accept_*` either accepts the artefact and advances, or refuses it
/// with a `verify_errc` error whose message names the artefact and index
/// (`update 3: signature 1 by <hex> does not verify`, `chunk 7: page 451 hash
/// mismatch`) and leaves the verifier as it was. Not thread-safe: one verifier
/// per session, driven by its owner.

#include "protocol/common/bytes.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/plan.hpp"
#include "protocol/snapshot/trust.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace snapstream::snapshot {

/// The outcome of a complete session: the state at `height` has `state_root`.
struct verified_head {
  std::uint64_t height = 0;
  hash256 block_hash{};
  hash256 state_root{};
  friend bool operator==(const verified_head&, const verified_head&) = default;
};

enum class verifier_stage : std::uint8_t {
  awaiting_plan,    ///< nothing accepted yet
  awaiting_updates, ///< plan accepted; next_update_index() is next
  awaiting_chunks,  ///< the last update is accepted: the plan's root is trusted
  complete,         ///< every chunk verified; head() is set
};

/// Chunk progress a consumer keeps durably to restore a verifier.
struct verifier_progress {
  std::uint64_t next_chunk_index = 0; ///< chunks [0, next) are verified and applied
  std::uint64_t page_bytes = 0;       ///< sum of the page lengths of those chunks
  std::uint64_t record_count = 0;     ///< records in those chunks
  friend bool operator==(const verifier_progress&, const verifier_progress&) = default;
};

class light_client_verifier {
public:
  /// Fails with `snapshot_errc::invalid_trust` (see `check_trust`).
  [[nodiscard]] static result<light_client_verifier> create(trust_config trust);

  /// Rebuilds the verifier of a resumed session: re-verifies the stored plan
  /// and each stored update (the accepted prefix, in order), then continues at
  /// `progress.next_chunk_index` with the stored chunk totals. Chunks past 0
  /// require every update. Fails with the error the stored artefact now
  /// raises, or `unexpected_artefact` for progress that contradicts the plan.
  [[nodiscard]] static result<light_client_verifier> restore(trust_config trust, bytes_view plan_bytes,
                                                             std::uint64_t chunk_size,
                                                             std::span<const byte_buffer> updates,
                                                             const verifier_progress& progress);

  /// Accepts the plan and the session's chunk size. Errors:
  /// `unexpected_artefact` (a plan was accepted already), `plan_malformed`,
  /// `plan_root_mismatch`, `invalid_chunk_size`.
  [[nodiscard]] result<void> accept_plan(bytes_view plan_bytes, std::uint64_t chunk_size);

  /// Accepts update `index`. Errors: `unexpected_artefact` (no plan yet),
  /// `update_out_of_order`, `update_malformed`, `broken_link`,
  /// `height_not_increasing`, `unknown_signer`, `duplicate_signer`,
  /// `bad_signature`, `below_threshold`, `final_root_mismatch`,
  /// `final_height_mismatch`. Accepting the last update of a plan with no
  /// pages completes the session.
  [[nodiscard]] result<void> accept_update(std::uint64_t index, bytes_view update_bytes);

  /// Verifies chunk `index` and returns its records as views into
  /// `chunk_bytes` (which must outlive `out`). Errors: `chunk_before_head`,
  /// `chunk_out_of_order`, and those of `verify_chunk`; after the last chunk,
  /// `totals_mismatch` when the pages' bytes or records differ from the plan.
  [[nodiscard]] result<void> accept_chunk(std::uint64_t index, bytes_view chunk_bytes, verified_chunk& out);
  [[nodiscard]] result<verified_chunk> accept_chunk(std::uint64_t index, bytes_view chunk_bytes);

  [[nodiscard]] verifier_stage stage() const noexcept { return stage_; }
  /// The accepted plan. Precondition: stage() != awaiting_plan.
  [[nodiscard]] const plan& current_plan() const noexcept { return plan_; }
  /// hex(state_root) of the accepted plan; empty before.
  [[nodiscard]] const std::string& plan_id() const noexcept { return plan_id_; }
  [[nodiscard]] const trust_config& trust() const noexcept { return trust_; }
  [[nodiscard]] std::uint64_t chunk_size() const noexcept { return chunk_size_; }
  [[nodiscard]] std::uint64_t pages_per_chunk() const noexcept { return pages_per_chunk_; }
  [[nodiscard]] std::uint64_t chunk_count() const noexcept { return chunk_count_; }
  [[nodiscard]] std::uint64_t update_count() const noexcept { return plan_.update_count; }
  [[nodiscard]] std::uint64_t next_update_index() const noexcept { return next_update_; }
  [[nodiscard]] std::uint64_t next_chunk_index() const noexcept { return progress_.next_chunk_index; }
  /// Height of the last accepted update (the checkpoint's before any).
  [[nodiscard]] std::uint64_t last_update_height() const noexcept { return last_height_; }
  /// Commitment of the last accepted update (the checkpoint before any).
  [[nodiscard]] const hash256& last_commitment() const noexcept { return last_commitment_; }
  /// Chunk progress to store durably with each applied chunk.
  [[nodiscard]] const verifier_progress& progress() const noexcept { return progress_; }
  /// The verified head, once stage() == complete.
  [[nodiscard]] std::optional<verified_head> head() const;

private:
  explicit light_client_verifier(trust_config trust);
  result<void> check_totals(std::uint64_t chunk_index, std::uint64_t page_bytes, std::uint64_t records) const;

  trust_config trust_;
  verifier_stage stage_ = verifier_stage::awaiting_plan;
  plan plan_;
  std::string plan_id_;
  std::uint64_t chunk_size_ = 0;
  std::uint64_t pages_per_chunk_ = 0;
  std::uint64_t chunk_count_ = 0;
  std::uint64_t next_update_ = 0;
  std::uint64_t last_height_ = 0;
  hash256 last_commitment_{};
  hash256 last_block_hash_{};
  verifier_progress progress_;
};

} // namespace snapstream::snapshot
