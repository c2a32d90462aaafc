#pragma once
/// One upgraded libp2p connection: TCP socket, Noise transport, Yamux
/// session, and the streams on it. Internal to the host.

#include "net/libp2p/detail/wait_list.hpp"
#include "net/libp2p/host_config.hpp"
#include "net/libp2p/host_errc.hpp"
#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/libp2p/multiaddr.hpp"
#include "protocol/libp2p/multistream.hpp"
#include "protocol/libp2p/noise.hpp"
#include "protocol/libp2p/peer_id.hpp"
#include "protocol/libp2p/yamux.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace snapstream::net::detail {

class host_core;
struct negotiation_channel;

/// What `host_config::max_connections_per_ip` counts inbound connections
/// under: an IPv4 address (as its v4-mapped IPv6 form), or an IPv6 /56
/// prefix (the other bytes zero).
using address_group = std::array<std::uint8_t, 16>;
[[nodiscard]] address_group group_of(const boost::asio::ip::address& address);

/// The state of one stream, shared by the connection and the `stream` handle.
struct stream_state {
  std::uint32_t id = 0;
  bool inbound = false;
  std::string protocol;
  libp2p::peer_id remote;

  byte_buffer rx;         ///< delivered bytes not yet read (reads start at rx_pos)
  std::size_t rx_pos = 0;
  /// While `read_to_end` runs, data goes straight into this buffer.
  byte_buffer* collect = nullptr;
  std::size_t collect_cap = 0;
  host_errc collect_too_large = host_errc::response_too_large;
  bool window_grown = false;

  bool remote_closed = false; ///< FIN received
  bool local_closed = false;  ///< FIN sent
  bool finished = false;      ///< reset or connection gone: `failure` says why
  error failure;

  wait_list readable;
  wait_list writable;
};

class connection final : public std::enable_shared_from_this<connection>, private libp2p::yamux_handler {
public:
  connection(std::shared_ptr<host_core> host, boost::asio::ip::tcp::socket socket, bool outbound);
  ~connection() override;

  /// Runs the upgrade (multistream -> Noise -> multistream -> Yamux) before
  /// `deadline`. `expected`: the peer id a dialer must meet.
  boost::asio::awaitable<result<void>> upgrade(std::optional<libp2p::peer_id> expected, clock::time_point deadline);
  /// Starts the reader and writer coroutines (after a successful upgrade).
  void start();
  /// Closes the connection once, logging `reason`; every stream fails with
  /// `connection_closed`. `graceful`: send GoAway and flush before closing.
  void close(const error& reason, bool graceful = false);

