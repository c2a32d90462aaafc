#define BOOST_TEST_MODULE rlpx_fork_id
#include <boost/test/unit_test.hpp>

// EIP-2124 fork ids against the published vectors: the EIP's own (mainnet,
// Ropsten, Rinkeby, Goerli, its validation table and RLP encodings),
// go-ethereum's core/forkid tests for the timestamp forks of mainnet and
// Sepolia (with the block-to-timestamp transition), and core-geth's for
// Ethereum Classic and Mordor.

#include "protocol/common/hex.hpp"
#include "protocol/rlpx/eth_messages.hpp"
#include "protocol/rlpx/fork_id.hpp"
#include "protocol/rlpx/rlp.hpp"
#include "test_util.hpp"

#include <limits>
#include <string>
#include <vector>

using namespace snapstream;
using namespace snapstream::rlpx;
using namespace snapstream::rlpx::eth;
using snapstream::rlpx::test::unhex;
using snapstream::rlpx::test::unhex_array;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();

fork_hash fh(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

chain_config blocks_chain(std::string name, std::string_view genesis, std::vector<std::uint64_t> blocks) {
  chain_config c{std::move(name), 1, unhex_array<32>(genesis), 0, {}};
  for (auto b : blocks) {
    std::string name = "fork at ";
    name.append(std::to_string(b)); // appended: g++ 12 reports a false -Wrestrict on "..." + std::string
    c.forks.push_back({std::move(name), activation::block, b});
  }
  return c;
}

fork_filter filter_of(const chain_config& c) {
  auto f = fork_filter::create(c);
  BOOST_REQUIRE_MESSAGE(f.has_value(), (f ? "" : f.error().message()));
  return *f;
}

const chain_config& builtin(std::string_view name) {
  const auto* c = find_builtin_chain(name);
  BOOST_REQUIRE_MESSAGE(c != nullptr, "no built-in chain " << name);
  return *c;
}

struct creation {
  std::uint64_t block, time;
  std::uint32_t hash;
  std::uint64_t next;
};

void check_creation(const fork_filter& f, const std::vector<creation>& rows) {
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("head block " << r.block << " time " << r.time) {
      const auto id = f.id({r.block, r.time});
      BOOST_TEST(to_hex(id.hash) == to_hex(fh(r.hash)));
      BOOST_TEST(id.next == r.next);
    }
  }
}

enum class expect { accept, remote_stale, incompatible };

struct validation {
  std::uint64_t block, time;
  fork_id remote;
  expect outcome;
};

void check_validation(const fork_filter& f, const std::vector<validation>& rows) {
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("head " << r.block << "/" << r.time << " remote " << to_hex(r.remote.hash) << "/"
                               << r.remote.next) {
      auto v = f.check(r.remote, {r.block, r.time});
      switch (r.outcome) {
        case expect::accept: BOOST_TEST(v.has_value(), (v ? "" : v.error().message())); break;
        case expect::remote_stale:
          BOOST_REQUIRE(!v.has_value());
          BOOST_TEST(v.error().is(rlpx_errc::fork_remote_stale));
          break;
        case expect::incompatible:
          BOOST_REQUIRE(!v.has_value());
          BOOST_TEST(v.error().is(rlpx_errc::fork_incompatible));
          break;
      }
    }
  }
}

const char* const mainnet_genesis = "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3";

// Mainnet as the EIP knew it: up to Petersburg.
chain_config eip_mainnet() {
  return blocks_chain("eip-mainnet", mainnet_genesis,
                      {1150000, 1920000, 2463000, 2675000, 2675000, 4370000, 7280000, 7280000});
}

// The sum after `prefix`'s forks and one more at `extra`: a fork id of a chain
// that shares our history and then forks where we do not.
fork_hash extended(const chain_config& prefix, std::size_t forks, std::uint64_t extra, activation by) {
  chain_config c = prefix;
  c.forks.resize(forks);
  c.forks.push_back({"extra", by, extra});
  return filter_of(c).sums().back();
}

} // namespace

// ------------------------------------------------------------------ EIP-2124

