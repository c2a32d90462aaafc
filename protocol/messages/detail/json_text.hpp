#pragma once
/// JSON text helpers shared by the encoder and the decoder: string escaping
/// with UTF-8 repair, strict unsigned integer tokens, and quoting of untrusted
/// text inside error messages.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace snapstream::messages::detail {

/// Length of `text` as the body of a JSON string (without the quotes), as
/// `write_escaped` writes it.
[[nodiscard]] std::size_t escaped_size(std::string_view text) noexcept;

/// Writes `text` as the body of a JSON string: `"` and `\` are backslash-escaped,
/// bytes below 0x20 become `\u00xx` (lower-case hex), and each maximal invalid
/// UTF-8 subpart becomes U+FFFD, so the output is always valid JSON and valid
/// UTF-8. Writes exactly `escaped_size(text)` bytes; returns the end.
char* write_escaped(std::string_view text, char* out) noexcept;

/// Offset of the first byte that does not start a well-formed UTF-8 sequence
/// (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF);
/// nullopt when all of `text` is valid.
[[nodiscard]] std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept;

/// What a JSON number token is, judged for an unsigned 64-bit integer field.
enum class number_form {
  integer,   ///< digits only, within 2^64-1; the value is stored
  malformed, ///< not a JSON number at all (leading zeros, stray characters...)
  negative,  ///< a JSON number with a minus sign
  fraction,  ///< a JSON number with a fraction part (and no minus sign)
  exponent,  ///< a JSON number with an exponent (and no sign or fraction)
  too_large, ///< digits only, above 2^64-1
};

/// Classifies `token` (no surrounding whitespace); stores the value on `integer`.
[[nodiscard]] number_form parse_uint_token(std::string_view token, std::uint64_t& value) noexcept;

/// `text` in single quotes for an error message: at most `limit` bytes of it,
/// bytes outside printable ASCII as `\xNN`, and `...` when cut.
[[nodiscard]] std::string quote(std::string_view text, std::size_t limit = 40);

/// Number of decimal digits of `v` (1 for 0).
[[nodiscard]] constexpr std::size_t decimal_digits(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 10) { v /= 10; ++n; }
  return n;
}

} // namespace snapstream::messages::detail
