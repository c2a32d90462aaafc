#include "protocol/rlpx/eth_messages.hpp"

#include "protocol/common/hex.hpp"
#include "protocol/rlpx/rlp.hpp"

#include <algorithm>
#include <string>

namespace snapstream::rlpx::eth {

namespace {

void write_fork(rlp_writer& w, const fork_id& f) {
  w.begin_list();
  w.bytes(f.hash);
  w.uint(f.next);
  w.end_list();
}

result<fork_id> read_fork(rlp_reader& r) {
  auto fork = r.list("Status.forkid");
  if (!fork) return fork.error();
  fork_id f;
  auto fork_hash = fork->fixed<4>("Status.forkid.hash");
  if (!fork_hash) return fork_hash.error();
  f.hash = *fork_hash;
  auto next = fork->uint64("Status.forkid.next");
  if (!next) return next.error();
  f.next = *next;
  if (auto done = fork->finish("Status.forkid"); !done) return done.error();
  return f;
}

// earliestBlock, latestBlock, latestBlockHash (Status on eth/69, BlockRangeUpdate).
result<block_range> read_range(rlp_reader& r, const std::string& what) {
  block_range range;
  auto earliest = r.uint64((what + ".earliestBlock").c_str());
  if (!earliest) return earliest.error();
  range.earliest = *earliest;
  auto latest = r.uint64((what + ".latestBlock").c_str());
  if (!latest) return latest.error();
  range.latest = *latest;
  auto hash = r.fixed<32>((what + ".latestBlockHash").c_str());
  if (!hash) return hash.error();
  range.latest_hash = *hash;
  return range;
}

void write_range(rlp_writer& w, const block_range& r) {
  w.uint(r.earliest);
  w.uint(r.latest);
  w.bytes(r.latest_hash);
}

} // namespace

byte_buffer encode(const status& m) {
  byte_buffer out;
  out.reserve(160);
  rlp_writer w(out);
  w.begin_list();
  w.uint(m.version);
  w.uint(m.network_id);
  if (m.version >= 69) {
    w.bytes(m.genesis_hash);
    write_fork(w, m.fork);
    write_range(w, m.range);
  } else {
    w.uint_be(m.total_difficulty);
    w.bytes(m.best_hash);
    w.bytes(m.genesis_hash);
    write_fork(w, m.fork);
  }
  w.end_list();
  return out;
}

result<status> decode_status(bytes_view payload, std::uint64_t negotiated) {
  auto r = rlp_reader::from_list(payload, "Status");
  if (!r) return r.error();
  status m;
  auto version = r->uint64("Status.version");
  if (!version) return version.error();
  m.version = *version;
  auto network = r->uint64("Status.networkid");
  if (!network) return network.error();
  m.network_id = *network;
  if (negotiated < 69) {
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
  }
  auto genesis = r->fixed<32>("Status.genesis");
  if (!genesis) return genesis.error();
  m.genesis_hash = *genesis;
  auto fork = read_fork(*r);
  if (!fork) return fork.error();
  m.fork = *fork;
  if (negotiated >= 69) {
    auto range = read_range(*r, "Status");
    if (!range) return range.error();
    m.range = *range;
  }
  if (auto f = r->finish("Status"); !f) return f.error();
  return m;
}

byte_buffer encode(const block_range& m) {
  byte_buffer out;
  out.reserve(48);
  rlp_writer w(out);
  w.begin_list();
  write_range(w, m);
  w.end_list();
  return out;
}

result<block_range> decode_block_range_update(bytes_view payload) {
  auto r = rlp_reader::from_list(payload, "BlockRangeUpdate");
  if (!r) return r.error();
  auto range = read_range(*r, "BlockRangeUpdate");
  if (!range) return range.error();
  if (auto f = r->finish("BlockRangeUpdate"); !f) return f.error();
  return range;
}

result<void> validate_block_range(const block_range& r, std::string_view what) {
  if (r.earliest > r.latest)
    return make_error(rlpx_errc::invalid_message, std::string(what) + ": earliestBlock " + std::to_string(r.earliest) +
                                                      " is above latestBlock " + std::to_string(r.latest));
  if (r.latest_hash == hash256{})
    return make_error(rlpx_errc::invalid_message, std::string(what) + ": latestBlockHash is zero");
  return {};
}

result<void> validate_status(const status& ours, const status& theirs, const fork_filter& forks, chain_head head) {
  if (theirs.version != ours.version)
    return make_error(rlpx_errc::status_mismatch, "eth Status: version " + std::to_string(theirs.version) +
                                                      " differs from the negotiated " + std::to_string(ours.version));
  if (theirs.network_id != ours.network_id)
    return make_error(rlpx_errc::status_mismatch, "eth Status: network id " + std::to_string(theirs.network_id) +
                                                      " differs from ours (" + std::to_string(ours.network_id) + ")");
  if (theirs.genesis_hash != ours.genesis_hash)
    return make_error(rlpx_errc::status_mismatch, "eth Status: genesis " + to_hex(theirs.genesis_hash) +
                                                      " differs from ours (" + to_hex(ours.genesis_hash) + ")");
  if (auto f = forks.check(theirs.fork, head); !f)
    return error(f.error().code(), "eth Status: fork id " + to_hex(theirs.fork.hash) + "/" +
                                       std::to_string(theirs.fork.next) + " rejected: " + f.error().message());
  if (theirs.version >= 69)
    if (auto v = validate_block_range(theirs.range, "eth Status"); !v) return v.error();
  return {};
}

} // namespace snapstream::rlpx::eth