BOOST_AUTO_TEST_CASE(eip2124_checksums_are_crc32_of_the_genesis_then_each_fork) {
  const auto f = filter_of(eip_mainnet());
  BOOST_REQUIRE_GE(f.sums().size(), 3u);
  BOOST_TEST(to_hex(f.sums()[0]) == "fc64ec04");
  BOOST_TEST(to_hex(f.sums()[1]) == "97c2c34c");
  BOOST_TEST(to_hex(f.sums()[2]) == "91d1f948");
  // Constantinople and Petersburg share a block, as do EIP-155 and EIP-158: counted once.
  BOOST_TEST(f.forks().size() == 6u);
}

BOOST_AUTO_TEST_CASE(eip2124_mainnet_ropsten_rinkeby_goerli_vectors) {
  check_creation(filter_of(eip_mainnet()),
                 {{0, 0, 0xfc64ec04, 1150000},       {1149999, 0, 0xfc64ec04, 1150000},
                  {1150000, 0, 0x97c2c34c, 1920000}, {1919999, 0, 0x97c2c34c, 1920000},
                  {1920000, 0, 0x91d1f948, 2463000}, {2462999, 0, 0x91d1f948, 2463000},
                  {2463000, 0, 0x7a64da13, 2675000}, {2674999, 0, 0x7a64da13, 2675000},
                  {2675000, 0, 0x3edd5b10, 4370000}, {4369999, 0, 0x3edd5b10, 4370000},
                  {4370000, 0, 0xa00bc324, 7280000}, {7279999, 0, 0xa00bc324, 7280000},
                  {7280000, 0, 0x668db0af, 0},       {7987396, 0, 0x668db0af, 0}});
  check_creation(
    filter_of(blocks_chain("ropsten", "41941023680923e0fe4d74a34bdac8141f2540e3ae90623718e47d66d1ca4a2d",
                           {0, 0, 10, 10, 1700000, 4230000, 4939394, 6485846})),
    {{0, 0, 0x30c7ddbc, 10},
     {9, 0, 0x30c7ddbc, 10},
     {10, 0, 0x63760190, 1700000},
     {1699999, 0, 0x63760190, 1700000},
     {1700000, 0, 0x3ea159c7, 4230000},
     {4229999, 0, 0x3ea159c7, 4230000},
     {4230000, 0, 0x97b544f3, 4939394},
     {4939393, 0, 0x97b544f3, 4939394},
     {4939394, 0, 0xd6e2149b, 6485846},
     {6485845, 0, 0xd6e2149b, 6485846},
     {6485846, 0, 0x4bc66396, 0},
     {7500000, 0, 0x4bc66396, 0}});
  check_creation(
    filter_of(blocks_chain("rinkeby", "6341fd3daf94b748c72ced5a5b26028f2474f5f00d824504e4fa37a75767e177",
                           {1, 2, 3, 3, 1035301, 3660663, 4321234, 5435345})),
    {{0, 0, 0x3b8e0691, 1},
     {1, 0, 0x60949295, 2},
     {2, 0, 0x8bde40dd, 3},
     {3, 0, 0xcb3a64bb, 1035301},
     {1035300, 0, 0xcb3a64bb, 1035301},
     {1035301, 0, 0x8d748b57, 3660663},
     {3660662, 0, 0x8d748b57, 3660663},
     {3660663, 0, 0xe49cab14, 4321234},
     {4321233, 0, 0xe49cab14, 4321234},
     {4321234, 0, 0xafec6b27, 5435345},
     {5435344, 0, 0xafec6b27, 5435345},
     {5435345, 0, 0xcbdb8838, 0},
     {6000000, 0, 0xcbdb8838, 0}});
  check_creation(filter_of(blocks_chain("goerli",
                                        "bf7e331f7f7c1dd2e05159666b3bf8bc7a8a3a9eb1d518969eab529dd9b88c1a",
                                        {0, 0, 0, 0, 1561651})),
                 {{0, 0, 0xa3f5ab08, 1561651},
                  {1561650, 0, 0xa3f5ab08, 1561651},
                  {1561651, 0, 0xc25efa5c, 0},
                  {2000000, 0, 0xc25efa5c, 0}});
}

