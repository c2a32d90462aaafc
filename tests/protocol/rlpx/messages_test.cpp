#define BOOST_TEST_MODULE rlpx_messages
#include <boost/test/unit_test.hpp>

#include "protocol/rlpx/eth_messages.hpp"
#include "protocol/rlpx/message_codec.hpp"
#include "protocol/rlpx/p2p_messages.hpp"
#include "protocol/rlpx/snap_messages.hpp"
#include "protocol/rlpx/rlp.hpp"
#include "test_util.hpp"

#include <string>

using namespace snapstream;
using namespace snapstream::rlpx;
using snapstream::rlpx::test::unhex;
using snapstream::rlpx::test::unhex_array;

namespace {
hash256 filled(std::uint8_t b) {
  hash256 h;
  h.fill(b);
  return h;
}
const hash256 mainnet_genesis =
  unhex_array<32>("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");
} // namespace

// EIP-8 "devp2p Base Protocol" test vector: a Hello with a higher version and
// additional list elements, which an EIP-8 decoder must accept.
BOOST_AUTO_TEST_CASE(hello_decodes_the_eip8_forward_compatibility_vector) {
  const auto payload = unhex(R"(
f87137916b6e6574682f76302e39312f706c616e39cdc5836574683dc6846d6f726b1682270fb840
fda1cff674c90c9a197539fe3dfb53086ace64f83ed7c6eabec741f7f381cc803e52ab2cd55d5569
bce4347107a310dfd5f88a010cd2ffd1005ca406f1842877c883666f6f836261720304)");
  auto h = p2p::decode_hello(payload);
  BOOST_REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message()));
  BOOST_TEST(h->protocol_version == 55u);
  BOOST_TEST(h->client_id == "kneth/v0.91/plan9");
  BOOST_REQUIRE_EQUAL(h->capabilities.size(), 2u);
  BOOST_TEST((h->capabilities[0] == capability{"eth", 61}));
  BOOST_TEST((h->capabilities[1] == capability{"mork", 22}));
  BOOST_TEST(h->listen_port == 9999u);
  BOOST_TEST(to_hex(h->node_id) ==
             "fda1cff674c90c9a197539fe3dfb53086ace64f83ed7c6eabec741f7f381cc803e52ab2cd55d5569bce4347107a310dfd5f88a01"
             "0cd2ffd1005ca406f1842877");
}

BOOST_AUTO_TEST_CASE(ethereumjs_messages_as_captured_decode) {
  // @ethereumjs/devp2p's Hello, eth/68 Status and snap GetAccountRange as it
  // sent them to its peer (interop/devp2p/capture.mjs; the frame-data seeds are
  // the message code, then the Snappy-compressed payload).
  using snapstream::rlpx::test::captured_seed;
  const auto h = p2p::decode_hello(captured_seed("fuzz_rlpx_messages", "capture-ethereumjs-hello"));
  BOOST_REQUIRE_MESSAGE(h.has_value(), h.error().message());
  BOOST_TEST(h->client_id == "ethereumjs-devp2p/interop");
  BOOST_TEST(h->protocol_version == 5u);

  auto payload_of = [](std::string_view name, std::uint64_t code) {
    const byte_buffer frame = captured_seed("fuzz_rlpx_messages", name);
    auto msg = split_frame_data(frame);
    BOOST_REQUIRE_MESSAGE(msg.has_value(), msg.error().message());
    BOOST_TEST(msg->code == code);
    byte_buffer plain;
    auto d = snappy_decompress(msg->payload, 1 << 20, plain);
    BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
    return plain;
  };
  const auto st = eth::decode_status(payload_of("capture-ethereumjs-0x10", 0x10), 68);
  BOOST_REQUIRE_MESSAGE(st.has_value(), st.error().message());
  BOOST_TEST(st->network_id == 1u);
  BOOST_TEST((st->genesis_hash == mainnet_genesis));
  const auto req = snap::decode_get_account_range(payload_of("capture-ethereumjs-0x21", 0x21));
  BOOST_REQUIRE_MESSAGE(req.has_value(), req.error().message());
  BOOST_TEST(req->request_id == 7u);
  BOOST_TEST(req->response_bytes == 512u * 1024u);
}

