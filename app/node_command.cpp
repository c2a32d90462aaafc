// `snapstream node`: builds the node's options and runs it until a signal.

#include "app/commands.hpp"
#include "app/detail/json_file.hpp"
#include "app/node_config.hpp"

#if SNAPSTREAM_HAVE_NODE_RUNTIME
#include "app/node_runtime.hpp"
#endif

#include <iostream>

namespace snapstream::app {

namespace {

result<int> run_node(const parsed_arguments& args) {
  auto settings = node_settings_from(args, node_environment::from_process());
  if (!settings) return settings.error();
  if (settings->check_config) {
    std::cout << detail::pretty_json(effective_config(*settings)) << std::flush;
    return 0;
  }
#if SNAPSTREAM_HAVE_NODE_RUNTIME
  log::set_level(settings->log_level);
  const std::string http_host = settings->options.http_host;
  auto node = node_runtime::start(std::move(settings->options));
  if (!node) return error{app_errc::failed, node.error().message()};
  std::string p2p;
  for (const auto& a : (*node)->p2p_addresses()) {
    if (!p2p.empty()) p2p += ',';
    p2p += a.to_string();
  }
  std::cout << "node peer_id=" << (*node)->peer_id().to_string() << " p2p=" << p2p
            << " http=" << to_string(host_port{http_host, (*node)->http_port()}) << '\n'
            << std::flush;
  if (auto ran = (*node)->run_until_signal(); !ran) return error{app_errc::failed, ran.error().message()};
  return 0;
#else
  return error{app_errc::unavailable,
               "this build has no node runtime (app/node_runtime.cpp was missing when it was configured)"};
#endif
}

const command node_cmd{&node_command_spec(), &run_node};

} // namespace

const command& node_command() { return node_cmd; }

} // namespace snapstream::app
