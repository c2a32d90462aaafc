#pragma once
/// The bridge between Asio coroutines and CAF actors.
///
/// Coroutine -> actor: `co_await bridge.ask<Reply>(dest, timeout, args...)`
/// sends `args...` to `dest` as a CAF request and resumes the coroutine, on
/// its own executor, with the reply or a typed error (timeout, actor down,
/// cancelled, or the actor's own error). One long-lived bridge actor issues
/// every request; the coroutine side needs no actor of its own.
///
/// Actor -> coroutine: `start_io(executor, op, reply_to, tag)` runs an
/// awaitable on the Asio side and sends its result to an actor as a message
/// `(tag, result<T>)`.
///
/// Nothing else crosses between the two worlds.
///
/// Shutdown order: stop and drain the coroutines, then `bridge::stop()`
/// (which waits until no CAF reply can reach an executor any more), then
/// destroy the `io_context`, then the actor system.

#include "actors/actors_errc.hpp"
#include "protocol/common/error.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <tuple>
#include <utility>

namespace snapstream::actors {

namespace detail {

/// A request waiting to be issued by the bridge actor. `issue` runs on the
/// bridge actor's thread and makes the typed CAF request.
class bridge_call_base {
public:
  virtual ~bridge_call_base() = default;
  virtual void issue(caf::event_based_actor* self) = 0;
};

using bridge_call_ptr = std::shared_ptr<bridge_call_base>;

} // namespace detail
} // namespace snapstream::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::actors::detail::bridge_call_ptr)

namespace snapstream::actors {

namespace detail {

template <class Reply, class Handle, class... Args>
class bridge_call final : public bridge_call_base,
                          public std::enable_shared_from_this<bridge_call<Reply, Handle, Args...>> {
public:
  using handler_type = boost::asio::any_completion_handler<void(result<Reply>)>;

  bridge_call(handler_type handler, boost::asio::any_io_executor executor, Handle dest,
              std::chrono::milliseconds timeout, std::tuple<Args...> args)
    : handler_(std::move(handler)),
      executor_(std::move(executor)),
      work_(boost::asio::prefer(executor_, boost::asio::execution::outstanding_work.tracked)),
      dest_(std::move(dest)),
      timeout_(timeout),
      args_(std::move(args)) {}

  /// Runs on the Asio executor, once, right after construction: lets a
  /// cancellation of the awaiting coroutine complete the call at once.
  void arm_cancellation() {
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) {
      std::weak_ptr<bridge_call> weak = this->shared_from_this();
      slot.assign([weak](boost::asio::cancellation_type) {
        if (auto self = weak.lock())
          self->finish(failure(error{actors_errc::cancelled, "the waiting coroutine was cancelled"}));
      });
    }
  }

  void issue(caf::event_based_actor* self) override {
    auto me = this->shared_from_this();
    auto on_error = [me](caf::error& e) { me->deliver(failure(from_caf_error(e))); };
    auto handle = std::apply(
      [&](Args&... a) { return self->request(dest_, timeout_, std::move(a)...); }, args_);
    if constexpr (std::is_void_v<Reply>) {
      handle.then([me]() { me->deliver(result<void>{}); }, on_error);
    } else {
      handle.then([me](Reply& r) { me->deliver(result<Reply>(std::move(r))); }, on_error);
    }
  }

private:
  // Explicit: a Reply that is itself a result<T> would make `error` ambiguous.
  static result<Reply> failure(error e) { return result<Reply>(boost::system::in_place_error, std::move(e)); }

  // Any thread (a CAF worker): hand the outcome to the coroutine's executor.
  void deliver(result<Reply> r) {
    auto me = this->shared_from_this();
    boost::asio::post(executor_, [me, r = std::move(r)]() mutable { me->finish(std::move(r)); });
  }

  // On the coroutine's executor only: the first outcome wins.
  void finish(result<Reply> r) {
    if (done_) return;
    done_ = true;
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    auto handler = std::move(handler_);
    auto work = std::move(work_);
    std::move(handler)(std::move(r));
  }

  handler_type handler_;
  boost::asio::any_io_executor executor_;
  boost::asio::any_io_executor work_; // keeps run() alive while the call is pending
  Handle dest_;
  std::chrono::milliseconds timeout_;
  std::tuple<Args...> args_;
  bool done_ = false;
};

} // namespace detail

/// The Asio-facing end of the bridge. Thread-safe: `ask` may be called from
/// coroutines on any executor at the same time.
class bridge {
public:
  /// Spawns the bridge actor in `system`.
  explicit bridge(caf::actor_system& system);
  /// Calls `stop()`.
  ~bridge();
  bridge(const bridge&) = delete;
  bridge& operator=(const bridge&) = delete;

  /// Sends `args...` to `dest` as a request and completes with the reply of
  /// type `Reply` (use `void` for an empty reply) or with a typed error:
  /// `actors_errc::timeout` after `timeout`, `unavailable` when `dest` is
  /// down, `cancelled` when the awaiting coroutine is cancelled (a later reply
  /// is then dropped), or the error the actor answered (see `to_caf_error`).
  /// The coroutine always resumes on its own executor.
  template <class Reply, class Handle, class... Args>
  boost::asio::awaitable<result<Reply>> ask(Handle dest, std::chrono::milliseconds timeout,
                                            Args... args) {
    using call_type = detail::bridge_call<Reply, Handle, Args...>;
    auto initiation = [this](auto handler, Handle d, std::chrono::milliseconds t,
                             std::tuple<Args...> a) {
      boost::asio::any_io_executor ex = boost::asio::get_associated_executor(handler);
      auto call = std::make_shared<call_type>(std::move(handler), std::move(ex), std::move(d), t,
                                              std::move(a));
      call->arm_cancellation();
      caf::anon_send(actor_, detail::bridge_call_ptr(std::move(call)));
    };
    std::tuple<Args...> packed(std::move(args)...);
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(result<Reply>)>(
      std::move(initiation), boost::asio::use_awaitable, std::move(dest), timeout, std::move(packed));
  }

  /// Stops the bridge actor and waits until it has terminated, so that no
  /// reply can be posted to an executor afterwards. Pending calls are dropped.
  /// Idempotent.
  void stop();

private:
  caf::actor_system& system_;
  caf::actor actor_;
};

/// Runs `op` on `executor` and sends `(tag, result<T>)` to `reply_to` when it
/// finishes (an exception from `op` becomes an `actors_errc::failed` error).
/// Safe to call from an actor's thread.
template <class Tag, class T>
void start_io(boost::asio::any_io_executor executor, boost::asio::awaitable<result<T>> op,
              caf::actor reply_to, Tag tag) {
  boost::asio::co_spawn(
    executor, std::move(op),
    [reply_to = std::move(reply_to), tag](std::exception_ptr ex, result<T> r) mutable {
      if (ex) r = error{actors_errc::failed, "I/O operation threw: " + describe_exception(ex)};
      caf::anon_send(reply_to, tag, std::move(r));
    });
}

} // namespace snapstream::actors
