#pragma once
// A `snapstream node` (or any helper program) running as a child process
// whose stdout and stderr go to files, so a chatty child never blocks on a
// full pipe and its log can be printed when a test fails.

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace snapstream::e2e {

using namespace std::chrono_literals;

/// The contents of a file ("" when it does not exist).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The last `lines` lines of `text`.
inline std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  for (std::size_t n = 0; n <= lines && at > 0; ++n) {
    const auto nl = text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return text.substr(at + 1);
}

/// False while a test case runs that has a failed assertion or is unwinding
/// from an exception; true otherwise (also outside any test case).
inline bool current_test_passing() {
  namespace utf = boost::unit_test;
  if (!utf::framework::test_in_progress()) return true;
  // Global fixtures run outside any test case: nothing to attribute there.
  const auto id = utf::framework::current_test_case_id();
  if (utf::framework::get(id, utf::TUT_ANY).p_type != utf::TUT_CASE) return true;
  if (std::uncaught_exceptions() > 0) return false;
  return utf::results_collector_t::instance().results(id).passed();
}

/// Environment changes for a child: a value sets a variable, nullopt removes it.
using env_changes = std::map<std::string, std::optional<std::string>>;

/// A child process started with posix_spawn; stdout and stderr appended to
/// `<dir>/<name>.out` and `<dir>/<name>.log`. Destruction kills it if it still
/// runs, after printing the tail of its output when the current test failed.
class process {
public:
  /// `stdin_pipe`: the child's stdin is a pipe the test holds open until
  /// `close_stdin()` or destruction (else /dev/null).
  process(std::string name, const std::filesystem::path& dir, std::vector<std::string> argv,
          const env_changes& env = {}, const std::optional<std::filesystem::path>& cwd = std::nullopt,
          bool stdin_pipe = false)
      : name_(std::move(name)), out_path_(dir / (name_ + ".out")), log_path_(dir / (name_ + ".log")) {
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string key = entry.substr(0, entry.find('='));
      // Children start from a known environment: no token, default log level.
      if (env.count(key) != 0 || key == "RPP_RPC_TOKEN" || key == "SNAPSTREAM_LOG") continue;
      env_s.push_back(entry);
    }
    for (const auto& [key, value] : env)
      if (value) env_s.push_back(key + "=" + *value);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int in_pipe[2] = {-1, -1};
    if (stdin_pipe) {
      BOOST_REQUIRE(::pipe2(in_pipe, O_CLOEXEC) == 0);
      posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
    } else {
      posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd->c_str());
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (stdin_pipe) {
      ::close(in_pipe[0]);
      stdin_fd_ = in_pipe[1];
    }
    BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0] << ": error " << rc);
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() {
    if (!current_test_passing()) dump();
    close_stdin();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// Closes the stdin pipe (the child reads EOF).
  void close_stdin() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = -1;
  }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
  /// Sends `sig` to the child while it runs (SIGSTOP, SIGCONT, ...).
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  /// True while the child is stopped by a signal (SIGSTOP): the state
  /// letter of /proc/<pid>/stat is `T`.
  [[nodiscard]] bool stopped() const {
    if (pid_ <= 0) return false;
    const std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
    const auto after_name = stat.rfind(") ");
    return after_name != std::string::npos && after_name + 2 < stat.size() && stat[after_name + 2] == 'T';
  }
  [[nodiscard]] std::string out() const { return read_text(out_path_); }
  [[nodiscard]] std::string log() const { return read_text(log_path_); }

  /// Prints the tail of the child's stdout and stderr to stderr.
  void dump() const {
    std::cerr << "---- " << name_ << " stdout (" << out_path_.string() << ") ----\n"
              << tail_lines(out(), 40) << "---- " << name_ << " stderr (" << log_path_.string() << ", last 200 lines) ----\n"
              << tail_lines(log(), 200) << "---- end of " << name_ << " ----\n";
  }

  /// The exit code (or 128 + signal) once the child has exited; nothing while it runs.
  std::optional<int> poll_exit() {
    if (pid_ <= 0) return exit_code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  /// Sends `sig`, then waits up to `limit` for the exit (SIGKILL after that)
  /// and returns the exit code (128 + signal for a signal).
  int stop(int sig = SIGTERM, std::chrono::milliseconds limit = 60s) {
    if (pid_ <= 0) return exit_code_.value_or(-1);
    ::kill(pid_, sig);
    return wait(limit);
  }

  /// Waits up to `limit` for the child to exit by itself (then kills it).
  int wait(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = poll_exit()) return *code;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_ERROR(name_ << " did not exit within " << limit.count() << " ms; killing it");
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = 128 + SIGKILL;
    return *exit_code_;
  }

  /// Waits until `pattern` matches somewhere in the child's stdout (`in_log`:
  /// stderr) and returns the match; fails the test when the child exits or
  /// `limit` passes first.
  std::smatch wait_for_output(const std::regex& pattern, bool in_log = false, std::chrono::milliseconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      text_ = in_log ? log() : out();
      std::smatch m;
      if (std::regex_search(text_, m, pattern)) return m;
      if (auto code = poll_exit()) {
        text_ = in_log ? log() : out();
        if (std::regex_search(text_, m, pattern)) return m;
        BOOST_FAIL(name_ << " exited with " << *code << " before printing what the test waits for");
      }
      if (std::chrono::steady_clock::now() >= deadline)
        BOOST_FAIL(name_ << " did not print what the test waits for within " << limit.count() << " ms");
      std::this_thread::sleep_for(20ms);
    }
  }

