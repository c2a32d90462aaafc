#pragma once
/// TCP multiaddrs in text form, the only kind this node dials or listens on:
///
///   /ip4/<a.b.c.d>/tcp/<port>[/p2p/<peer id>]
///   /ip6/<ipv6>/tcp/<port>[/p2p/<peer id>]
///   /dns4/<name>/tcp/<port>[/p2p/<peer id>]   (resolved to IPv4 only)
///   /dns6/<name>/tcp/<port>[/p2p/<peer id>]   (resolved to IPv6 only)
///
/// Anything else (udp, quic, ws, a missing port, trailing parts) is refused
/// with `libp2p_errc::invalid_multiaddr` and a message naming the part.

#include "protocol/common/error.hpp"
#include "protocol/libp2p/peer_id.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::libp2p {

/// A parsed TCP multiaddr; a plain value.
struct multiaddr {
  enum class host_kind : std::uint8_t { ip4, ip6, dns4, dns6 };

  host_kind kind = host_kind::ip4;
  /// The address in canonical text (dotted quad, RFC 5952 IPv6) or the DNS name.
  std::string host;
  std::uint16_t port = 0;
  std::optional<peer_id> peer;

  /// Parses the text form above.
  [[nodiscard]] static result<multiaddr> parse(std::string_view text);
  /// The text form; `parse(a.to_string()) == a`.
  [[nodiscard]] std::string to_string() const;
  /// This address without its `/p2p/` part.
  [[nodiscard]] multiaddr without_peer() const;

  friend bool operator==(const multiaddr&, const multiaddr&) = default;
};

/// Name of a host kind as it appears in the text (`ip4`, `dns6`, ...).
[[nodiscard]] std::string_view to_string(multiaddr::host_kind k) noexcept;

} // namespace snapstream::libp2p
