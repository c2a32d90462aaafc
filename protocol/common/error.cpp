#include "protocol/common/error.hpp"

#include <stdexcept>

namespace snapstream {

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw std::system_error(e.code(), e.message());
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
