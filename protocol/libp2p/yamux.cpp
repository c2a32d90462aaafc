#include "protocol/libp2p/yamux.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <algorithm>

namespace snapstream::libp2p {

namespace {

error protocol_error(std::string what) { return make_error(libp2p_errc::yamux_protocol_error, std::move(what)); }

std::string sid(std::uint32_t id) { return "stream " + std::to_string(id); }

} // namespace

void yamux_put_header(byte_buffer& out, yamux_type type, std::uint16_t flags, std::uint32_t stream,
                      std::uint32_t length) {
  const std::size_t at = out.size();
  out.resize(at + yamux_header_size);
  std::uint8_t* p = out.data() + at;
  p[0] = 0;
  p[1] = static_cast<std::uint8_t>(type);
  store_be16(p + 2, flags);
  store_be32(p + 4, stream);
  store_be32(p + 8, length);
}

yamux_session::yamux_session(bool client, yamux_config config)
  : client_(client), config_(config), next_local_id_(client ? 1 : 2) {
  config_.max_stream_window = std::max(config_.max_stream_window, yamux_initial_window);
  config_.max_send_frame = std::max<std::uint32_t>(config_.max_send_frame, 1);
}

result<void> yamux_session::fail(error e, bool send_go_away) {
  if (send_go_away && !local_go_away_) {
    yamux_put_header(out_, yamux_type::go_away, 0, 0, static_cast<std::uint32_t>(yamux_go_away::protocol_error));
    local_go_away_ = true;
  }
  failed_ = e;
  dead_ = true;
  return e;
}

result<void> yamux_session::receive(bytes_view in, yamux_handler& handler) {
  if (dead_) return failed_;
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (payload_left_ > 0) {
      const std::uint32_t n = static_cast<std::uint32_t>(std::min<std::size_t>(payload_left_, in.size() - pos));
      const bytes_view piece = in.subspan(pos, n);
      pos += n;
      payload_left_ -= n;
      if (payload_deliver_) {
        auto it = streams_.find(payload_stream_);
        if (it != streams_.end()) {
          it->second.buffered += n;
          handler.on_data(payload_stream_, piece);
        }
      }
      if (payload_left_ == 0) {
        // Flags that end a stream apply after the frame's payload.
        const std::uint16_t flags = load_be16(header_.data() + 2);
        const std::uint32_t id = payload_stream_;
        if ((flags & yamux_flag::rst) != 0 && streams_.contains(id)) {
          forget(id);
          handler.on_reset(id);
        } else if ((flags & yamux_flag::fin) != 0) {
          auto it = streams_.find(id);
          if (it != streams_.end() && !it->second.remote_fin) {
            it->second.remote_fin = true;
            const bool both = it->second.local_fin;
            handler.on_remote_close(id);
            if (both) forget(id);
          }
        }
        if (dead_) return failed_;
      }
      continue;
    }
    const std::size_t take = std::min(yamux_header_size - header_have_, in.size() - pos);
    std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), take, header_.begin() + static_cast<std::ptrdiff_t>(header_have_));
    header_have_ += take;
    pos += take;
    if (header_have_ < yamux_header_size) break;
    header_have_ = 0;
    if (auto r = on_header(handler); !r) return r;
    if (dead_) return failed_;
  }
  return {};
}

result<void> yamux_session::on_new_remote_stream(std::uint32_t id, yamux_handler& handler, bool& accepted) {
  accepted = false;
  if (id == 0 || !is_remote_id(id)) {
    return fail(make_error(libp2p_errc::yamux_invalid_stream_id,
                           "remote opened " + sid(id) + " with this side's parity"));
  }
  if (id <= last_remote_id_) {
    return fail(make_error(libp2p_errc::yamux_stream_id_reuse,
                           "remote reopened " + sid(id) + " (last opened " + std::to_string(last_remote_id_) + ")"));
  }
  last_remote_id_ = id;
  if (local_go_away_ || streams_.size() >= config_.max_streams) {
    yamux_put_header(out_, yamux_type::window_update, yamux_flag::rst, id, 0);
    return {};
  }
  streams_.emplace(id, stream_state{});
  yamux_put_header(out_, yamux_type::window_update, yamux_flag::ack, id, 0);
  accepted = true;
  handler.on_stream_opened(id);
  return {};
}

