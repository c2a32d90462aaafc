// libFuzzer target for the Yamux session (protocol/libp2p/yamux.cpp): the
// input is a script of peer bytes (raw, or frames built from fuzz fields)
// interleaved with this side's calls (open, write, consume, grow a window,
// close, reset, ping, go away), against small, fuzz-chosen limits.
//
// Properties, checked after every step:
//  - a stream id the remote opens has its parity and is never reused; calls
//    (data, close, reset, window) name only streams that are open;
//  - `stream_count()` never exceeds `max_streams`;
//  - receive windows: the bytes delivered on a stream never exceed the
//    initial window plus every window update we sent for it; the targets stay
//    within `max_stream_window` and their sum within `max_session_window`;
//  - send windows: `write` takes at most `send_window`, which falls by what
//    it took; a window update is added exactly (never wraps);
//  - everything we send parses as frames (version 0, known type; headers
//    round-trip through `yamux_put_header`);
//  - errors are typed, and a failed session keeps failing.

#include "fuzz_util.hpp"

#include "protocol/common/endian.hpp"
#include "protocol/libp2p/yamux.hpp"

#include <map>
#include <set>
#include <vector>

using namespace snapstream;
using namespace snapstream::libp2p;
using snapstream::fuzz::require;

namespace {

struct recorder final : yamux_handler {
  yamux_session* session = nullptr;
  std::set<std::uint32_t> ever_opened_remote;
  std::set<std::uint32_t> open;
  std::map<std::uint32_t, std::uint64_t> delivered;
  std::uint32_t last_remote = 0;
  bool client = true;

  void on_stream_opened(std::uint32_t id) override {
    require(id != 0 && (id % 2 == 1) != client, "a remote stream id has the remote's parity");
    require(ever_opened_remote.insert(id).second, "a remote stream id is never reused");
    require(id > last_remote, "remote stream ids increase");
    last_remote = id;
    open.insert(id);
    require(session->has_stream(id), "an opened stream is known to the session");
  }
  void on_data(std::uint32_t id, bytes_view data) override {
    require(open.contains(id), "data arrives only on open streams");
    delivered[id] += data.size();
  }
  void on_remote_close(std::uint32_t id) override { require(open.contains(id), "FIN only on open streams"); }
  void on_reset(std::uint32_t id) override {
    require(open.contains(id), "reset only of open streams");
    require(!session->has_stream(id), "a reset stream is forgotten");
    open.erase(id);
  }
  void on_send_window(std::uint32_t id) override { require(open.contains(id), "window only of open streams"); }
  void on_go_away(yamux_go_away) override {}
  void on_pong(std::uint32_t) override {}
};

/// Parses what the session wants to send; records the window credit granted.
struct output_parser {
  std::map<std::uint32_t, std::uint64_t> credit;
  std::size_t data_left = 0;
  std::array<std::uint8_t, yamux_header_size> header{};
  std::size_t have = 0;