BOOST_AUTO_TEST_CASE(hello_round_trips_and_accepts_an_empty_listen_port) {
  p2p::hello h;
  h.client_id = "snapstream/0.1.0";
  h.capabilities = {{"eth", 68}, {"snap", 1}};
  h.listen_port = 30303;
  h.node_id = unhex_array<64>(std::string(128, 'a'));
  const auto bytes = p2p::encode(h);
  auto back = p2p::decode_hello(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == h));

  // ethereumjs sends an empty string as the port when it does not listen.
  h.listen_port = 0;
  auto zero = p2p::decode_hello(p2p::encode(h));
  BOOST_REQUIRE(zero.has_value());
  BOOST_TEST(zero->listen_port == 0u);

  // A short node id names the field.
  const auto bad = unhex("cf" "05" "80" "c0" "80" "8a" "00112233445566778899");
  auto err = p2p::decode_hello(bad);
  BOOST_REQUIRE(!err.has_value());
  BOOST_TEST(err.error().message() == "Hello.nodeKey: expected 64 bytes, found 10");
}

BOOST_AUTO_TEST_CASE(disconnect_accepts_every_form_clients_send) {
  BOOST_TEST(to_hex(p2p::encode_disconnect(p2p::disconnect_reason::breach_of_protocol)) == "c102");
  BOOST_TEST(to_hex(p2p::encode_disconnect(p2p::disconnect_reason::requested)) == "c180");
  struct form { const char* hex; p2p::disconnect_reason reason; };
  const form forms[] = {
    {"c102", p2p::disconnect_reason::breach_of_protocol}, // [reason], the spec
    {"c0", p2p::disconnect_reason::requested},            // [] (reason optional)
    {"10", p2p::disconnect_reason::subprotocol_error},    // bare integer (ethereumjs sends this)
    {"80", p2p::disconnect_reason::requested},            // bare zero
    {"c10b", p2p::disconnect_reason::ping_timeout},
  };
  for (const auto& f : forms) {
    auto r = p2p::decode_disconnect(unhex(f.hex));
    BOOST_REQUIRE_MESSAGE(r.has_value(), f.hex);
    BOOST_TEST((*r == f.reason), f.hex);
  }
  BOOST_TEST(p2p::to_string(p2p::disconnect_reason::useless_peer) == "useless_peer");
  BOOST_TEST(p2p::to_string(static_cast<p2p::disconnect_reason>(0x33)) == "unknown");
  BOOST_TEST(!p2p::decode_disconnect(unhex("c3820100")).has_value()); // reason 256
}

BOOST_AUTO_TEST_CASE(ping_and_pong_are_empty_lists) {
  BOOST_TEST(to_hex(p2p::encode_ping()) == "c0");
  BOOST_TEST(to_hex(p2p::encode_pong()) == "c0");
  BOOST_TEST(p2p::decode_ping_or_pong(unhex("c0")).has_value());
  BOOST_TEST(!p2p::decode_ping_or_pong(unhex("80")).has_value());
}

// Expected bytes worked out by hand from caps/eth.md's Status layout: version 68,
// network 1, td 2^34 (the mainnet genesis difficulty), best = genesis = mainnet's,
// fork id {c376cf8b, 0} (ethereumjs 10's mainnet Common at prague).
BOOST_AUTO_TEST_CASE(eth68_status_encodes_and_decodes_exactly) {
  eth::status s;
  s.version = 68;
  s.network_id = 1;
  s.total_difficulty[27] = 0x04; // 0x0400000000
  s.best_hash = mainnet_genesis;
  s.genesis_hash = mainnet_genesis;
  s.fork = {{0xc3, 0x76, 0xcf, 0x8b}, 0};
  const auto bytes = eth::encode(s);
  BOOST_TEST(to_hex(bytes) ==
             "f8514401850400000000a0d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3a0d4e56740f876aef8c"
             "010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3c684c376cf8b80");
  auto back = eth::decode_status(bytes, 68);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == s));
}