result<void> yamux_session::on_header(yamux_handler& handler) {
  const std::uint8_t version = header_[0];
  const std::uint8_t type = header_[1];
  const std::uint16_t flags = load_be16(header_.data() + 2);
  const std::uint32_t id = load_be32(header_.data() + 4);
  const std::uint32_t length = load_be32(header_.data() + 8);
  if (version != 0) return fail(protocol_error("yamux version " + std::to_string(version) + ", expected 0"));
  if (type > static_cast<std::uint8_t>(yamux_type::go_away)) {
    return fail(make_error(libp2p_errc::yamux_unknown_type, "unknown yamux frame type " + std::to_string(type)));
  }
  const auto t = static_cast<yamux_type>(type);

  if (t == yamux_type::ping) {
    if (id != 0) return fail(protocol_error("ping on " + sid(id)));
    if ((flags & yamux_flag::syn) != 0) {
      yamux_put_header(out_, yamux_type::ping, yamux_flag::ack, 0, length);
    } else if ((flags & yamux_flag::ack) != 0) {
      handler.on_pong(length);
    }
    return {};
  }
  if (t == yamux_type::go_away) {
    if (id != 0) return fail(protocol_error("go away on " + sid(id)));
    remote_go_away_ = true;
    handler.on_go_away(static_cast<yamux_go_away>(length));
    return {};
  }
  if (id == 0) return fail(protocol_error(std::string(t == yamux_type::data ? "data" : "window update") + " on stream 0"));

  if (t == yamux_type::data && length > config_.max_frame) {
    return fail(make_error(libp2p_errc::yamux_frame_too_large,
                           "data frame of " + std::to_string(length) + " bytes on " + sid(id) +
                               " exceeds the cap of " + std::to_string(config_.max_frame)));
  }

  bool known = streams_.contains(id);
  if ((flags & yamux_flag::syn) != 0) {
    bool accepted = false;
    if (auto r = on_new_remote_stream(id, handler, accepted); !r) return r;
    known = accepted && streams_.contains(id);
  } else if (!known) {
    const bool never_opened = is_remote_id(id) ? id > last_remote_id_ : id >= next_local_id_;
    if (never_opened) {
      return fail(make_error(libp2p_errc::yamux_invalid_stream_id,
                             "frame for " + sid(id) + ", which was never opened"));
    }
    // A stream already closed or reset: frames in flight are dropped.
  }
  // The ACK of one of our streams needs no action beyond acceptance.

  if (t == yamux_type::window_update) {
    if (known) {
      auto& s = streams_.at(id);
      if (static_cast<std::uint64_t>(s.send_window) + length > 0xffffffffULL) {
        return fail(protocol_error("window update on " + sid(id) + " overflows 2^32-1"));
      }
      s.send_window += length;
    }
    if (known && (flags & yamux_flag::rst) != 0) {
      forget(id);
      handler.on_reset(id);
      return {};
    }
    if (known && length > 0) handler.on_send_window(id);
    if (known && (flags & yamux_flag::fin) != 0) {
      auto it = streams_.find(id);
      if (it != streams_.end() && !it->second.remote_fin) {
        it->second.remote_fin = true;
        const bool both = it->second.local_fin;
        handler.on_remote_close(id);
        if (both) forget(id);
      }
    }
    return {};
  }

  // Data
  payload_stream_ = id;
  payload_left_ = length;
  payload_deliver_ = false;
  if (known) {
    auto& s = streams_.at(id);
    if (length > s.recv_window) {
      return fail(make_error(libp2p_errc::yamux_window_exceeded,
                             "data frame of " + std::to_string(length) + " bytes on " + sid(id) +
                                 " exceeds its receive window of " + std::to_string(s.recv_window)));
    }
    if (s.remote_fin && length > 0) {
      // Data after FIN breaks only this stream.
      yamux_put_header(out_, yamux_type::window_update, yamux_flag::rst, id, 0);
      forget(id);
      handler.on_reset(id);
      header_[2] = header_[3] = 0; // no FIN/RST left to apply after the skipped payload
      return {};
    }
    s.recv_window -= length;
    payload_deliver_ = true;
  }
  if (length == 0) {
    // Flags of an empty Data frame take effect now.
    payload_left_ = 0;
    if (!known) return {};
    if ((flags & yamux_flag::rst) != 0) {
      forget(id);
      handler.on_reset(id);
    } else if ((flags & yamux_flag::fin) != 0) {
      auto it = streams_.find(id);
      if (it != streams_.end() && !it->second.remote_fin) {
        it->second.remote_fin = true;
        const bool both = it->second.local_fin;
        handler.on_remote_close(id);
        if (both) forget(id);
      }
    }
  }
  return {};
}

