#pragma once
/// Yamux 1.0.0 stream multiplexing (hashicorp/yamux spec.md, as libp2p uses
/// it under `/yamux/1.0.0`), as a sans-I/O session state machine.
///
/// Every frame has a 12-byte big-endian header:
///   version u8 (0) | type u8 | flags u16 | stream id u32 | length u32
/// Types: Data (0, `length` payload bytes follow), WindowUpdate (1, `length`
/// is a window delta), Ping (2, `length` is an opaque value), GoAway (3,
/// `length` is the reason). Flags: SYN 1, ACK 2, FIN 4, RST 8. The dialer
/// (client) opens odd stream ids, the listener (server) even ones; id 0 is
/// the session itself. Every stream starts with a 256 KiB window in each
/// direction; a receiver grows it with window updates.
///
/// `receive` decodes peer bytes and reports what happened through a
/// `yamux_handler`; everything this side must send (ACKs, window updates,
/// pongs, data, RSTs, GoAway) is appended to `output()`, which the owner
/// writes to the connection and clears. Not thread-safe.
///
/// Rules enforced on the remote (violation -> the error, with GoAway
/// (protocol error) queued; the connection must then be closed):
///  - version 0, a known type, stream 0 only for Ping/GoAway;
///  - a new stream id has the remote's parity and is above every id the remote
///    opened before (`yamux_stream_id_reuse` otherwise);
///  - a frame for an id never opened -> `yamux_invalid_stream_id`;
///  - Data never exceeds the stream's receive window (`yamux_window_exceeded`)
///    nor `max_frame` (`yamux_frame_too_large`);
///  - a send window never grows past 2^32-1.
/// Stream-level faults (data after FIN) reset only that stream. A new stream
/// beyond `max_streams`, or after this side sent GoAway, is refused with RST.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace snapstream::libp2p {

inline constexpr std::string_view yamux_protocol_id = "/yamux/1.0.0";
inline constexpr std::size_t yamux_header_size = 12;
inline constexpr std::uint32_t yamux_initial_window = 256 * 1024;

enum class yamux_type : std::uint8_t { data = 0, window_update = 1, ping = 2, go_away = 3 };

namespace yamux_flag {
inline constexpr std::uint16_t syn = 1;
inline constexpr std::uint16_t ack = 2;
inline constexpr std::uint16_t fin = 4;
inline constexpr std::uint16_t rst = 8;
} // namespace yamux_flag

/// GoAway reasons.
enum class yamux_go_away : std::uint32_t { normal = 0, protocol_error = 1, internal_error = 2 };

/// Appends one frame header.
void yamux_put_header(byte_buffer& out, yamux_type type, std::uint16_t flags, std::uint32_t stream,
                      std::uint32_t length);

/// Limits of one session.
struct yamux_config {
  /// Streams open at once, both directions together.
  std::uint32_t max_streams = 256;
  /// Largest receive window granted to one stream (bytes).
  std::uint32_t max_stream_window = 16 * 1024 * 1024;
  /// Receive window granted beyond the initial 256 KiB, summed over every
  /// stream of the session: bounds the memory one peer can make us buffer.
  std::uint64_t max_session_window = 64 * 1024 * 1024;
  /// Largest Data frame accepted (its length is checked at the header, before
  /// any payload is read).
  std::uint32_t max_frame = 16 * 1024 * 1024;
  /// Largest Data frame payload sent; 65507 makes header + payload fill one
  /// Noise frame exactly.
  std::uint32_t max_send_frame = 65535 - 16 - 12;
};

/// What a session reports while decoding. Callbacks run inside `receive`;
/// they may call the session's send-side functions (write, close, reset,
/// set_receive_window, consumed) but not `receive`.
class yamux_handler {
public:
  virtual ~yamux_handler() = default;
  /// The remote opened stream `id` (already acknowledged).
  virtual void on_stream_opened(std::uint32_t id) = 0;
  /// Payload bytes of stream `id`, in order (a frame may arrive in pieces).
  virtual void on_data(std::uint32_t id, bytes_view data) = 0;
  /// The remote half-closed stream `id` (FIN): no more data will come.
  virtual void on_remote_close(std::uint32_t id) = 0;
  /// Stream `id` was reset (by the remote's RST, or by this session for a
  /// stream-level fault); the session has forgotten it.
  virtual void on_reset(std::uint32_t id) = 0;
  /// The send window of stream `id` grew; a blocked writer may go on.
  virtual void on_send_window(std::uint32_t id) = 0;
  /// The remote sent GoAway: it accepts no new streams.
  virtual void on_go_away(yamux_go_away code) = 0;
  /// A reply to `ping(opaque)`.
  virtual void on_pong(std::uint32_t opaque) = 0;
};