BOOST_AUTO_TEST_CASE(eip2124_validation_table) {
  const auto f = filter_of(eip_mainnet());
  check_validation(f, {
                        // Rule 1: same fork; 1b: the next fork is unknown or not yet passed here.
                        {7987396, 0, {fh(0x668db0af), 0}, expect::accept},
                        {7987396, 0, {fh(0x668db0af), max64}, expect::accept},
                        {7279999, 0, {fh(0xa00bc324), 0}, expect::accept},
                        {7279999, 0, {fh(0xa00bc324), 7280000}, expect::accept},
                        {7279999, 0, {fh(0xa00bc324), max64}, expect::accept},
                        // Rule 2: the remote is syncing, and knows the fork that follows.
                        {7987396, 0, {fh(0xa00bc324), 7280000}, expect::accept},
                        {7987396, 0, {fh(0x3edd5b10), 4370000}, expect::accept},
                        // Rule 3: we are syncing.
                        {7279999, 0, {fh(0x668db0af), 0}, expect::accept},
                        {4369999, 0, {fh(0xa00bc324), 0}, expect::accept},
                        // Rule 2 fails: the remote does not know Petersburg.
                        {7987396, 0, {fh(0xa00bc324), 0}, expect::remote_stale},
                        // Rule 4: another chain (a made-up fork at 7279999 / Rinkeby's checksum).
                        {7987396, 0, {fh(0x5cddc0e1), 0}, expect::incompatible},
                        {7279999, 0, {fh(0x5cddc0e1), 0}, expect::incompatible},
                        {7987396, 0, {fh(0xafec6b27), 0}, expect::incompatible},
                        // Rule 1a: the remote's next fork is already behind us.
                        {88888888, 0, {fh(0x668db0af), 88888888}, expect::incompatible},
                        {7279999, 0, {fh(0xa00bc324), 7279999}, expect::incompatible},
                      });
}

BOOST_AUTO_TEST_CASE(eip2124_rlp_encoding_vectors) {
  struct row {
    fork_id id;
    const char* rlp;
  };
  const row rows[] = {{{fh(0), 0}, "c6840000000080"},
                      {{fh(0xdeadbeef), 0xbaddcafe}, "ca84deadbeef84baddcafe"},
                      {{fh(0xffffffff), max64}, "ce84ffffffff88ffffffffffffffff"}};
  for (const auto& r : rows) {
    // A Status carries the fork id as its last eth/68 field: encode one and cut it out.
    status s;
    s.fork = r.id;
    const auto bytes = encode(s);
    const std::string hex = to_hex(bytes);
    BOOST_TEST(hex.ends_with(r.rlp));
    auto back = decode_status(bytes, 68);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST((back->fork == r.id));
  }
}

// ------------------------------------------------- timestamp forks (go-ethereum)

BOOST_AUTO_TEST_CASE(mainnet_vectors_through_the_timestamp_forks) {
  const auto f = filter_of(builtin("mainnet"));
  check_creation(f, {{0, 0, 0xfc64ec04, 1150000},
                     {9068999, 0, 0x668db0af, 9069000},
                     {9069000, 0, 0x879d6e30, 9200000},
                     {9200000, 0, 0xe029e991, 12244000},
                     {12244000, 0, 0x0eb440f6, 12965000},
                     {12965000, 0, 0xb715077d, 13773000},
                     {13773000, 0, 0x20c327fc, 15050000},
                     {15049999, 0, 0x20c327fc, 15050000},
                     {15050000, 0, 0xf0afd0e3, 1681338455},
                     {20000000, 1681338454, 0xf0afd0e3, 1681338455},
                     {20000000, 1681338455, 0xdce96c2d, 1710338135},
                     {30000000, 1710338134, 0xdce96c2d, 1710338135},
                     {30000000, 1710338135, 0x9f3d2254, 1746612311},
                     {30000000, 1746022486, 0x9f3d2254, 1746612311},
                     {30000000, 1746612311, 0xc376cf8b, 1764798551},
                     {30000000, 1764798550, 0xc376cf8b, 1764798551},
                     {30000000, 1764798551, 0x5167e2a6, 1765290071},
                     {30000000, 1765290070, 0x5167e2a6, 1765290071},
                     {30000000, 1765290071, 0xcba2a1c0, 1767747671},
                     {30000000, 1767747670, 0xcba2a1c0, 1767747671},
                     {30000000, 1767747671, 0x07c9462e, 0},
                     {50000000, 2000000000, 0x07c9462e, 0}});
}

