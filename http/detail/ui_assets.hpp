#pragma once
/// The dashboard's files (ui/ and uPlot from npm), compiled into the binary
/// by cmake/embed_assets.cmake: the page works offline, and no request leaves
/// the node.

#include <string_view>

namespace snapstream::http::detail {

struct ui_asset {
  std::string_view name;         ///< "index.html", "app.js", "uplot.min.js", ...
  std::string_view content_type; ///< with its charset
  std::string_view body;
};

/// The file called `name`, or null.
[[nodiscard]] const ui_asset* find_ui_asset(std::string_view name) noexcept;

} // namespace snapstream::http::detail
