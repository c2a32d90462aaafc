#pragma once
/// The subcommands of `snapstream` (docs/operations.md describes each).
///
/// A command's `run` gets its checked arguments, writes its results to
/// stdout, and returns the exit code of a success (0, or 130 when `sync` was
/// interrupted) or the error to report: `main` prints `snapstream <command>:
/// <message>` on stderr and exits 2 for `app_errc::usage` (after the usage)
/// and 1 otherwise.

#include "app/command_line.hpp"

namespace snapstream::app {

struct command {
  const command_spec* spec;
  result<int> (*run)(const parsed_arguments& args);
};

[[nodiscard]] const command& keygen_command();
[[nodiscard]] const command& state_generate_command();
[[nodiscard]] const command& state_import_command();
[[nodiscard]] const command& state_digest_command();
[[nodiscard]] const command& snapshot_create_command();
[[nodiscard]] const command& sync_command();
[[nodiscard]] const command& selfcheck_command();
/// Defined in node_command.cpp, which the executable compiles with the node
/// runtime when app/node_runtime.cpp exists.
[[nodiscard]] const command& node_command();

/// Exit code of an interrupted command (128 + SIGINT), as shells report it.
inline constexpr int exit_interrupted = 130;

} // namespace snapstream::app