BOOST_AUTO_TEST_CASE(sepolia_vectors_with_the_merge_netsplit_block) {
  const auto f = filter_of(builtin("sepolia"));
  check_creation(f, {{0, 0, 0xfe3366e7, 1735371},
                     {1735370, 0, 0xfe3366e7, 1735371},
                     {1735371, 0, 0xb96cbd13, 1677557088},
                     {1735372, 1677557087, 0xb96cbd13, 1677557088},
                     {1735372, 1677557088, 0xf7f9bc08, 1706655072},
                     {1735372, 1706655071, 0xf7f9bc08, 1706655072},
                     {1735372, 1706655072, 0x88cf81d9, 1741159776},
                     {1735372, 1741159775, 0x88cf81d9, 1741159776},
                     {1735372, 1741159776, 0xed88b5fd, 1760427360},
                     {1735372, 1760427359, 0xed88b5fd, 1760427360},
                     {1735372, 1760427360, 0xe2ae4999, 1761017184},
                     {1735372, 1761017183, 0xe2ae4999, 1761017184},
                     {1735372, 1761017184, 0x56078a1e, 1761607008},
                     {1735372, 1761607007, 0x56078a1e, 1761607008},
                     {1735372, 1761607008, 0x268956b6, 0},
                     {1735372, 2000000000, 0x268956b6, 0}});
}

// go-ethereum's TestValidation on the full mainnet config, including the
// cases where the next fork switches from a block number to a timestamp.
BOOST_AUTO_TEST_CASE(validation_across_the_block_to_timestamp_transition) {
  const auto& chain = builtin("mainnet");
  const auto f = filter_of(chain);
  // The mainnet forks up to Gray Glacier (13 listed, 11 counted) and up to Shanghai.
  const auto gray_then_block_max = extended(chain, 13, max64, activation::block);
  const auto shanghai_then_time_max = extended(chain, 14, max64, activation::time);
  const auto cancun_then_time_max = extended(chain, 15, max64, activation::time);
  check_validation(f, {
                        {15050000, 0, {fh(0xf0afd0e3), 0}, expect::accept},
                        {15050000, 0, {fh(0xf0afd0e3), 1681338455}, expect::accept},
                        {15050000, 0, {fh(0xf0afd0e3), max64}, expect::accept},
                        {20000000, 1681338455, {fh(0xf0afd0e3), 1681338455}, expect::accept},
                        {20123456, 1681338456, {fh(0xf0afd0e3), 1681338455}, expect::accept},
                        {20000000, 1681338455, {fh(0x20c327fc), 15050000}, expect::accept},
                        {15050000, 0, {fh(0xdce96c2d), 0}, expect::accept},
                        {13773000, 0, {fh(0xf0afd0e3), 0}, expect::accept},
                        {20000000, 1681338455, {fh(0xf0afd0e3), 0}, expect::remote_stale},
                        {15050000, 0, {gray_then_block_max, 0}, expect::incompatible},
                        {15050000, 0, {shanghai_then_time_max, 0}, expect::incompatible},
                        {888888888, 1660000000, {fh(0xf0afd0e3), 1660000000}, expect::incompatible},
                        {19999999, 1667999999, {fh(0xf0afd0e3), 1667999999}, expect::incompatible},
                        // Timestamp forks on both sides.
                        {20000000, 1681338455, {fh(0xdce96c2d), 0}, expect::accept},
                        {20000000, 1681338455, {fh(0xdce96c2d), max64}, expect::accept},
                        {20000000, 1668000000, {fh(0xdce96c2d), 0}, expect::accept},
                        {20000000, 1668000000, {fh(0xdce96c2d), 1710338135}, expect::accept},
                        {20000000, 1668000000, {fh(0xdce96c2d), max64}, expect::accept},
                        {21000000, 1710338135, {fh(0xdce96c2d), 1710338135}, expect::accept},
                        {21123456, 1710338136, {fh(0xdce96c2d), 1710338135}, expect::accept},
                        {0, 0, {fh(0x3edd5b10), 1710338135}, expect::accept},
                        {21000000, 1700000000, {fh(0x9f3d2254), 0}, expect::accept},
                        {21000000, 1678000000, {fh(0xc376cf8b), 0}, expect::accept},
                        {21000000, 1710338135, {fh(0xdce96c2d), 0}, expect::remote_stale},
                        {20000000, 1681338455, {shanghai_then_time_max, 0}, expect::incompatible},
                        {20000000, 1668000000, {cancun_then_time_max, 0}, expect::incompatible},
                        {20000000, 1681338455, {fh(0x12345678), 0}, expect::incompatible},
                        {88888888, 8888888888, {fh(0x07c9462e), 8888888888}, expect::incompatible},
                        {20999999, 1699999999, {fh(0x71147644), 1700000000}, expect::incompatible},
                      });
}

