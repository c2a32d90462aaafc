#include "net/rlpx/detail/handlers.hpp"

#include "net/rlpx/host_errc.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/rlpx/snap_messages.hpp"

#include <string>

namespace snapstream::net::rlpx::detail {

namespace snap = wire::snap;

wire::eth::chain_head eth_handler::head_of(const eth_config& config, const wire::eth::fork_filter& forks) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
    std::chrono::system_clock::now().time_since_epoch());
  return {config.head_block.value_or(forks.last_block_fork()),
          config.head_time.value_or(static_cast<std::uint64_t>(now.count()))};
}

result<void> eth_handler::on_start(peer_session& peer) {
  ours_.version = version_;
  ours_.network_id = config_.chain.network_id;
  ours_.genesis_hash = config_.chain.genesis_hash;
  ours_.fork = forks_.id(head_of(config_, forks_));
  // We hold no chain: our head is the genesis, for eth/66-68 and eth/69 alike.
  ours_.total_difficulty = config_.total_difficulty;
  ours_.best_hash = config_.chain.genesis_hash;
  ours_.range = {0, 0, config_.chain.genesis_hash};
  const auto payload = wire::eth::encode(ours_);
  if (auto r = peer.send("eth", wire::eth::status_code, payload); !r) return r.error();
  deadline_ = std::chrono::steady_clock::now() + config_.status_timeout;
  peer.wake();
  return {};
}

result<void> eth_handler::on_message(peer_session& peer, std::uint64_t code, bytes_view payload) {
  if (code == wire::eth::status_code) {
    if (received_) return wire::make_error(wire::rlpx_errc::invalid_message, "eth: a second Status");
    auto theirs = wire::eth::decode_status(payload, version_);
    if (!theirs) return theirs.error();
    if (auto v = wire::eth::validate_status(ours_, *theirs, forks_, head_of(config_, forks_)); !v) return v.error();
    received_ = true;
    deadline_.reset();
    peer.set_eth_status(*theirs);
    return {};
  }
  if (!received_)
    return wire::make_error(wire::rlpx_errc::invalid_message,
                            "eth: message " + std::to_string(code) + " before Status");
  if (version_ >= 69 && code == wire::eth::block_range_update_code) {
    auto range = wire::eth::decode_block_range_update(payload);
    if (!range) return range.error();
    if (auto v = wire::eth::validate_block_range(*range, "BlockRangeUpdate"); !v) return v.error();
    peer.set_block_range(*range);
    return {};
  }
  // Block and transaction traffic: snapstream holds no chain, so it is dropped unread.
  log::debug("rlpx", "eth_message_ignored", {{"peer", to_hex(bytes_view(peer.info().id).first(8))}, {"code", code}});
  return {};
}

std::optional<std::chrono::steady_clock::time_point> eth_handler::deadline() const { return deadline_; }

result<void> eth_handler::on_deadline(peer_session&) {
  deadline_.reset();
  return make_error(host_errc::timeout, "eth Status not received within " +
                                            std::to_string(config_.status_timeout.count()) + " ms");
}

namespace {

// Decodes a snap message fully, so malformed input is caught before it is
// answered or handed to a requester.
result<void> validate(std::uint64_t code, bytes_view payload) {
  switch (code) {
    case snap::get_account_range_code: {
      auto m = snap::decode_get_account_range(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::account_range_code: {
      auto m = snap::decode_account_range(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::get_storage_ranges_code: {
      auto m = snap::decode_get_storage_ranges(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::storage_ranges_code: {
      auto m = snap::decode_storage_ranges(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::get_byte_codes_code: {
      auto m = snap::decode_get_byte_codes(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::byte_codes_code: {
      auto m = snap::decode_byte_codes(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::get_trie_nodes_code: {
      auto m = snap::decode_get_trie_nodes(payload);
      if (!m) return m.error();
      return {};
    }
    case snap::trie_nodes_code: {
      auto m = snap::decode_trie_nodes(payload);
      if (!m) return m.error();
      return {};
    }
    default: break;
  }
  return wire::make_error(wire::rlpx_errc::unknown_message_code, "snap/1 has no message " + std::to_string(code));
}

} // namespace

result<void> snap_handler::on_message(peer_session& peer, std::uint64_t code, bytes_view payload) {
  if (auto v = validate(code, payload); !v) return v.error();
  auto id = snap::peek_request_id(payload);
  if (!id) return id.error();
  const std::string peer_label = to_hex(bytes_view(peer.info().id).first(8));

  if (auto response = snap::response_code(code)) {
    // A request: serve it, or answer empty as snap.md prescribes.
    std::optional<byte_buffer> served;
    if (config_.provider) served = config_.provider(code, payload);
    if (!served) {
      auto empty = snap::empty_response(code, *id);
      if (!empty) return empty.error();
      served = std::move(*empty);
    }
    log::debug("rlpx", "snap_request_served",
               {{"peer", peer_label}, {"request", snap::message_name(code)}, {"id", *id}, {"bytes", served->size()}});
    return peer.send("snap", *response, *served);
  }

  // A response: hand it to the request waiting for it.
  auto it = pending_.find(*id);
  if (it == pending_.end()) {
    // Late (after our timeout) or unsolicited: harmless, dropped.
    log::debug("rlpx", "snap_response_unmatched", {{"peer", peer_label}, {"id", *id}});
    return {};
  }
  auto p = it->second;
  if (snap::response_code(p->request_code) != code)
    return wire::make_error(wire::rlpx_errc::invalid_message,
                            std::string("snap: ") + std::string(snap::message_name(code)) + " answers request " +
                              std::to_string(*id) + ", a " + std::string(snap::message_name(p->request_code)));
  pending_.erase(it);
  p->outcome.emplace(std::make_shared<const byte_buffer>(payload.begin(), payload.end()));
  p->signal.cancel();
  return {};
}

void snap_handler::on_stop(peer_session&) noexcept {
  for (auto& [id, p] : pending_) {
    p->outcome.emplace(make_error(host_errc::disconnected, "peer disconnected before answering snap request " +
                                                               std::to_string(id)));
    p->signal.cancel();
  }
  pending_.clear();
}

result<void> snap_handler::add_pending(std::uint64_t request_id, std::shared_ptr<pending> p) {
  if (pending_.size() >= config_.max_pending_requests)
    return make_error(host_errc::refused, std::to_string(pending_.size()) + " snap requests already in flight");
  pending_.insert_or_assign(request_id, std::move(p));
  return {};
}

} // namespace snapstream::net::rlpx::detail