// Expected bytes from EIP-7642's layout, worked out with an independent RLP
// encoder: version 69, network 1, mainnet genesis, fork id {5167e2a6 (Osaka),
// 1765290071 (BPO1)}, blocks 0 to 22000000, latest hash 0x22...
BOOST_AUTO_TEST_CASE(eth69_status_has_no_td_and_ends_with_the_block_range) {
  eth::status s;
  s.version = 69;
  s.network_id = 1;
  s.genesis_hash = mainnet_genesis;
  s.fork = {{0x51, 0x67, 0xe2, 0xa6}, 1765290071};
  s.range = {0, 22000000, filled(0x22)};
  const auto bytes = eth::encode(s);
  BOOST_TEST(to_hex(bytes) ==
             "f8554501a0d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3ca845167e2a684693830578084014fb1"
             "80a02222222222222222222222222222222222222222222222222222222222222222");
  auto back = eth::decode_status(bytes, 69);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == s));
  // An eth/68 Status where eth/69 was negotiated (and the reverse) is malformed, field named.
  eth::status old = s;
  old.version = 68;
  auto wrong = eth::decode_status(eth::encode(old), 69);
  BOOST_REQUIRE(!wrong.has_value());
  BOOST_TEST(wrong.error().message().starts_with("Status.genesis"), wrong.error().message());
  BOOST_TEST(!eth::decode_status(bytes, 68).has_value());
}

BOOST_AUTO_TEST_CASE(block_range_update_round_trips_and_is_validated) {
  const eth::block_range r{1, 22000000, filled(0x22)};
  const auto bytes = eth::encode(r);
  BOOST_TEST(to_hex(bytes) == "e70184014fb180a02222222222222222222222222222222222222222222222222222222222222222");
  auto back = eth::decode_block_range_update(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == r));
  BOOST_TEST(eth::validate_block_range(r, "BlockRangeUpdate").has_value());
  auto v = eth::validate_block_range({9, 8, filled(0x22)}, "BlockRangeUpdate");
  BOOST_REQUIRE(!v.has_value());
  BOOST_TEST(v.error().message() == "BlockRangeUpdate: earliestBlock 9 is above latestBlock 8");
  v = eth::validate_block_range({0, 8, hash256{}}, "BlockRangeUpdate");
  BOOST_REQUIRE(!v.has_value());
  BOOST_TEST(v.error().message() == "BlockRangeUpdate: latestBlockHash is zero");
  auto cut = eth::decode_block_range_update(unhex("c30184"));
  BOOST_REQUIRE(!cut.has_value());
  auto extra = eth::decode_block_range_update(unhex("e80184014fb180a0" + std::string(64, '2') + "01"));
  BOOST_REQUIRE(!extra.has_value());
}

