#pragma once
/// Limits and timeouts of a libp2p host, with their defaults. Every limit is
/// enforced per connection or per stream, and a violation closes only what
/// violated it (see docs/transport.md for the full table).

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace snapstream::net {

struct host_config {
  /// Connections open at once (inbound and outbound, handshakes included).
  /// Inbound connections over the cap are closed right after accept.
  std::size_t max_connections = 128;
  /// Inbound connections (handshakes included) open at once from one remote
  /// address: one IPv4 address, or one IPv6 /56 (the prefix go-libp2p's
  /// resource manager groups by). Inbound connections over the cap are closed
  /// right after accept, so one address cannot take every slot of
  /// `max_connections`. Outbound connections do not count.
  std::size_t max_connections_per_ip = 16;
  /// Yamux streams open at once on one connection (both directions).
  /// Inbound streams over the cap are refused with RST.
  std::uint32_t max_streams_per_connection = 256;
  /// TCP connect plus the whole upgrade (multistream, Noise, multistream),
  /// and inbound protocol negotiation on a stream.
  std::chrono::milliseconds handshake_timeout{10'000};
  /// A connection without any open stream for this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  /// A stream read or write that makes no progress for this long fails with
  /// `stream_stalled` and resets the stream.
  std::chrono::milliseconds stream_stall_timeout{30'000};
  /// Time an inbound request gets: reading it, the handler, writing the response.
  std::chrono::milliseconds inbound_request_timeout{60'000};
  /// Receive window a generic stream reader grants (request/response reads
  /// grant up to their size cap instead). Bytes.
  std::uint32_t stream_receive_window = 4 * 1024 * 1024;
  /// Largest receive window of one stream. Bytes.
  std::uint32_t max_stream_window = 16 * 1024 * 1024;
  /// Receive window granted beyond Yamux's initial 256 KiB, summed over the
  /// streams of one connection. Bytes.
  std::uint64_t max_connection_window = 64 * 1024 * 1024;
  /// Largest Yamux Data frame accepted. Bytes.
  std::uint32_t max_yamux_frame = 16 * 1024 * 1024;
  /// Unsent bytes queued on one connection before writers wait. Bytes.
  /// The reader also stops reading the socket while more than
  /// `2 * max_write_buffer + 64 KiB` is queued: frames a peer provokes
  /// (pongs, ACKs, RSTs, window updates) cannot pile up while it does not
  /// read; the writer's stall timeout then closes the connection.
  std::size_t max_write_buffer = 1024 * 1024;
  /// How long `stop()` lets connections flush their GoAway before closing them hard.
  std::chrono::milliseconds shutdown_grace{1'000};
};

} // namespace snapstream::net
