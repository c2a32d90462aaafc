#include "app/node_runtime.hpp"

#include "actors/node.hpp"
#include "net/rlpx/host.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/common/log.hpp"
#include "protocol/common/sha256.hpp"
#include "protocol/libp2p/identity.hpp"
#include "protocol/rlpx/keys.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <mutex>

#include <pthread.h>
#include <signal.h>

namespace snapstream::app {

namespace {

namespace asio = boost::asio;

enum class runtime_errc { key_file = 1, http_listen, rlpx, node_failed };

} // namespace
} // namespace snapstream::app

namespace snapstream::app {
namespace {

constexpr const char* category_name(runtime_errc) noexcept { return "snapstream.app"; }
std::string_view to_string(runtime_errc e) noexcept {
  switch (e) {
    case runtime_errc::key_file: return "key file";
    case runtime_errc::http_listen: return "http listen";
    case runtime_errc::rlpx: return "rlpx";
    case runtime_errc::node_failed: return "node failed";
  }
  return "unknown";
}
std::error_code make_error_code(runtime_errc e) noexcept { return make_enum_error_code(e); }

error fail(runtime_errc e, std::string message) { return error{make_error_code(e), std::move(message)}; }

/// Runs `fn` on `ex` and waits for its result (for calls that must happen on
/// the executor while it is already running on another thread).
template <class F>
auto on_executor(asio::any_io_executor ex, F fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  asio::post(ex, [&task] { task(); });
  return result.get();
}

/// The RLPx node key: a secp256k1 scalar derived from the node's Ed25519 seed,
/// so one key file gives a node both identities.
result<rlpx::secret_key> rlpx_key_of(const libp2p::identity& id) {
  const auto seed = id.seed();
  for (std::uint8_t counter = 0; counter < 8; ++counter) {
    sha256_hasher h;
    h.update(as_bytes("snapstream/rlpx-node-key/v1"));
    h.update(bytes_view(seed.data(), seed.size()));
    h.update(bytes_view(&counter, 1));
    rlpx::secret_key key = h.finish();
    if (rlpx::validate_secret_key(key)) return key;
  }
  return fail(runtime_errc::rlpx, "could not derive an RLPx node key");
}

/// The RLPx host's peers, for `GET /p2p/peers` (on the host's executor).
std::vector<actors::peer_info> rlpx_peers(const net::rlpx::host& rlpx) {
  std::vector<actors::peer_info> out;
  for (const auto& p : rlpx.peers()) {
    actors::peer_info info;
    info.peer_id = to_hex(p.id);
    info.transport = "rlpx";
    info.addresses.push_back(p.remote_address + ":" + std::to_string(p.remote_port));
    for (const auto& c : p.capabilities) {
      info.protocols.push_back(c.name + "/" + std::to_string(c.version));
      info.offsets.push_back({c.name, static_cast<std::uint32_t>(c.version), static_cast<std::uint32_t>(c.offset),
                              static_cast<std::uint32_t>(c.length)});
    }
    out.push_back(std::move(info));
  }
  return out;
}

/// SIGINT and SIGTERM, blocked in every thread the runtime starts, are taken
/// with sigtimedwait by `run_until_signal`.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace
} // namespace snapstream::app

template <>
struct std::is_error_code_enum<snapstream::app::runtime_errc> : std::true_type {};

namespace snapstream::app {

struct node_runtime::impl {
  std::unique_ptr<actors::node> node;
  std::unique_ptr<net::rlpx::host> rlpx;
  std::unique_ptr<http::http_server> http;
  std::uint16_t http_port = 0;
  std::atomic<bool> stop_requested{false};
  std::once_flag stopped;