// The Status checks name the field that differs; the fork id goes through
// EIP-2124 (protocol/rlpx/fork_id.hpp), its error naming the rule.
BOOST_AUTO_TEST_CASE(eth_status_validation_names_the_mismatch) {
  const auto& mainnet = *eth::find_builtin_chain("mainnet");
  auto forks = eth::fork_filter::create(mainnet);
  BOOST_REQUIRE(forks.has_value());
  const eth::chain_head prague{22'000'000, 1'750'000'000};
  eth::status ours;
  ours.genesis_hash = mainnet_genesis;
  ours.fork = forks->id(prague);
  BOOST_TEST(to_hex(ours.fork.hash) == "c376cf8b");
  BOOST_TEST(eth::validate_status(ours, ours, *forks, prague).has_value());
  auto other = ours;
  other.network_id = 5;
  BOOST_TEST(eth::validate_status(ours, other, *forks, prague).error().message() ==
             "eth Status: network id 5 differs from ours (1)");
  other = ours;
  other.genesis_hash = filled(0x11);
  BOOST_TEST(eth::validate_status(ours, other, *forks, prague).error().is(rlpx_errc::status_mismatch));
  other = ours;
  other.version = 67;
  BOOST_TEST(eth::validate_status(ours, other, *forks, prague).error().message() ==
             "eth Status: version 67 differs from the negotiated 68");
  // A peer at Cancun that announces Prague is syncing (rule 2): kept.
  other = ours;
  other.fork = {{0x9f, 0x3d, 0x22, 0x54}, 1746612311};
  BOOST_TEST(eth::validate_status(ours, other, *forks, prague).has_value());
  // One at Cancun that knows no Prague is stale.
  other.fork.next = 0;
  auto stale = eth::validate_status(ours, other, *forks, prague);
  BOOST_REQUIRE(!stale.has_value());
  BOOST_TEST(stale.error().is(rlpx_errc::fork_remote_stale));
  BOOST_TEST(stale.error().message().starts_with("eth Status: fork id 9f3d2254/0 rejected: EIP-2124 rule 2:"),
             stale.error().message());
  // eth/69: the block range is checked too.
  ours.version = 69;
  ours.range = {0, 0, mainnet_genesis};
  other = ours;
  other.range = {5, 4, filled(0x22)};
  BOOST_TEST(eth::validate_status(ours, other, *forks, prague).error().message() ==
             "eth Status: earliestBlock 5 is above latestBlock 4");
}

BOOST_AUTO_TEST_CASE(get_account_range_encodes_exactly) {
  snap::get_account_range m{1, filled(0x00), filled(0x00), filled(0xff), 0x80000};
  const auto bytes = snap::encode(m);
  BOOST_TEST(to_hex(bytes) ==
             "f86801a00000000000000000000000000000000000000000000000000000000000000000a000000000000000000000000000000000"
             "00000000000000000000000000000000a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff830800"
             "00");
  auto back = snap::decode_get_account_range(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->request_id == 1u);
  BOOST_TEST((back->limit_hash == filled(0xff)));
  BOOST_TEST(back->response_bytes == 0x80000u);
}

BOOST_AUTO_TEST_CASE(account_range_encodes_exactly_and_borrows_its_payload) {
  const auto body0 = unhex("f84c80");
  const auto body1 = unhex("0102");
  const auto p0 = unhex("aabb");
  const auto p1 = unhex("cc");
  snap::account_range m{7, {{filled(0x11), body0}, {filled(0x22), body1}}, {p0, p1}};
  const auto bytes = snap::encode(m);
  BOOST_TEST(to_hex(bytes) ==
             "f85407f84be5a0111111111111111111111111111111111111111111111111111111111111111183f84c80e4a0222222222222222"
             "2222222222222222222222222222222222222222222222222820102c582aabb81cc");
  auto back = snap::decode_account_range(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->request_id == 7u);
  BOOST_REQUIRE_EQUAL(back->accounts.size(), 2u);
  BOOST_TEST(to_hex(back->accounts[0].body) == "f84c80");
  BOOST_TEST((back->accounts[1].hash == filled(0x22)));
  BOOST_REQUIRE_EQUAL(back->proof.size(), 2u);
  BOOST_TEST(to_hex(back->proof[1]) == "cc");
  // Views point into the encoded payload, not copies.
  BOOST_TEST((back->accounts[0].body.data() >= bytes.data() &&
              back->accounts[0].body.data() < bytes.data() + bytes.size()));
}

BOOST_AUTO_TEST_CASE(every_snap1_message_round_trips) {
  const auto code_a = unhex("6080604052");
  const auto code_b = unhex("00");
  const auto path_a = unhex("01");
  const auto path_b = unhex("0203");
  const auto slot = unhex("8203e8");
  const auto from = unhex("00");

  snap::get_storage_ranges gsr{2, filled(1), {filled(2), filled(3)}, from, {}, 1000};
  // Decoded messages borrow the encoded payload: keep it alive.
  const auto gsr_bytes = snap::encode(gsr);
  auto gsr2 = snap::decode_get_storage_ranges(gsr_bytes);
  BOOST_REQUIRE(gsr2.has_value());
  BOOST_TEST(gsr2->account_hashes.size() == 2u);
  BOOST_TEST((gsr2->account_hashes[1] == filled(3)));
  BOOST_TEST(to_hex(gsr2->starting_hash) == "00");
  BOOST_TEST(gsr2->limit_hash.empty());
  BOOST_TEST(gsr2->response_bytes == 1000u);

  snap::storage_ranges sr{3, {{{filled(4), slot}, {filled(5), slot}}, {}}, {code_a}};
  const auto sr_bytes = snap::encode(sr);
  auto sr2 = snap::decode_storage_ranges(sr_bytes);
  BOOST_REQUIRE(sr2.has_value());
  BOOST_REQUIRE_EQUAL(sr2->slots.size(), 2u);
  BOOST_TEST(sr2->slots[0].size() == 2u);
  BOOST_TEST(sr2->slots[1].empty());
  BOOST_TEST(to_hex(sr2->slots[0][1].data) == "8203e8");
  BOOST_TEST(sr2->proof.size() == 1u);

  snap::get_byte_codes gbc{4, {filled(6)}, 50000};
  const auto gbc_bytes = snap::encode(gbc);
  auto gbc2 = snap::decode_get_byte_codes(gbc_bytes);
  BOOST_REQUIRE(gbc2.has_value());
  BOOST_TEST((gbc2->hashes == std::vector<hash256>{filled(6)}));
  BOOST_TEST(gbc2->response_bytes == 50000u);

  snap::byte_codes bc{5, {code_a, code_b}};
  const auto bc_bytes = snap::encode(bc);
  auto bc2 = snap::decode_byte_codes(bc_bytes);
  BOOST_REQUIRE(bc2.has_value());
  BOOST_TEST(to_hex(bc2->codes[0]) == "6080604052");
  BOOST_TEST(to_hex(bc2->codes[1]) == "00");

  snap::get_trie_nodes gtn{6, filled(7), {{path_a}, {path_a, path_b}}, 2048};
  const auto gtn_bytes = snap::encode(gtn);
  auto gtn2 = snap::decode_get_trie_nodes(gtn_bytes);
  BOOST_REQUIRE(gtn2.has_value());
  BOOST_REQUIRE_EQUAL(gtn2->paths.size(), 2u);
  BOOST_TEST(gtn2->paths[1].size() == 2u);
  BOOST_TEST(to_hex(gtn2->paths[1][1]) == "0203");

  snap::trie_nodes tn{8, {code_a}};
  const auto tn_bytes = snap::encode(tn);
  auto tn2 = snap::decode_trie_nodes(tn_bytes);
  BOOST_REQUIRE(tn2.has_value());
  BOOST_TEST(tn2->request_id == 8u);
  BOOST_TEST(tn2->nodes.size() == 1u);
}

BOOST_AUTO_TEST_CASE(snap_decoding_names_the_failing_field_and_index) {
  // AccountRange whose second account hash has 31 bytes.
  const auto short_hash = unhex("0a0b");
  snap::account_range m{9, {{filled(1), short_hash}}, {}};
  auto bytes = snap::encode(m);
  // Splice: re-encode by hand with a 31-byte hash at index 1.
  byte_buffer bad;
  {
    rlp_writer w(bad);
    w.begin_list();
    w.uint(9);
    w.begin_list();
    w.begin_list(); w.bytes(filled(1)); w.bytes(short_hash); w.end_list();
    w.begin_list(); w.bytes(bytes_view(filled(2)).first(31)); w.bytes(short_hash); w.end_list();
    w.end_list();
    w.begin_list(); w.end_list();
    w.end_list();
  }
  auto r = snap::decode_account_range(bad);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().message() == "AccountRange.accounts[1].accHash: expected 32 bytes, found 31");
  // A missing field.
  const auto missing = unhex("c101");
  BOOST_TEST(snap::decode_get_account_range(missing).error().message() ==
             "GetAccountRange.rootHash: missing (the list has no more items)");
  // An extra field.
  byte_buffer extra;
  {
    rlp_writer w(extra);
    w.begin_list();
    w.uint(1);
    w.begin_list(); w.end_list();
    w.uint(5);
    w.end_list();
  }
  BOOST_TEST(snap::decode_byte_codes(extra).error().is(rlpx_errc::rlp_trailing_bytes));
}

BOOST_AUTO_TEST_CASE(empty_responses_are_what_the_snap_spec_prescribes) {
  // AccountRange [id, [], []], StorageRanges [id, [], []], ByteCodes [id, []], TrieNodes [id, []]
  BOOST_TEST(to_hex(*snap::empty_response(snap::get_account_range_code, 5)) == "c305c0c0");
  BOOST_TEST(to_hex(*snap::empty_response(snap::get_storage_ranges_code, 5)) == "c305c0c0");
  BOOST_TEST(to_hex(*snap::empty_response(snap::get_byte_codes_code, 5)) == "c205c0");
  BOOST_TEST(to_hex(*snap::empty_response(snap::get_trie_nodes_code, 0x1234)) == "c4821234c0");
  BOOST_TEST(*snap::response_code(snap::get_account_range_code) == snap::account_range_code);
  BOOST_TEST(!snap::response_code(snap::account_range_code).has_value());
  BOOST_TEST(snap::empty_response(snap::byte_codes_code, 1).error().message() == "ByteCodes is not a snap request");
  BOOST_TEST(*snap::peek_request_id(unhex("c4821234c0")) == 0x1234u);
}
