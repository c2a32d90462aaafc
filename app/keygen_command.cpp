// `snapstream keygen`: a fresh node key.

#include "app/commands.hpp"
#include "protocol/libp2p/identity.hpp"

#include <array>
#include <filesystem>
#include <iostream>

namespace snapstream::app {

namespace {

namespace fs = std::filesystem;

constexpr std::array<option_spec, 2> keygen_options{{
  {"out", "FILE", "where to write the key (mode 0600)", true},
  {"force", "", "replace FILE if it exists"},
}};

const command_spec keygen_spec{
  "keygen",
  "write a new node key and print its peer id",
  "Writes a new Ed25519 key to FILE (mode 0600, libp2p's PrivateKey protobuf,\n"
  "68 bytes) and prints the peer id it gives the node (12D3KooW...). The key is\n"
  "both the node's libp2p identity and the authority key that signs the\n"
  "snapshots it builds. An existing FILE is kept unless --force is given.\n",
  keygen_options,
  {},
};

result<int> run_keygen(const parsed_arguments& args) {
  const fs::path out = *args.value("out");
  std::error_code ec;
  const auto status = fs::symlink_status(out, ec);
  if (fs::is_directory(status)) return error{app_errc::io_error, out.string() + " is a directory"};
  if (fs::exists(status) && !args.has("force")) {
    return error{app_errc::io_error, out.string() + " already exists (give --force to replace it)"};
  }
  const auto id = libp2p::identity::generate();
  if (auto saved = libp2p::save_identity(id, out.string()); !saved) {
    return error{app_errc::io_error, saved.error().message()};
  }
  std::cout << id.id().to_string() << '\n';
  return 0;
}

const command keygen_cmd{&keygen_spec, &run_keygen};

} // namespace

const command& keygen_command() { return keygen_cmd; }

} // namespace snapstream::app
