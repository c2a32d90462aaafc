// `snapstream selfcheck`: the codec and the light-client verifier, end to end
// in memory, with no network and no database.

#include "app/commands.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/messages/encoder.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/chunk.hpp"
#include "protocol/snapshot/light_client_verifier.hpp"
#include "protocol/snapshot/merkle.hpp"
#include "protocol/snapshot/page_builder.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

namespace snapstream::app {

namespace {

using namespace snapstream::snapshot;
using messages::byte_encoding;

constexpr std::array<option_spec, 2> selfcheck_options{{
  {"records", "N", "records in the generated state, 1 to 1000000 (default 5000)"},
  {"seed", "N", "seed of the generated records (default 1)"},
}};

const command_spec selfcheck_spec{
  "selfcheck",
  "check the codec and the verifier in memory",
  "Generates a state in memory, cuts it into pages, builds its plan and a\n"
  "chain of two light-client updates signed 2-of-3, then encodes and decodes\n"
  "every /rpp/snapshots message kind in both encodings (1.0.0 arrays, 1.1.0\n"
  "base64), verifies the plan, the updates and every chunk with the\n"
  "light-client verifier from the decoded messages, compares the reassembled\n"
  "records with the originals, and checks that a tampered chunk, a tampered\n"
  "signature and a missing signature are refused. Prints the figures; exit 0\n"
  "when everything holds.\n",
  selfcheck_options,
  {},
};

constexpr std::uint32_t page_size = 4096;
constexpr std::uint64_t pages_per_chunk_value = 4;
constexpr std::uint64_t chunk_size = page_size * pages_per_chunk_value;

struct record {
  byte_buffer key;
  byte_buffer value;
};

error fail(const std::string& what) { return error{app_errc::failed, what}; }

shared_bytes share(byte_buffer b) { return std::make_shared<const byte_buffer>(std::move(b)); }

std::vector<record> make_records(std::uint64_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<record> out;
  out.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    record r;
    const std::size_t extra = 8 + rng() % 33;
    r.key.resize(8 + extra);
    for (int b = 0; b < 8; ++b) r.key[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(i >> (56 - 8 * b));
    for (std::size_t b = 8; b < r.key.size(); ++b) r.key[b] = static_cast<std::uint8_t>(rng());
    r.value.resize(rng() % 2049);
    for (auto& b : r.value) b = static_cast<std::uint8_t>(rng());
    out.push_back(std::move(r));
  }
  return out;
}

/// Encodes `m` in `enc`, decodes it, and checks the result equals `m`.
template <class Message>
result<Message> round_trip(const Message& m, byte_encoding enc, std::uint64_t& count) {
  byte_buffer wire;
  messages::encode(m, enc, wire);
  messages::decode_options limits;
  result<Message> back = error{};
  if constexpr (std::is_same_v<Message, messages::snapshots_request>) {
    limits.max_size = messages::max_request_size;
    back = messages::decode_request(wire, limits);
  } else {
    limits.max_size = messages::max_response_size(enc);
    back = messages::decode_response(wire, limits);
  }
  const std::string name(messages::type_name(m));
  const std::string enc_name = enc == byte_encoding::array ? "1.0.0" : "1.1.0";
  if (!back) return fail(name + " (" + enc_name + ") does not decode: " + back.error().message());
  if (!(*back == m)) return fail(name + " (" + enc_name + ") decodes to a different message");
  ++count;
  return back;
}

struct figures {
  std::uint64_t records = 0;
  std::uint64_t pages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t chunks = 0;
  std::uint64_t messages = 0;
  std::uint64_t wire_bytes = 0;
  hash256 root{};
};

result<figures> run_checks(std::uint64_t record_count, std::uint64_t seed) {
  figures fig;
  const auto records = make_records(record_count, seed);

  // Pages, their hashes and the state root.
  std::vector<byte_buffer> pages;
  std::vector<hash256> hashes;
  auto builder = page_builder::create(page_size, [&](const closed_page& p) -> result<void> {
    pages.emplace_back(p.bytes.begin(), p.bytes.end());
    hashes.push_back(p.hash);
    return {};
  });
  if (!builder) return fail("page builder: " + builder.error().message());
  for (const auto& r : records)
    if (auto ok = builder->push(r.key, r.value); !ok) return fail("page builder: " + ok.error().message());
  if (auto ok = builder->finish(); !ok) return fail("page builder: " + ok.error().message());
  fig.records = builder->record_count();
  fig.pages = builder->page_count();
  fig.bytes = builder->total_bytes();
  fig.root = merkle_root(hashes);

  // Three authorities, two of which sign each update of a two-update chain.
  std::vector<authority_key> keys;
  for (int i = 0; i < 3; ++i) {
    auto k = authority_key::generate();
    if (!k) return fail("authority key: " + k.error().message());
    keys.push_back(std::move(*k));
  }
  light_client_update u0;
  u0.height = 1;
  u0.block_hash = sha256(as_bytes("selfcheck block 1"));
  u0.state_root = sha256(as_bytes("selfcheck earlier state"));
  u0.previous_commitment = genesis_commitment;
  keys[0].sign_update(u0);
  keys[1].sign_update(u0);
  light_client_update u1;
  u1.height = 2;
  u1.block_hash = sha256(as_bytes("selfcheck block 2"));
  u1.state_root = fig.root;
  u1.previous_commitment = commitment(u0);
  keys[1].sign_update(u1);
  keys[2].sign_update(u1);
  const std::array<byte_buffer, 2> updates{encode_update(u0), encode_update(u1)};

  plan p;
  p.height = 2;
  p.page_size = page_size;
  p.record_count = fig.records;
  p.total_bytes = fig.bytes;
  p.update_count = 2;
  p.state_root = fig.root;
  p.page_hashes = hashes;
  const byte_buffer plan_bytes = encode_plan(p);

  fig.chunks = chunk_count(pages.size(), pages_per_chunk_value);
  auto chunk_bytes = [&](std::uint64_t index) {
    const auto range = chunk_pages(index, pages_per_chunk_value, pages.size());
    std::vector<bytes_view> views(pages.begin() + static_cast<std::ptrdiff_t>(range.first),
                                  pages.begin() + static_cast<std::ptrdiff_t>(range.end));
    return encode_chunk(views);
  };

  // Every message kind in both encodings.
  const std::string id = plan_id(fig.root);
  for (const auto enc : {byte_encoding::array, byte_encoding::base64}) {
    using namespace messages;
    const std::array<snapshots_request, 6> requests{{
      {7, plan_request{chunk_size, page_size, 1u << 20}},
      {7, chunk_request{3}},
      {7, update_request{1}},
      {7, resume_request{id, 2, 1, chunk_size, std::nullopt, std::nullopt}},
      {7, ack_message{ack_kind::light_client_update, 1}},
      {7, error_message{"selfcheck cancels \"session\" 7 \xe2\x9c\x93"}},
    }};
    for (const auto& r : requests)
      if (auto ok = round_trip(r, enc, fig.messages); !ok) return ok.error();
    const std::array<snapshots_response, 6> responses{{
      {7, plan_response{share(plan_bytes), chunk_size, page_size, 8u << 20, 1}},
      {7, chunk_response{0, share(chunk_bytes(0))}},
      {7, update_response{1, share(updates[1])}},
      {7, resume_response{2, 1, chunk_size, page_size, 8u << 20, 1}},
      {7, ack_message{ack_kind::chunk, 0}},
      {7, error_message{"snapshot not found"}},
    }};
    for (const auto& r : responses)
      if (auto ok = round_trip(r, enc, fig.messages); !ok) return ok.error();
  }

  // The consumer's path: plan, updates and every chunk from decoded responses,
  // alternating the encoding.
  trust_config trust;
  for (const auto& k : keys) trust.authorities.push_back(k.public_key());
  trust.threshold = 2;
  auto verifier = light_client_verifier::create(trust);
  if (!verifier) return fail("verifier: " + verifier.error().message());
  auto received = [&](messages::snapshots_response r, byte_encoding enc) -> result<messages::snapshots_response> {
    byte_buffer wire;
    messages::encode(r, enc, wire);
    fig.wire_bytes += wire.size();
    messages::decode_options limits;
    limits.max_size = messages::max_response_size(enc);
    auto back = messages::decode_response(wire, limits);
    if (!back) return fail(std::string(messages::type_name(r)) + " response does not decode: " + back.error().message());
    return back;
  };
  {
    auto r = received({1, messages::plan_response{share(plan_bytes), chunk_size, {}, {}, {}}}, byte_encoding::base64);
    if (!r) return r.error();
    const auto& body = std::get<messages::plan_response>(r->body);
    if (auto ok = verifier->accept_plan(*body.plan, chunk_size); !ok) return fail(ok.error().message());
  }
  for (std::uint64_t i = 0; i < updates.size(); ++i) {
    auto r = received({1, messages::update_response{i, share(updates[i])}},
                      i % 2 == 0 ? byte_encoding::array : byte_encoding::base64);
    if (!r) return r.error();
    const auto& body = std::get<messages::update_response>(r->body);
    if (auto ok = verifier->accept_update(i, *body.update); !ok) return fail(ok.error().message());
  }
  std::size_t next_record = 0;
  verified_chunk out;
  for (std::uint64_t i = 0; i < fig.chunks; ++i) {
    auto r = received({1, messages::chunk_response{i, share(chunk_bytes(i))}},
                      i % 2 == 0 ? byte_encoding::base64 : byte_encoding::array);
    if (!r) return r.error();
    const auto& body = std::get<messages::chunk_response>(r->body);
    if (auto ok = verifier->accept_chunk(i, *body.chunk, out); !ok) return fail(ok.error().message());
    for (const auto& rec : out.records) {
      if (next_record >= records.size()) return fail("chunk " + std::to_string(i) + " holds more records than the state");
      const auto& want = records[next_record];
      if (!std::ranges::equal(rec.key, want.key) || !std::ranges::equal(rec.value, want.value)) {
        return fail("chunk " + std::to_string(i) + ": record " + std::to_string(next_record) +
                    " differs from the original");
      }
      ++next_record;
    }
  }
  if (next_record != records.size()) {
    return fail("the chunks hold " + std::to_string(next_record) + " records, the state " +
                std::to_string(records.size()));
  }
  const auto head = verifier->head();
  if (verifier->stage() != verifier_stage::complete || !head) return fail("the verifier did not complete");
  if (head->state_root != fig.root || head->height != 2 || head->block_hash != u1.block_hash) {
    return fail("the verified head is not the plan's");
  }

  // Tampering must be refused.
  {
    byte_buffer bad = chunk_bytes(0);
    bad[bad.size() / 2] ^= 0x01;
    auto v = verify_chunk(p, 0, pages_per_chunk_value, bad);
    if (v || !v.error().is(verify_errc::page_hash_mismatch)) return fail("a tampered chunk was not refused");
  }
  {
    auto fresh = light_client_verifier::create(trust);
    if (!fresh || !fresh->accept_plan(plan_bytes, chunk_size)) return fail("verifier: the plan was refused");
    light_client_update forged = u0;
    forged.signatures[1].signature[5] ^= 0x01;
    auto v = fresh->accept_update(0, encode_update(forged));
    if (v || !v.error().is(verify_errc::bad_signature)) return fail("a tampered signature was not refused");
    light_client_update short_of_one = u0;
    short_of_one.signatures.pop_back();
    v = fresh->accept_update(0, encode_update(short_of_one));
    if (v || !v.error().is(verify_errc::below_threshold)) return fail("an update below the threshold was not refused");
  }
  return fig;
}

result<int> run_selfcheck(const parsed_arguments& args) {
  std::uint64_t count = 5000;
  std::uint64_t seed = 1;
  if (auto v = args.value("records")) {
    auto n = parse_uint(*v, "--records", 1, 1'000'000);
    if (!n) return n.error();
    count = *n;
  }
  if (auto v = args.value("seed")) {
    auto n = parse_uint(*v, "--seed");
    if (!n) return n.error();
    seed = *n;
  }
  const auto start = std::chrono::steady_clock::now();
  auto fig = run_checks(count, seed);
  if (!fig) return fig.error();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds);
  std::cout << "state: records=" << fig->records << " pages=" << fig->pages << " bytes=" << fig->bytes
            << " page_size=" << page_size << " root=" << to_hex(fig->root) << '\n'
            << "codec: " << fig->messages << " messages (6 request and 6 response kinds x 2 encodings) round-tripped\n"
            << "verifier: plan, 2 updates signed 2-of-3, " << fig->chunks << " chunks of " << chunk_size
            << " bytes from " << fig->wire_bytes << " wire bytes; every record matches\n"
            << "tampering refused: chunk page hash, update signature, update below threshold\n"
            << "selfcheck ok seconds=" << elapsed << '\n';
  return 0;
}

const command selfcheck_cmd{&selfcheck_spec, &run_selfcheck};

} // namespace

const command& selfcheck_command() { return selfcheck_cmd; }

} // namespace snapstream::app
