#include "protocol/libp2p/multistream.hpp"

#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/uvarint.hpp"

#include <algorithm>
#include <optional>

namespace snapstream::libp2p {

namespace {

constexpr std::string_view na = "na";

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 64) out += "...";
  return out;
}

/// Reads one message from `in`: empty optional when incomplete. Before the
/// header (`header == true`) only the header's exact length is accepted, so
/// garbage is refused at its first byte rather than after waiting for a
/// length it made up.
result<std::optional<std::string_view>> read_message(bytes_view in, std::size_t& used, bool header) {
  auto len = uvarint_decode(in);
  if (!len) return make_error(libp2p_errc::multistream_error, "multistream length prefix: " + len.error().message());
  if (!*len) return std::optional<std::string_view>();
  const std::uint64_t n = (*len)->value;
  if (header && n != multistream_protocol_id.size() + 1) {
    return make_error(libp2p_errc::multistream_error,
                      "first message declares " + std::to_string(n) + " bytes; the multistream header has " +
                          std::to_string(multistream_protocol_id.size() + 1));
  }
  if (n == 0 || n > multistream_max_message) {
    return make_error(libp2p_errc::multistream_error,
                      "multistream message of " + std::to_string(n) + " bytes (allowed 1.." +
                          std::to_string(multistream_max_message) + ")");
  }
  const std::size_t start = (*len)->size;
  if (in.size() - start < n) return std::optional<std::string_view>();
  const std::string_view text = as_chars(in.subspan(start, static_cast<std::size_t>(n)));
  if (text.back() != '\n') {
    return make_error(libp2p_errc::multistream_error,
                      "multistream message \"" + printable(text) + "\" does not end in a newline");
  }
  used = start + static_cast<std::size_t>(n);
  return std::optional<std::string_view>(text.substr(0, text.size() - 1));
}

/// Where the two roles differ while they read, apart from what they make of
/// a message after the header.
struct side_rules {
  /// The listener answers the header with its own; the dialer sent its own first.
  bool answers_header;
  /// Put before a framing error seen while the header is still awaited.
  std::string_view before_header;
};

/// The reading loop both roles share: takes whole messages from `in` until
/// `done` or the input runs out; the first must be the header, each later
/// one goes to `on_message`, which appends any reply to `out` and says
/// whether a protocol was agreed.
template <class OnMessage>
result<multistream_progress> receive_messages(bytes_view in, byte_buffer& out, bool& header_seen, bool& done,
                                              const side_rules& rules, OnMessage on_message) {
  multistream_progress p;
  while (!done) {
    std::size_t used = 0;
    auto msg = read_message(in.subspan(p.consumed), used, !header_seen);
    if (!msg) {
      if (!header_seen && !rules.before_header.empty()) {
        return make_error(libp2p_errc::multistream_error, std::string(rules.before_header) + msg.error().message());
      }
      return msg.error();
    }
    if (!*msg) break;
    p.consumed += used;
    const std::string_view text = **msg;
    if (!header_seen) {
      if (text != multistream_protocol_id) {
        return make_error(libp2p_errc::multistream_error,
                          "expected multistream header, got \"" + printable(text) + "\"");
      }
      header_seen = true;
      if (rules.answers_header) multistream_write_message(out, multistream_protocol_id);
      continue;
    }
    auto agreed = on_message(text);
    if (!agreed) return agreed.error();
    done = *agreed;
  }
  p.done = done;
  return p;
}

} // namespace

void multistream_write_message(byte_buffer& out, std::string_view text) {
  uvarint_append(out, text.size() + 1);
  append(out, as_bytes(text));
  out.push_back('\n');
}

multistream_dialer::multistream_dialer(std::vector<std::string> protocols)
  : protocols_(std::move(protocols)) {}

void multistream_dialer::start(byte_buffer& out) {
  multistream_write_message(out, multistream_protocol_id);
  if (!protocols_.empty()) multistream_write_message(out, protocols_[0]);
}

result<multistream_progress> multistream_dialer::receive(bytes_view in, byte_buffer& out) {
  if (protocols_.empty()) return make_error(libp2p_errc::protocol_not_supported, "no protocol to propose");
  const side_rules rules{.answers_header = false, .before_header = {}};
  return receive_messages(in, out, header_seen_, done_, rules, [&](std::string_view text) -> result<bool> {
    if (text == protocols_[current_]) return true;
    if (text != na) {
      return make_error(libp2p_errc::multistream_error,
                        "proposed \"" + printable(protocols_[current_]) + "\", remote answered \"" +
                            printable(text) + "\"");
    }
    if (++current_ == protocols_.size()) {
      current_ = protocols_.size() - 1;
      std::string list;
      for (const auto& proto : protocols_) list += (list.empty() ? "" : ", ") + proto;
      return make_error(libp2p_errc::protocol_not_supported, "remote refused every protocol: " + list);
    }
    multistream_write_message(out, protocols_[current_]);
    return false;
  });
}

multistream_listener::multistream_listener(std::vector<std::string> supported)
  : supported_(std::move(supported)) {}

result<multistream_progress> multistream_listener::receive(bytes_view in, byte_buffer& out) {
  const side_rules rules{.answers_header = true, .before_header = "before multistream header: "};
  return receive_messages(in, out, header_seen_, done_, rules, [&](std::string_view text) -> result<bool> {
    if (++proposals_ > multistream_max_proposals) {
      return make_error(libp2p_errc::multistream_error,
                        "more than " + std::to_string(multistream_max_proposals) + " protocol proposals");
    }
    if (std::find(supported_.begin(), supported_.end(), text) == supported_.end()) {
      multistream_write_message(out, na);
      return false;
    }
    selected_ = std::string(text);
    multistream_write_message(out, text);
    return true;
  });
}

} // namespace snapstream::libp2p
