#pragma once
/// The version of snapstream, as `snapstream --version` and `GET /node` say it.

#include <string_view>

namespace snapstream {

inline constexpr std::string_view version = "0.1.0";

} // namespace snapstream
