#include "actors/served_sessions.hpp"

#include "protocol/messages/encoder.hpp"

#include <algorithm>

namespace snapstream::actors {

std::string_view to_string(provider_errc e) noexcept {
  switch (e) {
    case provider_errc::not_found: return "not found";
    case provider_errc::backpressure: return "backpressure";
    case provider_errc::saturated: return "saturated";
    case provider_errc::breaker_open: return "breaker open";
    case provider_errc::resume_rejected: return "resume rejected";
    case provider_errc::invalid_request: return "invalid request";
    case provider_errc::unavailable: return "unavailable";
    case provider_errc::not_available: return "not available";
  }
  return "unknown";
}

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

std::uint64_t round_down(std::uint64_t v, std::uint64_t unit) { return v / unit * unit; }
std::uint64_t round_up(std::uint64_t v, std::uint64_t unit) {
  return v > UINT64_MAX - unit ? round_down(v, unit) : (v + unit - 1) / unit * unit;
}

} // namespace

result<negotiated_sizes> negotiate_chunk_size(std::optional<std::uint64_t> preferred,
                                              std::optional<std::uint64_t> consumer_min,
                                              std::optional<std::uint64_t> consumer_max,
                                              const chunk_size_limits& limits, std::uint32_t page_size,
                                              messages::byte_encoding encoding) {
  const auto version = encoding == messages::byte_encoding::array  ? messages::protocol_version::v1_0
                       : encoding == messages::byte_encoding::raw ? messages::protocol_version::v1_3
                                                                  : messages::protocol_version::v1_1;
  return negotiate_chunk_size(preferred, consumer_min, consumer_max, limits, page_size, version);
}

result<negotiated_sizes> negotiate_chunk_size(std::optional<std::uint64_t> preferred,
                                              std::optional<std::uint64_t> consumer_min,
                                              std::optional<std::uint64_t> consumer_max,
                                              const chunk_size_limits& limits, std::uint32_t page_size,
                                              messages::protocol_version version) {
  const auto encoding = messages::encoding_of(version);
  if (page_size == 0) return error{provider_errc::unavailable, "snapshot has no page size"};
  if (preferred && *preferred == 0)
    return error{provider_errc::invalid_request, "chunk_size must be greater than zero"};
  const std::uint64_t page = page_size;
  // Every page of a chunk costs its bytes plus a 4-byte frame; the encoded
  // response must fit the protocol's cap.
  const std::uint64_t payload_cap =
    messages::max_chunk_payload(messages::max_response_size(version), encoding);
  const std::uint64_t cap_pages = payload_cap / (page + 4);
  if (cap_pages == 0)
    return error{provider_errc::unavailable, "a page of " + str(page) + " bytes does not fit the response cap of " +
                                               std::string(messages::protocol_id(version))};
  const std::uint64_t provider_min = std::max(round_up(limits.min_size, page), page);
  const std::uint64_t provider_max = std::max(std::min(round_down(limits.max_size, page), cap_pages * page), page);
  const std::uint64_t lo = std::max(provider_min, round_up(consumer_min.value_or(0), page));
  const std::uint64_t hi = std::min(provider_max, round_down(consumer_max.value_or(UINT64_MAX), page));
  if (lo > hi || lo > provider_max)
    return error{provider_errc::invalid_request,
                 "no chunk size of whole " + str(page) + "-byte pages satisfies the consumer's bounds [" +
                   str(consumer_min.value_or(0)) + ", " +
                   (consumer_max ? str(*consumer_max) : std::string("unbounded")) + "] and the provider's [" +
                   str(provider_min) + ", " + str(provider_max) + "]"};
  const std::uint64_t want = preferred.value_or(limits.default_size);
  const std::uint64_t chosen = std::clamp(round_down(want, page), lo, hi);
  return negotiated_sizes{chosen, provider_min, provider_max};
}

void served_sessions::load(std::vector<storage::served_record> records, clock::time_point now) {
  for (auto& r : records) {
    key k{r.peer, r.session_id};
    sessions_[std::move(k)] = entry{std::move(r), false, false, now};
  }
}

