#define BOOST_TEST_MODULE rlpx_keccak
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/rlpx/keccak.hpp"

#include <string>

using namespace snapstream;
using namespace snapstream::rlpx;

namespace {
std::string k(std::string_view s) { return to_hex(keccak256(as_bytes(s))); }

const std::string md5_text =
  "The MD5 message-digest algorithm is a widely used cryptographic hash function producing a 128-bit (16-byte) "
  "hash value, typically expressed in text format as a 32 digit hexadecimal number. MD5 has been utilized in a wide "
  "variety of cryptographic applications, and is also commonly used to verify data integrity.";
} // namespace

// "" and "abc": Zig's standard library Keccak-256 tests (lib/std/crypto/sha3.zig) and
// every Ethereum client; the fox sentences and the 300-byte MD5 text (three
// 136-byte blocks): emn178/js-sha3 tests/test.js, keccak_256 cases.
BOOST_AUTO_TEST_CASE(keccak256_matches_published_vectors) {
  BOOST_TEST(k("") == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  BOOST_TEST(k("abc") == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  BOOST_TEST(k("The quick brown fox jumps over the lazy dog") ==
             "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  BOOST_TEST(k("The quick brown fox jumps over the lazy dog.") ==
             "578951e24efd62a3d63a86f7cd19aaa53c898fe287d2552133220370240b572d");
  BOOST_REQUIRE_GT(md5_text.size(), 2 * keccak256_hasher::rate);
  BOOST_TEST(k(md5_text) == "af20018353ffb50d507f1555580f5272eca7fdab4f8295db4b1a9ad832c93f6d");
  // Zig std sha3.zig: the 112-byte FIPS-style message.
  BOOST_TEST(k("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopq"
               "rstnopqrstu") == "f519747ed599024f3882238e5ab43960132572b7345fbeb9a90769dafd21ad67");
}

BOOST_AUTO_TEST_CASE(keccak256_is_not_sha3_256) {
  // SHA3-256("") = a7ffc6f8... (FIPS 202): the padding byte differs (0x06 vs 0x01).
  BOOST_TEST(k("") != "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

BOOST_AUTO_TEST_CASE(incremental_updates_at_every_split_equal_one_shot) {
  const auto whole = keccak256(as_bytes(md5_text));
  for (std::size_t split = 0; split <= md5_text.size(); ++split) {
    keccak256_hasher h;
    h.update(as_bytes(std::string_view(md5_text).substr(0, split)));
    h.update(as_bytes(std::string_view(md5_text).substr(split)));
    BOOST_REQUIRE_MESSAGE(h.finish() == whole, "split at " << split);
  }
  keccak256_hasher bytewise;
  for (char c : md5_text) bytewise.update(as_bytes(std::string_view(&c, 1)));
  BOOST_TEST(bytewise.finish() == whole);
}

BOOST_AUTO_TEST_CASE(digest_reads_without_disturbing_and_copies_fork_the_state) {
  keccak256_hasher h;
  h.update(as_bytes("The quick brown fox "));
  keccak256_hasher fork = h; // a copy continues independently
  BOOST_TEST(to_hex(h.digest()) == k("The quick brown fox "));
  h.update(as_bytes("jumps over the lazy dog"));
  BOOST_TEST(to_hex(h.digest()) == "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  BOOST_TEST(to_hex(h.digest()) == "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  fork.update(as_bytes("jumps over the lazy dog."));
  BOOST_TEST(to_hex(fork.finish()) == "578951e24efd62a3d63a86f7cd19aaa53c898fe287d2552133220370240b572d");
  // finish() resets: the fork now hashes from empty.
  BOOST_TEST(to_hex(fork.digest()) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

BOOST_AUTO_TEST_CASE(rate_boundaries_hash_distinctly) {
  // 135, 136 and 137 bytes straddle the block boundary where padding bugs hide:
  // 135 bytes pad with the single byte 0x81; 136 bytes need a whole padding block.
  std::string s135(135, 'a'), s136(136, 'a'), s137(137, 'a');
  keccak256_hasher h;
  h.update(as_bytes(s135));
  const auto d135 = h.digest();
  h.update(as_bytes("a"));
  const auto d136 = h.digest();
  h.update(as_bytes("a"));
  BOOST_TEST(to_hex(d135) == k(s135));
  BOOST_TEST(to_hex(d136) == k(s136));
  BOOST_TEST(to_hex(h.finish()) == k(s137));
  BOOST_TEST(d135 != d136);
}
