#include "actors/snapshot_transport.hpp"

#include "actors/atoms.hpp"
#include "actors/provider_actor.hpp"
#include "protocol/common/log.hpp"
#include "protocol/messages/decoder.hpp"

namespace snapstream::actors {

namespace {

boost::asio::awaitable<result<shared_bytes>> serve_one(bridge* b, provider_actor provider,
                                                       std::chrono::milliseconds timeout,
                                                       libp2p::peer_id remote, std::string protocol,
                                                       byte_buffer request) {
  // The host serves only the protocols registered below, so the fallback is never taken.
  const auto version = messages::version_of(protocol).value_or(messages::protocol_version::v1_0);
  const std::string peer = remote.to_string();
  // Decoded as the negotiated version: a 1.0.0 or 1.1.0 stream refuses the
  // 1.2.0 additions exactly as a peer of that version would.
  const messages::decode_options options{messages::max_request_size, version};
  auto decoded = messages::decode_request(request, options);
  std::uint64_t session = 0; // a request that does not decode is answered as session 0
  result<shared_bytes> reply = error{provider_errc::unavailable, "no answer"};
  if (!decoded) {
    std::string why = decoded.error().message();
    reply = co_await b->ask<shared_bytes>(provider, timeout, bad_request_atom::value, peer, version, why);
  } else {
    session = decoded->session_id;
    reply = co_await b->ask<shared_bytes>(provider, timeout, serve_atom::value, peer, version, std::move(*decoded));
  }
  if (reply) co_return reply;
  // The provider did not answer in time (or is gone): the consumer still gets
  // a typed answer instead of a reset stream.
  log::warn("provider", "request_unanswered",
            {{"peer", peer}, {"session", session}, {"reason", reply.error().message()}});
  const error unanswered{provider_errc::unavailable, "snapshot provider unavailable: " + reply.error().message()};
  co_return encode_refusal(session, version, unanswered);
}

} // namespace

void serve_snapshots(net::host& host, bridge& b, provider_actor provider, std::chrono::milliseconds timeout) {
  bridge* bp = &b;
  host.set_request_handler({net::snapshots_v1_3(), net::snapshots_v1_2(), net::snapshots_v1_1(), net::snapshots_v1_0()},
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
  out.version = messages::version_of(response->protocol).value_or(messages::protocol_version::v1_0);
  out.encoding = messages::encoding_of(out.version);
  out.body = std::move(response->body);
  out.latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  co_return out;
}

boost::asio::awaitable<result<std::vector<std::string>>> known_snapshot_peers(net::host* host) {
  std::vector<std::string> out;
  for (const auto& id : host->known_peers()) out.push_back(id.to_string());
  co_return out;
}

} // namespace snapstream::actors
