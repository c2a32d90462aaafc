#include "protocol/rlpx/enode.hpp"

#include "protocol/common/hex.hpp"

#include <charconv>

namespace snapstream::rlpx {

namespace {

error bad(std::string_view what) { return make_error(rlpx_errc::invalid_enode, std::string("enode URL: ") + std::string(what)); }

result<std::uint16_t> parse_port(std::string_view text, std::string_view what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
    return bad(std::string(what) + " '" + std::string(text) + "' is not a port number");
  return static_cast<std::uint16_t>(value);
}

} // namespace

result<enode_url> parse_enode(std::string_view url) {
  constexpr std::string_view scheme = "enode://";
  if (!url.starts_with(scheme)) return bad("must start with enode://");
  url.remove_prefix(scheme.size());
  const auto at = url.find('@');
  if (at == std::string_view::npos) return bad("missing '@' after the node id");
  const std::string_view id_hex = url.substr(0, at);
  if (id_hex.size() != 128) return bad("node id must be 128 hex digits, found " + std::to_string(id_hex.size()));
  enode_url e;
  if (auto r = from_hex_into(id_hex, e.id); !r) return bad("node id is not hex");
  if (auto v = validate_public_key(e.id); !v) return bad("node id is not a secp256k1 public key");

  std::string_view rest = url.substr(at + 1);
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    const std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (!query.starts_with("discport=")) return bad("unknown query '" + std::string(query) + "'");
    if (auto d = parse_port(query.substr(9), "discport"); !d) return d.error();
  }
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return bad("IPv6 host must be [address]:port");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    // Only an IPv6 address goes in brackets (format_enode brackets a host
    // with a ':' and nothing else, so anything else would not read back).
    const bool ipv6_chars = host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
    if (!ipv6_chars || host.find(':') == std::string_view::npos) return bad("IPv6 host must be [address]:port");
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("missing ':port'");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("IPv6 host must be bracketed");
    if (host.find_first_of("[]") != std::string_view::npos) return bad("IPv6 host must be [address]:port");
  }
  if (host.empty()) return bad("missing host");
  auto p = parse_port(port, "port");
  if (!p) return p.error();
  e.host = std::string(host);
  e.port = *p;
  return e;
}

std::string format_enode(const enode_url& e) {
  std::string out = "enode://" + to_hex(e.id) + "@";
  if (e.host.find(':') != std::string::npos) {
    out += '[';
    out += e.host;
    out += ']';
  } else {
    out += e.host;
  }
  out += ':';
  out += std::to_string(e.port);
  return out;
}

} // namespace snapstream::rlpx
