#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;
using namespace snapstream::snapshot::test;

namespace {

constexpr std::uint64_t chunk_size = 4 * 4096;

struct chain_fixture {
  std::vector<authority_key> keys{key_from(1), key_from(2), key_from(3)};
  authority_key outsider = key_from(9);
  built_snapshot s = build_snapshot(make_records(500, 7, 300), 4096, {keys[0], keys[1]}, 3);
  trust_config trust = trust_of(keys, 2);

  light_client_verifier fresh() const {
    auto v = light_client_verifier::create(trust);
    BOOST_REQUIRE(v.has_value());
    return std::move(*v);
  }

  // A verifier that has accepted the plan and updates [0, n).
  light_client_verifier after_updates(std::size_t n) const {
    auto v = fresh();
    BOOST_REQUIRE(v.accept_plan(s.plan_bytes, chunk_size).has_value());
    for (std::size_t i = 0; i < n; ++i) {
      auto ok = v.accept_update(i, s.update_bytes[i]);
      BOOST_REQUIRE_MESSAGE(ok.has_value(), ok.error().message());
    }
    return v;
  }

  // Update i changed by `mutate`, then signed afresh by `signers` (so that the
  // only fault is the one `mutate` introduced).
  byte_buffer resigned(std::size_t i, const std::function<void(light_client_update&)>& mutate,
                       const std::vector<const authority_key*>& signers) const {
    light_client_update u = s.updates[i];
    u.signatures.clear();
    mutate(u);
    for (const auto* k : signers) k->sign_update(u);
    return encode_update(u);
  }

