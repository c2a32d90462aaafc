#include "protocol/common/error.hpp"

#include <stdexcept>

namespace snapstream {

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw std::system_error(e.code(), e.message());
}

std::string describe_exception(const std::exception_ptr& ep) {
  if (!ep) return "no exception";
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::string to_string(const error& e) {
  std::string out = e.code().category().name();
  out += '/';
  out += e.code().message();
  out += ": ";
  out += e.message();
  return out;
}

} // namespace snapstream
