#include "net/libp2p/stream.hpp"

#include "net/libp2p/detail/connection.hpp"

namespace snapstream::net {

namespace asio = boost::asio;

namespace {
detail::clock::time_point no_deadline() { return detail::clock::time_point::max(); }
const std::string empty_protocol;
const libp2p::peer_id empty_peer;
} // namespace

stream::stream(std::shared_ptr<detail::connection> conn, std::shared_ptr<detail::stream_state> state) noexcept
  : conn_(std::move(conn)), state_(std::move(state)) {}

stream& stream::operator=(stream&& other) noexcept {
  if (this != &other) {
    if (state_ && conn_) conn_->release(*state_);
    conn_ = std::move(other.conn_);
    state_ = std::move(other.state_);
  }
  return *this;
}

stream::~stream() {
  if (state_ && conn_) conn_->release(*state_);
}

const std::string& stream::protocol() const noexcept { return state_ ? state_->protocol : empty_protocol; }
const libp2p::peer_id& stream::remote_peer() const noexcept { return state_ ? state_->remote : empty_peer; }
std::uint32_t stream::id() const noexcept { return state_ ? state_->id : 0; }

asio::awaitable<result<std::size_t>> stream::read_some(std::span<std::uint8_t> into) {
  if (!state_) co_return make_error(host_errc::invalid_argument, "read on an empty stream handle");
  co_return co_await conn_->read_some(state_, into, no_deadline());
}

asio::awaitable<result<byte_buffer>> stream::read_to_end(std::size_t max_size) {
  if (!state_) co_return make_error(host_errc::invalid_argument, "read on an empty stream handle");
  co_return co_await conn_->read_to_end(state_, max_size, host_errc::response_too_large, no_deadline());
}

asio::awaitable<result<void>> stream::write(bytes_view data) {
  if (!state_) co_return make_error(host_errc::invalid_argument, "write on an empty stream handle");
  co_return co_await conn_->write(state_, data, no_deadline());
}

result<void> stream::close_write() {
  if (!state_) return make_error(host_errc::invalid_argument, "close on an empty stream handle");
  return conn_->close_write(*state_);
}

void stream::reset() {
  if (!state_) return;
  conn_->reset(*state_, make_error(host_errc::stream_reset, "stream " + std::to_string(state_->id) + " reset locally"));
}

} // namespace snapstream::net