class yamux_session {
public:
  /// `client`: the side that dialled the connection (odd stream ids).
  yamux_session(bool client, yamux_config config);

  /// Decodes `in` (any split of the byte stream); partial frames are kept.
  /// After an error the session is dead and keeps returning it.
  [[nodiscard]] result<void> receive(bytes_view in, yamux_handler& handler);

  /// Opens a stream (SYN queued). Fails with `yamux_session_closed` after
  /// GoAway either way, `yamux_stream_limit` at `max_streams`.
  [[nodiscard]] result<std::uint32_t> open_stream();

  /// Queues up to `min(data.size(), send_window(id))` bytes as Data frames and
  /// returns how many were taken; with `fin`, the FIN flag goes on the last
  /// frame when all of `data` was taken. Fails with `yamux_stream_closed` when
  /// the stream is unknown, reset or already half-closed by this side.
  [[nodiscard]] result<std::size_t> write(std::uint32_t id, bytes_view data, bool fin = false);
  /// Half-closes stream `id` (FIN). Closing twice is a no-op.
  [[nodiscard]] result<void> close(std::uint32_t id);
  /// Resets stream `id` (RST) and forgets it. Unknown ids are ignored.
  void reset(std::uint32_t id);

  /// The application took `n` delivered bytes of stream `id` out of its
  /// buffer: their window may be handed back (a window update is queued once
  /// at least half the target window can be returned).
  void consumed(std::uint32_t id, std::size_t n);
  /// Sets the receive window stream `id` should have, clamped to
  /// `max_stream_window` and what is left of `max_session_window`; grows it
  /// at once (window update), shrinks as data arrives.
  void set_receive_window(std::uint32_t id, std::uint32_t target);

  /// Queues a Ping with `opaque`.
  void ping(std::uint32_t opaque);
  /// Queues GoAway; no new stream is accepted or opened afterwards.
  void go_away(yamux_go_away code);

  /// Bytes this side may still send on stream `id` (0 when unknown).
  [[nodiscard]] std::uint32_t send_window(std::uint32_t id) const noexcept;
  /// The stream's current receive window target (0 when unknown).
  [[nodiscard]] std::uint32_t receive_window(std::uint32_t id) const noexcept;
  [[nodiscard]] bool has_stream(std::uint32_t id) const noexcept { return streams_.contains(id); }
  [[nodiscard]] std::size_t stream_count() const noexcept { return streams_.size(); }
  [[nodiscard]] bool remote_went_away() const noexcept { return remote_go_away_; }
  [[nodiscard]] bool local_went_away() const noexcept { return local_go_away_; }

  /// Frames waiting to be sent. The owner sends them and clears (or swaps)
  /// the buffer.
  [[nodiscard]] byte_buffer& output() noexcept { return out_; }

private:
  struct stream_state {
    std::uint32_t send_window = yamux_initial_window;
    std::uint32_t recv_window = yamux_initial_window; // credit the remote has left
    std::uint32_t recv_target = yamux_initial_window; // window we want it to have
    std::uint32_t buffered = 0;                       // delivered, not yet consumed
    bool local_fin = false;
    bool remote_fin = false;
  };

  [[nodiscard]] result<void> on_header(yamux_handler& handler);
  [[nodiscard]] result<void> on_new_remote_stream(std::uint32_t id, yamux_handler& handler, bool& accepted);
  [[nodiscard]] result<void> fail(error e, bool send_go_away = true);
  void maybe_update_window(std::uint32_t id, stream_state& s, bool force);
  void forget(std::uint32_t id);
  [[nodiscard]] bool is_remote_id(std::uint32_t id) const noexcept { return (id % 2 == 1) != client_; }

  bool client_;
  yamux_config config_;
  std::unordered_map<std::uint32_t, stream_state> streams_;
  std::uint32_t next_local_id_;
  std::uint32_t last_remote_id_ = 0;
  std::uint64_t session_extra_ = 0; // sum of (recv_target - initial) over streams
  bool remote_go_away_ = false;
  bool local_go_away_ = false;
  error failed_;
  bool dead_ = false;

  // decoder state
  std::array<std::uint8_t, yamux_header_size> header_{};
  std::size_t header_have_ = 0;
  std::uint32_t payload_left_ = 0;  // payload bytes of the current Data frame still to come
  std::uint32_t payload_stream_ = 0;
  bool payload_deliver_ = false;    // false: skip (stream gone)

  byte_buffer out_;
};

} // namespace snapstream::libp2p
