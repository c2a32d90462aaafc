#include "protocol/rlpx/fork_id.hpp"

#include "protocol/common/hex.hpp"

#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace snapstream::rlpx::eth {

namespace json = boost::json;

namespace {

fork_hash to_bytes(std::uint32_t crc) {
  return {static_cast<std::uint8_t>(crc >> 24), static_cast<std::uint8_t>(crc >> 16),
          static_cast<std::uint8_t>(crc >> 8), static_cast<std::uint8_t>(crc)};
}

void feed(boost::crc_32_type& crc, std::uint64_t v) {
  std::uint8_t be[8];
  for (int i = 7; i >= 0; --i, v >>= 8) be[i] = static_cast<std::uint8_t>(v);
  crc.process_bytes(be, sizeof be);
}

const char* unit_of(activation a) { return a == activation::block ? "block" : "time"; }

std::string describe(const fork& f) { return f.name + " (" + unit_of(f.by) + " " + std::to_string(f.at) + ")"; }

std::string describe(const fork_id& id) { return to_hex(id.hash) + "/" + std::to_string(id.next); }

error config_error(std::string what) { return make_error(rlpx_errc::invalid_chain_config, std::move(what)); }

} // namespace

result<fork_filter> fork_filter::create(const chain_config& chain) {
  fork_filter f;
  bool seen_time = false;
  std::uint64_t last_block = 0, last_time = 0;
  for (const auto& fk : chain.forks) {
    if (fk.name.empty()) return config_error("chain " + chain.name + ": a fork has no name");
    if (fk.by == activation::block) {
      if (seen_time)
        return config_error("chain " + chain.name + ": block fork " + fk.name + " is listed after a timestamp fork");
      if (fk.at < last_block)
        return config_error("chain " + chain.name + ": fork " + fk.name + " at block " + std::to_string(fk.at) +
                            " comes before the previous fork's block " + std::to_string(last_block));
      last_block = fk.at;
    } else {
      if (seen_time && fk.at < last_time)
        return config_error("chain " + chain.name + ": fork " + fk.name + " at time " + std::to_string(fk.at) +
                            " comes before the previous fork's time " + std::to_string(last_time));
      seen_time = true;
      last_time = fk.at;
    }
    // Genesis rules and repeated activations do not count (EIP-2124).
    const bool genesis = fk.by == activation::block ? fk.at == 0 : fk.at <= chain.genesis_time;
    const bool repeated = !f.forks_.empty() && f.forks_.back().by == fk.by && f.forks_.back().at == fk.at;
    if (!genesis && !repeated) f.forks_.push_back(fk);
  }
  boost::crc_32_type crc;
  crc.process_bytes(chain.genesis_hash.data(), chain.genesis_hash.size());
  f.sums_.push_back(to_bytes(crc.checksum()));
  for (const auto& fk : f.forks_) {
    feed(crc, fk.at);
    f.sums_.push_back(to_bytes(crc.checksum()));
  }
  return f;
}

bool fork_filter::has_passed(const fork& f, chain_head head) const noexcept {
  return (f.by == activation::block ? head.block : head.time) >= f.at;
}

std::size_t fork_filter::passed(chain_head head) const noexcept {
  std::size_t i = 0;
  while (i < forks_.size() && has_passed(forks_[i], head)) ++i;
  return i;
}

std::uint64_t fork_filter::last_block_fork() const noexcept {
  std::uint64_t last = 0;
  for (const auto& f : forks_)
    if (f.by == activation::block) last = f.at;
  return last;
}

fork_id fork_filter::id(chain_head head) const {
  const std::size_t i = passed(head);
  return {sums_[i], i < forks_.size() ? forks_[i].at : 0};
}

