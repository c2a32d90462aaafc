#include "actors/snapshot_transport.hpp"

#include "actors/atoms.hpp"
#include "actors/provider_actor.hpp"
#include "protocol/common/log.hpp"
#include "protocol/messages/decoder.hpp"

namespace snapstream::actors {

namespace {

boost::asio::awaitable<result<shared_bytes>> serve_one(bridge* b, caf::actor provider,
                                                       std::chrono::milliseconds timeout,
                                                       libp2p::peer_id remote, std::string protocol,
                                                       byte_buffer request) {
  const auto encoding = messages::encoding_of(protocol).value_or(messages::byte_encoding::array);
  const std::string peer = remote.to_string();
  const messages::decode_options options{messages::max_request_size};
  auto decoded = messages::decode_request(request, options);
  if (!decoded) {
    std::string why = decoded.error().message();
    auto refused = co_await b->ask<shared_bytes>(provider, timeout, bad_request_atom::value, peer, encoding, why);
    co_return refused;
  }
  const std::uint64_t session = decoded->session_id;
  auto reply = co_await b->ask<shared_bytes>(provider, timeout, serve_atom::value, peer, encoding,
                                             std::move(*decoded));
  if (reply) co_return reply;
  // The provider did not answer in time (or is gone): the consumer still gets
  // a typed answer instead of a reset stream.
  log::warn("provider", "request_unanswered",
            {{"peer", peer}, {"session", session}, {"reason", reply.error().message()}});
  messages::snapshots_response unavailable;
  unavailable.session_id = session;
  unavailable.body = messages::error_message{"snapshot provider unavailable: " + reply.error().message()};
  co_return encode_shared(unavailable, encoding);
}

} // namespace

void serve_snapshots(net::host& host, bridge& b, caf::actor provider, std::chrono::milliseconds timeout) {
  bridge* bp = &b;
  host.set_request_handler(net::snapshot_protocols(),
                           [bp, provider, timeout](libp2p::peer_id remote, std::string protocol,
                                                   byte_buffer request) {
                             return serve_one(bp, provider, timeout, std::move(remote), std::move(protocol),
                                              std::move(request));
                           });
}

boost::asio::awaitable<result<exchange_result>> exchange(net::host* host, net::peer_target peer,
                                                         std::vector<net::protocol_spec> protocols,
                                                         byte_buffer request, std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  auto response = co_await host->request(std::move(peer), std::move(protocols), std::move(request), timeout);
  if (!response) co_return response.error();
  exchange_result out;
  out.encoding = messages::encoding_of(response->protocol).value_or(messages::byte_encoding::array);
  out.body = std::move(response->body);
  out.latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  co_return out;
}

} // namespace snapstream::actors