private:
  std::string name_;
  std::filesystem::path out_path_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> exit_code_;
  std::string text_; // keeps the matched text alive for the returned smatch
};

/// A folder of the source tree (SNAPSTREAM_SOURCE_DIR, set by CTest).
inline std::filesystem::path source_path(const std::string& relative) {
  const char* src = std::getenv("SNAPSTREAM_SOURCE_DIR");
  BOOST_REQUIRE_MESSAGE(src != nullptr && *src != '\0', "SNAPSTREAM_SOURCE_DIR is not set");
  return std::filesystem::path(src) / relative;
}

/// Installs the locked npm packages of `dir` (`npm ci`) when `probe` (a path
/// inside node_modules) is missing.
inline void ensure_npm_packages(const std::filesystem::path& dir, const std::string& probe) {
  if (std::filesystem::exists(dir / "node_modules" / probe)) return;
  const std::string cmd = "cd '" + dir.string() + "' && npm ci --no-audit --no-fund >&2";
  BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "npm ci failed in " << dir);
}

/// The `snapstream` binary under test (SNAPSTREAM_BIN, set by CTest).
inline std::string snapstream_binary() {
  const char* bin = std::getenv("SNAPSTREAM_BIN");
  BOOST_REQUIRE_MESSAGE(bin != nullptr && *bin != '\0', "SNAPSTREAM_BIN is not set");
  return bin;
}

/// What a node prints once it listens:
/// `node peer_id=... p2p=<addr>[,<addr>...] http=HOST:PORT`.
struct node_address {
  std::string peer_id;
  std::string p2p;        ///< first p2p address, with its /p2p/ suffix
  std::uint16_t http_port = 0;
};

/// A running `snapstream node`, started on loopback with free ports (port 0:
/// the node prints the ports it got). Waits until it listens. It can be
/// frozen and thawed (SIGSTOP / SIGCONT), and started again after it exited,
/// with the same flags on the same ports; every run keeps its own output
/// files (`<name>`, `<name>-restart-1`, ...), all printed when the test fails.
class node_process {
public:
  /// `env`: environment changes of every run (until `set_env`).
  node_process(std::string name, const std::filesystem::path& dir, std::vector<std::string> extra_args,
               env_changes env = {})
      : name_(std::move(name)), dir_(dir), extra_args_(std::move(extra_args)), env_(std::move(env)) {
    runs_.push_back(std::make_unique<process>(name_, dir_, args("/ip4/127.0.0.1/tcp/0", "127.0.0.1:0"), env_));
    address_ = wait_listening();
  }

