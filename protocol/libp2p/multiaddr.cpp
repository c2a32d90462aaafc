#include "protocol/libp2p/multiaddr.hpp"

#include "protocol/libp2p/libp2p_errc.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

namespace snapstream::libp2p {

namespace {

error bad(std::string_view text, std::string what) {
  return make_error(libp2p_errc::invalid_multiaddr,
                    "multiaddr \"" + std::string(text.substr(0, 200)) + "\": " + std::move(what));
}

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return true;
}

} // namespace

std::string_view to_string(multiaddr::host_kind k) noexcept {
  switch (k) {
    case multiaddr::host_kind::ip4: return "ip4";
    case multiaddr::host_kind::ip6: return "ip6";
    case multiaddr::host_kind::dns4: return "dns4";
    case multiaddr::host_kind::dns6: return "dns6";
  }
  return "?";
}

result<multiaddr> multiaddr::parse(std::string_view text) {
  if (text.empty() || text.front() != '/') return bad(text, "must start with '/'");
  std::vector<std::string_view> parts;
  std::size_t pos = 1;
  while (pos <= text.size()) {
    const std::size_t next = text.find('/', pos);
    const std::size_t end = next == std::string_view::npos ? text.size() : next;
    parts.push_back(text.substr(pos, end - pos));
    if (parts.size() > 6) return bad(text, "too many parts");
    pos = end + 1;
  }
  if (!parts.empty() && parts.back().empty() && text.size() > 1) parts.pop_back(); // trailing '/'
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return bad(text, "empty part at position " + std::to_string(i + 1));
  }
  if (parts.size() < 4) return bad(text, "expected /<ip4|ip6|dns4|dns6>/<host>/tcp/<port>");

  multiaddr out;
  const std::string_view proto = parts[0];
  const std::string host(parts[1]);
  if (proto == "ip4") {
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) != 1) return bad(text, "invalid IPv4 address \"" + host + "\"");
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    out.kind = host_kind::ip4;
    out.host = buf;
  } else if (proto == "ip6") {
    in6_addr a{};
    if (inet_pton(AF_INET6, host.c_str(), &a) != 1) return bad(text, "invalid IPv6 address \"" + host + "\"");
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
    out.kind = host_kind::ip6;
    out.host = buf;
  } else if (proto == "dns4" || proto == "dns6") {
    if (!valid_dns_name(host)) return bad(text, "invalid DNS name \"" + host + "\"");
    out.kind = proto == "dns4" ? host_kind::dns4 : host_kind::dns6;
    out.host = host;
  } else {
    return bad(text, "unsupported protocol \"" + std::string(proto) + "\" (expected ip4, ip6, dns4 or dns6)");
  }

  if (parts[2] != "tcp") {
    return bad(text, "unsupported transport \"" + std::string(parts[2]) + "\" (only tcp)");
  }
  const std::string_view port = parts[3];
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || ptr != port.data() + port.size() || value > 65535 ||
      (port.size() > 1 && port[0] == '0')) {
    return bad(text, "invalid TCP port \"" + std::string(port) + "\"");
  }
  out.port = static_cast<std::uint16_t>(value);

  if (parts.size() == 4) return out;
  if (parts[4] != "p2p") {
    return bad(text, "unsupported part \"" + std::string(parts[4]) + "\" after the port (only /p2p/<peer id>)");
  }
  if (parts.size() != 6) return bad(text, "/p2p needs exactly one peer id and nothing after it");
  auto id = peer_id::parse(parts[5]);
  if (!id) return bad(text, id.error().message());
  out.peer = std::move(*id);
  return out;
}

std::string multiaddr::to_string() const {
  std::string out = "/";
  out += libp2p::to_string(kind);
  out += '/';
  out += host;
  out += "/tcp/";
  out += std::to_string(port);
  if (peer) {
    out += "/p2p/";
    out += peer->to_string();
  }
  return out;
}

multiaddr multiaddr::without_peer() const {
  multiaddr copy = *this;
  copy.peer.reset();
  return copy;
}

} // namespace snapstream::libp2p
