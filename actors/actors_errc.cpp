#include "actors/actors_errc.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(snapstream::error)

namespace snapstream::actors {

namespace {
constexpr caf::atom_value wrapped_category = caf::atom("snapstream");
}

std::string_view to_string(actors_errc e) noexcept {
  switch (e) {
    case actors_errc::timeout: return "actor request timed out";
    case actors_errc::unavailable: return "actor unavailable";
    case actors_errc::cancelled: return "cancelled";
    case actors_errc::unexpected: return "unexpected message";
    case actors_errc::failed: return "actor failure";
  }
  return "unknown";
}

caf::error to_caf_error(snapstream::error e) {
  return caf::error(1, wrapped_category, caf::make_message(std::move(e)));
}

snapstream::error from_caf_error(const caf::error& e) {
  if (e.category() == wrapped_category && e.context().match_elements<snapstream::error>())
    return e.context().get_as<snapstream::error>(0);
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout:
        return {actors_errc::timeout, "no reply before the request's timeout"};
      case caf::sec::request_receiver_down:
        return {actors_errc::unavailable, "the receiving actor is down"};
      case caf::sec::unexpected_message:
      case caf::sec::unexpected_response:
        return {actors_errc::unexpected, caf::to_string(e)};
      default:
        break;
    }
  }
  return {actors_errc::failed, caf::to_string(e)};
}

} // namespace snapstream::actors
