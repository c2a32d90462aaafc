#pragma once
/// The node's settings as one table: a row per setting with its config-file
/// key, its flag, the parser that reads, checks and stores its value, its
/// default and its help. The config-file reader, the flags of `snapstream
/// node`, `--check-config` and the setting tables of docs/operations.md are
/// all driven by it, so they cannot disagree.
///
/// A flag's words are first made into the JSON value the config file would
/// hold (`flag_form`), then read by the same parser as the file's value: the
/// same checks, the same ranges, the same problem texts. Only the place a
/// message names differs: `<file>: <key>: <problem>` (`invalid_config`) or
/// `--<flag>: <problem>` (`usage`).

#include "app/command_line.hpp"
#include "app/node_config.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace snapstream::app::detail {

/// One source of settings being read: the config file, or the flags. What
/// the node decides after reading every source (token and log level
/// precedence, `--threshold` over the trust, required settings) waits here;
/// the rest goes straight into `settings`.
struct setting_source {
  node_settings& settings;
  std::string file{};                       ///< the config file, named in messages (empty for the flags)
  std::filesystem::path base_dir{};         ///< relative paths in the file resolve against it
  std::string flag{};                       ///< the flag being read (empty for the file)
  std::string flag_text{};                  ///< the flag's (last) value as written
  std::optional<std::string> token{};
  std::optional<std::filesystem::path> token_file{};
  std::optional<log::level> log_level{};
  std::optional<std::uint32_t> threshold{}; ///< `--threshold`, applied over the trust
  bool trust = false;                       ///< `--trust` was given
  std::vector<std::string_view> given{};    ///< keys (or flag names, for a flag alone) this source set

  /// `<file>: <where>: <problem>` (`invalid_config`) when reading the file,
  /// `--<flag>: <problem>` (`usage`) when reading a flag.
  [[nodiscard]] error fail(const std::string& where, const std::string& problem) const;
  /// A value as the operator wrote it: the flag's text, or the JSON cut short.
  [[nodiscard]] std::string shown(const boost::json::value& v) const;
  /// A path as the node uses it: a file's relative path is relative to the
  /// file's directory (and normalized); a flag's is kept as given.
  [[nodiscard]] std::filesystem::path resolve(std::string_view p) const;
};

/// How a flag's words become the JSON value its setting's parser reads.
enum class flag_form {
  text,      ///< the value as a JSON string
  list,      ///< every value, in command-line order, as an array of strings
  integer,   ///< a decimal integer (else `'x' is not a number`)
  rate,      ///< a size per second, `50MiB/s` (else `'x' is not a rate ...`)
  set_false, ///< no value: `false`
  set_true,  ///< no value: `true`
  own,       ///< the parser reads the words itself (`read_flag`)
  none,      ///< the command reads it itself (`--config`)
};

/// How one setting's value is read, checked, stored and shown back.
struct setting_parser {
  /// Reads a value (the file's, or the one a flag's words made) at `where`.
  std::function<result<void>(const boost::json::value&, const std::string& where, setting_source&)> read{};
  /// The value in the config file's schema; empty: `--check-config` leaves it out.
  std::function<boost::json::value(const node_settings&)> write{};
  /// Reads a flag's values itself (`flag_form::own`).
  std::function<result<void>(const std::vector<std::string>&, setting_source&)> read_flag{};
  flag_form form = flag_form::text;
  std::string type{}; ///< the docs' type column: "integer 1-1000", "duration"
};

/// One setting.
struct setting {
  std::string_view key{};          ///< config-file path ("consumer.discovery_timeout_ms"); empty: a flag alone
  std::string_view flag{};         ///< without the dashes ("data-dir"); empty: a key alone
  std::string_view value_name{};   ///< the flag's value ("DIR"); empty for a switch
  bool required = false;           ///< the flag or the key must be given
  bool repeatable = false;         ///< the flag may be given several times
  std::string_view help{};         ///< one line of plain text: `--help` and the docs' flag table
  std::string_view doc{};          ///< markdown for the docs' key table; empty: "as `--flag`"
  std::string_view default_doc{};  ///< the docs' default column when not the default value itself
  std::string_view default_note{}; ///< said after the default value ("unlimited")
  setting_parser parser{};
};

/// Every setting of `snapstream node`, in the order of the config file's
/// schema (and of `--check-config`); the flags keep this order in `--help`.
[[nodiscard]] const std::vector<setting>& node_settings_table();

/// The options of `snapstream node`, one per setting with a flag.
[[nodiscard]] std::span<const option_spec> node_flags();

/// Reads a config file's top-level object: every key must be a setting, or
/// a section (`provider`, `consumer.restart`...) holding settings.
[[nodiscard]] result<void> read_config_object(const boost::json::object& top, setting_source& file);

/// Reads the flags given in `args`, in table order.
[[nodiscard]] result<void> read_flags(const parsed_arguments& args, setting_source& flags);

/// Every setting with a key in the config file's schema, plus
/// `token_source` after `token`; the token itself is "<redacted>".
[[nodiscard]] boost::json::value settings_json(const node_settings& s);

/// The names of the parts of docs/operations.md made from the table.
[[nodiscard]] std::span<const std::string_view> settings_reference_parts();

/// One generated part of docs/operations.md (markdown, ending in a newline):
/// "node-usage" (the synopsis `--help` prints), "node-flags" (the flag
/// table), "node-keys" (the config file's key tables). The document holds it
/// between a `<!-- generated: NAME (...) -->` line and a `<!-- end: NAME -->`
/// line; tests/app/node_config_test.cpp checks it, and rewrites it when
/// SNAPSTREAM_UPDATE_DOCS is set.
[[nodiscard]] std::string settings_reference(std::string_view part);

} // namespace snapstream::app::detail
