#include "protocol/messages/utf8.hpp"

#include "protocol/messages/detail/json_text.hpp"

namespace snapstream::messages {

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto bad = detail::first_invalid_utf8(text);
    if (!bad) {
      out.append(text);
      break;
    }
    out.append(text.substr(0, *bad));
    out.append("\xEF\xBF\xBD");
    text.remove_prefix(*bad + 1);
  }
  return out;
}

} // namespace snapstream::messages
