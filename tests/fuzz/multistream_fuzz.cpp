// libFuzzer target for multistream-select (protocol/libp2p/multistream.cpp):
// the input is the bytes a peer sends, fed to our listener (first byte even)
// or our dialer (odd), whole and in pieces the second byte chooses.
//
// Properties:
//  - the outcome (agreed protocol, error, bytes consumed) does not depend on
//    how the byte stream is split;
//  - an agreed protocol is one the side offered or supports; `consumed` never
//    exceeds the input; errors are typed;
//  - everything a side writes is well-framed multistream messages
//    (decode -> encode -> the same bytes), starting with the header.

#include "fuzz_util.hpp"

#include "protocol/libp2p/multistream.hpp"
#include "protocol/libp2p/uvarint.hpp"

#include <optional>
#include <string>
#include <vector>

using namespace snapstream;
using namespace snapstream::libp2p;
using snapstream::fuzz::require;

namespace {

const std::vector<std::string> protocols{"/rpp/snapshots/1.1.0", "/rpp/snapshots/1.0.0", "/yamux/1.0.0",
                                         "/noise"};
const std::vector<std::string> supported{"/rpp/snapshots/1.0.0", "/yamux/1.0.0", "/noise",
                                         "/ipfs/id/1.0.0"};

struct outcome {
  bool failed = false;
  bool done = false;
  std::string selected;
  std::size_t consumed = 0; // bytes of the stream used up to and including the agreement
  byte_buffer out;
};

/// Checks that `out` is a sequence of framed messages and returns their texts.
std::vector<std::string> parse_messages(bytes_view out) {
  std::vector<std::string> texts;
  while (!out.empty()) {
    auto len = uvarint_decode(out);
    require(len.has_value() && len->has_value(), "our output has a valid length prefix");
    const auto [n, size] = **len;
    require(n >= 1 && n <= multistream_max_message && size + n <= out.size(), "our output length is in range");
    const std::string_view text = as_chars(out.subspan(size, static_cast<std::size_t>(n)));
    require(text.back() == '\n', "our messages end in a newline");
    byte_buffer again;
    multistream_write_message(again, text.substr(0, text.size() - 1));
    require(std::equal(again.begin(), again.end(), out.begin()), "multistream message round trip");
    texts.emplace_back(text.substr(0, text.size() - 1));
    out = out.subspan(size + static_cast<std::size_t>(n));
  }
  return texts;
}

/// Feeds `stream` to a fresh machine of the chosen role in pieces of the
/// sizes `cuts` gives (cut 0: everything at once).
template <class Machine>
outcome run(Machine machine, bytes_view stream, fuzz::fuzz_input cuts, bool dialer) {
  outcome o;
  if constexpr (requires { machine.start(o.out); }) machine.start(o.out);
  byte_buffer pending;
  std::size_t fed = 0;
  while (!o.done && !o.failed) {
    std::size_t piece = cuts.empty() ? stream.size() - fed : std::size_t{cuts.u8()} + 1;
    piece = std::min(piece, stream.size() - fed);
    if (piece == 0 && fed == stream.size() && pending.empty()) break;
    append(pending, stream.subspan(fed, piece));
    fed += piece;
    auto r = machine.receive(pending, o.out);
    if (!fuzz::ok_or_typed(r, dialer ? "multistream_dialer::receive" : "multistream_listener::receive")) {
      o.failed = true;
      break;
    }
    require(r->consumed <= pending.size(), "consumed never exceeds the input");
    o.consumed += r->consumed;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(r->consumed));
    if (r->done) {
      o.done = true;
      o.selected = machine.selected();
    }
    if (fed == stream.size() && !r->done) break; // nothing more will come
  }
  // The consumed count is only comparable once agreed: unfinished machines may
  // hold a partial message.
  if (!o.done) o.consumed = 0;
  return o;
}

template <class Machine>
void check_role(bytes_view stream, fuzz::fuzz_input cuts, bool dialer, const Machine& fresh) {
  const outcome whole = run(fresh, stream, fuzz::fuzz_input(bytes_view{}), dialer);
  const outcome split = run(fresh, stream, cuts, dialer);
  // A failure may come earlier in whole-stream feeding only when the split
  // run stopped waiting; compare what both saw completely.
  require(whole.failed == split.failed, "failing does not depend on how the stream is split");
  require(whole.done == split.done && whole.selected == split.selected,
          "the agreed protocol does not depend on how the stream is split");
  require(whole.consumed == split.consumed, "bytes used for the agreement do not depend on the split");
  require(whole.out == split.out || whole.failed, "replies do not depend on how the stream is split");
  const auto texts = parse_messages(whole.out);
  // The dialer writes its header first; the listener once it read the dialer's.
  if (dialer || !whole.out.empty())
    require(!texts.empty() && texts[0] == multistream_protocol_id, "a side starts with the header");
  if (whole.done) {
    const auto& list = dialer ? protocols : supported;
    require(std::find(list.begin(), list.end(), whole.selected) != list.end(), "an agreed protocol is one we offer");
    require(whole.consumed <= stream.size(), "consumed within the stream");
  }
}

void write_seeds(fuzz::seed_writer& w) {
  auto with_cuts = [](std::uint8_t role, bytes_view stream) {
    byte_buffer b{role, 3};
    b.push_back(1);
    b.push_back(7);
    append(b, stream);
    return b;
  };
  // What a dialer sends: header and proposals, as our dialer writes them.
  {
    byte_buffer s;
    multistream_dialer d(protocols);
    d.start(s);
    w.write("listener-dialer-opening", with_cuts(0, s));
    multistream_write_message(s, "/yamux/1.0.0");
    w.write("listener-fallback", with_cuts(0, s));
    append(s, as_bytes("trailing bytes of the next layer"));
    w.write("listener-then-data", with_cuts(0, s));
  }
  // What a listener answers: header, then na or the echo.
  {
    byte_buffer s;
    multistream_write_message(s, multistream_protocol_id);
    multistream_write_message(s, "/rpp/snapshots/1.1.0");
    w.write("dialer-accepted", with_cuts(1, s));
  }
  {
    byte_buffer s;
    multistream_write_message(s, multistream_protocol_id);
    multistream_write_message(s, "na");
    multistream_write_message(s, "/rpp/snapshots/1.0.0");
    w.write("dialer-fallback", with_cuts(1, s));
  }
  {
    byte_buffer s;
    multistream_write_message(s, multistream_protocol_id);
    for (int i = 0; i < 4; ++i) multistream_write_message(s, "na");
    w.write("dialer-all-refused", with_cuts(1, s));
  }
  {
    byte_buffer s;
    multistream_write_message(s, multistream_protocol_id);
    multistream_write_message(s, "ls");
    multistream_write_message(s, "/ipfs/id/1.0.0");
    w.write("listener-ls", with_cuts(0, s));
  }
  w.write("listener-garbage", with_cuts(0, as_bytes("GET / HTTP/1.1\r\n\r\n")));
}

} // namespace

SNAPSTREAM_FUZZ_SEEDS(write_seeds)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::fuzz_input in(data, size);
  const bool dialer = in.u8() % 2 == 1;
  const bytes_view cuts = in.take(in.u8() % 16);
  const bytes_view stream = in.rest();
  if (dialer) {
    check_role(stream, fuzz::fuzz_input(cuts), true, multistream_dialer(protocols));
  } else {
    check_role(stream, fuzz::fuzz_input(cuts), false, multistream_listener(supported));
  }
  return 0;
}
