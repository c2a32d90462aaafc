#pragma once
/// One Yamux stream of a libp2p connection, after protocol negotiation.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/libp2p/peer_id.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace snapstream::net {

namespace detail {
class connection;
struct stream_state;
} // namespace detail

/// A negotiated stream. Move-only; dropping a stream that is not closed in
/// both directions resets it (RST). Every operation waits at most
/// `host_config::stream_stall_timeout` for progress; a stall fails with
/// `host_errc::stream_stalled` and resets the stream.
///
/// Thread-safety: use only from the host's executor (see host.hpp); at most
/// one reader and one writer at a time.
class stream {
public:
  stream() = default;
  stream(std::shared_ptr<detail::connection> conn, std::shared_ptr<detail::stream_state> state) noexcept;
  stream(stream&&) noexcept = default;
  stream& operator=(stream&& other) noexcept;
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream();

  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }
  /// The negotiated protocol id.
  [[nodiscard]] const std::string& protocol() const noexcept;
  [[nodiscard]] const libp2p::peer_id& remote_peer() const noexcept;
  /// The Yamux stream id.
  [[nodiscard]] std::uint32_t id() const noexcept;

  /// Reads up to `into.size()` bytes; 0 means the remote closed its side
  /// (end of stream). Fails with `stream_reset`, `connection_closed`,
  /// `stream_stalled`.
  boost::asio::awaitable<result<std::size_t>> read_some(std::span<std::uint8_t> into);
  /// Reads everything until the remote closes its side. More than `max_size`
  /// bytes fail with `response_too_large` (and reset the stream). The result
  /// has at least 64 bytes of spare capacity (simdjson padding).
  boost::asio::awaitable<result<byte_buffer>> read_to_end(std::size_t max_size);
  /// Writes all of `data` (which must stay alive until the call completes),
  /// waiting for Yamux window as needed.
  boost::asio::awaitable<result<void>> write(bytes_view data);
  /// Half-closes this side (Yamux FIN); reading remains possible.
  [[nodiscard]] result<void> close_write();
  /// Aborts both directions (Yamux RST).
  void reset();

private:
  std::shared_ptr<detail::connection> conn_;
  std::shared_ptr<detail::stream_state> state_;
};

} // namespace snapstream::net