  [[nodiscard]] const node_address& address() const noexcept { return address_; }
  [[nodiscard]] std::uint16_t http_port() const noexcept { return address_.http_port; }
  /// The current run.
  [[nodiscard]] process& proc() noexcept { return *runs_.back(); }
  [[nodiscard]] const process& proc() const noexcept { return *runs_.back(); }

  /// SIGTERM: the node must shut down cleanly and exit 0.
  void stop_cleanly() {
    const int code = proc().stop(SIGTERM);
    BOOST_TEST(code == 0, proc().name() << " exited with " << code << " after SIGTERM");
  }

  /// SIGKILL: no chance to flush or close anything.
  void kill9() {
    const int code = proc().stop(SIGKILL, 30s);
    BOOST_TEST(code == 128 + SIGKILL);
  }

  /// SIGSTOP: the node stops running (its sockets stay open, nothing is read
  /// or answered) until `thaw`. Returns once the kernel reports it stopped.
  void freeze() {
    proc().signal(SIGSTOP);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!proc().stopped()) {
      BOOST_REQUIRE_MESSAGE(proc().running() && std::chrono::steady_clock::now() < deadline,
                            proc().name() << " did not stop after SIGSTOP");
      std::this_thread::sleep_for(1ms);
    }
  }
  /// SIGCONT: a frozen node runs on.
  void thaw() { proc().signal(SIGCONT); }

  /// Starts the node again after it exited (`kill9`, `stop_cleanly`): the
  /// same flags (data directory, key), the same p2p and HTTP ports; its
  /// output goes to `<name>-restart-<n>`. Waits until it listens.
  /// The environment changes of the runs to come.
  void set_env(env_changes env) { env_ = std::move(env); }

  void restart() {
    BOOST_REQUIRE_MESSAGE(!proc().running(), proc().name() << " still runs: stop it before restarting it");
    static const std::regex tcp_port("/tcp/([0-9]+)/");
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(address_.p2p, m, tcp_port));
    const std::string log_name = name_ + "-restart-" + std::to_string(runs_.size());
    runs_.push_back(std::make_unique<process>(
      log_name, dir_, args("/ip4/127.0.0.1/tcp/" + m[1].str(), "127.0.0.1:" + std::to_string(address_.http_port)),
      env_));
    const auto again = wait_listening();
    BOOST_TEST(again.peer_id == address_.peer_id);
    BOOST_TEST(again.p2p == address_.p2p);
    BOOST_TEST(again.http_port == address_.http_port);
    address_ = again;
  }

private:
  std::vector<std::string> args(const std::string& p2p_listen, const std::string& http_listen) const {
    std::vector<std::string> a{snapstream_binary(), "node", "--p2p-listen", p2p_listen, "--http-listen", http_listen};
    a.insert(a.end(), extra_args_.begin(), extra_args_.end());
    return a;
  }

  node_address wait_listening() {
    static const std::regex startup("node peer_id=(\\S+) p2p=(/ip4/127\\.0\\.0\\.1/tcp/[0-9]+/p2p/\\S+?)(,\\S+)? "
                                    "http=127\\.0\\.0\\.1:([0-9]+)\n");
    const auto m = proc().wait_for_output(startup);
    node_address a;
    a.peer_id = m[1].str();
    a.p2p = m[2].str();
    a.http_port = static_cast<std::uint16_t>(std::stoul(m[4].str()));
    return a;
  }

  std::string name_;
  std::filesystem::path dir_;
  std::vector<std::string> extra_args_;
  env_changes env_;
  std::vector<std::unique_ptr<process>> runs_; ///< every run, the current one last
  node_address address_;
};

} // namespace snapstream::e2e
