#define BOOST_TEST_MODULE actors_served_sessions
#include <boost/test/unit_test.hpp>

#include "actors/served_sessions.hpp"
#include "protocol/messages/encoder.hpp"

using namespace snapstream;
using namespace snapstream::actors;
using namespace std::chrono_literals;
using messages::ack_kind;
using messages::byte_encoding;

namespace {

storage::served_record record(std::uint64_t chunks = 10, std::uint64_t updates = 2) {
  storage::served_record r;
  r.peer = "12D3KooWpeer";
  r.session_id = 7;
  r.plan_id = std::string(64, 'a');
  r.chunk_size = 65536;
  r.total_chunks = chunks;
  r.total_updates = updates;
  return r;
}

messages::resume_request resume(std::uint64_t chunk, std::uint64_t update) {
  messages::resume_request q;
  q.plan_id = std::string(64, 'a');
  q.chunk_index = chunk;
  q.update_index = update;
  return q;
}

std::string resume_error(const storage::served_record* r, const messages::resume_request& q) {
  auto v = served_sessions::validate_resume(r, q);
  return v ? std::string("accepted") : v.error().message();
}

const auto t0 = served_sessions::clock::time_point{} + 1h;

} // namespace

BOOST_AUTO_TEST_CASE(resume_follows_rpps_rules_counting_from_confirmed_acks) {
  auto r = record();
  r.last_served_chunk = 6;     // served, but the consumer confirmed only up to 4
  r.last_confirmed_chunk = 4;
  r.last_confirmed_update = 1;
  BOOST_TEST(resume_error(nullptr, resume(5, 2)) == "snapshot not found");
  auto wrong_plan = resume(5, 2);
  wrong_plan.plan_id = std::string(64, 'b');
  BOOST_TEST(resume_error(&r, wrong_plan) ==
             "resume plan id " + std::string(64, 'b') + " does not match persisted plan " + std::string(64, 'a'));
  BOOST_TEST(resume_error(&r, resume(11, 2)) == "resume chunk index 11 exceeds total 10");
  BOOST_TEST(resume_error(&r, resume(5, 3)) == "resume update index 3 exceeds total 2");
  BOOST_TEST(resume_error(&r, resume(3, 2)) == "resume chunk index 3 precedes next expected chunk 5");
  // A lost response (chunk 6 served, never confirmed) does not block resuming at 5.
  BOOST_TEST(resume_error(&r, resume(7, 2)) == "resume chunk index 7 skips ahead of next expected chunk 5");
  BOOST_TEST(resume_error(&r, resume(5, 1)) == "resume update index 1 precedes next expected update 2");
  BOOST_TEST(resume_error(&r, resume(5, 2)) == "accepted");
  auto other_size = resume(5, 2);
  other_size.chunk_size = 131072;
  BOOST_TEST(resume_error(&r, other_size) == "resume chunk size 131072 does not match session chunk size 65536");
}

BOOST_AUTO_TEST_CASE(a_fresh_session_resumes_at_zero_and_a_finished_one_at_the_totals) {
  auto r = record(3, 1);
  BOOST_TEST(resume_error(&r, resume(0, 0)) == "accepted");
  r.last_confirmed_chunk = 2;
  r.last_confirmed_update = 0;
  BOOST_TEST(resume_error(&r, resume(3, 1)) == "accepted");
  BOOST_TEST(served_sessions::complete(r));
}

