#pragma once
/// enode URLs (devp2p enr.md/"enode" form used by every client):
///
///   enode://<128 hex digits: the node's public key>@<host>:<tcp port>[?discport=<udp port>]
///
/// `host` is an IPv4 address, a bracketed IPv6 address or a DNS name. Pure.

#include "protocol/rlpx/keys.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace snapstream::rlpx {

struct enode_url {
  public_key id{};
  std::string host;       ///< without brackets for IPv6
  std::uint16_t port = 0; ///< TCP (RLPx) port
  friend bool operator==(const enode_url&, const enode_url&) = default;
};

/// Parses an enode URL; fails with `invalid_enode` naming the part that is wrong.
[[nodiscard]] result<enode_url> parse_enode(std::string_view url);

/// Formats `enode://<id hex>@<host>:<port>` (IPv6 hosts bracketed).
[[nodiscard]] std::string format_enode(const enode_url& e);

} // namespace snapstream::rlpx
