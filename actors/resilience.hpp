#pragma once
/// Keeps a long-lived actor alive when a stray message reaches it.
///
/// CAF 0.17's defaults make an actor quit on any error message it does not
/// expect (for instance the error a peer answers to an unsolicited reply) and
/// print unexpected messages to stderr. A node's service actors must outlive
/// such noise: this logs both and carries on.

#include "protocol/common/log.hpp"

#include <caf/scheduled_actor.hpp>

namespace snapstream::actors {

inline void tolerate_stray_messages(caf::scheduled_actor* self, const char* component) {
  self->set_error_handler([component](caf::scheduled_actor*, caf::error& e) {
    log::warn(component, "stray_error", {{"error", caf::to_string(e)}});
  });
  self->set_default_handler([component](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
    log::warn(component, "unexpected_message", {{"message", caf::to_string(m.content())}});
    return caf::message{};
  });
}

} // namespace snapstream::actors
