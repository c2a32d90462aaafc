// libFuzzer target for the light-client verifier
// (protocol/snapshot/light_client_verifier.cpp). The harness holds one real
// snapshot (records cut into 4 KiB pages, its plan, a chain of two updates
// signed by both trusted authorities) and a third, untrusted key. The input
// is a script of artefacts offered to a verifier trusting the two
// authorities (threshold 1 or 2, from the input):
//   plan:   fuzz bytes, or the real plan (possibly with a byte flipped), with a
//           fuzz chunk size
//   update: fuzz bytes, a real update (possibly flipped), or an update the
//           harness builds from fuzz fields (height, root, link) and signs with
//           a fuzz-chosen subset of {authority 1, authority 2, untrusted}
//   chunk:  fuzz bytes, or a real chunk (possibly flipped), at a fuzz index
//
// Properties, checked by an oracle independent of the verifier:
//  - an accepted update links to the checkpoint or the previously accepted
//    update, has a greater height, and carries at least `threshold` valid
//    signatures of distinct authorities and no signature of anyone else;
//  - an accepted plan's page hashes hash to its state root; the light-client
//    head is reached only by an update for the plan's root and height;
//  - a chunk is accepted only once the head is verified, in order, and its
//    pages are exactly the plan's pages (same leaf hashes);
//  - `complete` means every chunk was accepted and the totals are the plan's,
//    and `head()` names the plan's root; `restore` from what was accepted
//    reaches the same state;
//  - every refusal is a typed error.

#include "fuzz_util.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/light_client_update.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "protocol/snapshot/plan.hpp"

#include <map>
#include <optional>

using namespace snapstream;
using namespace snapstream::snapshot;
using snapstream::fuzz::require;

namespace {

constexpr std::uint32_t page_size = 4096;

authority_key key_from(std::uint8_t fill) {
  ed25519_seed seed;
  seed.fill(fill);
  return *authority_key::from_seed(seed);
}

struct snapshot_fixture {
  authority_key a1 = key_from(1);
  authority_key a2 = key_from(2);
  authority_key stranger = key_from(3);
  std::vector<byte_buffer> pages;
  plan p;
  byte_buffer plan_bytes;
  std::vector<light_client_update> updates;
  std::vector<byte_buffer> update_bytes;

  snapshot_fixture() {
    auto builder = page_builder::create(page_size, [this](const closed_page& pg) -> result<void> {
      pages.push_back(to_buffer(pg.bytes));
      p.page_hashes.push_back(pg.hash);
      return {};
    });
    std::uint64_t x = 7;
    for (int i = 0; i < 90; ++i) {
      byte_buffer key{static_cast<std::uint8_t>(i / 16), static_cast<std::uint8_t>(i % 16 * 16), 1, 2};
      byte_buffer value(100 + i % 7);
      for (auto& b : value) b = static_cast<std::uint8_t>(x = x * 6364136223846793005ull + 1442695040888963407ull);
      if (!builder->push(key, value)) std::abort();
    }
    if (!builder->finish()) std::abort();
    p.height = 20;
    p.page_size = page_size;
    p.record_count = builder->record_count();
    p.total_bytes = builder->total_bytes();
    p.update_count = 2;
    p.state_root = merkle_root(p.page_hashes);
    plan_bytes = encode_plan(p);
    hash256 previous = genesis_commitment;
    for (std::uint32_t i = 0; i < 2; ++i) {
      light_client_update u;
      u.height = 10ull * (i + 1);
      u.block_hash = sha256(as_bytes("block " + std::to_string(i)));
      u.state_root = i == 1 ? p.state_root : sha256(as_bytes("root 0"));
      u.previous_commitment = previous;
      a1.sign_update(u);
      a2.sign_update(u);
      previous = commitment(u);
      update_bytes.push_back(encode_update(u));
      updates.push_back(std::move(u));
    }
  }

  [[nodiscard]] trust_config trust(std::uint32_t threshold) const {
    trust_config t;
    t.authorities = {a1.public_key(), a2.public_key()};
    t.threshold = threshold;
    return t;
  }