  void feed(bytes_view out) {
    while (!out.empty()) {
      if (data_left > 0) {
        const std::size_t n = std::min(data_left, out.size());
        data_left -= n;
        out = out.subspan(n);
        continue;
      }
      const std::size_t n = std::min(yamux_header_size - have, out.size());
      std::copy_n(out.begin(), n, header.begin() + static_cast<std::ptrdiff_t>(have));
      have += n;
      out = out.subspan(n);
      if (have < yamux_header_size) break;
      have = 0;
      const std::uint8_t type = header[1];
      const std::uint16_t flags = load_be16(header.data() + 2);
      const std::uint32_t id = load_be32(header.data() + 4);
      const std::uint32_t length = load_be32(header.data() + 8);
      require(header[0] == 0 && type <= 3, "our frames have version 0 and a known type");
      byte_buffer again;
      yamux_put_header(again, static_cast<yamux_type>(type), flags, id, length);
      require(std::equal(again.begin(), again.end(), header.begin()), "yamux header round trip");
      if (type == 0) data_left = length;
      if (type == 1 && (flags & (yamux_flag::syn | yamux_flag::rst)) == 0) credit[id] += length;
    }
  }
};

void check_invariants(const yamux_session& s, const recorder& r, const output_parser& p, const yamux_config& c) {
  require(s.stream_count() <= c.max_streams, "stream_count never exceeds max_streams");
  std::uint64_t extra = 0;
  for (std::uint32_t id : r.open) {
    if (!s.has_stream(id)) continue;
    const std::uint32_t target = s.receive_window(id);
    require(target >= yamux_initial_window && target <= std::max(c.max_stream_window, yamux_initial_window),
            "a receive window target stays within max_stream_window");
    extra += target - yamux_initial_window;
  }
  require(extra <= c.max_session_window, "the receive windows stay within max_session_window");
  for (const auto& [id, n] : r.delivered) {
    const auto it = p.credit.find(id);
    const std::uint64_t granted = yamux_initial_window + (it == p.credit.end() ? 0 : it->second);
    require(n <= granted, "bytes delivered never exceed the receive window granted");
  }
}

void build_frame(fuzz::fuzz_input& in, byte_buffer& frame) {
  const std::uint8_t type = in.u8();
  const std::uint16_t flags = static_cast<std::uint16_t>(in.u8() & 0x0f);
  const std::uint32_t id = in.u8();
  std::uint32_t length = in.u16();
  if ((type & 3) == 0) length %= 4096;
  yamux_put_header(frame, static_cast<yamux_type>(type & 3), flags, id, length);
  if ((type & 3) == 0) {
    frame.resize(frame.size() + length, 0x5a);
  }
  if (type & 0x80) frame[1] = type; // sometimes an unknown type
}

void run(fuzz::fuzz_input& in) {
  const std::uint8_t setup = in.u8();
  const bool client = (setup & 1) != 0;
  yamux_config config;
  config.max_streams = 1 + (setup >> 1) % 8;
  config.max_stream_window = yamux_initial_window + in.u16() * 64u;
  config.max_session_window = std::uint64_t{in.u16()} * 256u;
  config.max_frame = 1 + in.u16();
  config.max_send_frame = 1 + in.u16() % 4096;
  yamux_session s(client, config);
  recorder r;
  r.session = &s;
  r.client = client;
  output_parser p;
  std::vector<std::uint32_t> local;
  bool dead = false;

  auto pick = [&](std::uint8_t v) -> std::uint32_t {
    std::vector<std::uint32_t> all(r.open.begin(), r.open.end());
    all.insert(all.end(), local.begin(), local.end());
    if (all.empty() || v == 0xff) return v; // sometimes an unknown id
    return all[v % all.size()];
  };

  for (int step = 0; step < 256 && !in.empty(); ++step) {
    const std::uint8_t op = in.u8();
    switch (op % 9) {
    case 0:
    case 1: {
      byte_buffer bytes;
      if (op % 9 == 0) {
        bytes = to_buffer(in.chunk16());
      } else {
        build_frame(in, bytes);
      }
      // Feed it in two pieces: partial frames must be kept.
      const std::size_t cut = bytes.empty() ? 0 : in.u16() % (bytes.size() + 1);
      auto a = s.receive(bytes_view(bytes).first(cut), r);
      auto b = a ? s.receive(bytes_view(bytes).subspan(cut), r) : a;
      if (!fuzz::ok_or_typed(b, "yamux_session::receive")) {
        dead = true;
        auto again = s.receive(as_bytes("x"), r);
        require(!again.has_value() && again.error() == b.error(), "a failed session keeps its error");
      }
      break;
    }
    case 2: {
      auto id = s.open_stream();
      if (fuzz::ok_or_typed(id, "yamux_session::open_stream")) {
        require((*id % 2 == 1) == client, "our stream ids have our parity");
        require(std::find(local.begin(), local.end(), *id) == local.end(), "our stream ids are never reused");
        local.push_back(*id);
        r.open.insert(*id);
      }
      break;
    }
    case 3: {
      const std::uint32_t id = pick(in.u8());
      const bytes_view data = in.chunk16();
      const bool fin = (op & 0x80) != 0;
      const std::uint32_t before = s.send_window(id);
      auto n = s.write(id, data, fin);
      if (fuzz::ok_or_typed(n, "yamux_session::write")) {
        require(*n <= before && *n <= data.size(), "write takes at most the send window");
        if (s.has_stream(id)) require(s.send_window(id) == before - *n, "the send window falls by what was taken");
      }
      break;
    }
    case 4: {
      const std::uint32_t id = pick(in.u8());
      s.consumed(id, in.u32());
      break;
    }
    case 5: {
      const std::uint32_t id = pick(in.u8());
      s.set_receive_window(id, in.u32());
      break;
    }
    case 6: {
      const std::uint32_t id = pick(in.u8());
      if (op & 0x80) {
        s.reset(id);
        require(!s.has_stream(id), "a reset stream is gone");
      } else {
        auto c = s.close(id);
        (void)fuzz::ok_or_typed(c, "yamux_session::close");
      }
      break;
    }
    case 7: s.ping(in.u32()); break;
    case 8: s.go_away(static_cast<yamux_go_away>(in.u8() % 3)); break;
    }
    // Forget streams the session forgot (closed both ways or reset).
    for (auto it = r.open.begin(); it != r.open.end();) {
      if (!s.has_stream(*it)) it = r.open.erase(it);
      else ++it;
    }
    p.feed(s.output());
    s.output().clear();
    check_invariants(s, r, p, config);
    if (dead) break;
  }
}

void write_seeds(fuzz::seed_writer& w) {
  // Each seed: setup, limits, then a script. The peer bytes come from a real
  // session (the other role), so they are frames as a peer sends them.
  for (std::uint8_t client : {0, 1}) {
    yamux_session peer(client == 0, yamux_config{});
    auto id = peer.open_stream();
    (void)peer.write(*id, as_bytes("hello yamux"), false);
    peer.set_receive_window(*id, 1 << 20);
    peer.ping(7);
    (void)peer.write(*id, as_bytes("bye"), true);
    auto id2 = peer.open_stream();
    peer.reset(*id2);
    peer.go_away(yamux_go_away::normal);
    const byte_buffer peer_bytes = peer.output();

    byte_buffer b{static_cast<std::uint8_t>(client | 6)};
    fuzz::put_u16(b, 256);
    fuzz::put_u16(b, 4096);
    fuzz::put_u16(b, 0xffff);
    fuzz::put_u16(b, 1024);
    b.push_back(0); // receive raw
    fuzz::put_chunk16(b, peer_bytes);
    fuzz::put_u16(b, 17);
    b.push_back(2); // open a stream
    b.push_back(3); // write on it
    b.push_back(1);
    fuzz::put_chunk16(b, as_bytes("a request"));
    b.push_back(4); // consume
    b.push_back(0);
    b.insert(b.end(), {0, 0, 1, 0});
    b.push_back(5); // grow a window
    b.push_back(0);
    b.insert(b.end(), {0, 0, 0x10, 0});
    b.push_back(6 | 0x80); // reset
    b.push_back(0);
    b.push_back(7);
    b.insert(b.end(), {1, 2, 3, 4});
    b.push_back(1); // a built frame: data on stream 1 or 2
    b.insert(b.end(), {0, 1, static_cast<std::uint8_t>(client ? 2 : 1), 16, 0});
    fuzz::put_u16(b, 5);
    b.push_back(8);
    b.push_back(0);
    w.write(client ? "client-session" : "server-session", b);
  }
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::fuzz_input in(data, size);
  run(in);
  return 0;
}
