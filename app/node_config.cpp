#include "app/node_config.hpp"

#include "app/detail/json_file.hpp"
#include "app/detail/settings.hpp"
#include "app/detail/token_file.hpp"
#include "protocol/libp2p/identity.hpp"

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace snapstream::app {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string_view to_string(token_source s) noexcept {
  switch (s) {
  case token_source::none: return "none";
  case token_source::config: return "config";
  case token_source::environment: return "RPP_RPC_TOKEN";
  case token_source::token_file: return "token_file";
  }
  return "none";
}

node_environment node_environment::from_process() {
  node_environment env;
  if (const char* t = std::getenv("RPP_RPC_TOKEN"); t != nullptr && *t != '\0') env.rpc_token = t;
  if (const char* l = std::getenv("SNAPSTREAM_LOG"); l != nullptr && *l != '\0') env.log_level = l;
  return env;
}

namespace {

const command_spec node_spec{
  "node",
  "run a node until SIGINT or SIGTERM",
  "Runs a node until SIGINT or SIGTERM: serves snapshots of its state, and\n"
  "those it synced, over libp2p (/rpp/snapshots/1.x), syncs from peers when\n"
  "told to through the HTTP control plane, and logs one line per event to\n"
  "stderr. Prints one line with its peer id, p2p addresses and HTTP address\n"
  "once it listens. The bearer token comes from --token-file, else\n"
  "RPP_RPC_TOKEN, else the config file.\n",
  detail::node_flags(),
  {},
};

error config_error(std::string_view where, const std::string& what) {
  return error{app_errc::invalid_config, std::string(where) + ": " + what};
}

// Relations between keys of the config file that each passed their own check.
result<void> check_relations(const node_options& o, const std::string& file) {
  const auto& cs = o.provider.chunk_sizes;
  if (cs.min_size > cs.default_size || cs.default_size > cs.max_size) {
    return config_error(file, "provider: chunk sizes must satisfy min_chunk_size <= default_chunk_size <= "
                              "max_chunk_size, got " + std::to_string(cs.min_size) + ", " +
                                std::to_string(cs.default_size) + ", " + std::to_string(cs.max_size));
  }
  const auto& s = o.consumer.session;
  if (s.min_chunk_size && s.max_chunk_size && *s.min_chunk_size > *s.max_chunk_size) {
    return config_error(file, "consumer: min_chunk_size " + std::to_string(*s.min_chunk_size) +
                                " exceeds max_chunk_size " + std::to_string(*s.max_chunk_size));
  }
  if (o.consumer.restart.base_delay > o.consumer.restart.max_delay) {
    return config_error(file, "consumer.restart: base_delay_ms " + std::to_string(o.consumer.restart.base_delay.count()) +
                                " exceeds max_delay_ms " + std::to_string(o.consumer.restart.max_delay.count()));
  }
  if (o.host.stream_receive_window > o.host.max_stream_window) {
    return config_error(file, "host: stream_receive_window " + std::to_string(o.host.stream_receive_window) +
                                " exceeds max_stream_window " + std::to_string(o.host.max_stream_window));
  }
  return {};
}

bool was_given(const detail::setting_source& source, std::string_view key) {
  return std::find(source.given.begin(), source.given.end(), key) != source.given.end();
}

constexpr std::string_view trust_takes =
  "--trust wants a peer id (12D3KooW...), a 64-hex Ed25519 public key or a trust file (JSON)";

// A file given to --trust that cannot be a trust file: says what it is.
std::optional<error> not_a_trust_file(std::string_view name, std::string_view bytes) {
  constexpr std::string_view key_file_start{"\x08\x01\x12\x40", 4};
  if (bytes.size() == 68 && bytes.starts_with(key_file_start)) {
    std::string message = "--trust: " + std::string(name) + " looks like a node key file (snapstream keygen), not a "
                          "trust file; " + std::string(trust_takes);
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    if (auto id = libp2p::identity::from_private_key_protobuf(bytes_view(data, bytes.size())))
      message += ": to trust this key, give --trust " + id->id().to_string();
    return usage_error(std::move(message));
  }
  const bool binary = std::any_of(bytes.begin(), bytes.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\n' && c != '\r' && c != '\t';
  });
  if (binary) {
    return usage_error("--trust: " + std::string(name) + " is not a trust file (it holds binary data, not JSON); " +
                       std::string(trust_takes));
  }
  return std::nullopt;
}

snapshot::trust_source one_authority(const snapshot::ed25519_public_key& key) {
  snapshot::trust_source t;
  t.authorities.push_back(key);
  return t;
}

} // namespace