result<void> fork_filter::check(const fork_id& remote, chain_head head) const {
  const std::size_t i = passed(head);
  const std::string ours = "ours is " + describe(fork_id{sums_[i], i < forks_.size() ? forks_[i].at : 0});
  if (remote.hash == sums_[i]) {
    // Rule 1: the same fork now. Rule 1a: the remote expects a fork we are
    // already past, so it will split from us (or we from it) there.
    if (remote.next != 0) {
      // While our next fork is a block fork the head is compared as a block,
      // and a FORK_NEXT that can only be a timestamp as a time as well.
      const bool in_time = i < forks_.size() ? forks_[i].by == activation::time
                                             : !forks_.empty() && forks_.back().by == activation::time;
      const std::uint64_t h = in_time ? head.time : head.block;
      if (h >= remote.next || (remote.next > timestamp_threshold && head.time >= remote.next))
        return make_error(rlpx_errc::fork_incompatible,
                          "EIP-2124 rule 1a: same fork, but the remote's next fork at " + std::to_string(remote.next) +
                            " has already passed here without a fork of ours (" + ours + ")");
    }
    return {}; // rule 1b
  }
  for (std::size_t j = 0; j < i; ++j) {
    if (remote.hash != sums_[j]) continue;
    // Rule 2: the remote is on one of our past forks; it is only syncing if it
    // knows the fork that followed it.
    if (remote.next != forks_[j].at)
      return make_error(rlpx_errc::fork_remote_stale,
                        "EIP-2124 rule 2: the remote is at our past fork hash " + to_hex(remote.hash) +
                          " but announces its next fork at " + std::to_string(remote.next) + " where ours was " +
                          describe(forks_[j]) + ": remote stale (" + ours + ")");
    return {};
  }
  for (std::size_t j = i + 1; j < sums_.size(); ++j)
    if (remote.hash == sums_[j]) return {}; // rule 3: we are the one behind
  return make_error(rlpx_errc::fork_incompatible, "EIP-2124 rule 4: fork hash " + to_hex(remote.hash) +
                                                    " is none of our past, current or future forks (" + ours + ")");
}

// ------------------------------------------------------------ built-in chains

namespace {

hash256 hash_of(std::string_view hex) {
  hash256 h{};
  (void)from_hex_into(hex, h);
  return h;
}

fork at_block(const char* name, std::uint64_t block) { return {name, activation::block, block}; }
fork at_time(const char* name, std::uint64_t time) { return {name, activation::time, time}; }

std::vector<chain_config> make_builtins() {
  std::vector<chain_config> chains;
  // Ethereum mainnet (go-ethereum params/config.go MainnetChainConfig). Paris
  // activated by total difficulty and is no fork-id entry.
  chains.push_back({"mainnet",
                    1,
                    hash_of("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"),
                    0,
                    {at_block("homestead", 1'150'000), at_block("dao", 1'920'000),
                     at_block("tangerine_whistle", 2'463'000), at_block("spurious_dragon", 2'675'000),
                     at_block("byzantium", 4'370'000), at_block("constantinople", 7'280'000),
                     at_block("petersburg", 7'280'000), at_block("istanbul", 9'069'000),
                     at_block("muir_glacier", 9'200'000), at_block("berlin", 12'244'000),
                     at_block("london", 12'965'000), at_block("arrow_glacier", 13'773'000),
                     at_block("gray_glacier", 15'050'000), at_time("shanghai", 1681338455),
                     at_time("cancun", 1710338135), at_time("prague", 1746612311), at_time("osaka", 1764798551),
                     at_time("bpo1", 1765290071), at_time("bpo2", 1767747671)}});
  // Sepolia: every pre-merge fork at genesis; the merge netsplit block counts.
  chains.push_back({"sepolia",
                    11155111,
                    hash_of("25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9"),
                    1633267481,
                    {at_block("merge_netsplit", 1'735'371), at_time("shanghai", 1677557088),
                     at_time("cancun", 1706655072), at_time("prague", 1741159776), at_time("osaka", 1760427360),
                     at_time("bpo1", 1761017184), at_time("bpo2", 1761607008)}});
  // Ethereum Classic: mainnet's genesis and network id, no DAO fork
  // (core-geth params/config_classic.go; ECBP-1100 is no fork-id entry).
  chains.push_back({"classic",
                    1,
                    hash_of("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"),
                    0,
                    {at_block("homestead", 1'150'000), at_block("tangerine_whistle", 2'500'000),
                     at_block("die_hard", 3'000'000), at_block("gotham", 5'000'000),
                     at_block("defuse_difficulty_bomb", 5'900'000), at_block("atlantis", 8'772'000),
                     at_block("agharta", 9'573'000), at_block("phoenix", 10'500'839),
                     at_block("thanos", 11'700'000), at_block("magneto", 13'189'133),
                     at_block("mystique", 14'525'000), at_block("spiral", 19'250'000)}});
  // Mordor, Ethereum Classic's testnet: the rules up to Atlantis from genesis.
  chains.push_back({"mordor",
                    7,
                    hash_of("a68ebde7932eccb177d38d55dcc6461a019dd795a681e59b5a3e4f3a7259a3f1"),
                    1570141915,
                    {at_block("agharta", 301'243), at_block("phoenix", 999'983), at_block("thanos", 2'520'000),
                     at_block("magneto", 3'985'893), at_block("mystique", 5'520'000),
                     at_block("spiral", 9'957'000)}});
  return chains;
}

} // namespace

std::span<const chain_config> builtin_chains() {
  static const std::vector<chain_config> chains = make_builtins();
  return chains;
}

