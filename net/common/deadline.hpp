#pragma once
/// The one way snapstream bounds an asynchronous operation by time: race it
/// against a `steady_timer` in an Asio `parallel_group` and take whichever
/// finishes first.
///
///     auto read = socket.async_read_some(buffer, asio::deferred);
///     auto got = co_await with_deadline(std::move(read), deadline);
///     if (!got) ...                    // the deadline came first
///     auto [ec, n] = *got;             // the read finished first
///
///     std::optional<result<int>> r = co_await with_deadline(ask_backend(), timer);
///
/// What is raced:
/// - an Asio operation initiated with `asio::deferred`
///   (`socket.async_read_some(buf, asio::deferred)`, `asio::async_write(...)`,
///   `asio::async_connect(...)`, `resolver.async_resolve(...)`);
/// - an `awaitable<T>`, run as its own coroutine on the caller's executor.
///
/// What it returns:
/// - `std::nullopt` (or `false` for `awaitable<void>`) when the timer finished
///   first. The timer "finishes" when its deadline passes, and also when
///   someone else cancels it or moves its expiry (`expires_at`), which is how a
///   caller that owns the timer cuts a pending operation short (for instance
///   at shutdown: `timer.expires_at(time_point::min())`).
/// - otherwise the operation's outcome: its one completion value as itself
///   (`async_wait` gives an `error_code`), several as a `std::tuple`
///   (`async_read_some` gives `std::tuple<error_code, std::size_t>`), or the
///   awaitable's value (`true` for `awaitable<void>`). An exception escaping a
///   winning awaitable is rethrown.
///
/// Cancellation semantics:
/// - The loser is cancelled with per-operation cancellation
///   (`cancellation_type::terminal`) and awaited: when `with_deadline`
///   returns, neither the operation nor the timer is still running, so
///   buffers, sockets and timers the operation used may be touched or
///   destroyed at once. A losing awaitable is cancelled through its
///   coroutine's cancellation state; whatever it returns or throws then is
///   discarded.
/// - A loser that had already done its work when the cancellation reached it
///   keeps its effects (a read may have consumed bytes, a write sent them):
///   after a timeout, treat the socket or stream as spent.
/// - An operation that ignores per-operation cancellation (Asio's resolver:
///   `getaddrinfo` runs to its end) still wins or loses correctly, but delays
///   the return until it completes on its own.
/// - Cancelling the calling coroutine cancels both; the result is then
///   whichever completed first (usually the operation, with
///   `asio::error::operation_aborted`).
///
/// Thread-safety: as for the operation itself; the timer is created on (or
/// must belong to) the calling coroutine's executor.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace snapstream::net {

using deadline_clock = std::chrono::steady_clock;

/// An Asio operation initiated with `asio::deferred`, not yet started.
template <class Op>
concept deferred_operation = boost::asio::is_deferred<std::decay_t<Op>>::value;

namespace deadline_detail {

/// What a deferred operation with completion signature `Signature` yields.
template <class Signature>
struct completion_values;

template <class Value>
struct completion_values<void(Value)> {
  using type = Value;
};

template <class... Values>
struct completion_values<void(Values...)> {
  using type = std::tuple<Values...>;
};

template <class Op>
using completion_values_t =
    typename completion_values<boost::asio::completion_signature_of_t<std::decay_t<Op>>>::type;

/// Picks the operation's values out of the group's completion
/// (`order, values..., timer error`).
template <class Values, class Group, std::size_t... I>
Values take_values(Group& group, std::index_sequence<I...>) {
  if constexpr (sizeof...(I) == 1) {
    return std::move(std::get<1>(group));
  } else {
    return Values(std::move(std::get<I + 1>(group))...);
  }
}

/// Runs `op` for `co_spawn`, whose completion needs a default-constructible value.
template <class T>
boost::asio::awaitable<std::optional<T>> as_optional(boost::asio::awaitable<T> op) {
  co_return std::optional<T>(co_await std::move(op));
}

} // namespace deadline_detail

/// Races `op` against `timer` as it is armed now (see the file comment).
/// `timer` belongs to the caller, who keeps it alive across the call.
template <deferred_operation Op>
boost::asio::awaitable<std::optional<deadline_detail::completion_values_t<Op>>> with_deadline(
    Op op, boost::asio::steady_timer& timer) {
  namespace asio = boost::asio;
  auto group = co_await asio::experimental::make_parallel_group(std::move(op), timer.async_wait(asio::deferred))
                   .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (std::get<0>(group)[0] == 1) co_return std::nullopt;
  constexpr std::size_t values = std::tuple_size_v<decltype(group)> - 2;
  using values_type = deadline_detail::completion_values_t<Op>;
  co_return deadline_detail::take_values<values_type>(group, std::make_index_sequence<values>());
}

/// Races `op` against `deadline` (see the file comment).
template <deferred_operation Op>
boost::asio::awaitable<std::optional<deadline_detail::completion_values_t<Op>>> with_deadline(
    Op op, deadline_clock::time_point deadline) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
  co_return co_await with_deadline(std::move(op), timer);
}

/// Races the coroutine `op` against `timer` as it is armed now (see the file comment).
template <class T>
  requires(!std::is_void_v<T>)
boost::asio::awaitable<std::optional<T>> with_deadline(boost::asio::awaitable<T> op,
                                                       boost::asio::steady_timer& timer) {
  namespace asio = boost::asio;
  auto ex = co_await asio::this_coro::executor;
  auto run = asio::co_spawn(ex, deadline_detail::as_optional(std::move(op)), asio::deferred);
  auto [order, failure, value, timer_ec] =
      co_await asio::experimental::make_parallel_group(std::move(run), timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)timer_ec;
  if (order[0] == 1) co_return std::nullopt;
  if (failure) std::rethrow_exception(failure);
  co_return std::move(value);
}

/// Races the coroutine `op` against `timer`: true when `op` finished first.
inline boost::asio::awaitable<bool> with_deadline(boost::asio::awaitable<void> op, boost::asio::steady_timer& timer) {
  namespace asio = boost::asio;
  auto ex = co_await asio::this_coro::executor;
  auto run = asio::co_spawn(ex, std::move(op), asio::deferred);
  auto [order, failure, timer_ec] =
      co_await asio::experimental::make_parallel_group(std::move(run), timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)timer_ec;
  if (order[0] == 1) co_return false;
  if (failure) std::rethrow_exception(failure);
  co_return true;
}

/// Races the coroutine `op` against `deadline` (see the file comment).
template <class T>
  requires(!std::is_void_v<T>)
boost::asio::awaitable<std::optional<T>> with_deadline(boost::asio::awaitable<T> op,
                                                       deadline_clock::time_point deadline) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
  co_return co_await with_deadline(std::move(op), timer);
}

/// Races the coroutine `op` against `deadline`: true when `op` finished first.
inline boost::asio::awaitable<bool> with_deadline(boost::asio::awaitable<void> op,
                                                  deadline_clock::time_point deadline) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
  co_return co_await with_deadline(std::move(op), timer);
}

} // namespace snapstream::net
