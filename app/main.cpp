// snapstream: the command line. Finds the command, checks its arguments, runs
// it, and turns its outcome into an exit code (0 success, 1 failure, 2 usage).

#include "app/commands.hpp"
#include "protocol/common/version.hpp"

#include <array>
#include <exception>
#include <iostream>
#include <malloc.h>
#include <string>
#include <vector>

namespace {

using namespace snapstream;
using namespace snapstream::app;

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

std::array<const command*, 8> all_commands() {
  return {&keygen_command(),          &node_command(),          &state_generate_command(), &state_import_command(),
          &state_digest_command(),    &snapshot_create_command(), &sync_command(),          &selfcheck_command()};
}

std::string command_list(std::string_view group) {
  std::string out;
  for (const command* c : all_commands()) {
    const std::string_view name = c->spec->name;
    if (!group.empty() && !name.starts_with(std::string(group) + " ")) continue;
    std::string line = "  " + std::string(name);
    line.resize(std::max<std::size_t>(line.size() + 2, 20), ' ');
    out += line + std::string(c->spec->summary) + "\n";
  }
  return out;
}

std::string main_usage() {
  return "Usage: snapstream <command> [options]\n"
         "\n"
         "snapstream nodes stream verified, resumable snapshots of a key/value state\n"
         "to each other over libp2p (/rpp/snapshots/1.x).\n"
         "\n"
         "Commands:\n" +
         command_list("") +
         "\n"
         "Run 'snapstream <command> --help' for a command's options; docs/operations.md\n"
         "describes every command, the config file and the exit codes.\n";
}

std::string group_usage(std::string_view group) {
  return "Usage: snapstream " + std::string(group) + " <command> [options]\n\nCommands:\n" + command_list(group) +
         "\nRun 'snapstream " + std::string(group) + " <command> --help' for a command's options.\n";
}

int usage_failure(std::string_view who, const std::string& message, const std::string& usage) {
  std::cerr << who << ": " << message << '\n' << usage << std::flush;
  return exit_usage;
}

bool is_help(std::string_view w) { return w == "--help" || w == "-h" || w == "help"; }

int run(std::span<const std::string_view> words) {
  if (words.empty()) return usage_failure("snapstream", "missing command", main_usage());
  if (is_help(words[0])) {
    std::cout << main_usage();
    return 0;
  }
  if (words[0] == "--version") {
    std::cout << "snapstream " << snapstream::version << "\n";
    return 0;
  }
  // A command is one word, or a group and a word ("state import").
  const command* found = nullptr;
  std::size_t used = 1;
  bool group = false;
  for (const command* c : all_commands()) {
    const std::string_view name = c->spec->name;
    if (name == words[0]) {
      found = c;
      break;
    }
    if (name.starts_with(std::string(words[0]) + " ")) {
      group = true;
      if (words.size() > 1 && name.substr(words[0].size() + 1) == words[1]) {
        found = c;
        used = 2;
        break;
      }
    }
  }
  if (found == nullptr && group) {
    const std::string who = "snapstream " + std::string(words[0]);
    if (words.size() == 1) return usage_failure(who, "missing command", group_usage(words[0]));
    if (is_help(words[1])) {
      std::cout << group_usage(words[0]);
      return 0;
    }
    return usage_failure(who, "unknown command '" + std::string(words[1]) + "'", group_usage(words[0]));
  }
  if (found == nullptr) {
    if (words[0].starts_with("-")) return usage_failure("snapstream", "unknown option " + std::string(words[0]), main_usage());
    return usage_failure("snapstream", "unknown command '" + std::string(words[0]) + "'", main_usage());
  }

  const std::string who = "snapstream " + std::string(found->spec->name);
  auto args = parse_arguments(*found->spec, words.subspan(used));
  if (!args) return usage_failure(who, args.error().message(), usage_text(*found->spec));
  if (args->help()) {
    std::cout << usage_text(*found->spec);
    return 0;
  }
  result<int> outcome = error{app_errc::failed, "no outcome"};
  try {
    outcome = found->run(*args);
  } catch (const std::exception& e) {
    outcome = error{app_errc::failed, std::string("internal error: ") + e.what()};
  }
  if (outcome) return *outcome;
  if (outcome.error().is(app_errc::usage)) return usage_failure(who, outcome.error().message(), usage_text(*found->spec));
  std::cout << std::flush;
  std::cerr << who << ": " << outcome.error().message() << '\n' << std::flush;
  return exit_failure;
}

/// Keeps chunk-sized buffers (256 KiB to 16 MiB, allocated and freed for
/// every chunk) in malloc's arenas. By default glibc maps each one afresh
/// and hands freed memory straight back to the kernel, so every chunk paid
/// for page faults and zeroed pages: 0.35 CPU s/GiB on the consumer at
/// 1 MiB chunks (perf, over bench/run's one-session case).
void tune_malloc() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

} // namespace

int main(int argc, char** argv) {
  tune_malloc();
  std::vector<std::string_view> words(argv + 1, argv + argc);
  return run(words);
}