result<std::uint32_t> yamux_session::open_stream() {
  if (dead_) return failed_;
  if (remote_go_away_ || local_go_away_) {
    return make_error(libp2p_errc::yamux_session_closed, "cannot open a stream after go away");
  }
  if (streams_.size() >= config_.max_streams) {
    return make_error(libp2p_errc::yamux_stream_limit,
                      "stream limit of " + std::to_string(config_.max_streams) + " reached");
  }
  if (next_local_id_ > 0xffffffffU - 2) {
    return make_error(libp2p_errc::yamux_stream_limit, "stream ids exhausted");
  }
  const std::uint32_t id = next_local_id_;
  next_local_id_ += 2;
  streams_.emplace(id, stream_state{});
  yamux_put_header(out_, yamux_type::window_update, yamux_flag::syn, id, 0);
  return id;
}

result<std::size_t> yamux_session::write(std::uint32_t id, bytes_view data, bool fin) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return make_error(libp2p_errc::yamux_stream_closed, sid(id) + " is closed or reset");
  stream_state& s = it->second;
  if (s.local_fin) return make_error(libp2p_errc::yamux_stream_closed, sid(id) + " is already closed for writing");
  const std::size_t n = std::min<std::size_t>(data.size(), s.send_window);
  const bool set_fin = fin && n == data.size();
  std::size_t done = 0;
  out_.reserve(out_.size() + n + (n / config_.max_send_frame + 1) * yamux_header_size);
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, config_.max_send_frame);
    const bool last = done + chunk == n;
    yamux_put_header(out_, yamux_type::data, (last && set_fin) ? yamux_flag::fin : 0, id,
                     static_cast<std::uint32_t>(chunk));
    append(out_, data.subspan(done, chunk));
    done += chunk;
  }
  s.send_window -= static_cast<std::uint32_t>(n);
  if (set_fin) {
    if (n == 0) yamux_put_header(out_, yamux_type::window_update, yamux_flag::fin, id, 0);
    s.local_fin = true;
    if (s.remote_fin) forget(id);
  }
  return n;
}

result<void> yamux_session::close(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return make_error(libp2p_errc::yamux_stream_closed, sid(id) + " is closed or reset");
  if (it->second.local_fin) return {};
  it->second.local_fin = true;
  yamux_put_header(out_, yamux_type::window_update, yamux_flag::fin, id, 0);
  if (it->second.remote_fin) forget(id);
  return {};
}

void yamux_session::reset(std::uint32_t id) {
  if (!streams_.contains(id)) return;
  yamux_put_header(out_, yamux_type::window_update, yamux_flag::rst, id, 0);
  forget(id);
}

void yamux_session::forget(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  session_extra_ -= it->second.recv_target - yamux_initial_window;
  streams_.erase(it);
}

void yamux_session::maybe_update_window(std::uint32_t id, stream_state& s, bool force) {
  if (s.remote_fin || local_go_away_) return;
  const std::uint64_t held = static_cast<std::uint64_t>(s.recv_window) + s.buffered;
  if (held >= s.recv_target) return;
  const std::uint32_t delta = static_cast<std::uint32_t>(s.recv_target - held);
  if (!force && delta < s.recv_target / 2) return;
  s.recv_window += delta;
  yamux_put_header(out_, yamux_type::window_update, 0, id, delta);
}

void yamux_session::consumed(std::uint32_t id, std::size_t n) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  stream_state& s = it->second;
  s.buffered -= static_cast<std::uint32_t>(std::min<std::size_t>(n, s.buffered));
  maybe_update_window(id, s, false);
}

void yamux_session::set_receive_window(std::uint32_t id, std::uint32_t target) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  stream_state& s = it->second;
  target = std::clamp(target, yamux_initial_window, config_.max_stream_window);
  const std::uint64_t others = session_extra_ - (s.recv_target - yamux_initial_window);
  const std::uint64_t room = config_.max_session_window > others ? config_.max_session_window - others : 0;
  target = static_cast<std::uint32_t>(std::min<std::uint64_t>(target, yamux_initial_window + room));
  session_extra_ = others + (target - yamux_initial_window);
  const bool grew = target > s.recv_target;
  s.recv_target = target;
  maybe_update_window(id, s, grew);
}

void yamux_session::ping(std::uint32_t opaque) { yamux_put_header(out_, yamux_type::ping, yamux_flag::syn, 0, opaque); }

void yamux_session::go_away(yamux_go_away code) {
  if (local_go_away_) return;
  local_go_away_ = true;
  yamux_put_header(out_, yamux_type::go_away, 0, 0, static_cast<std::uint32_t>(code));
}

std::uint32_t yamux_session::send_window(std::uint32_t id) const noexcept {
  auto it = streams_.find(id);
  return it == streams_.end() ? 0 : it->second.send_window;
}

std::uint32_t yamux_session::receive_window(std::uint32_t id) const noexcept {
  auto it = streams_.find(id);
  return it == streams_.end() ? 0 : it->second.recv_target;
}

} // namespace snapstream::libp2p
