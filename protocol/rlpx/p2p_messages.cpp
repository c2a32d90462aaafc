#include "protocol/rlpx/p2p_messages.hpp"

#include "protocol/rlpx/rlp.hpp"

namespace snapstream::rlpx::p2p {

byte_buffer encode(const hello& m) {
  byte_buffer out;
  out.reserve(128 + m.client_id.size() + 12 * m.capabilities.size());
  rlp_writer w(out);
  w.begin_list();
  w.uint(m.protocol_version);
  w.string(m.client_id);
  w.begin_list();
  for (const auto& c : m.capabilities) {
    w.begin_list();
    w.string(c.name);
    w.uint(c.version);
    w.end_list();
  }
  w.end_list();
  w.uint(m.listen_port);
  w.bytes(m.node_id);
  w.end_list();
  return out;
}

result<hello> decode_hello(bytes_view payload) {
  auto r = rlp_reader::from_list(payload, "Hello");
  if (!r) return r.error();
  hello m;
  auto version = r->uint64("Hello.protocolVersion");
  if (!version) return version.error();
  m.protocol_version = *version;
  auto client = r->bytes("Hello.clientId");
  if (!client) return client.error();
  m.client_id.assign(as_chars(*client));
  auto caps = r->list("Hello.capabilities");
  if (!caps) return caps.error();
  m.capabilities.reserve(caps->count());
  while (!caps->at_end()) {
    auto entry = caps->list("Hello.capabilities[]");
    if (!entry) return entry.error();
    auto name = entry->bytes("Hello.capabilities[].name");
    if (!name) return name.error();
    auto cv = entry->uint64("Hello.capabilities[].version");
    if (!cv) return cv.error();
    m.capabilities.push_back(capability{std::string(as_chars(*name)), *cv});
  }
  auto port = r->uint64("Hello.listenPort");
  if (!port) return port.error();
  m.listen_port = *port;
  auto id = r->fixed<64>("Hello.nodeKey");
  if (!id) return id.error();
  m.node_id = *id;
  return m; // further elements are ignored (EIP-8)
}

std::string_view to_string(disconnect_reason r) noexcept {
  switch (r) {
    case disconnect_reason::requested: return "requested";
    case disconnect_reason::tcp_error: return "tcp_error";
    case disconnect_reason::breach_of_protocol: return "breach_of_protocol";
    case disconnect_reason::useless_peer: return "useless_peer";
    case disconnect_reason::too_many_peers: return "too_many_peers";
    case disconnect_reason::already_connected: return "already_connected";
    case disconnect_reason::incompatible_version: return "incompatible_version";
    case disconnect_reason::null_identity: return "null_identity";
    case disconnect_reason::client_quitting: return "client_quitting";
    case disconnect_reason::unexpected_identity: return "unexpected_identity";
    case disconnect_reason::connected_to_self: return "connected_to_self";
    case disconnect_reason::ping_timeout: return "ping_timeout";
    case disconnect_reason::subprotocol_error: return "subprotocol_error";
  }
  return "unknown";
}

byte_buffer encode_disconnect(disconnect_reason r) {
  byte_buffer out;
  rlp_writer w(out);
  w.begin_list();
  w.uint(static_cast<std::uint8_t>(r));
  w.end_list();
  return out;
}

result<disconnect_reason> decode_disconnect(bytes_view payload) {
  auto item = rlp_decode(payload);
  if (!item) return make_error(static_cast<rlpx_errc>(item.error().code().value()),
                               "Disconnect: " + item.error().message());
  bytes_view reason_bytes = item->payload;
  if (item->is_list) {
    rlp_reader r(item->payload);
    if (r.at_end()) return disconnect_reason::requested;
    auto b = r.bytes("Disconnect.reason");
    if (!b) return b.error();
    reason_bytes = *b;
  }
  auto v = rlp_to_uint64(reason_bytes, "Disconnect.reason");
  if (!v) return v.error();
  if (*v > 0xff)
    return make_error(rlpx_errc::invalid_message, "Disconnect.reason: " + std::to_string(*v) + " is above 255");
  return static_cast<disconnect_reason>(*v);
}

byte_buffer encode_ping() { return byte_buffer{0xc0}; }
byte_buffer encode_pong() { return byte_buffer{0xc0}; }

result<void> decode_ping_or_pong(bytes_view payload) {
  auto r = rlp_reader::from_list(payload, "Ping/Pong");
  if (!r) return r.error();
  return {};
}

} // namespace snapstream::rlpx::p2p
