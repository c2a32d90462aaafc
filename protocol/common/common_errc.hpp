#pragma once
/// Error codes of the shared encoders (hex, base64).

#include "protocol/common/error.hpp"

namespace snapstream {

enum class common_errc {
  invalid_hex = 1,    ///< odd length or a character outside [0-9a-fA-F]
  invalid_base64,     ///< wrong length, bad character, or bad padding
};

[[nodiscard]] constexpr const char* category_name(common_errc) noexcept { return "snapstream.common"; }
[[nodiscard]] std::string_view to_string(common_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(common_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream

template <>
struct std::is_error_code_enum<snapstream::common_errc> : std::true_type {};
