#pragma once
/// One RLPx connection: handshake, Hello, the read loop, the write queue and
/// the watchdog (handshake deadline, keep-alive, handler deadlines, linger).
/// Internal to net/rlpx; everything runs on the host's strand.

#include "net/rlpx/config.hpp"
#include "net/rlpx/host_errc.hpp"
#include "protocol/rlpx/frame_codec.hpp"
#include "protocol/rlpx/message_codec.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace snapstream::net::rlpx::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

struct host_state;

class connection final : public peer_session, public std::enable_shared_from_this<connection> {
public:
  connection(std::shared_ptr<host_state> host, tcp::socket socket, bool inbound);
  ~connection() override;

  /// Inbound: handshake as recipient, Hello, then the read loop until closed.
  static asio::awaitable<void> run_inbound(std::shared_ptr<connection> self);
  /// Outbound: resolve, connect, handshake as initiator, Hello. On success the
  /// caller spawns `read_loop`; on failure `finish`.
  static asio::awaitable<result<void>> establish_outbound(std::shared_ptr<connection> self, std::string host,
                                                         std::uint16_t port, wire::public_key id);
  /// Reads and dispatches frames until the connection closes, then cleans up.
  static asio::awaitable<void> read_loop(std::shared_ptr<connection> self);
  /// Drains, closes and cleans up a connection that failed to establish.
  static asio::awaitable<void> finish(std::shared_ptr<connection> self);

  /// Begins closing: queues Disconnect(`reason`) when the session keys exist,
  /// lingers until the peer closes or `disconnect_linger` passes. Logs once. Idempotent.
  void fail(wire::p2p::disconnect_reason reason, std::string detail, bool by_us = true);
  /// Closes the socket now and wakes every coroutine of this connection.
  void close_now() noexcept;
  /// Closes at once because the host object is gone (reason client_quitting).
  void abandon() noexcept;

  /// The handler of shared capability `name`, if any.
  [[nodiscard]] capability_handler* handler(std::string_view name) const noexcept;
  [[nodiscard]] bool active() const noexcept { return active_; }

  // peer_session
  [[nodiscard]] const peer_info& info() const noexcept override { return info_; }
  [[nodiscard]] result<void> send(std::string_view capability, std::uint64_t code, bytes_view payload) override;
  void disconnect(wire::p2p::disconnect_reason reason, std::string detail) override { fail(reason, std::move(detail)); }
  void wake() noexcept override;
  void set_eth_status(const wire::eth::status& status) override;
  void set_block_range(const wire::eth::block_range& range) override;

private:
  static asio::awaitable<result<void>> read_exact(std::shared_ptr<connection> self, std::span<std::uint8_t> out);
  static asio::awaitable<result<void>> write_direct(std::shared_ptr<connection> self, bytes_view data);
  static asio::awaitable<result<void>> connect(std::shared_ptr<connection> self, std::string host, std::uint16_t port);
  static asio::awaitable<result<void>> handshake_as_recipient(std::shared_ptr<connection> self);
  static asio::awaitable<result<void>> handshake_as_initiator(std::shared_ptr<connection> self);
  static asio::awaitable<result<void>> exchange_hello(std::shared_ptr<connection> self);
  static asio::awaitable<result<wire::frame_message>> read_frame(std::shared_ptr<connection> self);
  static asio::awaitable<void> write_loop(std::shared_ptr<connection> self);
  static asio::awaitable<void> watchdog(std::shared_ptr<connection> self);
  static asio::awaitable<void> drain(std::shared_ptr<connection> self);

  void start_background();
  [[nodiscard]] result<void> install_session(const wire::session_secrets& secrets);
  [[nodiscard]] result<void> activate(const wire::p2p::hello& remote);
  [[nodiscard]] result<void> dispatch(const wire::frame_message& m);
  [[nodiscard]] result<void> dispatch_base(const wire::frame_message& m);
  void on_remote_disconnect(bytes_view payload);
  [[nodiscard]] result<void> send_wire(std::uint64_t wire_code, bytes_view payload, bool compress);
  [[nodiscard]] result<void> queue_frame(std::uint64_t wire_code, bytes_view payload, bool compress);
  void fail_with(const error& e);
  void check_deadlines(steady::time_point now);
  [[nodiscard]] steady::time_point next_deadline() const;
  [[nodiscard]] error io_error(const boost::system::error_code& ec, std::string_view during) const;
  [[nodiscard]] std::string label() const;
  void teardown();

  std::shared_ptr<host_state> host_;
  tcp::socket socket_;
  std::optional<tcp::resolver> resolver_;
  asio::steady_timer write_signal_;
  asio::steady_timer watchdog_timer_;
  const bool inbound_;
  std::optional<wire::public_key> remote_id_;
  std::optional<wire::frame_codec> codec_;
  bool snappy_ = false;
  bool active_ = false;
  bool counted_handshake_ = true;
  bool closing_ = false;
  bool closed_ = false;
  bool torn_down_ = false;
  bool remote_disconnected_ = false;
  bool read_ended_ = false; ///< a read saw end of stream or an error: no more reads
  std::optional<wire::p2p::disconnect_reason> reason_;
  bool by_us_ = false;
  std::string detail_;
  steady::time_point handshake_deadline_;
  steady::time_point linger_deadline_;
  steady::time_point next_ping_;
  std::optional<steady::time_point> pong_deadline_;
  wire::capability_table table_;
  std::vector<std::unique_ptr<capability_handler>> handlers_; ///< aligned with table_.shared()
  peer_info info_;
  byte_buffer out_;       ///< encrypted frames waiting for the writer
  byte_buffer sending_;   ///< frames being written
  byte_buffer frame_buf_; ///< the body of the frame being read
  byte_buffer inflate_;   ///< the decompressed message being dispatched
  byte_buffer scratch_;   ///< compression output
};

} // namespace snapstream::net::rlpx::detail