BOOST_AUTO_TEST_CASE(acks_advance_one_at_a_time_and_repeat_idempotently) {
  auto r = record(4, 2);
  auto a0 = served_sessions::acknowledge(r, {ack_kind::chunk, 0});
  BOOST_REQUIRE(a0.has_value());
  BOOST_TEST(*a0->last_confirmed_chunk == 0u);
  auto skip = served_sessions::acknowledge(*a0, {ack_kind::chunk, 2});
  BOOST_REQUIRE(!skip.has_value());
  BOOST_TEST(skip.error().message() == "ack chunk index 2 skips ahead of next expected chunk 1");
  auto again = served_sessions::acknowledge(*a0, {ack_kind::chunk, 0});
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(*again->last_confirmed_chunk == 0u);
  auto over = served_sessions::acknowledge(r, {ack_kind::light_client_update, 2});
  BOOST_REQUIRE(!over.has_value());
  BOOST_TEST(over.error().message() == "ack update index 2 exceeds total 2");
  BOOST_TEST(served_sessions::acknowledge(r, {ack_kind::plan, 0}).has_value());
  auto bad_plan = served_sessions::acknowledge(r, {ack_kind::plan, 1});
  BOOST_TEST(bad_plan.error().message() == "ack plan index 1 must be 0");
  auto resume_kind = served_sessions::acknowledge(r, {ack_kind::resume, 0});
  BOOST_TEST(resume_kind.error().message() == "ack kind Resume is not acknowledged by a provider");
}

BOOST_AUTO_TEST_CASE(a_second_request_of_a_session_in_flight_gets_backpressure) {
  served_sessions book;
  book.put(record());
  BOOST_TEST(book.begin("12D3KooWpeer", 7, true, t0).has_value());
  auto second = book.begin("12D3KooWpeer", 7, true, t0);
  BOOST_REQUIRE(!second.has_value());
  BOOST_TEST(second.error().is(provider_errc::backpressure));
  BOOST_TEST(second.error().message() == "backpressure: session 7 already has a request in flight");
  book.finish("12D3KooWpeer", 7);
  BOOST_TEST(book.begin("12D3KooWpeer", 7, true, t0).has_value());
}

BOOST_AUTO_TEST_CASE(unknown_sessions_are_refused_where_they_must_exist) {
  served_sessions book;
  auto r = book.begin("12D3KooWpeer", 9, true, t0);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().message() == "snapshot session 9 not found");
}

BOOST_AUTO_TEST_CASE(the_cap_on_active_sessions_refuses_new_ones_until_one_goes_idle) {
  served_sessions book({.max_active_sessions = 2, .idle_expiry = 60s});
  for (std::uint64_t s = 1; s <= 2; ++s) {
    auto r = record();
    r.session_id = s;
    book.put(r);
    BOOST_REQUIRE(book.begin(r.peer, s, true, t0).has_value());
    book.finish(r.peer, s);
  }
  auto third = book.begin("12D3KooWother", 3, false, t0 + 1s);
  BOOST_REQUIRE(!third.has_value());
  BOOST_TEST(third.error().is(provider_errc::saturated));
  BOOST_TEST(third.error().message() ==
             "snapshot provider saturated: 2 active sessions (limit 2); please retry later with backoff");
  // Active sessions keep being served at the cap.
  BOOST_TEST(book.begin("12D3KooWpeer", 1, true, t0 + 2s).has_value());
  book.finish("12D3KooWpeer", 1);
  // Session 2 has been idle for a minute: it no longer counts.
  BOOST_TEST(book.begin("12D3KooWother", 3, false, t0 + 61s).has_value());
}

BOOST_AUTO_TEST_CASE(a_plan_request_that_fails_leaves_no_session_behind) {
  served_sessions book;
  BOOST_REQUIRE(book.begin("12D3KooWpeer", 5, false, t0).has_value());
  book.finish("12D3KooWpeer", 5);
  BOOST_TEST(book.find("12D3KooWpeer", 5) == nullptr);
  BOOST_TEST(book.size() == 0u);
}

