// What `snapstream sync` shows of a session's progress.
#include <boost/test/unit_test.hpp>

#include "app/sync_progress.hpp"

using namespace snapstream;
using namespace snapstream::app;
using namespace std::chrono_literals;

namespace {

actors::session_status status(std::optional<std::uint64_t> last_chunk, std::uint64_t total, std::uint64_t bytes) {
  actors::session_status s;
  s.session = 3;
  s.peer = "12D3KooWpeer";
  s.state = actors::session_state::syncing;
  s.total_chunks = total;
  s.last_chunk_index = last_chunk;
  s.bytes_received = bytes;
  return s;
}

actors::peer_status provider(std::string peer, std::string state) {
  actors::peer_status p;
  p.peer = std::move(peer);
  p.state = std::move(state);
  return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sync_progress_display)

BOOST_AUTO_TEST_CASE(progress_counts_applied_chunks_and_estimates_the_total) {
  auto p = progress_of(status(63, 128, 64u << 20));
  BOOST_TEST(p.chunks_done == 64u);
  BOOST_TEST(p.fraction == 0.5);
  BOOST_TEST(*p.estimated_total == 128u << 20);
  BOOST_TEST(*eta_seconds(p, 32.0 * 1024 * 1024) == 2.0);

  auto none = progress_of(status(std::nullopt, 128, 0));
  BOOST_TEST(none.chunks_done == 0u);
  BOOST_TEST(none.fraction == 0.0);
  BOOST_TEST(!none.estimated_total);
  BOOST_TEST(!eta_seconds(none, 1000.0));

  auto planning = actors::session_status{};
  auto unknown = progress_of(planning);
  BOOST_TEST(!unknown.total_chunks);
  BOOST_TEST(unknown.fraction == 0.0);
}

BOOST_AUTO_TEST_CASE(a_verified_session_is_complete) {
  auto s = status(7, 8, 8u << 20);
  s.state = actors::session_state::verified;
  s.verified = true;
  auto p = progress_of(s);
  BOOST_TEST(p.fraction == 1.0);
  BOOST_TEST(*p.estimated_total == 8u << 20);
  BOOST_TEST(*eta_seconds(p, 1.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(the_rate_covers_the_last_five_seconds) {
  rate_meter m;
  const auto t0 = rate_meter::clock::time_point{} + 100s;
  BOOST_TEST(m.rate() == 0.0);
  m.add(t0, 0);
  BOOST_TEST(m.rate() == 0.0);
  m.add(t0 + 1s, 10u << 20);
  BOOST_TEST(m.rate() == 10.0 * 1024 * 1024);
  m.add(t0 + 2s, 30u << 20);
  BOOST_TEST(m.rate() == 15.0 * 1024 * 1024);
  // Samples older than 5 s drop out: the window is now [t0+2, t0+8].
  m.add(t0 + 8s, 36u << 20);
  BOOST_TEST(m.rate() == 1.0 * 1024 * 1024);
}

BOOST_AUTO_TEST_CASE(eta_and_rate_read_like_a_clock_and_mib) {
  BOOST_TEST(format_eta(std::nullopt) == "--:--");
  BOOST_TEST(format_eta(0.0) == "0:00");
  BOOST_TEST(format_eta(6.2) == "0:07");
  BOOST_TEST(format_eta(754.0) == "12:34");
  BOOST_TEST(format_eta(3723.0) == "1:02:03");
  BOOST_TEST(format_eta(99.0 * 3600) == "--:--");
  BOOST_TEST(format_rate(0) == "0.0 MiB/s");
  BOOST_TEST(format_rate(98.7 * 1024 * 1024) == "98.7 MiB/s");
}

BOOST_AUTO_TEST_CASE(plain_lines_name_the_session_and_its_figures) {
  BOOST_TEST(progress_plain_line(status(63, 128, 64u << 20), 32.0 * 1024 * 1024) ==
             "session 3 syncing 50% 64.0 MiB chunk 64/128 32.0 MiB/s ETA 0:02");
  auto retried = status(0, 4, 1u << 20);
  retried.retries = 2;
  BOOST_TEST(progress_plain_line(retried, 0) == "session 3 syncing 25% 1.00 MiB chunk 1/4 0.0 MiB/s ETA --:-- retries 2");
  auto planning = status(std::nullopt, 0, 0);
  planning.total_chunks.reset();
  planning.state = actors::session_state::planning;
  BOOST_TEST(progress_plain_line(planning, 0) == "session 3 planning: waiting for the plan from 12D3KooWpeer");
}

BOOST_AUTO_TEST_CASE(the_bar_fits_the_terminal) {
  const std::string line = progress_bar_line(status(63, 128, 64u << 20), 32.0 * 1024 * 1024, 80);
  // 52 columns of figures leave a 26-column bar, half full.
  std::string expected(1, '[');
  expected.append(13, '=').append(1, '>').append(12, ' ').append("]   50%  64.0 MiB  32.0 MiB/s  ETA 0:02  chunk 64/128");
  BOOST_TEST(line == expected);
  BOOST_TEST(line.size() == 80u);
  BOOST_TEST(progress_bar_line(status(63, 128, 64u << 20), 0, 30).size() == 30u);
}

BOOST_AUTO_TEST_CASE(chunks_applied_out_of_order_count_towards_the_progress) {
  auto s = status(1, 8, 6u << 20); // the contiguous prefix is 2 chunks...
  s.chunks_applied = 6;            // ...but 6 are applied
  auto p = progress_of(s);
  BOOST_TEST(p.chunks_done == 6u);
  BOOST_TEST(p.fraction == 0.75);
  BOOST_TEST(*p.estimated_total == 8u << 20);
  // A node that does not report chunks_applied applies in order.
  BOOST_TEST(progress_of(status(1, 8, 2u << 20)).chunks_done == 2u);
}

BOOST_AUTO_TEST_CASE(active_providers_are_those_working_for_the_job) {
  auto s = status(3, 8, 4u << 20);
  BOOST_TEST(providers_of(s).total == 0u);
  s.peers = {provider("a", "fetching"), provider("b", "idle"),    provider("c", "chain"),
             provider("d", "waiting"),  provider("e", "demoted"), provider("f", "banned"),
             provider("g", "dropped"),  provider("h", "done"),    provider("i", "planning")};
  const auto n = providers_of(s);
  BOOST_TEST(n.active == 4u);
  BOOST_TEST(n.total == 9u);
}

BOOST_AUTO_TEST_CASE(lines_show_the_active_providers_when_there_are_any) {
  auto s = status(63, 128, 64u << 20);
  s.peers = {provider("a", "fetching"), provider("b", "fetching"), provider("c", "banned")};
  BOOST_TEST(progress_plain_line(s, 32.0 * 1024 * 1024) ==
             "session 3 syncing 50% 64.0 MiB chunk 64/128 32.0 MiB/s ETA 0:02 providers 2/3");
  s.retries = 1;
  BOOST_TEST(progress_plain_line(s, 0).ends_with(" providers 2/3 retries 1"));
  const std::string bar = progress_bar_line(s, 32.0 * 1024 * 1024, 100);
  BOOST_TEST(bar.ends_with("  chunk 64/128  providers 2/3"), bar);
  BOOST_TEST(bar.size() <= 100u);

  auto planning = status(std::nullopt, 0, 0);
  planning.total_chunks.reset();
  planning.state = actors::session_state::planning;
  planning.peers = s.peers;
  BOOST_TEST(progress_plain_line(planning, 0) == "session 3 planning: waiting for the plan from 3 providers");
  planning.peers.clear();
  planning.peer.clear();
  BOOST_TEST(progress_plain_line(planning, 0) == "session 3 planning: discovering providers");
}

BOOST_AUTO_TEST_SUITE_END()
