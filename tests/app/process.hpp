#pragma once
// Runs the built `snapstream` binary as a child process (fork + execve) and
// collects its exit code, stdout and stderr, with a deadline; plus a fresh
// temporary directory per test.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace snapstream::app::test {

/// The binary under test, from the SNAPSTREAM_BIN environment variable that
/// CTest sets ($<TARGET_FILE:snapstream>).
inline std::string binary() {
  const char* bin = std::getenv("SNAPSTREAM_BIN");
  if (bin == nullptr || *bin == '\0') throw std::runtime_error("SNAPSTREAM_BIN is not set");
  return bin;
}

struct outcome {
  int code = -1;        ///< exit code, or 128 + signal
  std::string out;      ///< stdout
  std::string err;      ///< stderr
  bool timed_out = false;
};

/// Environment changes for a child: a value sets a variable, nullopt removes it.
using env_changes = std::map<std::string, std::optional<std::string>>;

/// A running child. Destruction kills it if it still runs.
class child {
public:
  child(const std::vector<std::string>& args, const env_changes& env = {},
        const std::optional<std::filesystem::path>& cwd = std::nullopt) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    // Build argv and envp before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> argv_s{binary()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string name = entry.substr(0, entry.find('='));
      if (env.count(name) == 0) env_s.push_back(entry);
    }
    // Tests start from a known environment: no token, default log level.
    for (const char* name : {"RPP_RPC_TOKEN", "SNAPSTREAM_LOG"}) {
      for (auto it = env_s.begin(); it != env_s.end();) {
        it = it->starts_with(std::string(name) + "=") ? env_s.erase(it) : it + 1;
      }
    }
    for (const auto& [name, value] : env)
      if (value) env_s.push_back(name + "=" + *value);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string dir = cwd ? cwd->string() : std::string();

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(out_pipe[1], STDOUT_FILENO);
      ::dup2(err_pipe[1], STDERR_FILENO);
      const int null_in = ::open("/dev/null", O_RDONLY);
      if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
      if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(126);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Sends a signal to the child.
  void signal(int sig) const { ::kill(pid_, sig); }

  /// Reads what is available for up to `for_at_most`, appending to out/err.
  /// Returns when both streams closed or the time is up.
  void pump(std::chrono::milliseconds for_at_most) {
    const auto deadline = std::chrono::steady_clock::now() + for_at_most;
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd fds[2];
      nfds_t n = 0;
      if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
      if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
      if (::poll(fds, n, static_cast<int>(left.count())) <= 0) continue;
      for (nfds_t i = 0; i < n; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        char buf[65536];
        const auto got = ::read(fds[i].fd, buf, sizeof buf);
        const bool is_out = fds[i].fd == out_fd_;
        if (got <= 0) {
          ::close(fds[i].fd);
          (is_out ? out_fd_ : err_fd_) = -1;
        } else {
          (is_out ? result_.out : result_.err).append(buf, static_cast<std::size_t>(got));
        }
      }
    }
  }

  /// False once the child closed both its stdout and stderr (it exited).
  [[nodiscard]] bool streams_open() const noexcept { return out_fd_ >= 0 || err_fd_ >= 0; }

  /// What the child wrote to stdout so far (after `pump`).
  [[nodiscard]] const std::string& out_so_far() const noexcept { return result_.out; }

  /// Waits for the child to exit (killing it after `timeout`) and returns its outcome.
  outcome wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    pump(timeout);
    if (out_fd_ >= 0 || err_fd_ >= 0) {
      result_.timed_out = true;
      ::kill(pid_, SIGKILL);
      pump(std::chrono::seconds(5));
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    result_.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result_;
  }

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  outcome result_;
};

/// Runs `snapstream args...` to completion.
inline outcome run(const std::vector<std::string>& args, const env_changes& env = {},
                   const std::optional<std::filesystem::path>& cwd = std::nullopt) {
  child c(args, env, cwd);
  return c.wait();
}

/// A fresh directory under the system temp folder, removed with its contents.
class temp_dir {
public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "snapstream-app-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::string operator/(const std::string& name) const { return (path_ / name).string(); }

  /// Writes `text` to `name` inside the directory; returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

private:
  std::filesystem::path path_;
};

/// The first line of `text` (without the newline).
inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

} // namespace snapstream::app::test