BOOST_AUTO_TEST_CASE(chunk_sizes_are_whole_pages_inside_every_bound) {
  const chunk_size_limits limits{.default_size = 1u << 20, .min_size = 65536, .max_size = 8u << 20};
  auto pick = [&](std::optional<std::uint64_t> want, std::optional<std::uint64_t> lo,
                  std::optional<std::uint64_t> hi, byte_encoding enc = byte_encoding::base64) {
    return negotiate_chunk_size(want, lo, hi, limits, 65536, enc);
  };
  auto dflt = pick(std::nullopt, std::nullopt, std::nullopt);
  BOOST_REQUIRE(dflt.has_value());
  BOOST_TEST(dflt->chunk_size == 1u << 20);
  BOOST_TEST(dflt->min_chunk_size == 65536u);
  BOOST_TEST(dflt->max_chunk_size == 8u << 20);
  BOOST_TEST(pick(100'000, std::nullopt, std::nullopt)->chunk_size == 65536u);  // rounded down to a page
  BOOST_TEST(pick(1000, std::nullopt, std::nullopt)->chunk_size == 65536u);     // at least one page
  BOOST_TEST(pick(64u << 20, std::nullopt, std::nullopt)->chunk_size == 8u << 20);
  BOOST_TEST(pick(4u << 20, std::nullopt, 2u << 20)->chunk_size == 2u << 20);
  BOOST_TEST(pick(65536, 300'000, std::nullopt)->chunk_size == 327680u);        // consumer min, rounded up
  // 1.0.0 writes each byte as up to four characters: 4 MiB chunks cannot fit 10 MiB.
  auto v10 = pick(4u << 20, std::nullopt, std::nullopt, byte_encoding::array);
  BOOST_REQUIRE(v10.has_value());
  BOOST_TEST(v10->chunk_size < (10u << 20) / 4);
  BOOST_TEST(v10->chunk_size % 65536 == 0u);
  BOOST_TEST(v10->max_chunk_size == v10->chunk_size);
  auto none = pick(std::nullopt, 3u << 20, 2u << 20);
  BOOST_REQUIRE(!none.has_value());
  BOOST_TEST(none.error().message() ==
             "no chunk size of whole 65536-byte pages satisfies the consumer's bounds [3145728, 2097152] and "
             "the provider's [65536, 8388608]");
  auto zero = pick(0, std::nullopt, std::nullopt);
  BOOST_TEST(zero.error().message() == "chunk_size must be greater than zero");
}

BOOST_AUTO_TEST_CASE(each_version_negotiates_within_its_own_response_cap) {
  using messages::protocol_version;
  const chunk_size_limits limits{.default_size = 1u << 20, .min_size = 16384, .max_size = 64u << 20};
  auto largest = [&](protocol_version v) {
    auto sizes = negotiate_chunk_size(64u << 20, std::nullopt, std::nullopt, limits, 16384, v);
    BOOST_REQUIRE(sizes.has_value());
    return sizes->max_chunk_size;
  };
  // 1.2.0 has the caps of 1.1.0; both fit far more than 1.0.0's number arrays.
  BOOST_TEST(largest(protocol_version::v1_2) == largest(protocol_version::v1_1));
  BOOST_TEST(largest(protocol_version::v1_0) < largest(protocol_version::v1_1));
  BOOST_TEST(largest(protocol_version::v1_1) ==
             negotiate_chunk_size(64u << 20, std::nullopt, std::nullopt, limits, 16384, byte_encoding::base64)
               ->max_chunk_size);
  // And the largest chunk's response, its pages framed, fits its version's cap.
  for (const auto v : {protocol_version::v1_0, protocol_version::v1_1, protocol_version::v1_2}) {
    const std::uint64_t size = largest(v);
    const std::uint64_t payload = size + 4 * (size / 16384);
    BOOST_TEST(messages::max_chunk_response_size(payload, messages::encoding_of(v)) <= messages::max_response_size(v));
  }
}

// One peer's flood of new sessions fills its own share, not the node's: the
// honest peer is still admitted, and the flooder's existing sessions are served.
BOOST_AUTO_TEST_CASE(one_peer_cannot_take_every_place) {
  served_sessions book({.max_active_sessions = 100, .max_active_per_peer = 3, .max_records_per_peer = 5});
  const std::string flooder = "12D3KooWflood", honest = "12D3KooWhonest";
  std::uint64_t refused = 0;
  for (std::uint64_t s = 1; s <= 50; ++s) {
    auto r = book.begin(flooder, s, false, t0);
    if (!r) {
      ++refused;
      BOOST_TEST(r.error().is(provider_errc::saturated));
      continue;
    }
    auto rec = record();
    rec.peer = flooder;
    rec.session_id = s;
    book.put(rec);
    book.finish(flooder, s);
  }
  BOOST_TEST(refused == 47u);
  auto more = book.begin(flooder, 51, false, t0);
  BOOST_REQUIRE(!more.has_value());
  BOOST_TEST(more.error().message() ==
             "snapshot provider saturated for peer 12D3KooWflood: 3 active sessions of this peer (limit 3); finish "
             "or cancel one, or retry later with backoff");
  BOOST_TEST(book.begin(honest, 1, false, t0).has_value());
  book.finish(honest, 1);
  BOOST_TEST(book.begin(flooder, 2, true, t0 + 1s).has_value()); // its admitted sessions go on
  book.finish(flooder, 2);

  // Idle sessions stop counting as active, but their records still count: at
  // five records a new session is refused until one is cancelled or expires.
  for (std::uint64_t s = 60; s <= 61; ++s) {
    BOOST_REQUIRE(book.begin(flooder, s, false, t0 + 10min).has_value());
    auto rec = record();
    rec.peer = flooder;
    rec.session_id = s;
    book.put(rec);
    book.finish(flooder, s);
  }
  auto sixth = book.begin(flooder, 62, false, t0 + 10min);
  BOOST_REQUIRE(!sixth.has_value());
  BOOST_TEST(sixth.error().message() ==
             "snapshot provider saturated for peer 12D3KooWflood: it holds 5 session records (limit 5); cancel "
             "finished sessions or wait for them to expire");
  // A finished session no longer counts (its peer did the work); a cancelled one is gone.
  auto done = record();
  done.peer = flooder;
  done.session_id = 61;
  done.last_confirmed_chunk = done.total_chunks - 1;
  done.last_confirmed_update = done.total_updates - 1;
  book.put(done);
  BOOST_TEST(book.begin(flooder, 62, false, t0 + 10min).has_value());
}

BOOST_AUTO_TEST_CASE(sessions_without_requests_for_the_record_expiry_are_handed_out_for_erasure) {
  served_sessions book({.idle_expiry = 60s, .record_expiry = 1h});
  auto old_rec = record();
  old_rec.session_id = 1;
  auto busy_rec = record();
  busy_rec.session_id = 2;
  // Records from before a restart count from the load.
  book.load({old_rec, busy_rec}, t0);
  BOOST_TEST(book.take_expired(t0 + 59min).empty());
  BOOST_REQUIRE(book.begin(old_rec.peer, 2, true, t0 + 30min).has_value()); // session 2 is in flight
  auto expired = book.take_expired(t0 + 61min);
  BOOST_REQUIRE_EQUAL(expired.size(), 1u);
  BOOST_TEST((expired[0] == served_sessions::key{old_rec.peer, 1}));
  // Handed out: a request races nothing, it gets backpressure until the erasure is done.
  auto during = book.begin(old_rec.peer, 1, true, t0 + 61min);
  BOOST_REQUIRE(!during.has_value());
  BOOST_TEST(during.error().is(provider_errc::backpressure));
  BOOST_TEST(book.take_expired(t0 + 62min).empty()); // not handed out twice
  book.erase(old_rec.peer, 1);
  BOOST_TEST(book.find(old_rec.peer, 1) == nullptr);
  book.finish(old_rec.peer, 2);
  BOOST_TEST(book.take_expired(t0 + 89min).empty()); // its last request was at 30 min
  BOOST_TEST(book.take_expired(t0 + 91min).size() == 1u);
}