// ------------------------------------------------ Ethereum Classic (core-geth)

BOOST_AUTO_TEST_CASE(classic_and_mordor_vectors) {
  check_creation(filter_of(builtin("classic")), {{0, 0, 0xfc64ec04, 1150000},
                                                 {1149999, 0, 0xfc64ec04, 1150000},
                                                 {1150000, 0, 0x97c2c34c, 2500000},
                                                 {2500000, 0, 0xdb06803f, 3000000},
                                                 {3000000, 0, 0xaff4bed4, 5000000},
                                                 {5000000, 0, 0xf79a63c0, 5900000},
                                                 {5900000, 0, 0x744899d6, 8772000},
                                                 {8772000, 0, 0x518b59c6, 9573000},
                                                 {9573000, 0, 0x7ba22882, 10500839},
                                                 {10500839, 0, 0x9007bfcc, 11700000},
                                                 {11700000, 0, 0xdb63a1ca, 13189133},
                                                 {13189133, 0, 0x0f6bf187, 14525000},
                                                 {14525000, 0, 0x7fd1bb25, 19250000},
                                                 {19250000, 0, 0xbe46d57c, 0}});
  check_creation(filter_of(builtin("mordor")), {{0, 0, 0x175782aa, 301243},
                                                {301243, 0, 0x604f6ee1, 999983},
                                                {999983, 0, 0xf42f5539, 2520000},
                                                {2520000, 0, 0x66b5c286, 3985893},
                                                {3985893, 0, 0x92b323e0, 5520000},
                                                {5520000, 0, 0x8c9b1797, 9957000},
                                                {9957000, 0, 0x3a6b00d7, 0}});
}

// Classic and mainnet share the genesis and network id; the fork id is what
// tells them apart: mainnet's DAO fork is none of Classic's.
BOOST_AUTO_TEST_CASE(classic_refuses_mainnet_peers_by_fork_id_and_names_the_rule) {
  const auto f = filter_of(builtin("classic"));
  const chain_head spiral{20'000'000, 0};
  auto cancun = f.check({fh(0x9f3d2254), 1746612311}, spiral);
  BOOST_REQUIRE(!cancun.has_value());
  BOOST_TEST(cancun.error().is(rlpx_errc::fork_incompatible));
  BOOST_TEST(cancun.error().message().starts_with("EIP-2124 rule 4: fork hash 9f3d2254 is none of our"));
  // A mainnet peer at Homestead shares our history but expects the DAO fork next.
  auto homestead = f.check({fh(0x97c2c34c), 1920000}, spiral);
  BOOST_REQUIRE(!homestead.has_value());
  BOOST_TEST(homestead.error().is(rlpx_errc::fork_remote_stale));
  BOOST_TEST(homestead.error().message().find("EIP-2124 rule 2") == 0u);
  BOOST_TEST(homestead.error().message().find("tangerine_whistle (block 2500000)") != std::string::npos);
  // An ETC peer still syncing at Mystique is fine.
  BOOST_TEST(f.check({fh(0x7fd1bb25), 19250000}, spiral).has_value());
}

BOOST_AUTO_TEST_CASE(genesis_forks_and_repeats_do_not_count) {
  // Sepolia lists nothing before the merge netsplit block; a timestamp fork at
  // or before the genesis time is part of the genesis, as go-ethereum's
  // TestTimeBasedForkInGenesis has it.
  chain_config c{"t", 1, unhex_array<32>(mainnet_genesis), 1690475657, {}};
  c.forks = {{"london", activation::block, 0},
             {"shanghai", activation::time, 1690475656},
             {"cancun", activation::time, 1690475658}};
  const auto f = filter_of(c);
  BOOST_TEST(f.forks().size() == 1u);
  BOOST_TEST(f.id({0, 1690475657}).next == 1690475658u);
  BOOST_TEST(to_hex(f.id({0, 1690475657}).hash) == "fc64ec04");
}

