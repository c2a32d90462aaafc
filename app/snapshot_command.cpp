// `snapstream snapshot create`: a snapshot of the state of a stopped node.

#include "app/commands.hpp"
#include "app/detail/open_db.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/snapshot/authority_key.hpp"
#include "protocol/snapshot/page_builder.hpp"
#include "storage/snapshot_store.hpp"

#include <array>
#include <iostream>

namespace snapstream::app {

namespace {

constexpr std::array<option_spec, 3> create_options{{
  {"data-dir", "DIR", "the node's data directory", true},
  {"key", "FILE", "the node key (snapstream keygen) that signs the snapshot's update", true},
  {"page-size", "SIZE", "page size: a power of two from 4KiB to 4MiB (default 64KiB)"},
}};

const command_spec create_spec{
  "snapshot create",
  "build a snapshot of the state of a stopped node",
  "Builds a snapshot of the state as it is now (docs/protocol.md 3): cuts its\n"
  "pages, computes the state root, and appends the next light-client update,\n"
  "signed by the node key's Ed25519 key, to the node's chain. Its height is one\n"
  "above the node's last snapshot. A running node builds one with\n"
  "POST /snapshots instead. Prints plan_id, height, pages, bytes and records.\n",
  create_options,
  {},
};

void wipe(std::span<std::uint8_t> bytes) noexcept {
  volatile std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

/// The authority key of a node key: the same Ed25519 seed, so peers that
/// trust the node's peer id accept the updates it signs.
result<snapshot::authority_key> authority_of(const libp2p::identity& id) {
  auto seed = id.seed();
  auto key = snapshot::authority_key::from_seed(seed);
  wipe(seed);
  if (!key) return error{app_errc::failed, key.error().message()};
  if (key->public_key() != id.public_key()) {
    return error{app_errc::failed, "the node key's seed does not derive its public key"};
  }
  return std::move(*key);
}

result<int> run_create(const parsed_arguments& args) {
  storage::build_options options;
  options.page_size = snapshot::default_page_size;
  if (auto v = args.value("page-size")) {
    auto n = parse_size(*v, "--page-size");
    if (!n) return n.error();
    if (!snapshot::check_page_size(*n)) {
      return usage_error("--page-size: " + *v + " is not a power of two from 4KiB to 4MiB");
    }
    options.page_size = static_cast<std::uint32_t>(*n);
  }
  auto id = libp2p::load_identity(*args.value("key"));
  if (!id) return error{app_errc::io_error, id.error().message()};
  auto key = authority_of(*id);
  if (!key) return key.error();
  auto d = detail::open_db(*args.value("data-dir"), false);
  if (!d) return d.error();
  storage::snapshot_store store(**d);
  auto latest = store.latest();
  if (!latest) return detail::storage_failure(latest.error());
  options.height = *latest ? (*latest)->height + 1 : 1;
  auto info = store.build(options, *key);
  if (!info) return detail::storage_failure(info.error());
  std::cout << "plan_id=" << info->plan_id << " height=" << info->height << " pages=" << info->page_count
            << " bytes=" << info->total_bytes << " records=" << info->record_count << '\n';
  return 0;
}

const command create_cmd{&create_spec, &run_create};

} // namespace

const command& snapshot_create_command() { return create_cmd; }

} // namespace snapstream::app
