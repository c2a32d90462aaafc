#pragma once
/// The built-in capability handlers: eth (Status exchange only) and snap/1
/// (serve requests, empty when we lack the state; match responses to our
/// requests). Internal to net/rlpx.

#include "net/rlpx/config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <unordered_map>

namespace snapstream::net::rlpx::detail {

/// eth/66-69: sends our Status when started; the remote's must arrive within
/// `status_timeout` and match (version, network, genesis, and a fork id that
/// EIP-2124 accepts). Any other eth message before it is a breach; after it,
/// eth/69's BlockRangeUpdate is decoded, checked and recorded, and the rest
/// is ignored (snapstream holds no chain).
class eth_handler final : public capability_handler {
public:
  eth_handler(const eth_config& config, const wire::eth::fork_filter& forks, std::uint64_t version)
    : config_(config), forks_(forks), version_(version) {}
  [[nodiscard]] result<void> on_start(peer_session& peer) override;
  [[nodiscard]] result<void> on_message(peer_session& peer, std::uint64_t code, bytes_view payload) override;
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline() const override;
  [[nodiscard]] result<void> on_deadline(peer_session& peer) override;

  /// Where we stand for fork-id purposes now (see `eth_config::head_block`).
  [[nodiscard]] static wire::eth::chain_head head_of(const eth_config& config, const wire::eth::fork_filter& forks);

private:
  const eth_config& config_;
  const wire::eth::fork_filter& forks_;
  std::uint64_t version_;
  wire::eth::status ours_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool received_ = false;
};

/// snap/1: answers requests through the provider or with the empty response,
/// and completes our own requests when their response arrives.
class snap_handler final : public capability_handler {
public:
  /// A request of ours waiting for its response.
  struct pending {
    explicit pending(boost::asio::any_io_executor ex) : signal(ex) {}
    std::uint64_t request_code = 0;
    boost::asio::steady_timer signal; ///< cancelled when `outcome` is set
    std::optional<result<shared_bytes>> outcome;
  };

  explicit snap_handler(const snap_config& config) : config_(config) {}
  [[nodiscard]] result<void> on_message(peer_session& peer, std::uint64_t code, bytes_view payload) override;
  void on_stop(peer_session& peer) noexcept override;

  /// Fails with `host_errc::refused` when `max_pending_requests` are in flight.
  [[nodiscard]] result<void> add_pending(std::uint64_t request_id, std::shared_ptr<pending> p);
  void remove_pending(std::uint64_t request_id) noexcept { pending_.erase(request_id); }

private:
  const snap_config& config_;
  std::unordered_map<std::uint64_t, std::shared_ptr<pending>> pending_;
};

} // namespace snapstream::net::rlpx::detail