const chain_config* find_builtin_chain(std::string_view name) {
  for (const auto& c : builtin_chains())
    if (c.name == name) return &c;
  return nullptr;
}

// ------------------------------------------------------------ chain config files

namespace {

std::string shown(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

error key_error(std::string_view key, std::string_view what, const json::value& v) {
  std::string m;
  m.append("key '").append(key).append("': ").append(what).append(", got ").append(shown(v));
  return config_error(std::move(m));
}

result<std::uint64_t> read_uint(const json::value& v, std::string_view key, std::uint64_t min) {
  std::optional<std::uint64_t> n;
  if (v.is_uint64()) n = v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) n = static_cast<std::uint64_t>(v.get_int64());
  if (!n || *n < min)
    return key_error(key, min == 0 ? "expected an integer from 0 to 2^64-1" : "expected an integer from 1 to 2^64-1",
                     v);
  return *n;
}

result<std::string> read_name(const json::value& v, std::string_view key) {
  if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 64)
    return key_error(key, "expected a name of 1 to 64 characters", v);
  return std::string(v.get_string());
}

result<fork> read_fork(const json::value& v, std::size_t index) {
  const std::string where = "forks[" + std::to_string(index) + "]";
  if (!v.is_object()) return key_error(where, "expected an object {\"name\", \"block\" or \"time\"}", v);
  fork f;
  bool named = false, placed = false;
  for (const auto& kv : v.get_object()) {
    const std::string key = where + "." + std::string(kv.key());
    if (kv.key() == "name") {
      auto n = read_name(kv.value(), key);
      if (!n) return n.error();
      f.name = std::move(*n);
      named = true;
    } else if (kv.key() == "block" || kv.key() == "time") {
      if (placed) return key_error(key, "a fork has either \"block\" or \"time\", not both", v);
      auto at = read_uint(kv.value(), key, 0);
      if (!at) return at.error();
      f.by = kv.key() == "block" ? activation::block : activation::time;
      f.at = *at;
      placed = true;
    } else {
      return key_error(key, "unknown key (a fork has \"name\" and \"block\" or \"time\")", kv.value());
    }
  }
  if (!named) return key_error(where + ".name", "missing", v);
  if (!placed) return key_error(where + ".block", "missing: a fork needs \"block\" or \"time\"", v);
  return f;
}

} // namespace

result<chain_config> parse_chain_config(std::string_view json_text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(json_text, ec);
  if (ec) return config_error("not JSON: " + ec.message());
  if (!doc.is_object()) return key_error("(top level)", "expected an object", doc);
  chain_config c;
  bool has_name = false, has_network = false, has_genesis = false, has_forks = false;
  for (const auto& kv : doc.get_object()) {
    const std::string key(kv.key());
    const json::value& v = kv.value();
    if (key == "name") {
      auto n = read_name(v, key);
      if (!n) return n.error();
      c.name = std::move(*n);
      has_name = true;
    } else if (key == "network_id") {
      auto n = read_uint(v, key, 1);
      if (!n) return n.error();
      c.network_id = *n;
      has_network = true;
    } else if (key == "genesis_hash") {
      std::string_view text = v.is_string() ? std::string_view(v.get_string()) : std::string_view();
      if (text.starts_with("0x")) text.remove_prefix(2);
      if (!v.is_string() || text.size() != 64 || !from_hex_into(text, c.genesis_hash))
        return key_error(key, "expected 32 bytes as 64 hex digits (0x optional)", v);
      has_genesis = true;
    } else if (key == "genesis_time") {
      auto n = read_uint(v, key, 0);
      if (!n) return n.error();
      c.genesis_time = *n;
    } else if (key == "forks") {
      if (!v.is_array()) return key_error(key, "expected an array of forks", v);
      if (v.get_array().size() > 256) return key_error(key, "at most 256 forks", v);
      for (std::size_t i = 0; i < v.get_array().size(); ++i) {
        auto f = read_fork(v.get_array()[i], i);
        if (!f) return f.error();
        c.forks.push_back(std::move(*f));
      }
      has_forks = true;
    } else {
      return key_error(key, "unknown key (expected name, network_id, genesis_hash, genesis_time, forks)", v);
    }
  }
  if (!has_name) return config_error("key 'name': missing");
  if (!has_network) return config_error("key 'network_id': missing");
  if (!has_genesis) return config_error("key 'genesis_hash': missing");
  if (!has_forks) return config_error("key 'forks': missing (an empty array when the chain has none)");
  // The schedule's order is checked where it is used.
  if (auto f = fork_filter::create(c); !f) return config_error("key 'forks': " + f.error().message());
  return c;
}

} // namespace snapstream::rlpx::eth