  [[nodiscard]] bool is_open() const noexcept { return upgraded_ && !closed_; }
  /// Open and able to carry new outbound streams.
  [[nodiscard]] bool usable() const noexcept { return is_open() && !session_.remote_went_away(); }
  [[nodiscard]] const libp2p::peer_id& remote() const noexcept { return remote_; }
  [[nodiscard]] const libp2p::multiaddr& remote_address() const noexcept { return remote_address_; }
  [[nodiscard]] const address_group& remote_group() const noexcept { return remote_group_; }
  [[nodiscard]] bool outbound() const noexcept { return outbound_; }
  [[nodiscard]] std::size_t stream_count() const noexcept { return streams_.size(); }
  [[nodiscard]] const std::set<std::string>& protocols() const noexcept { return protocols_; }
  [[nodiscard]] std::chrono::system_clock::time_point connected_at() const noexcept { return connected_at_; }
  [[nodiscard]] boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }
  [[nodiscard]] const host_config& config() const noexcept;

  // ---- streams (all run on the host's executor)
  /// Opens an outbound stream.
  [[nodiscard]] result<std::shared_ptr<stream_state>> open_stream();
  /// Negotiates as dialer; returns the index of the agreed protocol.
  boost::asio::awaitable<result<std::size_t>> negotiate_outbound(std::shared_ptr<stream_state> st,
                                                                 std::vector<std::string> protocols,
                                                                 clock::time_point deadline);
  /// The index negotiate_outbound agreed for this exact preference list on
  /// an earlier stream of this connection: the peer's listener accepted it.
  /// Else 0 when the list's first choice is a protocol the peer agreed to on
  /// this connection for another list (it is the best either list can get).
  [[nodiscard]] std::optional<std::size_t> known_choice(const std::vector<std::string>& protocols) const;
  /// Records that the peer's listener agreed to `protocols[index]` for the
  /// list (negotiate_outbound and request_lazily do it themselves).
  void remember_choice(const std::vector<std::string>& protocols, std::size_t index);
  /// Sends a whole request on a new stream without waiting for the listener
  /// (multistream-select's lazy form): the header, the one proposal
  /// `protocols[index]` (a known choice, or a lazy first choice the peer has
  /// not answered yet), `request`, and the end of the stream's write side,
  /// then reads the listener's header and its echo, and remembers the choice.
  /// A refusal fails the request with `protocol_not_supported` and forgets
  /// the choice, so the next request negotiates in full. The response's receive
  /// window (for `response_cap`) is granted with the request: the listener
  /// answers right after its echo, and a grant sent once the echo is read
  /// would reach it a round trip late, stalling any response above 256 KiB.
  boost::asio::awaitable<result<void>> request_lazily(std::shared_ptr<stream_state> st,
                                                      const std::vector<std::string>& protocols, std::size_t index,
                                                      bytes_view request, std::size_t response_cap,
                                                      clock::time_point deadline);
  /// Negotiates as listener; returns the agreed protocol id.
  boost::asio::awaitable<result<std::string>> negotiate_inbound(std::shared_ptr<stream_state> st,
                                                                std::vector<std::string> supported,
                                                                clock::time_point deadline);
  boost::asio::awaitable<result<std::size_t>> read_some(std::shared_ptr<stream_state> st,
                                                        std::span<std::uint8_t> into, clock::time_point deadline);
  /// Reads to EOF; more than `cap` bytes fail with `too_large` and reset the stream.
  boost::asio::awaitable<result<byte_buffer>> read_to_end(std::shared_ptr<stream_state> st, std::size_t cap,
                                                          host_errc too_large, clock::time_point deadline);
  boost::asio::awaitable<result<void>> write(std::shared_ptr<stream_state> st, bytes_view data,
                                             clock::time_point deadline);
  [[nodiscard]] result<void> close_write(stream_state& st);
  /// Grows the stream's receive window for a body of at most `cap` bytes
  /// (min(cap + 1, max_stream_window)); the update goes out with the next write.
  void grant_body_window(stream_state& st, std::size_t cap);
  /// Resets the stream (RST) and fails it with `reason`.
  void reset(stream_state& st, const error& reason);
  /// Called when the last handle of a stream goes away: resets it unless it
  /// finished cleanly.
  void release(stream_state& st);
  void add_protocol(const std::string& protocol) { protocols_.insert(protocol); }