  void shutdown() {
    std::call_once(stopped, [this] {
      log::info("node", "shutting_down");
      auto ex = node->executor();
      if (http) asio::co_spawn(ex, http->stop(), asio::use_future).get();
      if (rlpx) asio::co_spawn(ex, rlpx->shutdown(), asio::use_future).get();
      node->stop(); // actors, then the libp2p host and the I/O thread, then the bridge
      http.reset();
      rlpx.reset();
      node.reset();
    });
  }
};

node_runtime::node_runtime(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

node_runtime::~node_runtime() { stop(); }

result<std::unique_ptr<node_runtime>> node_runtime::start(node_options options) {
  // Threads started from here on inherit the blocked signals; only
  // run_until_signal takes them.
  const sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto id = libp2p::load_identity(options.key_file.string());
  if (!id)
    return fail(runtime_errc::key_file, "cannot use key file " + options.key_file.string() + ": " +
                                          id.error().message() + " (create one with: snapstream keygen --out FILE)");
  auto d = std::make_unique<impl>();
  actors::node_config config;
  config.data_dir = options.data_dir;
  config.identity = *id;
  config.listen = options.p2p_listen;
  config.peers = options.peers;
  config.trust = options.trust;
  config.provider = options.provider;
  config.consumer = options.consumer;
  config.host = options.host;
  config.scheduler_threads = options.scheduler_threads;
  config.db.min_free_bytes = options.min_free_disk_bytes;
  auto started = actors::node::start(std::move(config));
  if (!started) return started.error();
  d->node = std::move(*started);
  auto ex = d->node->executor();

  if (options.rlpx_listen) {
    const auto& listen = *options.rlpx_listen;
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      d->shutdown();
      return fail(runtime_errc::rlpx, "--rlpx-listen wants HOST:PORT, got " + listen);
    }
    auto key = rlpx_key_of(*id);
    if (!key) {
      d->shutdown();
      return key.error();
    }
    net::rlpx::host_config rc;
    rc.node_key = *key;
    rc.listen = true;
    rc.listen_address = listen.substr(0, colon);
    rc.listen_port = static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)));
    rc.eth.chain = options.rlpx_chain;
    const std::string rlpx_host = rc.listen_address; // rc is moved into the host below
    auto host = net::rlpx::host::create(ex, std::move(rc));
    if (!host) {
      d->shutdown();
      return host.error();
    }
    d->rlpx = std::move(*host);
    auto bound = on_executor(ex, [&] { return d->rlpx->start(); });
    if (!bound) {
      d->shutdown();
      return bound.error();
    }
    log::info("rlpx", "listening", {{"enode", d->rlpx->enode(rlpx_host)},
                                    {"network", options.rlpx_network},
                                    {"network_id", options.rlpx_chain.network_id}});
  }

  if (d->rlpx) d->node->control().add_peer_source([rlpx = d->rlpx.get()] { return rlpx_peers(*rlpx); });
  d->http = std::make_unique<http::http_server>(ex, d->node->control(), options.http);
  auto port = on_executor(ex, [&] { return d->http->listen(options.http_host, options.http_port); });
  if (!port) {
    d->shutdown();
    return fail(runtime_errc::http_listen, "cannot listen for HTTP on " + options.http_host + ":" +
                                             std::to_string(options.http_port) + ": " + port.error().message());
  }
  d->http_port = *port;
  log::info("http", "listening", {{"address", options.http_host + ":" + std::to_string(*port)},
                                   {"auth", options.http.token && !options.http.token->empty()}});
  return std::unique_ptr<node_runtime>(new node_runtime(std::move(d)));
}

const libp2p::peer_id& node_runtime::peer_id() const noexcept { return impl_->node->peer_id(); }

std::vector<libp2p::multiaddr> node_runtime::p2p_addresses() const { return impl_->node->addresses(); }

std::uint16_t node_runtime::http_port() const noexcept { return impl_->http_port; }

result<void> node_runtime::run_until_signal() {
  const sigset_t signals = shutdown_signals();
  bool failed = false;
  while (!impl_->stop_requested.load()) {
    if (impl_->node->failed()) {
      failed = true;
      break;
    }
    timespec wait{0, 200'000'000};
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &wait);
    if (sig > 0) {
      log::info("node", "signal", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
      break;
    }
  }
  stop();
  if (failed) return fail(runtime_errc::node_failed, "the node stopped because one of its actors failed (see the log)");
  return {};
}

void node_runtime::stop() {
  if (!impl_ || !impl_->node) return;
  impl_->stop_requested = true;
  impl_->shutdown();
}

} // namespace snapstream::app
