#include "protocol/rlpx/eth_messages.hpp"

#include "protocol/common/hex.hpp"
#include "protocol/rlpx/rlp.hpp"

#include <algorithm>
#include <string>

namespace snapstream::rlpx::eth {

byte_buffer encode(const status& m) {
  byte_buffer out;
  out.reserve(128);
  rlp_writer w(out);
  w.begin_list();
  w.uint(m.version);
  w.uint(m.network_id);
  w.uint_be(m.total_difficulty);
  w.bytes(m.best_hash);
  w.bytes(m.genesis_hash);
  w.begin_list();
  w.bytes(m.fork.hash);
  w.uint(m.fork.next);
  w.end_list();
  w.end_list();
  return out;
}

result<status> decode_status(bytes_view payload) {
  auto r = rlp_reader::from_list(payload, "Status");
  if (!r) return r.error();
  status m;
  auto version = r->uint64("Status.version");
  if (!version) return version.error();
  m.version = *version;
  auto network = r->uint64("Status.networkid");
  if (!network) return network.error();
  m.network_id = *network;
  auto td = r->bytes("Status.td");
  if (!td) return td.error();
  if (td->size() > 32)
    return make_error(rlpx_errc::rlp_value_too_large, "Status.td: wider than 256 bits");
  if (!td->empty() && (*td)[0] == 0)
    return make_error(rlpx_errc::rlp_non_canonical, "Status.td: integer has a leading zero byte");
  std::copy(td->begin(), td->end(), m.total_difficulty.end() - static_cast<std::ptrdiff_t>(td->size()));
  auto best = r->fixed<32>("Status.blockhash");
  if (!best) return best.error();
  m.best_hash = *best;
  auto genesis = r->fixed<32>("Status.genesis");
  if (!genesis) return genesis.error();
  m.genesis_hash = *genesis;
  auto fork = r->list("Status.forkid");
  if (!fork) return fork.error();
  auto fork_hash = fork->fixed<4>("Status.forkid.hash");
  if (!fork_hash) return fork_hash.error();
  m.fork.hash = *fork_hash;
  auto next = fork->uint64("Status.forkid.next");
  if (!next) return next.error();
  m.fork.next = *next;
  if (auto f = fork->finish("Status.forkid"); !f) return f.error();
  if (auto f = r->finish("Status"); !f) return f.error();
  return m;
}

result<void> validate_status(const status& ours, const status& theirs,
                             std::span<const std::array<std::uint8_t, 4>> accepted_fork_hashes) {
  if (theirs.version != ours.version)
    return make_error(rlpx_errc::status_mismatch, "eth Status: version " + std::to_string(theirs.version) +
                                                      " differs from the negotiated " + std::to_string(ours.version));
  if (theirs.network_id != ours.network_id)
    return make_error(rlpx_errc::status_mismatch, "eth Status: network id " + std::to_string(theirs.network_id) +
                                                      " differs from ours (" + std::to_string(ours.network_id) + ")");
  if (theirs.genesis_hash != ours.genesis_hash)
    return make_error(rlpx_errc::status_mismatch, "eth Status: genesis " + to_hex(theirs.genesis_hash) +
                                                      " differs from ours (" + to_hex(ours.genesis_hash) + ")");
  const bool accepted =
    accepted_fork_hashes.empty()
      ? theirs.fork.hash == ours.fork.hash
      : std::find(accepted_fork_hashes.begin(), accepted_fork_hashes.end(), theirs.fork.hash) !=
          accepted_fork_hashes.end();
  if (!accepted)
    return make_error(rlpx_errc::status_mismatch, "eth Status: fork hash " + to_hex(theirs.fork.hash) +
                                                      " is not one we accept");
  return {};
}

} // namespace snapstream::rlpx::eth