BOOST_AUTO_TEST_CASE(an_out_of_order_schedule_is_refused) {
  chain_config c{"bad", 1, unhex_array<32>(mainnet_genesis), 0, {}};
  c.forks = {{"b", activation::block, 20}, {"a", activation::block, 10}};
  auto f = fork_filter::create(c);
  BOOST_REQUIRE(!f.has_value());
  BOOST_TEST(f.error().is(rlpx_errc::invalid_chain_config));
  BOOST_TEST(f.error().message() == "chain bad: fork a at block 10 comes before the previous fork's block 20");
  c.forks = {{"t", activation::time, 1700000000}, {"b", activation::block, 10}};
  f = fork_filter::create(c);
  BOOST_REQUIRE(!f.has_value());
  BOOST_TEST(f.error().message() == "chain bad: block fork b is listed after a timestamp fork");
}

// ------------------------------------------------------------ chain config files

BOOST_AUTO_TEST_CASE(a_chain_config_file_reads_like_the_builtin_chain) {
  auto c = parse_chain_config(R"({
    "name": "my-sepolia", "network_id": 11155111,
    "genesis_hash": "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
    "genesis_time": 1633267481,
    "forks": [{"name": "merge_netsplit", "block": 1735371}, {"name": "shanghai", "time": 1677557088},
              {"name": "cancun", "time": 1706655072}, {"name": "prague", "time": 1741159776},
              {"name": "osaka", "time": 1760427360}, {"name": "bpo1", "time": 1761017184},
              {"name": "bpo2", "time": 1761607008}]})");
  BOOST_REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message()));
  BOOST_TEST(c->name == "my-sepolia");
  auto same = builtin("sepolia");
  same.name = "my-sepolia";
  BOOST_TEST((*c == same));
}

BOOST_AUTO_TEST_CASE(every_bad_value_in_a_chain_config_file_names_its_key) {
  const std::string ok_head =
    R"("name": "x", "network_id": 5, "genesis_hash": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3")";
  struct row {
    std::string text;
    std::string message;
  };
  const std::vector<row> rows = {
    {"[1]", "key '(top level)': expected an object, got [1]"},
    {"{", "not JSON: "},
    {"{" + ok_head + R"(, "forks": [], "colour": 1})",
     "key 'colour': unknown key (expected name, network_id, genesis_hash, genesis_time, forks), got 1"},
    {R"({"name": "x", "network_id": 0, "genesis_hash": "00", "forks": []})",
     "key 'network_id': expected an integer from 1 to 2^64-1, got 0"},
    {R"({"name": "x", "network_id": 5, "genesis_hash": "abc", "forks": []})",
     "key 'genesis_hash': expected 32 bytes as 64 hex digits (0x optional), got \"abc\""},
    {R"({"name": "x", "network_id": 5, "forks": []})", "key 'genesis_hash': missing"},
    {"{" + ok_head + "}", "key 'forks': missing (an empty array when the chain has none)"},
    {"{" + ok_head + R"(, "forks": [{"name": "a", "block": -1}]})",
     "key 'forks[0].block': expected an integer from 0 to 2^64-1, got -1"},
    {"{" + ok_head + R"(, "forks": [{"name": "a", "block": 1, "time": 2}]})",
     "key 'forks[0].time': a fork has either \"block\" or \"time\", not both"},
    {"{" + ok_head + R"(, "forks": [{"block": 1}]})", "key 'forks[0].name': missing, got {\"block\":1}"},
    {"{" + ok_head + R"(, "forks": [{"name": "a"}]})",
     "key 'forks[0].block': missing: a fork needs \"block\" or \"time\", got {\"name\":\"a\"}"},
    {"{" + ok_head + R"(, "forks": [{"name": "b", "block": 9}, {"name": "a", "block": 3}]})",
     "key 'forks': chain x: fork a at block 3 comes before the previous fork's block 9"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.text) {
      auto c = parse_chain_config(r.text);
      BOOST_REQUIRE(!c.has_value());
      BOOST_TEST(c.error().is(rlpx_errc::invalid_chain_config));
      BOOST_TEST(c.error().message().starts_with(r.message), c.error().message());
    }
  }
}
