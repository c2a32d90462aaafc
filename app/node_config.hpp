#pragma once
/// The `node` command's configuration: the command line, the JSON config file
/// and the environment merged into `node_options` (docs/operations.md has
/// every key, its type and default). One table describes every setting
/// (app/detail/settings.hpp): the flags, the config file and
/// `--check-config` all follow it.
///
/// Precedence: a flag overrides the config file, which overrides the
/// defaults; a list flag (`--p2p-listen`, `--peer`, `--trust`) given at least
/// once replaces the config file's list. The bearer token comes from
/// `--token-file`, else `RPP_RPC_TOKEN`, else the config file (`token` or
/// `token_file`). The log level comes from `--log-level`, else the config
/// file, else `SNAPSTREAM_LOG`, else `info`.

#include "app/command_line.hpp"
#include "app/node_runtime.hpp"
#include "protocol/common/log.hpp"
#include "protocol/snapshot/trust.hpp"

#include <boost/json/value.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::app {

/// Where the bearer token came from.
enum class token_source { none, config, environment, token_file };
[[nodiscard]] std::string_view to_string(token_source s) noexcept;

/// A node's settings, ready for `node_runtime::start`.
struct node_settings {
  node_options options;
  log::level log_level = log::level::info;
  token_source token_from = token_source::none;
  /// `--check-config`: print the effective configuration and exit.
  bool check_config = false;
};

/// What the node command reads from the environment.
struct node_environment {
  std::optional<std::string> rpc_token; ///< RPP_RPC_TOKEN
  std::optional<std::string> log_level; ///< SNAPSTREAM_LOG
  /// Reads both variables from the process environment.
  [[nodiscard]] static node_environment from_process();
};

/// The options of `snapstream node`.
[[nodiscard]] const command_spec& node_command_spec();

/// Builds the settings: reads `--config` (and the trust and token files),
/// applies the flags, the environment, and checks the result. Errors:
/// `usage` for a flag (unknown, malformed value, missing required setting),
/// `invalid_config` for a config or trust file whose contents are wrong (the
/// message names the file and the key), `io_error` for an unreadable file.
[[nodiscard]] result<node_settings> node_settings_from(const parsed_arguments& args, const node_environment& env);

/// The effective configuration in the config file's schema, plus
/// `token_source`; the token itself is replaced by "<redacted>".
[[nodiscard]] boost::json::value effective_config(const node_settings& settings);

/// Parses one `--trust` value: a 64-hex Ed25519 public key, a libp2p peer id
/// whose identity multihash embeds an Ed25519 key, or the path of a trust file
/// (`snapshot::parse_trust_json`; `authorities` must not be empty). A value
/// that is none of these is a `usage` error, and so is a file that is not a
/// trust file at all (a node key file, binary data: the message says what it
/// looks like and what `--trust` takes); a trust file whose contents are wrong
/// is `invalid_config`, an unreadable one `io_error`.
[[nodiscard]] result<snapshot::trust_source> parse_trust_argument(std::string_view text);

} // namespace snapstream::app
