#pragma once
/// The command-line grammar of `snapstream` and its value parsers.
///
/// A command declares its options in a `command_spec`; `parse_arguments`
/// checks the words after the command name against it:
///
///   --name VALUE   --name=VALUE   (an option with a value)
///   --flag                        (an option without a value)
///   -h, --help                    (every command)
///   --                            (every later word is positional)
///
/// Every mistake is an `app_errc::usage` error with an exact one-line
/// message (docs/operations.md lists them); `usage_text` renders the help.

#include "app/app_errc.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::app {

/// One `--name` option of a command.
struct option_spec {
  std::string_view name;       ///< without the dashes: "data-dir"
  std::string_view value_name; ///< "DIR"; empty for a flag that takes no value
  std::string_view help;       ///< one line
  bool required = false;       ///< checked by `parse_arguments` unless `--help` is given
  bool repeatable = false;     ///< may be given several times (values kept in order)
  /// Required, but a config file may give it instead: shown as required,
  /// checked by the command after reading its config file.
  bool required_unless_config = false;
};

/// A command: its name as typed ("state import"), what it does, its options
/// and its positional arguments.
struct command_spec {
  std::string_view name;
  std::string_view summary;                 ///< one line, for the command list
  std::string_view description;             ///< paragraphs shown by `--help`
  std::span<const option_spec> options;
  std::span<const std::string_view> positionals; ///< names of required positional arguments ("FILE")
};

/// The words of one command line, checked against its spec.
class parsed_arguments {
public:
  /// True when `--help` or `-h` was given (nothing else is then checked).
  [[nodiscard]] bool help() const noexcept { return help_; }
  /// True when the option was given at least once.
  [[nodiscard]] bool has(std::string_view name) const;
  /// The last value of an option, or nullopt when it was not given.
  [[nodiscard]] std::optional<std::string> value(std::string_view name) const;
  /// Every value of a repeatable option, in command-line order.
  [[nodiscard]] std::vector<std::string> values(std::string_view name) const;
  [[nodiscard]] const std::vector<std::string>& positionals() const noexcept { return positionals_; }

private:
  friend result<parsed_arguments> parse_arguments(const command_spec&, std::span<const std::string_view>);
  bool help_ = false;
  std::map<std::string, std::vector<std::string>, std::less<>> options_;
  std::vector<std::string> positionals_;
};

/// Parses `words` (what follows the command name). Usage errors, exactly:
///   `unknown option --x`, `option --x needs a value (NAME)`,
///   `option --x takes no value`, `option --x given twice`,
///   `missing required option --x`, `missing argument NAME`,
///   `unexpected argument 'w'`.
[[nodiscard]] result<parsed_arguments> parse_arguments(const command_spec& spec,
                                                       std::span<const std::string_view> words);

/// The help of a command: `Usage: snapstream <synopsis>` (wrapped at 80
/// columns), the description, and the options with their help.
[[nodiscard]] std::string usage_text(const command_spec& spec);

/// A byte size: a decimal integer with an optional suffix, case-insensitive:
/// `B`; `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024); `KB`, `MB`, `GB`, `TB`
/// (powers of 1000). "256MiB" = 268435456. Fails (usage error naming
/// `what`) on anything else or on overflow of 64 bits.
[[nodiscard]] result<std::uint64_t> parse_size(std::string_view text, std::string_view what);

/// A decimal unsigned integer in [min, max]; usage error naming `what` otherwise.
[[nodiscard]] result<std::uint64_t> parse_uint(std::string_view text, std::string_view what,
                                               std::uint64_t min = 0, std::uint64_t max = UINT64_MAX);

/// A TCP endpoint `HOST:PORT`: an IPv4 literal or host name, or `[IPv6]`.
struct host_port {
  std::string host; ///< without brackets
  std::uint16_t port = 0;
  friend bool operator==(const host_port&, const host_port&) = default;
};
/// Parses `HOST:PORT` (port 0-65535); usage error naming `what` otherwise.
[[nodiscard]] result<host_port> parse_host_port(std::string_view text, std::string_view what);
/// `host:port`, with brackets around an IPv6 host.
[[nodiscard]] std::string to_string(const host_port& hp);

/// "1.5 KiB", "256.0 MiB", "1.00 GiB": bytes in binary units, 3-4 significant digits.
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);

} // namespace snapstream::app
