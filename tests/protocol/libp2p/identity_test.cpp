#define BOOST_TEST_MODULE libp2p_identity
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace snapstream;
using namespace snapstream::libp2p;

namespace {

// RFC 8032, section 7.1, TEST 1.
constexpr std::string_view rfc_seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view rfc_public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view rfc_sig_empty =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/snapstream-identity-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

identity rfc_identity() {
  auto seed = from_hex(rfc_seed);
  BOOST_REQUIRE(seed.has_value());
  auto id = identity::from_seed(*seed);
  BOOST_REQUIRE(id.has_value());
  return *id;
}

unsigned file_mode(const std::filesystem::path& p) {
  struct stat st{};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

} // namespace

BOOST_AUTO_TEST_CASE(seed_gives_the_rfc8032_key_and_signature) {
  const identity id = rfc_identity();
  BOOST_TEST(to_hex(id.public_key()) == rfc_public);
  BOOST_TEST(to_hex(id.sign({})) == rfc_sig_empty);
  BOOST_TEST(verify_signature(id.public_key(), {}, id.sign({})));
  BOOST_TEST((id.id() == peer_id::from_public_key(id.public_key())));
  BOOST_TEST(id.id().to_string().substr(0, 8) == "12D3KooW");
}

BOOST_AUTO_TEST_CASE(private_key_protobuf_is_the_documented_format) {
  const identity id = rfc_identity();
  BOOST_TEST(to_hex(id.private_key_protobuf()) == "08011240" + std::string(rfc_seed) + std::string(rfc_public));
  auto back = identity::from_private_key_protobuf(id.private_key_protobuf());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((back->id() == id.id()));
}

BOOST_AUTO_TEST_CASE(private_key_with_a_foreign_public_half_is_refused) {
  byte_buffer pb = rfc_identity().private_key_protobuf();
  pb.back() ^= 1;
  auto r = identity::from_private_key_protobuf(pb);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::invalid_key));
}

BOOST_AUTO_TEST_CASE(key_file_is_written_0600_and_reloads_the_same_identity) {
  temp_dir dir;
  const auto path = (dir.path / "node.key").string();
  ::umask(022);
  auto created = load_or_create_identity(path);
  BOOST_REQUIRE(created.has_value());
  BOOST_TEST(file_mode(path) == 0600u);
  BOOST_TEST(std::filesystem::file_size(path) == 68u);
  auto loaded = load_or_create_identity(path);
  BOOST_REQUIRE(loaded.has_value());
  BOOST_TEST((loaded->id() == created->id()));
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
}

BOOST_AUTO_TEST_CASE(key_file_readable_by_others_is_refused) {
  temp_dir dir;
  const auto path = (dir.path / "node.key").string();
  BOOST_REQUIRE(save_identity(rfc_identity(), path).has_value());
  ::chmod(path.c_str(), 0644);
  auto r = load_identity(path);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::key_file_permissions));
  BOOST_TEST(r.error().message().find("0644") != std::string::npos);
  ::chmod(path.c_str(), 0640);
  BOOST_TEST(load_identity(path).error().is(libp2p_errc::key_file_permissions));
  ::chmod(path.c_str(), 0400);
  BOOST_TEST(load_identity(path).has_value());
}

BOOST_AUTO_TEST_CASE(missing_or_garbled_key_files_fail_with_typed_errors) {
  temp_dir dir;
  const auto path = (dir.path / "node.key").string();
  BOOST_TEST(load_identity(path).error().is(libp2p_errc::key_file_io));
  {
    std::ofstream f(path);
    f << "not a key";
  }
  ::chmod(path.c_str(), 0600);
  BOOST_TEST(load_identity(path).error().is(libp2p_errc::invalid_key));
  BOOST_TEST(load_identity(dir.path.string()).error().is(libp2p_errc::key_file_io));
}

BOOST_AUTO_TEST_CASE(generated_identities_differ) {
  BOOST_TEST((identity::generate().id() != identity::generate().id()));
}
