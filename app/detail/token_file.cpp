#include "app/detail/token_file.hpp"

#include "app/detail/json_file.hpp"

namespace snapstream::app::detail {

result<std::string> check_token(std::string token) {
  auto problem = [](const char* what) { return error{app_errc::invalid_config, what}; };
  if (token.empty()) return problem("the token is empty");
  if (token.size() > 1024) return problem("the token is longer than 1024 bytes");
  for (unsigned char c : token) {
    if (c < 0x21 || c > 0x7e) return problem("the token must be printable ASCII without spaces");
  }
  return token;
}

result<std::string> read_token_file(const std::filesystem::path& file) {
  auto text = read_text_file(file, 4096);
  if (!text) return text.error();
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' ' ||
                            text->back() == '\t'))
    text->pop_back();
  auto token = check_token(std::move(*text));
  if (!token) return error{app_errc::invalid_config, "token file " + file.string() + ": " + token.error().message()};
  return std::move(*token);
}

} // namespace snapstream::app::detail
