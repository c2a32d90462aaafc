// Our side of the js-libp2p interop cases (interop/libp2p/interop.test.mjs
// drives it). A small program, not a Boost.Test module: the driver starts it
// next to js-libp2p nodes and reads its exit code and output.
//
//   interop_peer serve
//       listen on 127.0.0.1 (random port), print "LISTEN <multiaddr>", serve
//       /rpp/snapshots/1.2.0, 1.1.0 and 1.0.0 with the canned handler until
//       stdin closes (or 120 s pass)
//   interop_peer request <multiaddr> <expected protocol> <plan|big>
//       request on [1.2.0, 1.1.0, 1.0.0], check the protocol and the body byte for
//       byte against the canned response; exit 0 when both match
//   interop_peer mismatch <multiaddr with a wrong /p2p/ id>
//       exit 0 when the dial fails with peer_id_mismatch
//
// The canned exchange (interop/libp2p/canned.mjs computes the same bytes):
//   plan request: {"type":"plan","session_id":7,"chunk_size":65536}
//   big request:  {"type":"chunk","session_id":7,"chunk_index":0,"big":true}
//   response to a big request: exactly 4 MiB,
//     {"type":"chunk","session_id":7,"chunk_index":0,"chunk":"<letters>"}
//     with letter i = "abcdefghijklmnopqrstuvwxyz"[(i * 7 + (i >> 10)) % 26]
//   any other response: {"type":"ack","session_id":7,"protocol":"<id>","request_bytes":<n>}

#include "net/common/deadline.hpp"
#include "net/libp2p/host.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

using namespace snapstream;
using namespace snapstream::net;
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t big_size = 4 * 1024 * 1024;
constexpr std::string_view plan_request = R"({"type":"plan","session_id":7,"chunk_size":65536})";
constexpr std::string_view big_request = R"({"type":"chunk","session_id":7,"chunk_index":0,"big":true})";

byte_buffer canned_response(std::string_view protocol, bytes_view request) {
  const std::string_view text = as_chars(request);
  if (text.find("\"big\":true") != std::string_view::npos) {
    const std::string prefix = R"({"type":"chunk","session_id":7,"chunk_index":0,"chunk":")";
    const std::string suffix = R"("})";
    byte_buffer out = to_buffer(as_bytes(prefix));
    const std::size_t fill = big_size - prefix.size() - suffix.size();
    out.reserve(big_size);
    for (std::size_t i = 0; i < fill; ++i) out.push_back(static_cast<std::uint8_t>('a' + (i * 7 + (i >> 10)) % 26));
    append(out, as_bytes(suffix));
    return out;
  }
  const std::string body = R"({"type":"ack","session_id":7,"protocol":")" + std::string(protocol) +
                           R"(","request_bytes":)" + std::to_string(request.size()) + "}";
  return to_buffer(as_bytes(body));
}

awaitable<result<shared_bytes>> canned_handler(libp2p::peer_id, std::string protocol, byte_buffer request) {
  co_return std::make_shared<const byte_buffer>(canned_response(protocol, request));
}

awaitable<void> wait_for_stdin_eof() {
  asio::posix::stream_descriptor in(co_await asio::this_coro::executor, ::dup(STDIN_FILENO));
  char buf[256];
  for (;;) {
    auto [ec, n] = co_await in.async_read_some(asio::buffer(buf), asio::as_tuple(use_awaitable));
    if (ec) co_return;
  }
}

awaitable<int> serve(host& h) {
  h.set_request_handler(snapshot_protocols(), canned_handler);
  const auto addr = h.listen(*libp2p::multiaddr::parse("/ip4/127.0.0.1/tcp/0"));
  if (!addr) {
    std::cerr << "listen failed: " << to_string(addr.error()) << "\n";
    co_return 1;
  }
  std::cout << "LISTEN " << addr->to_string() << std::endl;
  (void)co_await with_deadline(wait_for_stdin_eof(), deadline_clock::now() + 120s);
  co_await h.stop();
  co_return 0;
}

awaitable<int> request(host& h, std::string address, std::string expected_protocol, std::string kind) {
  auto addr = libp2p::multiaddr::parse(address);
  if (!addr) {
    std::cerr << to_string(addr.error()) << "\n";
    co_return 2;
  }
  const byte_buffer body = to_buffer(as_bytes(kind == "big" ? big_request : plan_request));
  // Twice on one connection. 1.1.0 and 1.0.0 are not lazy protocols: the
  // second request negotiates in full too, which js-libp2p's listener needs
  // (docs/transport.md).
  for (int i = 1; i <= 2; ++i) {
    auto r = co_await h.request(*addr, snapshot_protocols(), body, 30s);
    if (!r) {
      std::cerr << "request " << i << " failed: " << to_string(r.error()) << "\n";
      co_await h.stop();
      co_return 1;
    }
    const byte_buffer expected = canned_response(r->protocol, body);
    std::cout << "REQUEST " << i << " PROTOCOL " << r->protocol << " BYTES " << r->body.size() << std::endl;
    if (r->protocol != expected_protocol) {
      std::cerr << "negotiated " << r->protocol << ", expected " << expected_protocol << "\n";
      co_return 1;
    }
    if (r->body != expected) {
      std::cerr << "response differs from the canned bytes (" << r->body.size() << " vs " << expected.size() << ")\n";
      co_return 1;
    }
    if (r->body.capacity() < r->body.size() + 64) {
      std::cerr << "response lacks simdjson padding\n";
      co_return 1;
    }
  }
  const std::size_t connections = h.connection_count();
  co_await h.stop();
  if (connections != 1) {
    std::cerr << "the two requests used " << connections << " connections, expected 1\n";
    co_return 1;
  }
  co_return 0;
}

awaitable<int> mismatch(host& h, std::string address) {
  auto addr = libp2p::multiaddr::parse(address);
  if (!addr) co_return 2;
  const byte_buffer body = to_buffer(as_bytes(plan_request));
  auto r = co_await h.request(*addr, snapshot_protocols(), body, 30s);
  co_await h.stop();
  if (r) {
    std::cerr << "request to a mismatched peer id succeeded\n";
    co_return 1;
  }
  std::cout << "REFUSED " << to_string(r.error()) << std::endl;
  co_return r.error().is(libp2p::libp2p_errc::peer_id_mismatch) ? 0 : 1;
}

awaitable<int> dispatch(host& h, int argc, char** argv) {
  const std::string mode = argv[1];
  if (mode == "serve") co_return co_await serve(h);
  if (mode == "request" && argc == 5) co_return co_await request(h, argv[2], argv[3], argv[4]);
  if (mode == "mismatch" && argc == 3) co_return co_await mismatch(h, argv[2]);
  std::cerr << "usage: interop_peer serve | request <multiaddr> <protocol> <plan|big> | mismatch <multiaddr>\n";
  co_return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: interop_peer serve | request ... | mismatch ...\n";
    return 2;
  }
  asio::io_context io;
  host h(io.get_executor(), libp2p::identity::generate());
  int code = 3;
  asio::co_spawn(io, dispatch(h, argc, argv), [&](std::exception_ptr e, int rc) {
    if (e) {
      std::cerr << "interop_peer: unexpected exception\n";
      code = 4;
      return;
    }
    code = rc;
  });
  io.run();
  return code;
}
