#pragma once
/// Errors of every snapstream layer.
///
/// A failure is a `snapstream::error`: a machine-readable `std::error_code`
/// (each module owns an `enum class ..._errc` registered as an error-code enum)
/// plus a message for humans that names what failed (the field, the chunk
/// index, the peer...). Functions that can fail return `result<T>`; nothing in
/// the protocol layer throws across its interface.

#include <boost/system/result.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace snapstream {

/// A typed failure: `code` says which kind, `message` says what exactly.
class error {
public:
  error() = default;
  error(std::error_code code, std::string message)
    : code_(code), message_(std::move(message)) {}

  [[nodiscard]] const std::error_code& code() const noexcept { return code_; }
  /// The human-readable description (never empty for a real error).
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  /// True when this error's code equals `e` (any error-code enum).
  template <class Enum>
    requires std::is_error_code_enum_v<Enum>
  [[nodiscard]] bool is(Enum e) const noexcept {
    return code_ == std::error_code(make_error_code(e));
  }

  friend bool operator==(const error&, const error&) = default;

private:
  std::error_code code_;
  std::string message_;
};

/// The outcome of an operation that yields `T` or fails with an `error`.
template <class T = void>
using result = boost::system::result<T, error>;

/// Called by `result<T>::value()` on an error; throws `std::system_error`.
/// Project code checks results instead of relying on this.
[[noreturn]] void throw_exception_from_error(const error& e,
                                             const boost::source_location& loc);

/// "code category: message", for logs.
[[nodiscard]] std::string to_string(const error& e);

/// What an exception caught as `std::exception_ptr` says: its `what()`, or
/// "unknown exception" when it is not a `std::exception` (and "no exception"
/// for a null pointer). The one place where a coroutine's or task's escaped
/// exception becomes text for a log line or an error.
[[nodiscard]] std::string describe_exception(const std::exception_ptr& ep);

namespace detail {

template <class Enum>
class enum_category final : public std::error_category {
public:
  const char* name() const noexcept override { return category_name(Enum{}); }
  std::string message(int value) const override {
    return std::string(to_string(static_cast<Enum>(value)));
  }
};

} // namespace detail

/// Builds the `std::error_code` of a module's error enum. The enum's namespace
/// provides `const char* category_name(Enum)` and `std::string_view to_string(Enum)`.
template <class Enum>
[[nodiscard]] std::error_code make_enum_error_code(Enum e) noexcept {
  static const detail::enum_category<Enum> category;
  return {static_cast<int>(e), category};
}

} // namespace snapstream