const command_spec& node_command_spec() { return node_spec; }

result<snapshot::trust_source> parse_trust_argument(std::string_view text) {
  if (text.size() == 64 || text.starts_with("12D3KooW")) {
    auto k = snapshot::parse_authority(text, "--trust");
    if (!k) return usage_error(k.error().message());
    return one_authority(*k);
  }
  const fs::path path(text);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    auto k = snapshot::parse_authority(text, "--trust");
    if (k) return one_authority(*k);
    if (libp2p::peer_id::parse(text)) return usage_error(k.error().message());
    return usage_error("--trust: '" + std::string(text) +
                       "' is not a 64-hex Ed25519 public key, a peer id, or an existing trust file");
  }
  if (fs::is_directory(path, ec)) return error{app_errc::io_error, "cannot read " + path.string() + ": it is a directory"};
  auto bytes = detail::read_text_file(path, detail::max_json_file_size);
  if (!bytes) return bytes.error();
  if (auto wrong = not_a_trust_file(text, *bytes)) return *wrong;
  auto doc = detail::parse_json(*bytes, path.string());
  if (!doc) return doc.error();
  auto t = snapshot::parse_trust_json(*doc, text);
  if (!t) return error{app_errc::invalid_config, t.error().message()};
  if (t->authorities.empty()) return config_error(text, "\"authorities\" is empty");
  return t;
}

result<node_settings> node_settings_from(const parsed_arguments& args, const node_environment& env) {
  node_settings s;

  // 1. the config file
  detail::setting_source file{.settings = s};
  if (auto name = args.value("config")) {
    auto doc = detail::read_json_file(*name);
    if (!doc) return doc.error();
    file.file = *name;
    file.base_dir = fs::path(*name).parent_path();
    if (!doc->is_object()) return config_error(*name, "the top level must be a JSON object");
    if (auto ok = detail::read_config_object(doc->get_object(), file); !ok) return ok.error();
    if (file.token && file.token_file) return config_error(*name, "give \"token\" or \"token_file\", not both");
    if (auto ok = check_relations(s.options, *name); !ok) return ok.error();
  }

  // 2. the flags, over the file
  detail::setting_source flags{.settings = s};
  if (auto ok = detail::read_flags(args, flags); !ok) return ok.error();
  if (flags.threshold) {
    if (s.options.trust.authorities.empty())
      return usage_error("--threshold: there is no authority to count (give --trust)");
    s.options.trust.threshold = *flags.threshold;
  }
  if (!s.options.trust.authorities.empty()) {
    if (auto ok = snapshot::check_trust(s.options.trust); !ok) {
      if (flags.trust || flags.threshold) return usage_error(ok.error().message());
      return config_error(file.file, ok.error().message());
    }
  }

  // 3. log level: flag > config > SNAPSTREAM_LOG > info
  if (flags.log_level) {
    s.log_level = *flags.log_level;
  } else if (file.log_level) {
    s.log_level = *file.log_level;
  } else if (env.log_level) {
    log::level l{};
    if (log::parse_level(*env.log_level, l)) s.log_level = l;
  }

  // 4. token: --token-file > RPP_RPC_TOKEN > config
  if (flags.token_file) {
    auto t = detail::read_token_file(*flags.token_file);
    if (!t) return t.error();
    s.options.http.token = std::move(*t);
    s.token_from = token_source::token_file;
  } else if (env.rpc_token) {
    auto t = detail::check_token(*env.rpc_token);
    if (!t) return error{app_errc::invalid_config, "RPP_RPC_TOKEN: " + t.error().message()};
    s.options.http.token = std::move(*t);
    s.token_from = token_source::environment;
  } else if (file.token) {
    s.options.http.token = *file.token;
    s.token_from = token_source::config;
  } else if (file.token_file) {
    auto t = detail::read_token_file(*file.token_file);
    if (!t) return t.error();
    s.options.http.token = std::move(*t);
    s.token_from = token_source::config;
  }

  // 5. required settings, from either source
  for (const auto& setting : detail::node_settings_table()) {
    if (setting.required && !was_given(file, setting.key) && !was_given(flags, setting.key))
      return usage_error("missing required option --" + std::string(setting.flag));
  }
  return s;
}

json::value effective_config(const node_settings& s) { return detail::settings_json(s); }

} // namespace snapstream::app
