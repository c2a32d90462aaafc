#include "protocol/messages/messages.hpp"

#include "protocol/messages/codec_errc.hpp"

#include <algorithm>
#include <array>

namespace snapstream::messages {

namespace {

constexpr std::array<std::string_view, 6> ack_kind_names = {
  "Plan", "Chunk", "LightClientUpdate", "Resume", "Ack", "Error",
};

// Indexed like both body variants: plan, chunk, light_client_update, resume, ack, error, offers.
constexpr std::array<std::string_view, 7> type_names = {
  "plan", "chunk", "light_client_update", "resume", "ack", "error", "offers",
};
static_assert(std::variant_size_v<decltype(snapshots_request::body)> == type_names.size());
static_assert(std::variant_size_v<decltype(snapshots_response::body)> == type_names.size());

} // namespace

std::string_view to_string(ack_kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < ack_kind_names.size() ? ack_kind_names[i] : std::string_view("unknown");
}

std::optional<ack_kind> ack_kind_from_string(std::string_view text) noexcept {
  for (std::size_t i = 0; i < ack_kind_names.size(); ++i)
    if (ack_kind_names[i] == text) return static_cast<ack_kind>(i);
  return std::nullopt;
}

bool same_bytes(const shared_bytes& a, const shared_bytes& b) noexcept {
  const bytes_view x = a ? bytes_view(*a) : bytes_view{};
  const bytes_view y = b ? bytes_view(*b) : bytes_view{};
  return std::equal(x.begin(), x.end(), y.begin(), y.end());
}

std::string_view type_name(const snapshots_request& request) noexcept {
  const std::size_t i = request.body.index(); // variant_npos when valueless
  return i < type_names.size() ? type_names[i] : std::string_view("unknown");
}

std::string_view type_name(const snapshots_response& response) noexcept {
  const std::size_t i = response.body.index();
  return i < type_names.size() ? type_names[i] : std::string_view("unknown");
}

std::string_view to_string(codec_errc e) noexcept {
  switch (e) {
    case codec_errc::too_large: return "message too large";
    case codec_errc::not_json: return "not JSON";
    case codec_errc::not_object: return "not a JSON object";
    case codec_errc::wrong_type: return "wrong JSON type";
    case codec_errc::missing_field: return "missing field";
    case codec_errc::unknown_type: return "unknown message type";
    case codec_errc::unknown_kind: return "unknown ack kind";
    case codec_errc::unknown_field: return "unknown field";
    case codec_errc::duplicate_field: return "duplicate field";
    case codec_errc::invalid_integer: return "invalid integer";
    case codec_errc::invalid_byte: return "invalid byte";
    case codec_errc::invalid_base64: return "invalid base64";
    case codec_errc::invalid_string: return "invalid string";
    case codec_errc::trailing_bytes: return "trailing bytes";
    case codec_errc::unknown_code: return "unknown refusal code";
    case codec_errc::bad_frame: return "bad frame";
  }
  return "unknown";
}

} // namespace snapstream::messages
