// `snapstream sync`: starts (or resumes) a session on a running node through
// its HTTP control plane and watches it until it is verified or fails.

#include "app/commands.hpp"
#include "app/detail/token_file.hpp"
#include "app/sync_progress.hpp"
#include "http/control_client.hpp"
#include "protocol/common/hex.hpp"
#include "protocol/libp2p/peer_id.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace snapstream::app {

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using actors::session_state;

constexpr std::array<option_spec, 7> sync_options{{
  {"http", "HOST:PORT", "the node's HTTP control plane", true},
  {"peer", "PEER_ID", "a provider to sync from (12D3KooW...); without any, the node discovers providers among its "
   "peers", false, true},
  {"plan-id", "ID", "the snapshot to sync, 64 hex (default: the best one the providers offer)"},
  {"chunk-size", "SIZE", "preferred chunk size, e.g. 1MiB (the provider clamps it)"},
  {"resume", "SESSION", "watch session SESSION again, resuming it on the node if it stopped"},
  {"token-file", "FILE", "file holding the bearer token (else RPP_RPC_TOKEN)"},
  {"interval", "MS", "status poll interval in milliseconds, 20 to 10000 (default 100)"},
}};

const command_spec sync_spec{
  "sync",
  "sync a running node from a peer and show the progress",
  "Asks the node at HOST:PORT (POST /p2p/snapshots) to sync a snapshot from\n"
  "the providers PEER_ID... at once (or, without --peer, from the providers it\n"
  "discovers among its peers): the latest verifiable one, or --plan-id ID.\n"
  "Then polls the session: on a terminal it draws a progress bar (bytes, rate,\n"
  "ETA, active providers), otherwise it prints one line every 5 s. Exits 0 once\n"
  "the session is verified, after one line per provider with its share and a\n"
  "line with the verified state root, bytes and MiB/s; exits 1 with the node's\n"
  "error and error_code when the session fails. Ctrl-C stops watching (exit\n"
  "130); the session keeps running on the node, and --resume SESSION watches it\n"
  "again (or resumes it, with all its providers, if it has stopped).\n",
  sync_options,
  {},
};

/// Everything one run of the command shares between its coroutine and the
/// signal handler. Lives on the io_context's thread.
struct sync_run {
  sync_run(asio::io_context& io, http::client_config cfg) : client(io.get_executor(), std::move(cfg)), timer(io) {}

  http::control_client client;
  asio::steady_timer timer;
  std::string http_address;
  std::vector<std::string> peers; ///< as given; empty: the node discovers providers
  std::optional<std::string> plan_id;
  std::optional<std::uint64_t> chunk_size;
  std::optional<std::uint64_t> resume;
  std::chrono::milliseconds interval{100};
  bool terminal = false;
  std::size_t width = 80;
  bool interrupted = false;
  bool bar_drawn = false;
};

bool transient(const error& e) {
  return e.is(http::http_errc::connect_failed) || e.is(http::http_errc::timeout) ||
         e.is(http::http_errc::io_error) || e.is(http::http_errc::too_many_connections) ||
         e.is(http::http_errc::unavailable) || e.is(http::http_errc::backend_timeout) ||
         e.is(actors::control_errc::shutting_down);
}

error call_failure(const error& e, std::string_view doing) {
  std::string message = std::string(doing) + ": " + e.message();
  if (e.is(http::http_errc::unauthorized)) message += " (give --token-file or set RPP_RPC_TOKEN)";
  return error{app_errc::failed, std::move(message)};
}

void clear_bar(sync_run& run) {
  if (run.bar_drawn) {
    std::cout << "\r\x1b[K" << std::flush;
    run.bar_drawn = false;
  }
}

/// The command that watches (or resumes) `session` again. A resumed job keeps
/// its providers, so only rpp's single `--peer` is repeated.
std::string resume_hint(const sync_run& run, std::uint64_t session) {
  std::string hint = "snapstream sync --http " + run.http_address;
  if (run.peers.size() == 1) hint += " --peer " + run.peers.front();
  return hint + " --resume " + std::to_string(session);
}

/// " from A" or " from A, B, C": the providers a status names; empty when it
/// names none yet.
std::string from_providers(const actors::session_status& s) {
  std::vector<std::string> names;
  for (const auto& p : s.peers) names.push_back(p.peer);
  if (names.empty() && !s.peer.empty()) names.push_back(s.peer);
  std::string out;
  for (const auto& n : names) out += (out.empty() ? " from " : ", ") + n;
  return out;
}

