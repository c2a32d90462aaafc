#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "protocol/snapshot/merkle.hpp"

using namespace snapstream;
using namespace snapstream::snapshot;

namespace {

// RFC 6962 test vectors as published by transparency-dev/merkle,
// testonly/constants.go (LeafInputs and RootHashes; the same values as
// google/certificate-transparency's merkle_tree_test): leaf inputs, then the
// tree head for every tree size 0..8.
const char* const leaf_inputs[] = {
  "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};
const char* const root_hashes[] = {
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<hash256> vector_leaves() {
  std::vector<hash256> out;
  for (const char* hex : leaf_inputs) {
    auto bytes = from_hex(hex);
    BOOST_REQUIRE(bytes.has_value());
    out.push_back(page_hash(*bytes));
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(merkle)

BOOST_AUTO_TEST_CASE(roots_match_the_rfc6962_vectors_for_every_size) {
  const auto leaves = vector_leaves();
  for (std::size_t n = 0; n <= leaves.size(); ++n) {
    BOOST_TEST_CONTEXT("tree size " << n) {
      BOOST_TEST(to_hex(merkle_root(std::span(leaves).first(n))) == root_hashes[n]);
      merkle_builder b;
      for (std::size_t i = 0; i < n; ++i) b.add(leaves[i]);
      BOOST_TEST(b.size() == n);
      BOOST_TEST(to_hex(b.root()) == root_hashes[n]);
    }
  }
}

BOOST_AUTO_TEST_CASE(leaf_and_node_hashes_use_the_domain_prefixes) {
  // transparency-dev/merkle testonly/constants.go NodeHashes: level 0, index 1
  // is the leaf hash of 0x00; level 1, index 0 the node over leaves 0 and 1.
  const auto leaves = vector_leaves();
  BOOST_TEST(to_hex(leaves[1]) == "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  BOOST_TEST(to_hex(node_hash(leaves[0], leaves[1])) ==
             "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  BOOST_TEST(to_hex(empty_root()) == root_hashes[0]);
}

BOOST_AUTO_TEST_CASE(incremental_and_recursive_roots_agree_on_every_size_to_300) {
  std::vector<hash256> leaves;
  merkle_builder b;
  for (std::uint32_t i = 0; i < 300; ++i) {
    const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 7, 9};
    leaves.push_back(page_hash(bytes));
    b.add(leaves.back());
    BOOST_REQUIRE_MESSAGE(b.root() == merkle_root(leaves), "size " << leaves.size());
  }
}

BOOST_AUTO_TEST_CASE(root_depends_on_leaf_order) {
  auto leaves = vector_leaves();
  const hash256 before = merkle_root(leaves);
  std::swap(leaves[2], leaves[3]);
  BOOST_TEST(merkle_root(leaves) != before);
}

BOOST_AUTO_TEST_SUITE_END()