std::pair<std::size_t, std::size_t> served_sessions::count_of(const std::string& peer) const {
  std::size_t active = 0, records = 0;
  for (auto it = sessions_.lower_bound(key{peer, 0}); it != sessions_.end() && it->first.first == peer; ++it) {
    // A finished session's record is the peer's by right (it did the work); it counts no more.
    if (!complete(it->second.record) || it->second.record.plan_id.empty()) ++records;
    if (it->second.active) ++active;
  }
  return {active, records};
}

std::vector<served_sessions::key> served_sessions::take_expired(clock::time_point now) {
  std::vector<key> out;
  for (auto& [k, e] : sessions_) {
    if (e.in_flight || now - e.last_activity < config_.record_expiry) continue;
    e.in_flight = true;
    e.active = false;
    out.push_back(k);
  }
  return out;
}

void served_sessions::expire_idle(clock::time_point now) {
  for (auto& [k, e] : sessions_)
    if (e.active && !e.in_flight && now - e.last_activity >= config_.idle_expiry) e.active = false;
}

std::size_t served_sessions::active_count(clock::time_point now) {
  expire_idle(now);
  return static_cast<std::size_t>(
    std::count_if(sessions_.begin(), sessions_.end(), [](const auto& kv) { return kv.second.active; }));
}

const storage::served_record* served_sessions::find(const std::string& peer, std::uint64_t session) const {
  auto it = sessions_.find(key{peer, session});
  return it == sessions_.end() ? nullptr : &it->second.record;
}

result<void> served_sessions::begin(const std::string& peer, std::uint64_t session, bool must_exist,
                                    clock::time_point now) {
  auto it = sessions_.find(key{peer, session});
  if (it == sessions_.end() && must_exist)
    return error{provider_errc::not_found, "snapshot session " + str(session) + " not found"};
  if (it != sessions_.end() && it->second.in_flight)
    return error{provider_errc::backpressure,
                 "backpressure: session " + str(session) + " already has a request in flight"};
  const bool already_active = it != sessions_.end() && it->second.active;
  if (!already_active) {
    const std::size_t active = active_count(now);
    const auto [peer_active, peer_records] = count_of(peer);
    if (peer_active >= config_.max_active_per_peer)
      return error{provider_errc::saturated, "snapshot provider saturated for peer " + peer + ": " +
                                               str(peer_active) + " active sessions of this peer (limit " +
                                               str(config_.max_active_per_peer) +
                                               "); finish or cancel one, or retry later with backoff"};
    if (it == sessions_.end() && peer_records >= config_.max_records_per_peer)
      return error{provider_errc::saturated, "snapshot provider saturated for peer " + peer + ": it holds " +
                                               str(peer_records) + " session records (limit " +
                                               str(config_.max_records_per_peer) +
                                               "); cancel finished sessions or wait for them to expire"};
    if (active >= config_.max_active_sessions)
      return error{provider_errc::saturated, "snapshot provider saturated: " + str(active) +
                                               " active sessions (limit " + str(config_.max_active_sessions) +
                                               "); please retry later with backoff"};
  }
  if (it == sessions_.end()) {
    storage::served_record placeholder;
    placeholder.peer = peer;
    placeholder.session_id = session;
    it = sessions_.emplace(key{peer, session}, entry{std::move(placeholder), false, false, {}}).first;
  }
  it->second.in_flight = true;
  it->second.active = true;
  it->second.last_activity = now;
  return {};
}

void served_sessions::finish(const std::string& peer, std::uint64_t session) {
  auto it = sessions_.find(key{peer, session});
  if (it == sessions_.end()) return;
  it->second.in_flight = false;
  // A session that never got a plan (the plan request failed) leaves no trace.
  if (it->second.record.plan_id.empty()) sessions_.erase(it);
  else if (complete(it->second.record)) it->second.active = false;
}

void served_sessions::put(storage::served_record record) {
  key k{record.peer, record.session_id};
  auto& e = sessions_[std::move(k)];
  e.record = std::move(record);
}

void served_sessions::erase(const std::string& peer, std::uint64_t session) {
  sessions_.erase(key{peer, session});
}

