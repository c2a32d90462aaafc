#pragma once
// Runs interop/devp2p/peer.mjs (an @ethereumjs/devp2p peer) as a child
// process: JSON events from its stdout, commands to its stdin.

#include "test_support.hpp"

#include "net/common/deadline.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace snapstream::net::rlpx::test {

/// interop/devp2p in the source tree.
inline std::filesystem::path devp2p_dir() {
  const char* src = std::getenv("SNAPSTREAM_SOURCE_DIR");
  return std::filesystem::path(src != nullptr ? src : SNAPSTREAM_SOURCE_DIR_DEFAULT) / "interop" / "devp2p";
}

/// Installs the locked npm dependencies when they are missing (`npm ci`).
inline void ensure_npm_dependencies() {
  const auto dir = devp2p_dir();
  if (std::filesystem::exists(dir / "node_modules" / "@ethereumjs" / "devp2p" / "package.json")) return;
  const std::string cmd = "cd '" + dir.string() + "' && npm ci --no-audit --no-fund >&2";
  BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "npm ci failed in " << dir);
}

class node_peer {
public:
  explicit node_peer(asio::any_io_executor ex) : out_(ex) {}
  node_peer(const node_peer&) = delete;
  node_peer& operator=(const node_peer&) = delete;
  ~node_peer() { stop(); }

  /// Starts `node peer.mjs <args...>` in interop/devp2p.
  void start(std::vector<std::string> args) {
    int in_pipe[2], out_pipe[2];
    BOOST_REQUIRE(::pipe(in_pipe) == 0 && ::pipe(out_pipe) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    const auto dir = devp2p_dir();
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    std::vector<std::string> argv_s{"node", (dir / "peer.mjs").string()};
    for (auto& a : args) argv_s.push_back(std::move(a));
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start node: " << rc);
    in_fd_ = in_pipe[1];
    out_.assign(out_pipe[0]);
  }

  /// Sends one command line to the script.
  void command(std::string_view line) {
    std::string l(line);
    l += '\n';
    BOOST_REQUIRE(::write(in_fd_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }

  /// The first event named `name` (whose integer field `key`, when given,
  /// equals `value`) that arrived so far or arrives within `limit`. Every
  /// event read is kept in `events()`.
  asio::awaitable<std::optional<boost::json::object>> wait_for(std::string name, std::string key = std::string(),
                                                               std::int64_t value = 0,
                                                               std::chrono::milliseconds limit = 20000ms) {
    for (const auto& e : events_)
      if (matches(e, name, key, value)) co_return e;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto line = co_await read_line(deadline);
      if (!line) co_return std::nullopt;
      boost::system::error_code ec;
      auto parsed = boost::json::parse(*line, ec);
      if (ec || !parsed.is_object()) continue;
      events_.push_back(parsed.as_object());
      if (matches(events_.back(), name, key, value)) co_return events_.back();
    }
  }

  [[nodiscard]] const std::vector<boost::json::object>& events() const { return events_; }

  /// Wire codes (>= 0x10) the script saw arrive / leave, in order.
  [[nodiscard]] std::vector<std::int64_t> codes(std::string_view direction) const {
    std::vector<std::int64_t> out;
    for (const auto& e : events_)
      if (e.at("event").as_string() == direction) out.push_back(e.at("code").as_int64());
    return out;
  }

  /// Asks the script to quit, then makes sure it is gone.
  void stop() {
    if (pid_ <= 0) return;
    if (in_fd_ >= 0) {
      (void)::write(in_fd_, "quit\n", 5);
      ::close(in_fd_);
      in_fd_ = -1;
    }
    int status = 0;
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      ::usleep(50000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

private:
  static bool matches(const boost::json::object& e, const std::string& name, const std::string& key,
                      std::int64_t value) {
    auto it = e.find("event");
    if (it == e.end() || !it->value().is_string() || it->value().as_string() != name) return false;
    if (key.empty()) return true;
    auto field = e.find(key);
    return field != e.end() && field->value().is_int64() && field->value().as_int64() == value;
  }

  asio::awaitable<std::optional<std::string>> read_line(std::chrono::steady_clock::time_point deadline) {
    auto read = asio::async_read_until(out_, asio::dynamic_buffer(buffer_), '\n', asio::deferred);
    auto got = co_await with_deadline(std::move(read), deadline);
    if (!got) co_return std::nullopt;
    auto [ec, n] = *got;
    if (ec) co_return std::nullopt;
    std::string line = buffer_.substr(0, n - 1);
    buffer_.erase(0, n);
    co_return line;
  }

  pid_t pid_ = -1;
  int in_fd_ = -1;
  asio::posix::stream_descriptor out_;
  std::string buffer_;
  std::vector<boost::json::object> events_;
};

} // namespace snapstream::net::rlpx::test