  [[nodiscard]] byte_buffer chunk(std::uint64_t index, std::uint64_t per_chunk) const {
    const auto range = chunk_pages(index, per_chunk, pages.size());
    std::vector<bytes_view> views;
    for (auto i = range.first; i < range.end && i < pages.size(); ++i) views.emplace_back(pages[i]);
    return encode_chunk(views);
  }
};

const snapshot_fixture& fixture() {
  static const snapshot_fixture f;
  return f;
}

/// What the oracle knows about the verifier's state.
struct oracle {
  trust_config trust;
  std::optional<plan> accepted_plan;
  byte_buffer plan_bytes;
  std::uint64_t chunk_size = 0;
  std::vector<byte_buffer> accepted_updates;
  hash256 last_commitment = genesis_commitment;
  std::uint64_t last_height = 0;
  std::optional<light_client_update> last_update;
  std::uint64_t chunks = 0;
  std::uint64_t page_bytes = 0;
  std::uint64_t records = 0;
};

void flip(byte_buffer& b, fuzz::fuzz_input& in) {
  if (b.empty()) return;
  b[in.u16() % b.size()] ^= static_cast<std::uint8_t>(in.u8() | 1);
}

void check_accepted_update(oracle& o, bytes_view bytes) {
  auto u = decode_update(bytes);
  require(u.has_value(), "an accepted update decodes");
  require(u->previous_commitment == o.last_commitment, "an accepted update links to the last one");
  require(u->height > o.last_height, "an accepted update is higher");
  const hash256 c = commitment(*u);
  std::vector<bool> seen(o.trust.authorities.size(), false);
  std::size_t valid = 0;
  for (const auto& s : u->signatures) {
    const auto it = std::find(o.trust.authorities.begin(), o.trust.authorities.end(), s.signer);
    require(it != o.trust.authorities.end(), "an accepted update is signed by authorities only");
    const auto a = static_cast<std::size_t>(it - o.trust.authorities.begin());
    require(!seen[a], "an accepted update has no repeated signer");
    seen[a] = true;
    require(snapshot::verify_signature(s.signer, c, s.signature), "every signature of an accepted update verifies");
    ++valid;
  }
  require(valid >= o.trust.threshold, "an accepted update meets the threshold");
  o.last_commitment = c;
  o.last_height = u->height;
  o.last_update = *u;
  o.accepted_updates.push_back(to_buffer(bytes));
}

void check_accepted_chunk(oracle& o, const light_client_verifier& v, std::uint64_t index, bytes_view bytes,
                          const verified_chunk& out) {
  require(o.accepted_plan.has_value() && o.last_update.has_value(), "a chunk needs a plan and a head");
  const plan& p = *o.accepted_plan;
  require(o.accepted_updates.size() == p.update_count, "a chunk is accepted only after every update");
  require(o.last_update->state_root == p.state_root, "the trusted head is the plan's root");
  require(index == o.chunks, "chunks are accepted in order");
  const auto range = chunk_pages(index, v.pages_per_chunk(), p.page_count());
  // Parse the chunk's frames independently and compare the leaf hashes.
  std::size_t pos = 0;
  std::uint64_t page = range.first;
  std::uint64_t bytes_total = 0;
  while (pos < bytes.size()) {
    require(bytes.size() - pos >= 4, "an accepted chunk has whole page frames");
    const std::uint32_t n = load_be32(bytes.data() + pos);
    pos += 4;
    require(bytes.size() - pos >= n, "an accepted chunk's page lies inside it");
    require(page < range.end, "an accepted chunk has no extra page");
    require(page_hash(bytes.subspan(pos, n)) == p.page_hashes[page], "an accepted page is the plan's page");
    bytes_total += n;
    pos += n;
    ++page;
  }
  require(page == range.end, "an accepted chunk has every page of its range");
  require(out.page_bytes == bytes_total && out.first_page == range.first && out.chunk_index == index,
          "the verified chunk describes what was accepted");
  ++o.chunks;
  o.page_bytes += bytes_total;
  o.records += out.records.size();
}

void run(fuzz::fuzz_input& in) {
  const auto& f = fixture();
  oracle o;
  o.trust = f.trust(1 + in.u8() % 2);
  auto created = light_client_verifier::create(o.trust);
  require(created.has_value(), "a verifier is created for a valid trust");
  light_client_verifier v = std::move(*created);

  for (int step = 0; step < 32 && !in.empty(); ++step) {
    const std::uint8_t op = in.u8();
    const verifier_stage before = v.stage();
    switch (op % 3) {
    case 0: { // plan
      byte_buffer bytes = (op & 0x10) != 0 ? to_buffer(in.chunk16()) : f.plan_bytes;
      if ((op & 0x20) != 0) flip(bytes, in);
      const std::uint64_t chunk_size = (op & 0x40) != 0 ? in.u32() : (std::uint64_t{1} + in.u8() % 4) * (page_size + 4);
      auto r = v.accept_plan(bytes, chunk_size);
      if (!fuzz::ok_or_typed(r, "accept_plan")) break;
      require(before == verifier_stage::awaiting_plan, "only one plan is accepted");
      auto p = decode_plan(bytes);
      require(p.has_value() && merkle_root(p->page_hashes) == p->state_root, "an accepted plan's root checks");
      o.accepted_plan = *p;
      o.plan_bytes = bytes;
      o.chunk_size = chunk_size;
      break;
    }
    case 1: { // update
      const std::uint64_t index = (op & 0x80) != 0 ? in.u8() : o.accepted_updates.size();
      byte_buffer bytes;
      switch ((op >> 2) % 4) {
      case 0: bytes = to_buffer(in.chunk16()); break;
      case 1: bytes = f.update_bytes[in.u8() % f.update_bytes.size()]; break;
      default: {
        light_client_update u;
        const std::uint8_t fields = in.u8();
        u.height = (fields & 1) != 0 ? in.u64() : o.last_height + 1 + in.u8();
        u.block_hash = sha256(in.take(4));
        u.state_root = (fields & 2) != 0 ? sha256(in.take(4)) : f.p.state_root;
        u.previous_commitment = (fields & 4) != 0 ? sha256(in.take(4)) : o.last_commitment;
        const std::uint8_t signers = in.u8();
        if ((signers & 1) != 0) f.a1.sign_update(u);
        if ((signers & 2) != 0) f.stranger.sign_update(u);
        if ((signers & 4) != 0) f.a2.sign_update(u);
        if ((signers & 8) != 0) f.a1.sign_update(u); // a repeated signer
        bytes = encode_update(u);
        break;
      }
      }
      if ((op & 0x40) != 0) flip(bytes, in);
      auto r = v.accept_update(index, bytes);
      if (!fuzz::ok_or_typed(r, "accept_update")) break;
      require(before == verifier_stage::awaiting_updates && index == o.accepted_updates.size(),
              "updates are accepted after the plan, in order");
      check_accepted_update(o, bytes);
      if (v.stage() != verifier_stage::awaiting_updates) {
        require(o.accepted_updates.size() == o.accepted_plan->update_count, "the head comes with the last update");
        require(o.last_update->state_root == o.accepted_plan->state_root &&
                    o.last_update->height == o.accepted_plan->height,
                "the head is the plan's root and height");
      }
      break;
    }
    case 2: { // chunk
      const std::uint64_t index = (op & 0x80) != 0 ? in.u8() : o.chunks;
      byte_buffer bytes;
      if ((op & 0x10) != 0) {
        bytes = to_buffer(in.chunk16());
      } else {
        bytes = f.chunk(index, v.pages_per_chunk() == 0 ? 1 : v.pages_per_chunk());
      }
      if ((op & 0x20) != 0) flip(bytes, in);
      verified_chunk out;
      auto r = v.accept_chunk(index, bytes, out);
      if (!fuzz::ok_or_typed(r, "accept_chunk")) break;
      require(before == verifier_stage::awaiting_chunks, "chunks are accepted only once the head is verified");
      check_accepted_chunk(o, v, index, bytes, out);
      break;
    }
    }
    if (v.stage() == verifier_stage::complete) {
      require(o.accepted_plan.has_value(), "complete needs a plan");
      require(o.chunks == v.chunk_count(), "complete means every chunk was accepted");
      require(o.page_bytes == o.accepted_plan->total_bytes && o.records == o.accepted_plan->record_count,
              "complete means the plan's totals");
      auto head = v.head();
      require(head.has_value() && head->state_root == o.accepted_plan->state_root, "the head names the plan's root");
    } else {
      require(!v.head().has_value(), "no head before complete");
    }
    require(v.progress().next_chunk_index == o.chunks, "the verifier's progress is the oracle's");
  }

  if (o.accepted_plan) {
    auto restored = light_client_verifier::restore(o.trust, o.plan_bytes, o.chunk_size, o.accepted_updates,
                                                   v.progress());
    require(restored.has_value(), "restore from accepted artefacts succeeds");
    require(restored->stage() == v.stage() && restored->progress() == v.progress() &&
                restored->next_update_index() == v.next_update_index(),
            "restore reaches the same state");
  }
}

void write_seeds(fuzz::seed_writer& w) {
  // A full session with the real artefacts: plan, both updates, every chunk.
  for (std::uint8_t per_chunk : {0, 1, 3}) {
    byte_buffer b{0};
    b.push_back(0);          // plan, real, chunk size (per_chunk + 1) pages
    b.push_back(per_chunk);
    b.push_back(1 | (1 << 2)); // update 0, real
    b.push_back(0);
    b.push_back(1 | (1 << 2)); // update 1, real
    b.push_back(1);
    for (int i = 0; i < 8; ++i) b.push_back(2); // chunks in order
    w.write("full-session-" + std::to_string(per_chunk), b);
  }
  // Threshold 2, harness-built updates signed by one authority, then both.
  byte_buffer t{1, 0, 0, 1 | (2 << 2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 1 | (2 << 2), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0x05};
  w.write("threshold-2-built-updates", t);
  // A stranger's signature and a repeated signer.
  byte_buffer s{0, 0, 0, 1 | (3 << 2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 1 | (3 << 2), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0x09};
  w.write("stranger-and-repeat", s);
  // Raw plan bytes from the input.
  byte_buffer raw{0, 0x10};
  fuzz::put_chunk16(raw, fixture().plan_bytes);
  raw.push_back(0);
  w.write("raw-plan", raw);
  byte_buffer up{0, 0, 0, 1};
  fuzz::put_chunk16(up, fixture().update_bytes[0]);
  w.write("raw-update", up);
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::fuzz_input in(data, size);
  run(in);
  return 0;
}
