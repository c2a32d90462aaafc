#pragma once
/// multistream-select 1.0 (libp2p connection-establishment spec): the
/// negotiation that picks a protocol on a fresh connection or stream.
///
/// A message is a uvarint length, then that many bytes: UTF-8 text ending in
/// `\n`. Both sides start with the header `/multistream/1.0.0`; the dialer
/// proposes protocol ids one at a time, and the listener echoes the one it
/// accepts or answers `na`. The dialer sends its header and first proposal
/// in one write (as js-libp2p does) and falls back to the next proposal on
/// `na`.
///
/// Both machines are sans-I/O: `receive` takes whatever bytes have arrived,
/// consumes whole messages only (returning how many bytes it used, so bytes
/// that follow the negotiation stay with the caller) and appends replies to
/// `out`. They are single-use and not thread-safe.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::libp2p {

inline constexpr std::string_view multistream_protocol_id = "/multistream/1.0.0";
/// Longest message accepted (text and `\n`), as go-multistream limits it.
inline constexpr std::size_t multistream_max_message = 1024;
/// Proposals a listener answers before it gives up on the peer.
inline constexpr std::size_t multistream_max_proposals = 32;

/// Appends one framed message (`uvarint(len+1) text \n`).
void multistream_write_message(byte_buffer& out, std::string_view text);

/// What one `receive` call achieved.
struct multistream_progress {
  std::size_t consumed = 0; ///< input bytes used; the rest belongs to the next layer
  bool done = false;        ///< a protocol was agreed
};

/// The dialer (initiator) side.
class multistream_dialer {
public:
  /// `protocols` in order of preference; must not be empty.
  explicit multistream_dialer(std::vector<std::string> protocols);

  /// Appends the header and the first proposal to `out`; call once, first.
  void start(byte_buffer& out);

  /// Processes the listener's bytes. Fails with `multistream_error` on a bad
  /// header or malformed reply and `protocol_not_supported` when every
  /// proposal was refused.
  [[nodiscard]] result<multistream_progress> receive(bytes_view in, byte_buffer& out);

  /// The agreed protocol (valid once `done`).
  [[nodiscard]] const std::string& selected() const noexcept { return protocols_[current_]; }
  /// Its index in the preference list.
  [[nodiscard]] std::size_t selected_index() const noexcept { return current_; }

private:
  std::vector<std::string> protocols_;
  std::size_t current_ = 0;
  bool header_seen_ = false;
  bool done_ = false;
};

/// The listener (responder) side.
class multistream_listener {
public:
  /// `supported`: the protocol ids this side accepts.
  explicit multistream_listener(std::vector<std::string> supported);

  /// Processes the dialer's bytes; replies go to `out`. Fails with
  /// `multistream_error` when the first message is not the header (garbage
  /// before multistream), a message is malformed or too long, or the dialer
  /// made more than `multistream_max_proposals` proposals.
  [[nodiscard]] result<multistream_progress> receive(bytes_view in, byte_buffer& out);

  /// The agreed protocol (valid once `done`).
  [[nodiscard]] const std::string& selected() const noexcept { return selected_; }

private:
  std::vector<std::string> supported_;
  std::string selected_;
  std::size_t proposals_ = 0;
  bool header_seen_ = false;
  bool done_ = false;
};

} // namespace snapstream::libp2p
