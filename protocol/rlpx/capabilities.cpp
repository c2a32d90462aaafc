#include "protocol/rlpx/capabilities.hpp"

#include <algorithm>
#include <map>

namespace snapstream::rlpx {

namespace {

std::string cap_name(std::string_view name, std::uint64_t version) {
  std::string s(name);
  s += '/';
  s += std::to_string(version);
  return s;
}

// "0x21": codes are written in hex, as the specs write them.
std::string hex_code(std::uint64_t code) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[code & 0xf]);
    code >>= 4;
  } while (code != 0);
  if (s.size() < 2) s.insert(s.begin(), '0');
  return "0x" + s;
}

} // namespace

result<capability_spec> eth_capability(std::uint64_t version) {
  switch (version) {
    case 66:
    case 67:
    case 68: return capability_spec{"eth", version, 17};
    case 69: return capability_spec{"eth", version, 18};
    default: break;
  }
  return make_error(rlpx_errc::invalid_capability, "no message count known for " + cap_name("eth", version));
}

result<capability_spec> snap_capability(std::uint64_t version) {
  switch (version) {
    case 1: return capability_spec{"snap", version, 8};
    case 2: return capability_spec{"snap", version, 10};
    default: break;
  }
  return make_error(rlpx_errc::invalid_capability, "no message count known for " + cap_name("snap", version));
}

result<void> validate_capabilities(std::span<const capability_spec> local) {
  for (std::size_t i = 0; i < local.size(); ++i) {
    const auto& c = local[i];
    const std::string who = "local capability " + cap_name(c.name, c.version);
    if (c.name.empty() || c.name.size() > max_capability_name)
      return make_error(rlpx_errc::invalid_capability, who + ": name must have 1 to 8 characters");
    for (char ch : c.name)
      if (ch < 0x21 || ch > 0x7e)
        return make_error(rlpx_errc::invalid_capability, who + ": name must be printable ASCII");
    if (c.length == 0 || c.length > 0xffff)
      return make_error(rlpx_errc::invalid_capability, who + ": message count must be 1 to 65535");
    for (std::size_t j = 0; j < i; ++j)
      if (local[j].name == c.name && local[j].version == c.version)
        return make_error(rlpx_errc::invalid_capability, who + ": listed twice");
  }
  return {};
}

result<capability_table> capability_table::negotiate(std::span<const capability_spec> local,
                                                     std::span<const capability> remote) {
  if (auto v = validate_capabilities(local); !v) return v.error();
  // Highest shared version per name; std::map keeps names sorted byte-wise.
  std::map<std::string, const capability_spec*, std::less<>> best;
  for (const auto& r : remote) {
    for (const auto& l : local) {
      if (l.name != r.name || l.version != r.version) continue;
      auto [it, inserted] = best.try_emplace(l.name, &l);
      if (!inserted && it->second->version < l.version) it->second = &l;
    }
  }
  capability_table t;
  t.shared_.reserve(best.size());
  std::uint64_t offset = base_protocol_length;
  for (const auto& [name, spec] : best) {
    t.shared_.push_back(shared_capability{name, spec->version, spec->length, offset});
    offset += spec->length;
  }
  return t;
}

result<routed_code> capability_table::route(std::uint64_t wire_code) const {
  // The ranges are sorted and adjacent: find the last one starting at or below the code.
  auto it = std::upper_bound(shared_.begin(), shared_.end(), wire_code,
                             [](std::uint64_t code, const shared_capability& c) { return code < c.offset; });
  if (it != shared_.begin()) {
    --it;
    if (it->contains(wire_code))
      return routed_code{static_cast<std::size_t>(it - shared_.begin()), wire_code - it->offset};
  }
  std::string ranges = shared_.empty() ? std::string("none shared")
                                        : hex_code(base_protocol_length) + "-" + hex_code(end() - 1);
  return make_error(rlpx_errc::unknown_message_code,
                    "message code " + hex_code(wire_code) + " is outside every shared capability (" + ranges + ")");
}

std::optional<std::size_t> capability_table::index_of(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < shared_.size(); ++i)
    if (shared_[i].name == name) return i;
  return std::nullopt;
}

result<std::uint64_t> capability_table::wire_code(std::size_t index, std::uint64_t code) const {
  if (index >= shared_.size())
    return make_error(rlpx_errc::capability_not_shared, "capability index " + std::to_string(index) + " not shared");
  const auto& c = shared_[index];
  if (code >= c.length)
    return make_error(rlpx_errc::code_out_of_range, cap_name(c.name, c.version) + " has " +
                                                        std::to_string(c.length) + " message codes; " +
                                                        std::to_string(code) + " is out of range");
  return c.offset + code;
}

result<std::uint64_t> capability_table::wire_code(std::string_view name, std::uint64_t code) const {
  auto i = index_of(name);
  if (!i) return make_error(rlpx_errc::capability_not_shared, std::string(name) + " is not shared with this peer");
  return wire_code(*i, code);
}

} // namespace snapstream::rlpx
