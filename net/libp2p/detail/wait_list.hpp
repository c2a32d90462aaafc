#pragma once
/// A broadcast wake-up for coroutines of one strand: each waiter sleeps on a
/// timer of its own until `notify_all()`, its deadline, or cancellation of
/// its coroutine. Waiters always re-check their condition after waking.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace snapstream::net::detail {

using clock = std::chrono::steady_clock;

enum class wake { notified, deadline, cancelled };

class wait_list {
public:
  wait_list() = default;
  wait_list(const wait_list&) = delete;
  wait_list& operator=(const wait_list&) = delete;

  /// Sleeps until `notify_all()`, `deadline`, or cancellation of the calling
  /// coroutine.
  boost::asio::awaitable<wake> wait_until(clock::time_point deadline) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
    waiters_.push_back(&timer);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &timer));
    const auto state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none) co_return wake::cancelled;
    co_return ec ? wake::notified : wake::deadline;
  }

  /// Wakes every current waiter.
  void notify_all() noexcept {
    for (auto* t : waiters_) t->cancel();
  }

  [[nodiscard]] bool empty() const noexcept { return waiters_.empty(); }

private:
  std::vector<boost::asio::steady_timer*> waiters_;
};

} // namespace snapstream::net::detail
