#pragma once
/// Server-Sent Events framing for `GET /events` (WHATWG HTML, "Server-sent
/// events", section 9.2). Pure; no I/O.

#include "actors/control.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace snapstream::http::detail {

/// Appends one event: `id: <sequence>`, `event: <type>`, one `data:` line per
/// line of the payload, and the blank line that dispatches it. Line breaks in
/// the type are replaced by spaces so an event can never forge another.
void append_event(std::string& out, const actors::node_event& e);

/// Appends a comment line (ignored by clients) that keeps proxies from
/// closing an idle stream.
void append_heartbeat(std::string& out);

/// Parses a `Last-Event-ID` header: empty means "from the start" (0);
/// otherwise decimal digits. Fails with `control_errc::invalid_argument`.
[[nodiscard]] result<std::uint64_t> parse_last_event_id(std::string_view value);

} // namespace snapstream::http::detail