private:
  // yamux_handler
  void on_stream_opened(std::uint32_t id) override;
  void on_data(std::uint32_t id, bytes_view data) override;
  void on_remote_close(std::uint32_t id) override;
  void on_reset(std::uint32_t id) override;
  void on_send_window(std::uint32_t id) override;
  void on_go_away(libp2p::yamux_go_away code) override;
  void on_pong(std::uint32_t opaque) override;

  // upgrade helpers
  boost::asio::awaitable<result<void>> read_more(clock::time_point deadline);
  boost::asio::awaitable<result<void>> write_raw(bytes_view data, clock::time_point deadline);
  boost::asio::awaitable<result<void>> write_sealed(bytes_view plain, clock::time_point deadline);
  boost::asio::awaitable<result<void>> read_plain(clock::time_point deadline);
  /// The listener's side of one upgrade negotiation (`protocol` alone), on
  /// the raw or the sealed socket; the dialer's side is `dial_upgrade`.
  boost::asio::awaitable<result<void>> listen_upgrade(std::string protocol, bool encrypted,
                                                      clock::time_point deadline);
  /// The socket as a negotiation channel during the upgrade, raw or sealed.
  [[nodiscard]] negotiation_channel upgrade_channel(bool encrypted, clock::time_point deadline);
  /// Stream `st` as a negotiation channel: a refusal resets it.
  [[nodiscard]] negotiation_channel stream_channel(std::shared_ptr<stream_state> st, clock::time_point deadline);
  /// Waits for more bytes on `st`; fails when it finished or the remote closed it.
  boost::asio::awaitable<result<void>> await_stream_bytes(std::shared_ptr<stream_state> st,
                                                          clock::time_point deadline);
  /// Runs the Noise handshake `hs` to its end over the socket.
  boost::asio::awaitable<result<void>> secure(libp2p::noise_handshake hs, clock::time_point deadline);
  /// The dialer's upgrade, each protocol proposed lazily (see the .cpp).
  boost::asio::awaitable<result<void>> dial_upgrade(std::optional<libp2p::peer_id> expected,
                                                    clock::time_point deadline);
  /// Feeds plaintext to the pending answer to the muxer proposal; what
  /// follows the answer goes to the Yamux session.
  [[nodiscard]] result<void> take_muxer_answer(bytes_view plain);
  [[nodiscard]] result<void> decrypt_available(byte_buffer& plain);

  static boost::asio::awaitable<void> read_loop(std::shared_ptr<connection> self);
  static boost::asio::awaitable<void> write_loop(std::shared_ptr<connection> self);
  [[nodiscard]] result<void> process_frames();
  /// Waits on `list` until notified or min(deadline, stall); converts timeouts.
  boost::asio::awaitable<result<void>> wait(wait_list& list, stream_state& st, clock::time_point deadline);
  void finish(stream_state& st, const error& reason);
  /// On a hard close: writes what the session still has queued (a protocol
  /// error's GoAway) if the socket takes it at once and no write is in flight.
  void send_final_frames();
  /// Queued output above which the reader stops reading the socket.
  [[nodiscard]] std::size_t read_pause_threshold() const noexcept;
  void forget(std::uint32_t id);
  void wake_writer() { write_wake_.notify_all(); }
  [[nodiscard]] std::shared_ptr<stream_state> find(std::uint32_t id) const;
  [[nodiscard]] error closed_error() const;

  std::shared_ptr<host_core> host_;
  boost::asio::ip::tcp::socket socket_;
  bool outbound_;
  bool upgraded_ = false;
  bool closed_ = false;
  bool graceful_close_ = false;
  error close_reason_;
  libp2p::peer_id remote_;
  libp2p::multiaddr remote_address_;
  address_group remote_group_{};
  std::chrono::system_clock::time_point connected_at_;

  std::optional<libp2p::noise_transport> transport_;
  libp2p::yamux_session session_;
  std::unordered_map<std::uint32_t, std::shared_ptr<stream_state>> streams_;
  std::set<std::string> protocols_;
  /// Protocols the peer's listener agreed to for some preference list.
  std::set<std::string> agreed_outbound_;
  /// Preference list -> the index the peer's listener agreed to (see known_choice).
  std::map<std::vector<std::string>, std::size_t> outbound_choices_;
  static constexpr std::size_t max_outbound_choices = 32;
  clock::time_point idle_since_;

  byte_buffer rx_;             ///< socket bytes; [rx_begin_, rx_end_) not yet processed
  std::size_t rx_begin_ = 0;
  std::size_t rx_end_ = 0;
  byte_buffer upgrade_plain_;  ///< plaintext received during the upgrade, not yet consumed
  /// A dialer's /yamux/1.0.0 proposal whose answer has not arrived yet: the
  /// first plaintext is that answer, then Yamux frames.
  std::optional<libp2p::multistream_dialer> muxer_answer_;
  byte_buffer plain_out_;      ///< writer's swap buffer for the session output
  byte_buffer wire_;           ///< sealed bytes being written

  wait_list write_wake_;       ///< the writer: output queued or closing
  wait_list drained_;          ///< stream writers waiting for the output queue to drain
  bool writing_ = false;       ///< the writer has sealed bytes in flight on the socket
  bool reader_done_ = false;
  bool writer_done_ = false;
};

} // namespace snapstream::net::detail
