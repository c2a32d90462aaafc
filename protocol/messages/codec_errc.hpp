#pragma once
/// Error codes of the `/rpp/snapshots/1.x` JSON codec. Each error's message
/// names the field (or offset) and the problem.

#include "protocol/common/error.hpp"

namespace snapstream::messages {

enum class codec_errc {
  too_large = 1,     ///< input longer than `decode_options::max_size` (checked before parsing)
  not_json,          ///< empty input, a JSON syntax error, or input ending inside the object
  not_object,        ///< the top-level value is not an object
  wrong_type,        ///< a field holds the wrong JSON type
  missing_field,     ///< a field the message's `type` requires is absent
  unknown_type,      ///< `type` is not a message type of the decoded version
  unknown_kind,      ///< `kind` is not one of the six ack kinds
  unknown_field,     ///< a field that this direction or `type` does not have
  duplicate_field,   ///< a key appears twice in the object
  invalid_integer,   ///< negative, fractional, exponent, or above 2^64-1
  invalid_byte,      ///< a byte-array element above 255 or not an integer
  invalid_base64,    ///< a byte string that is not canonical padded base64
  invalid_string,    ///< invalid UTF-8, a bad escape, or an unescaped control character
  trailing_bytes,    ///< something other than whitespace after the object
  unknown_code,      ///< an error response's `code` is not one of the refusal codes (1.2.0)
  bad_frame,         ///< a 1.3.0 response frame whose envelope length or payload does not fit
};

[[nodiscard]] constexpr const char* category_name(codec_errc) noexcept { return "snapstream.messages"; }
[[nodiscard]] std::string_view to_string(codec_errc e) noexcept;
[[nodiscard]] inline std::error_code make_error_code(codec_errc e) noexcept {
  return make_enum_error_code(e);
}

} // namespace snapstream::messages

template <>
struct std::is_error_code_enum<snapstream::messages::codec_errc> : std::true_type {};