  std::string key_hex(std::size_t i) const { return to_hex(keys[i].public_key()); }
  std::uint64_t chunks() const { return chunk_count(s.pages.size(), chunk_size / 4096); }
  byte_buffer chunk(std::uint64_t i) const { return chunk_of(s, i, chunk_size / 4096); }
};

void require_error(const result<void>& r, verify_errc code, const std::string& message) {
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "accepted, expected: " << message);
  BOOST_TEST(r.error().is(code), "code " << r.error().code().message() << " for " << r.error().message());
  BOOST_TEST(r.error().message() == message);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(light_client_verifier_state_machine, chain_fixture)

BOOST_AUTO_TEST_CASE(a_valid_chain_and_every_chunk_are_accepted_and_yield_the_head) {
  auto v = fresh();
  BOOST_TEST((v.stage() == verifier_stage::awaiting_plan));
  BOOST_REQUIRE(v.accept_plan(s.plan_bytes, chunk_size).has_value());
  BOOST_TEST(v.plan_id() == to_hex(s.p.state_root));
  BOOST_TEST(v.chunk_count() == chunks());
  BOOST_REQUIRE_GT(v.chunk_count(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) BOOST_REQUIRE(v.accept_update(i, s.update_bytes[i]).has_value());
  BOOST_TEST((v.stage() == verifier_stage::awaiting_chunks));
  BOOST_TEST(v.last_update_height() == 30u);
  BOOST_TEST(!v.head().has_value());
  std::uint64_t records = 0;
  for (std::uint64_t i = 0; i < v.chunk_count(); ++i) {
    const byte_buffer c = chunk(i);
    auto got = v.accept_chunk(i, c);
    BOOST_REQUIRE_MESSAGE(got.has_value(), got.error().message());
    records += got->records.size();
  }
  BOOST_TEST(records == 500u);
  BOOST_TEST((v.stage() == verifier_stage::complete));
  const auto head = v.head();
  BOOST_REQUIRE(head.has_value());
  BOOST_TEST(head->height == 30u);
  BOOST_TEST(head->state_root == s.p.state_root);
  BOOST_TEST(head->block_hash == s.updates[2].block_hash);
  BOOST_TEST(v.progress().page_bytes == s.p.total_bytes);
  BOOST_TEST(v.progress().record_count == 500u);
}

BOOST_AUTO_TEST_CASE(an_update_before_the_plan_is_refused) {
  auto v = fresh();
  require_error(v.accept_update(0, s.update_bytes[0]), verify_errc::unexpected_artefact,
                "update 0: no plan accepted yet");
  BOOST_REQUIRE(v.accept_plan(s.plan_bytes, chunk_size).has_value());
  require_error(v.accept_plan(s.plan_bytes, chunk_size), verify_errc::unexpected_artefact,
                "plan: a plan was already accepted (" + to_hex(s.p.state_root) + ")");
}

BOOST_AUTO_TEST_CASE(a_plan_whose_hashes_do_not_match_its_root_is_refused) {
  plan p = s.p;
  std::swap(p.page_hashes[0], p.page_hashes[1]);
  auto v = fresh();
  require_error(v.accept_plan(encode_plan(p), chunk_size), verify_errc::plan_root_mismatch,
                "plan: page hashes hash to " + to_hex(merkle_root(p.page_hashes)) + ", the plan's state root is " +
                  to_hex(s.p.state_root));
  require_error(v.accept_plan(bytes_view(s.plan_bytes).first(50), chunk_size), verify_errc::plan_malformed,
                "plan: 50 bytes, the header needs 77");
  require_error(v.accept_plan(s.plan_bytes, 5000), verify_errc::invalid_chunk_size,
                "plan: chunk size 5000 is not a whole multiple of the page size 4096");
  BOOST_TEST((v.stage() == verifier_stage::awaiting_plan));
}

BOOST_AUTO_TEST_CASE(updates_out_of_order_are_refused) {
  auto v = after_updates(0);
  // Skipped: update 1 before update 0.
  require_error(v.accept_update(1, s.update_bytes[1]), verify_errc::update_out_of_order,
                "update 1: expected update 0");
  // Reordered: update 1's bytes presented as update 0 do not link to the checkpoint.
  require_error(v.accept_update(0, s.update_bytes[1]), verify_errc::broken_link,
                "update 0: previous commitment " + to_hex(commitment(s.updates[0])) +
                  " does not match the checkpoint " + to_hex(genesis_commitment));
  BOOST_REQUIRE(v.accept_update(0, s.update_bytes[0]).has_value());
  // Skipped: update 2's bytes presented as update 1.
  require_error(v.accept_update(1, s.update_bytes[2]), verify_errc::broken_link,
                "update 1: previous commitment " + to_hex(commitment(s.updates[1])) +
                  " does not match the commitment of update 0 " + to_hex(commitment(s.updates[0])));
  // Replayed.
  require_error(v.accept_update(0, s.update_bytes[0]), verify_errc::update_out_of_order,
                "update 0: expected update 1");
  BOOST_REQUIRE(v.accept_update(1, s.update_bytes[1]).has_value());
  BOOST_REQUIRE(v.accept_update(2, s.update_bytes[2]).has_value());
  require_error(v.accept_update(3, s.update_bytes[2]), verify_errc::update_out_of_order,
                "update 3: all 3 updates are already accepted");
}

BOOST_AUTO_TEST_CASE(a_forged_signature_is_refused_naming_signer_and_position) {
  auto v = after_updates(1);
  light_client_update u = s.updates[1];
  u.signatures[1].signature[10] ^= 0x04;
  require_error(v.accept_update(1, encode_update(u)), verify_errc::bad_signature,
                "update 1: signature 1 by " + key_hex(1) + " does not verify");
  // Signature bytes copied from another update do not verify either.
  u = s.updates[1];
  u.signatures[0].signature = s.updates[0].signatures[0].signature;
  require_error(v.accept_update(1, encode_update(u)), verify_errc::bad_signature,
                "update 1: signature 0 by " + key_hex(0) + " does not verify");
  // The refusal left the verifier where it was.
  BOOST_TEST(v.next_update_index() == 1u);
  BOOST_TEST(v.accept_update(1, s.update_bytes[1]).has_value());
}

BOOST_AUTO_TEST_CASE(a_duplicate_signer_is_refused) {
  auto v = after_updates(1);
  const byte_buffer twice = resigned(1, [](light_client_update&) {}, {&keys[0], &keys[0]});
  require_error(v.accept_update(1, twice), verify_errc::duplicate_signer,
                "update 1: signature 1 by " + key_hex(0) + " repeats a signer");
}

BOOST_AUTO_TEST_CASE(an_unknown_signer_is_refused) {
  auto v = after_updates(1);
  const byte_buffer bytes = resigned(1, [](light_client_update&) {}, {&keys[0], &outsider, &keys[1]});
  require_error(v.accept_update(1, bytes), verify_errc::unknown_signer,
                "update 1: signature 1 by " + to_hex(outsider.public_key()) + " is not from an authority");
}

BOOST_AUTO_TEST_CASE(fewer_signatures_than_the_threshold_are_refused) {
  auto v = after_updates(1);
  require_error(v.accept_update(1, resigned(1, [](light_client_update&) {}, {&keys[2]})),
                verify_errc::below_threshold, "update 1: 1 signatures, the threshold is 2");
  require_error(v.accept_update(1, resigned(1, [](light_client_update&) {}, {})), verify_errc::below_threshold,
                "update 1: 0 signatures, the threshold is 2");
  // Any two of the three suffice.
  BOOST_TEST(v.accept_update(1, resigned(1, [](light_client_update&) {}, {&keys[2], &keys[0]})).has_value());
}

BOOST_AUTO_TEST_CASE(a_broken_link_is_refused) {
  auto v = after_updates(1);
  const hash256 wrong = hash_of("elsewhere");
  const byte_buffer bytes = resigned(1, [&](light_client_update& u) { u.previous_commitment = wrong; },
                                     {&keys[0], &keys[1]});
  require_error(v.accept_update(1, bytes), verify_errc::broken_link,
                "update 1: previous commitment " + to_hex(wrong) + " does not match the commitment of update 0 " +
                  to_hex(commitment(s.updates[0])));
}

BOOST_AUTO_TEST_CASE(a_height_that_does_not_increase_is_refused) {
  auto v = after_updates(1);
  require_error(v.accept_update(1, resigned(1, [](light_client_update& u) { u.height = 10; }, {&keys[0], &keys[1]})),
                verify_errc::height_not_increasing,
                "update 1: height 10 does not exceed the height of update 0 10");
  trust_config t = trust;
  t.checkpoint_height = 10;
  auto w = light_client_verifier::create(t);
  BOOST_REQUIRE(w.has_value());
  BOOST_REQUIRE(w->accept_plan(s.plan_bytes, chunk_size).has_value());
  require_error(w->accept_update(0, s.update_bytes[0]), verify_errc::height_not_increasing,
                "update 0: height 10 does not exceed the checkpoint height 10");
}

BOOST_AUTO_TEST_CASE(a_last_update_with_the_wrong_root_or_height_is_refused) {
  auto v = after_updates(2);
  const hash256 other = hash_of("other root");
  require_error(v.accept_update(2, resigned(2, [&](light_client_update& u) { u.state_root = other; },
                                            {&keys[0], &keys[1]})),
                verify_errc::final_root_mismatch,
                "update 2: state root " + to_hex(other) + " does not match the plan's " + to_hex(s.p.state_root));
  require_error(v.accept_update(2, resigned(2, [](light_client_update& u) { u.height = 31; }, {&keys[0], &keys[1]})),
                verify_errc::final_height_mismatch, "update 2: height 31 does not match the plan's 30");
  BOOST_TEST(v.accept_update(2, s.update_bytes[2]).has_value());
}

BOOST_AUTO_TEST_CASE(a_malformed_update_is_refused) {
  auto v = after_updates(0);
  require_error(v.accept_update(0, bytes_view(s.update_bytes[0]).first(110)), verify_errc::update_malformed,
                "update 0: 110 bytes, the header needs 111");
}

BOOST_AUTO_TEST_CASE(a_chunk_before_the_head_is_refused) {
  auto v = after_updates(2);
  verified_chunk out;
  require_error(v.accept_chunk(0, chunk(0), out), verify_errc::chunk_before_head,
                "chunk 0: the light-client head is not verified yet (2 of 3 updates accepted)");
}

BOOST_AUTO_TEST_CASE(chunks_out_of_order_are_refused) {
  auto v = after_updates(3);
  verified_chunk out;
  require_error(v.accept_chunk(1, chunk(1), out), verify_errc::chunk_out_of_order, "chunk 1: expected chunk 0");
  BOOST_REQUIRE(v.accept_chunk(0, chunk(0), out).has_value());
  require_error(v.accept_chunk(0, chunk(0), out), verify_errc::chunk_out_of_order, "chunk 0: expected chunk 1");
  // The right index with another chunk's bytes fails on its pages.
  require_error(v.accept_chunk(1, chunk(2), out), verify_errc::page_hash_mismatch, "chunk 1: page 4 hash mismatch");
  for (std::uint64_t i = 1; i < chunks(); ++i) BOOST_REQUIRE(v.accept_chunk(i, chunk(i), out).has_value());
  require_error(v.accept_chunk(chunks(), chunk(0), out), verify_errc::chunk_out_of_order,
                "chunk " + std::to_string(chunks()) + ": all " + std::to_string(chunks()) +
                  " chunks are already verified");
}

BOOST_AUTO_TEST_CASE(plan_totals_that_the_pages_contradict_fail_on_the_last_chunk) {
  // record_count and total_bytes are outside the root: the last chunk catches a lie.
  built_snapshot lying = s;
  lying.p.record_count += 1;
  lying.plan_bytes = encode_plan(lying.p);
  auto v = fresh();
  BOOST_REQUIRE(v.accept_plan(lying.plan_bytes, chunk_size).has_value());
  for (std::uint64_t i = 0; i < 3; ++i) BOOST_REQUIRE(v.accept_update(i, s.update_bytes[i]).has_value());
  verified_chunk out;
  for (std::uint64_t i = 0; i + 1 < chunks(); ++i) BOOST_REQUIRE(v.accept_chunk(i, chunk(i), out).has_value());
  const auto last = chunks() - 1;
  require_error(v.accept_chunk(last, chunk(last), out), verify_errc::totals_mismatch,
                "chunk " + std::to_string(last) + ": pages hold 500 records in total, the plan says 501");
  BOOST_TEST(!v.head().has_value());
}

BOOST_AUTO_TEST_CASE(an_empty_state_completes_with_its_last_update) {
  const built_snapshot empty = build_snapshot({}, 4096, {keys[0], keys[1]}, 1);
  auto v = fresh();
  BOOST_REQUIRE(v.accept_plan(empty.plan_bytes, 4096).has_value());
  BOOST_TEST(v.chunk_count() == 0u);
  BOOST_REQUIRE(v.accept_update(0, empty.update_bytes[0]).has_value());
  BOOST_TEST((v.stage() == verifier_stage::complete));
  BOOST_REQUIRE(v.head().has_value());
  BOOST_TEST(v.head()->state_root == empty_root());
}

BOOST_AUTO_TEST_CASE(a_restored_verifier_continues_where_the_session_stopped) {
  auto original = after_updates(3);
  verified_chunk out;
  for (std::uint64_t i = 0; i < 2; ++i) BOOST_REQUIRE(original.accept_chunk(i, chunk(i), out).has_value());
  const verifier_progress saved = original.progress();
  BOOST_TEST(saved.next_chunk_index == 2u);

  auto restored = light_client_verifier::restore(trust, s.plan_bytes, chunk_size, s.update_bytes, saved);
  BOOST_REQUIRE_MESSAGE(restored.has_value(), restored.error().message());
  BOOST_TEST((restored->stage() == verifier_stage::awaiting_chunks));
  BOOST_TEST(restored->next_chunk_index() == 2u);
  require_error(restored->accept_chunk(1, chunk(1), out), verify_errc::chunk_out_of_order,
                "chunk 1: expected chunk 2");
  for (std::uint64_t i = 2; i < chunks(); ++i) BOOST_REQUIRE(restored->accept_chunk(i, chunk(i), out).has_value());
  BOOST_REQUIRE(restored->head().has_value());
  BOOST_TEST(restored->head()->state_root == s.p.state_root);

  // Mid-chain: one stored update, no chunks yet.
  const std::vector<byte_buffer> first_update{s.update_bytes[0]};
  auto partial = light_client_verifier::restore(trust, s.plan_bytes, chunk_size, first_update, {});
  BOOST_REQUIRE(partial.has_value());
  BOOST_TEST(partial->next_update_index() == 1u);
  BOOST_TEST(partial->accept_update(1, s.update_bytes[1]).has_value());
}

BOOST_AUTO_TEST_CASE(restore_re_verifies_what_was_stored) {
  std::vector<byte_buffer> tampered = s.update_bytes;
  tampered[1][200] ^= 1; // inside signature 0 of update 1
  auto r = light_client_verifier::restore(trust, s.plan_bytes, chunk_size, tampered, {2, 1, 1});
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().is(verify_errc::bad_signature));
  BOOST_TEST(r.error().message() == "update 1: signature 0 by " + key_hex(0) + " does not verify");

  const std::vector<byte_buffer> first_update{s.update_bytes[0]};
  auto early = light_client_verifier::restore(trust, s.plan_bytes, chunk_size, first_update, {1, 100, 3});
  BOOST_REQUIRE(!early);
  BOOST_TEST(early.error().is(verify_errc::chunk_before_head));

  auto beyond = light_client_verifier::restore(trust, s.plan_bytes, chunk_size, s.update_bytes,
                                               {chunks() + 1, 100, 3});
  BOOST_REQUIRE(!beyond);
  BOOST_TEST(beyond.error().is(verify_errc::unexpected_artefact));
}

BOOST_AUTO_TEST_SUITE_END()