std::uint64_t served_sessions::next_expected_chunk(const storage::served_record& r) noexcept {
  const std::uint64_t e = r.last_confirmed_chunk ? *r.last_confirmed_chunk + 1 : 0;
  return std::min(e, r.total_chunks);
}

std::uint64_t served_sessions::next_expected_update(const storage::served_record& r) noexcept {
  const std::uint64_t e = r.last_confirmed_update ? *r.last_confirmed_update + 1 : 0;
  return std::min(e, r.total_updates);
}

bool served_sessions::complete(const storage::served_record& r) noexcept {
  return next_expected_chunk(r) == r.total_chunks && next_expected_update(r) == r.total_updates;
}

result<void> served_sessions::validate_resume(const storage::served_record* record,
                                              const messages::resume_request& request) {
  if (record == nullptr || record->plan_id.empty())
    return error{provider_errc::not_found, "snapshot not found"};
  if (request.plan_id != record->plan_id)
    return error{provider_errc::resume_rejected, "resume plan id " + request.plan_id +
                                                   " does not match persisted plan " + record->plan_id};
  if (request.chunk_size && *request.chunk_size != record->chunk_size)
    return error{provider_errc::resume_rejected, "resume chunk size " + str(*request.chunk_size) +
                                                   " does not match session chunk size " + str(record->chunk_size)};
  if (request.chunk_index > record->total_chunks)
    return error{provider_errc::resume_rejected, "resume chunk index " + str(request.chunk_index) +
                                                   " exceeds total " + str(record->total_chunks)};
  if (request.update_index > record->total_updates)
    return error{provider_errc::resume_rejected, "resume update index " + str(request.update_index) +
                                                   " exceeds total " + str(record->total_updates)};
  const std::uint64_t chunk = next_expected_chunk(*record);
  if (request.chunk_index < chunk)
    return error{provider_errc::resume_rejected, "resume chunk index " + str(request.chunk_index) +
                                                   " precedes next expected chunk " + str(chunk)};
  if (request.chunk_index > chunk)
    return error{provider_errc::resume_rejected, "resume chunk index " + str(request.chunk_index) +
                                                   " skips ahead of next expected chunk " + str(chunk)};
  const std::uint64_t update = next_expected_update(*record);
  if (request.update_index < update)
    return error{provider_errc::resume_rejected, "resume update index " + str(request.update_index) +
                                                   " precedes next expected update " + str(update)};
  if (request.update_index > update)
    return error{provider_errc::resume_rejected, "resume update index " + str(request.update_index) +
                                                   " skips ahead of next expected update " + str(update)};
  return {};
}

result<storage::served_record> served_sessions::acknowledge(const storage::served_record& record,
                                                            const messages::ack_message& ack) {
  using messages::ack_kind;
  storage::served_record out = record;
  auto check = [&](const char* what, std::uint64_t total,
                   std::optional<std::uint64_t>& confirmed) -> result<void> {
    if (ack.index >= total)
      return error{provider_errc::invalid_request,
                   std::string("ack ") + what + " index " + str(ack.index) + " exceeds total " + str(total)};
    const std::uint64_t next = confirmed ? *confirmed + 1 : 0;
    if (ack.index > next)
      return error{provider_errc::invalid_request, std::string("ack ") + what + " index " + str(ack.index) +
                                                     " skips ahead of next expected " + what + " " + str(next)};
    if (!confirmed || ack.index > *confirmed) confirmed = ack.index;
    return {};
  };
  switch (ack.kind) {
    case ack_kind::plan:
      if (ack.index != 0)
        return error{provider_errc::invalid_request, "ack plan index " + str(ack.index) + " must be 0"};
      return out;
    case ack_kind::chunk:
      if (auto r = check("chunk", out.total_chunks, out.last_confirmed_chunk); !r) return r.error();
      return out;
    case ack_kind::light_client_update:
      if (auto r = check("update", out.total_updates, out.last_confirmed_update); !r) return r.error();
      return out;
    case ack_kind::resume:
    case ack_kind::ack:
    case ack_kind::error:
      break;
  }
  return error{provider_errc::invalid_request,
               "ack kind " + std::string(messages::to_string(ack.kind)) + " is not acknowledged by a provider"};
}

} // namespace snapstream::actors