/// The start command of `run` (a resume adds its `resume`). One provider goes
/// in rpp's `peer`, so that the body stays the one an rpp-era node reads.
actors::start_command start_command_of(const sync_run& run) {
  actors::start_command cmd;
  if (run.peers.size() == 1) cmd.peer = run.peers.front();
  else cmd.peers = run.peers;
  cmd.plan_id = run.plan_id;
  cmd.chunk_size = run.chunk_size;
  return cmd;
}

/// Each provider's share of a verified job, one line each:
/// `provider peer=12D3KooW... bytes=4194304 chunks=4`.
void print_shares(const actors::session_status& s) {
  for (const auto& p : s.peers)
    std::cout << "provider peer=" << p.peer << " bytes=" << p.bytes << " chunks=" << p.chunks << '\n';
}

/// Sleeps for the poll interval; returns early when interrupted.
asio::awaitable<void> pause(std::shared_ptr<sync_run> run) {
  run->timer.expires_after(run->interval);
  co_await run->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

/// Starts the session, or re-attaches to / resumes `--resume SESSION`.
asio::awaitable<result<actors::session_status>> begin(std::shared_ptr<sync_run> run) {
  if (run->resume) {
    auto current = co_await run->client.session(*run->resume);
    if (!current) co_return call_failure(current.error(), "session " + std::to_string(*run->resume));
    if (current->state == session_state::planning || current->state == session_state::syncing ||
        current->state == session_state::verified) {
      std::cout << "watching session " << current->session << " (" << actors::to_string(current->state) << ")"
                << from_providers(*current) << '\n';
      co_return current;
    }
    auto cmd = start_command_of(*run);
    actors::start_command::resume_spec spec;
    spec.session = *run->resume;
    spec.plan_id = current->plan_id;
    cmd.resume = std::move(spec);
    auto resumed = co_await run->client.start_session(cmd);
    if (!resumed) co_return call_failure(resumed.error(), "resume session " + std::to_string(*run->resume));
    std::cout << "session " << resumed->session << " resumed" << from_providers(*resumed) << '\n';
    co_return resumed;
  }
  auto started = co_await run->client.start_session(start_command_of(*run));
  if (!started) co_return call_failure(started.error(), "start a session");
  std::cout << "session " << started->session << " started";
  if (run->peers.empty()) {
    std::cout << ", discovering providers";
  } else {
    for (std::size_t i = 0; i < run->peers.size(); ++i) std::cout << (i == 0 ? " from " : ", ") << run->peers[i];
  }
  std::cout << '\n';
  co_return started;
}

asio::awaitable<result<int>> watch(std::shared_ptr<sync_run> run) {
  const auto start = clock_type::now();
  auto first = co_await begin(run);
  if (!first) co_return first.error();
  const std::uint64_t id = first->session;
  const std::uint64_t bytes_at_start = first->bytes_received;
  std::cout << std::flush;

  rate_meter meter;
  auto last_ok = clock_type::now();
  auto last_line = clock_type::time_point{};
  std::optional<session_state> last_state;
  actors::session_status s = *first;
  bool have_status = true;
  for (;;) {
    if (run->interrupted) {
      clear_bar(*run);
      std::cout << "stopped watching session " << id << "; it keeps running on the node. Watch it again with:\n  "
                << resume_hint(*run, id) << '\n'
                << std::flush;
      co_return exit_interrupted;
    }
    if (!have_status) {
      auto polled = co_await run->client.session(id);
      if (!polled) {
        if (transient(polled.error()) && clock_type::now() - last_ok < std::chrono::seconds(30)) {
          co_await pause(run);
          continue;
        }
        clear_bar(*run);
        co_return call_failure(polled.error(), "session " + std::to_string(id));
      }
      s = std::move(*polled);
    }
    have_status = false;
    const auto now = clock_type::now();
    last_ok = now;
    meter.add(now, s.bytes_received);
    const double rate = s.throughput > 0 ? s.throughput : meter.rate();

    if (s.state == session_state::verified) {
      clear_bar(*run);
      const double seconds = std::chrono::duration<double>(now - start).count();
      const std::uint64_t moved = s.bytes_received >= bytes_at_start ? s.bytes_received - bytes_at_start : 0;
      char figures[96];
      std::snprintf(figures, sizeof figures, "seconds=%.3f mib_per_s=%.1f", seconds,
                    seconds > 0 ? static_cast<double>(moved) / (1024.0 * 1024.0) / seconds : 0.0);
      print_shares(s);
      std::cout << "verified session=" << id << " state_root=" << s.root;
      if (s.last_update_height) std::cout << " height=" << *s.last_update_height;
      std::cout << " bytes=" << s.bytes_received << " " << figures << '\n' << std::flush;
      co_return 0;
    }
    if (s.state == session_state::failed || s.state == session_state::cancelled) {
      clear_bar(*run);
      std::string message = "session " + std::to_string(id) + " " + std::string(actors::to_string(s.state));
      if (s.error) message += ": " + *s.error;
      if (s.error_code) message += " (error_code=" + *s.error_code + ")";
      if (s.state == session_state::failed) message += "; resume it with: " + resume_hint(*run, id);
      co_return error{app_errc::failed, std::move(message)};
    }
    if (run->terminal) {
      std::cout << '\r' << progress_bar_line(s, rate, run->width) << "\x1b[K" << std::flush;
      run->bar_drawn = true;
    } else if (last_state != s.state || now - last_line >= std::chrono::seconds(5)) {
      std::cout << progress_plain_line(s, rate) << '\n' << std::flush;
      last_line = now;
    }
    last_state = s.state;
    co_await pause(run);
  }
}

std::size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

result<int> run_sync(const parsed_arguments& args) {
  auto address = parse_host_port(*args.value("http"), "--http");
  if (!address) return address.error();
  if (address->port == 0) return usage_error("--http: the port must not be 0");
  std::vector<std::string> peers; // in command-line order, each once
  for (const auto& peer : args.values("peer")) {
    if (auto id = libp2p::peer_id::parse(peer); !id)
      return usage_error("--peer: '" + peer + "' is not a peer id (" + id.error().message() + ")");
    if (std::find(peers.begin(), peers.end(), peer) == peers.end()) peers.push_back(peer);
  }
  const auto plan_id = args.value("plan-id");
  if (plan_id) {
    std::array<std::uint8_t, 32> root{};
    if (plan_id->size() != 64 || !from_hex_into(*plan_id, root))
      return usage_error("--plan-id: '" + *plan_id + "' is not 64 hex characters");
  }
  if (args.has("resume")) {
    if (peers.size() > 1)
      return usage_error("--resume: give at most one --peer (a resumed session keeps its providers)");
    if (plan_id) return usage_error("--plan-id: a resumed session keeps its snapshot (leave out --plan-id)");
  }
  http::client_config cfg;
  cfg.host = address->host;
  cfg.port = address->port;
  cfg.timeout = std::chrono::seconds(10);
  if (auto file = args.value("token-file")) {
    auto token = detail::read_token_file(*file);
    if (!token) return token.error();
    cfg.token = std::move(*token);
  } else if (const char* env = std::getenv("RPP_RPC_TOKEN"); env != nullptr && *env != '\0') {
    auto token = detail::check_token(env);
    if (!token) return error{app_errc::invalid_config, "RPP_RPC_TOKEN: " + token.error().message()};
    cfg.token = std::move(*token);
  }

  asio::io_context io(1);
  auto run = std::make_shared<sync_run>(io, std::move(cfg));
  run->http_address = to_string(*address);
  run->peers = peers;
  run->plan_id = plan_id;
  if (auto v = args.value("chunk-size")) {
    auto n = parse_size(*v, "--chunk-size");
    if (!n) return n.error();
    if (*n == 0) return usage_error("--chunk-size: the size must be above 0");
    run->chunk_size = *n;
  }
  if (auto v = args.value("resume")) {
    auto n = parse_uint(*v, "--resume");
    if (!n) return n.error();
    run->resume = *n;
  }
  if (auto v = args.value("interval")) {
    auto n = parse_uint(*v, "--interval", 20, 10'000);
    if (!n) return n.error();
    run->interval = std::chrono::milliseconds(*n);
  }
  const char* term = std::getenv("TERM");
  run->terminal = ::isatty(STDOUT_FILENO) == 1 && !(term != nullptr && std::string_view(term) == "dumb");
  if (run->terminal) run->width = terminal_width();

  // First Ctrl-C: stop watching after the call in flight. Second: leave now.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int) {
    if (ec) return;
    if (run->interrupted) {
      std::cout << "\nsnapstream sync: interrupted twice, leaving now\n" << std::flush;
      std::_Exit(exit_interrupted);
    }
    run->interrupted = true;
    run->timer.cancel();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  result<int> outcome = error{app_errc::failed, "the sync did not finish"};
  asio::co_spawn(io, watch(run), [&](std::exception_ptr e, result<int> r) {
    if (e) {
      outcome = error{app_errc::failed, "internal error: " + describe_exception(e)};
    } else {
      outcome = std::move(r);
    }
    boost::system::error_code ignored;
    signals.cancel(ignored);
    run->client.close();
  });
  io.run();
  return outcome;
}

const command sync_cmd{&sync_spec, &run_sync};

} // namespace

const command& sync_command() { return sync_cmd; }

} // namespace snapstream::app
