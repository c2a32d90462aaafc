#pragma once
// Runs one test coroutine on an io_context to its end, for the net tests.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>

namespace snapstream::net::test {

/// Runs `test` on `io` to completion; rethrows its exception.
inline void run(boost::asio::io_context& io, boost::asio::awaitable<void> test) {
  std::exception_ptr failure;
  bool done = false;
  boost::asio::co_spawn(io, std::move(test), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  io.run();
  BOOST_REQUIRE(done);
  if (failure) std::rethrow_exception(failure);
}

} // namespace snapstream::net::test
