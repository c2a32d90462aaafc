#define BOOST_TEST_MODULE libp2p_multistream
#include <boost/test/unit_test.hpp>

#include "protocol/common/hex.hpp"
#include "protocol/libp2p/libp2p_errc.hpp"
#include "protocol/libp2p/multistream.hpp"

using namespace snapstream;
using namespace snapstream::libp2p;

namespace {

byte_buffer message(std::string_view text) {
  byte_buffer out;
  multistream_write_message(out, text);
  return out;
}

byte_buffer concat(std::initializer_list<byte_buffer> parts) {
  byte_buffer out;
  for (const auto& p : parts) append(out, p);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(messages_are_length_prefixed_lines) {
  // The header as every libp2p implementation sends it: 0x13 + 18 chars + '\n'.
  BOOST_TEST(to_hex(message("/multistream/1.0.0")) == "132f6d756c746973747265616d2f312e302e300a");
  BOOST_TEST(to_hex(message("na")) == "036e610a");
}

BOOST_AUTO_TEST_CASE(dialer_sends_header_and_first_proposal_in_one_write) {
  multistream_dialer d({"/noise"});
  byte_buffer out;
  d.start(out);
  BOOST_TEST(to_hex(out) == to_hex(concat({message("/multistream/1.0.0"), message("/noise")})));
}

BOOST_AUTO_TEST_CASE(dialer_and_listener_agree_on_a_shared_protocol) {
  multistream_dialer d({"/rpp/snapshots/1.1.0", "/rpp/snapshots/1.0.0"});
  multistream_listener l({"/rpp/snapshots/1.1.0", "/rpp/snapshots/1.0.0"});
  byte_buffer to_l, to_d;
  d.start(to_l);
  auto lp = l.receive(to_l, to_d);
  BOOST_REQUIRE(lp.has_value());
  BOOST_TEST(lp->done);
  BOOST_TEST(lp->consumed == to_l.size());
  BOOST_TEST(l.selected() == "/rpp/snapshots/1.1.0");
  byte_buffer more;
  auto dp = d.receive(to_d, more);
  BOOST_REQUIRE(dp.has_value());
  BOOST_TEST(dp->done);
  BOOST_TEST(d.selected() == "/rpp/snapshots/1.1.0");
  BOOST_TEST(d.selected_index() == 0u);
  BOOST_TEST(more.empty());
}

BOOST_AUTO_TEST_CASE(dialer_falls_back_after_na) {
  multistream_dialer d({"/rpp/snapshots/1.1.0", "/rpp/snapshots/1.0.0"});
  multistream_listener l({"/rpp/snapshots/1.0.0"});
  byte_buffer to_l, to_d;
  d.start(to_l);
  auto lp = l.receive(to_l, to_d);
  BOOST_REQUIRE(lp.has_value());
  BOOST_TEST(!lp->done);
  BOOST_TEST(to_hex(to_d) == to_hex(concat({message("/multistream/1.0.0"), message("na")})));
  to_l.clear();
  auto dp = d.receive(to_d, to_l);
  BOOST_REQUIRE(dp.has_value());
  BOOST_TEST(!dp->done);
  BOOST_TEST(to_hex(to_l) == to_hex(message("/rpp/snapshots/1.0.0")));
  to_d.clear();
  lp = l.receive(to_l, to_d);
  BOOST_REQUIRE(lp.has_value());
  BOOST_TEST(lp->done);
  dp = d.receive(to_d, to_l);
  BOOST_REQUIRE(dp.has_value());
  BOOST_TEST(dp->done);
  BOOST_TEST(d.selected() == "/rpp/snapshots/1.0.0");
  BOOST_TEST(d.selected_index() == 1u);
}

BOOST_AUTO_TEST_CASE(dialer_fails_when_every_protocol_is_refused) {
  multistream_dialer d({"/a", "/b"});
  byte_buffer out;
  d.start(out);
  const byte_buffer replies = concat({message("/multistream/1.0.0"), message("na"), message("na")});
  auto r = d.receive(replies, out);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::protocol_not_supported));
  BOOST_TEST(r.error().message().find("/a, /b") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bytes_after_the_agreement_are_left_to_the_caller) {
  multistream_listener l({"/noise"});
  byte_buffer in = concat({message("/multistream/1.0.0"), message("/noise")});
  const std::size_t negotiation = in.size();
  in.push_back(0x00);
  in.push_back(0x20); // start of a Noise frame pipelined by the dialer
  byte_buffer out;
  auto r = l.receive(in, out);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->done);
  BOOST_TEST(r->consumed == negotiation);
}

BOOST_AUTO_TEST_CASE(partial_input_is_consumed_message_by_message) {
  multistream_listener l({"/noise"});
  const byte_buffer in = concat({message("/multistream/1.0.0"), message("/noise")});
  byte_buffer out;
  std::size_t fed = 0;
  byte_buffer pending;
  bool done = false;
  for (std::uint8_t b : in) {
    pending.push_back(b);
    auto r = l.receive(pending, out);
    BOOST_REQUIRE(r.has_value());
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(r->consumed));
    fed += r->consumed;
    done = r->done;
  }
  BOOST_TEST(done);
  BOOST_TEST(fed == in.size());
  BOOST_TEST(to_hex(out) == to_hex(concat({message("/multistream/1.0.0"), message("/noise")})));
}

BOOST_AUTO_TEST_CASE(garbage_before_the_header_is_refused) {
  multistream_listener l({"/noise"});
  byte_buffer out;
  const std::string http = "GET / HTTP/1.1\r\n";
  auto r = l.receive(as_bytes(http), out);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::multistream_error));
  BOOST_TEST(out.empty());

  multistream_listener l2({"/noise"});
  auto r2 = l2.receive(message("/multistream/2.0.0"), out);
  BOOST_REQUIRE(!r2.has_value());
  BOOST_TEST(r2.error().message().find("expected multistream header") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(oversized_and_unterminated_messages_are_refused) {
  multistream_listener l({"/noise"});
  byte_buffer out;
  byte_buffer big = message("/multistream/1.0.0");
  multistream_write_message(big, std::string(2000, 'a'));
  auto r = l.receive(big, out);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::multistream_error));
  BOOST_TEST(r.error().message().find("message of 2001 bytes") != std::string::npos);

  multistream_listener l2({"/noise"});
  const byte_buffer no_newline{0x03, 'a', 'b', 'c'};
  BOOST_TEST(l2.receive(no_newline, out).error().is(libp2p_errc::multistream_error));
}

BOOST_AUTO_TEST_CASE(listener_gives_up_after_too_many_proposals) {
  multistream_listener l({"/noise"});
  byte_buffer in = message("/multistream/1.0.0");
  for (std::size_t i = 0; i <= multistream_max_proposals; ++i) append(in, message("/unknown/" + std::to_string(i)));
  byte_buffer out;
  auto r = l.receive(in, out);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::multistream_error));
}

BOOST_AUTO_TEST_CASE(dialer_refuses_an_unexpected_answer) {
  multistream_dialer d({"/noise"});
  byte_buffer out;
  d.start(out);
  const byte_buffer replies = concat({message("/multistream/1.0.0"), message("/tls/1.0.0")});
  auto r = d.receive(replies, out);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().is(libp2p_errc::multistream_error));
}
