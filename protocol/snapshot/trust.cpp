#include "protocol/snapshot/trust.hpp"

#include "protocol/common/hex.hpp"
#include "protocol/libp2p/peer_id.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <string>

namespace snapstream::snapshot {

namespace json = boost::json;

result<void> check_trust(const trust_config& t) {
  if (t.authorities.empty()) return error{snapshot_errc::invalid_trust, "trust: the authority set is empty"};
  for (std::size_t i = 0; i < t.authorities.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (t.authorities[i] == t.authorities[j]) {
        return error{snapshot_errc::invalid_trust,
                     "trust: authority " + std::to_string(i) + " " + to_hex(t.authorities[i]) + " is listed twice"};
      }
    }
  }
  if (t.threshold < 1 || t.threshold > t.authorities.size()) {
    return error{snapshot_errc::invalid_trust, "trust: threshold " + std::to_string(t.threshold) +
                                                 " is outside 1.." + std::to_string(t.authorities.size())};
  }
  return {};
}

namespace {

error trust_error(std::string_view where, const std::string& what) {
  return error{snapshot_errc::invalid_trust, std::string(where) + ": " + what};
}

// A value as the operator wrote it, cut short.
std::string shown(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

// 'text', built by appends: g++ 12 reports a false -Wrestrict on "'" + std::string.
std::string quoted(std::string_view text) {
  std::string q;
  q.append("'").append(text).append("'");
  return q;
}

std::optional<std::uint64_t> as_uint(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

} // namespace

result<ed25519_public_key> parse_authority(std::string_view text, std::string_view what) {
  ed25519_public_key key{};
  if (text.size() == 64) {
    if (from_hex_into(text, key)) return key;
    return trust_error(what, quoted(text) + " is not 64 hex characters");
  }
  auto id = libp2p::peer_id::parse(text);
  if (!id) {
    return trust_error(what, quoted(text) + " is neither a 64-hex Ed25519 public key nor a peer id (" +
                               id.error().message() + ")");
  }
  auto pk = id->public_key();
  if (!pk) return trust_error(what, "peer id " + std::string(text) + " does not embed an Ed25519 key");
  std::copy(pk->begin(), pk->end(), key.begin());
  return key;
}

result<trust_source> parse_trust_json(const json::value& document, std::string_view what) {
  if (!document.is_object()) return trust_error(what, "expected an object, got " + shown(document));
  trust_source t;
  bool have_authorities = false;
  for (const auto& kv : document.get_object()) {
    const std::string key(kv.key());
    const std::string where = std::string(what) + "." + key;
    const json::value& x = kv.value();
    if (key == "threshold") {
      const auto n = as_uint(x);
      if (!n || *n < 1 || *n > max_trust_threshold) {
        return trust_error(where, "expected an integer from 1 to " + std::to_string(max_trust_threshold) + ", got " +
                                    shown(x));
      }
      t.threshold = static_cast<std::uint32_t>(*n);
    } else if (key == "authorities") {
      if (!x.is_array()) return trust_error(where, "expected an array of keys or peer ids, got " + shown(x));
      have_authorities = true;
      const auto& a = x.get_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string item_where = where + "[" + std::to_string(i) + "]";
        if (!a[i].is_string()) return trust_error(item_where, "expected a string, got " + shown(a[i]));
        auto k = parse_authority(std::string_view(a[i].get_string()), item_where);
        if (!k) return k.error();
        t.authorities.push_back(*k);
      }
    } else if (key == "checkpoint") {
      hash256 h{};
      if (!x.is_string() || !from_hex_into(std::string_view(x.get_string()), h))
        return trust_error(where, "expected 64 hex characters, got " + shown(x));
      t.checkpoint = h;
    } else if (key == "checkpoint_height") {
      const auto n = as_uint(x);
      if (!n) return trust_error(where, "expected a non-negative integer, got " + shown(x));
      t.checkpoint_height = *n;
    } else {
      return trust_error(what, "unknown key \"" + key + "\"");
    }
  }
  if (!have_authorities) return trust_error(what, "\"authorities\" is missing");
  return t;
}

result<trust_config> merge_trust_sources(std::span<const trust_source> sources) {
  trust_config trust;
  std::optional<std::uint32_t> threshold;
  std::optional<hash256> checkpoint;
  std::optional<std::uint64_t> checkpoint_height;
  auto merge = [](auto& into, const auto& from, std::string_view key) -> result<void> {
    if (!from) return {};
    if (into && *into != *from) {
      return error{snapshot_errc::invalid_trust, "two trust files give different \"" + std::string(key) + "\""};
    }
    into = from;
    return {};
  };
  for (const auto& s : sources) {
    trust.authorities.insert(trust.authorities.end(), s.authorities.begin(), s.authorities.end());
    if (auto ok = merge(threshold, s.threshold, "threshold"); !ok) return ok.error();
    if (auto ok = merge(checkpoint, s.checkpoint, "checkpoint"); !ok) return ok.error();
    if (auto ok = merge(checkpoint_height, s.checkpoint_height, "checkpoint_height"); !ok) return ok.error();
  }
  if (threshold) trust.threshold = *threshold;
  if (checkpoint) trust.checkpoint = *checkpoint;
  if (checkpoint_height) trust.checkpoint_height = *checkpoint_height;
  return trust;
}

json::value trust_json(const trust_config& t) {
  json::object o;
  o["threshold"] = t.threshold;
  json::array a;
  for (const auto& k : t.authorities) a.emplace_back(to_hex(k));
  o["authorities"] = std::move(a);
  o["checkpoint"] = to_hex(t.checkpoint);
  o["checkpoint_height"] = t.checkpoint_height;
  return o;
}

} // namespace snapstream::snapshot
