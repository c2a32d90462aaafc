#pragma once
/// The JSON bodies of the control plane, shared by the server and the client:
/// rendering of the node's status types, strict parsing of request bodies, and
/// the `{"error": ..., "code": ...}` error body with its wire codes.
/// Pure functions; no I/O.

#include "actors/control.hpp"
#include "protocol/common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace snapstream::http::detail {

/// Status JSON of one session: `session`, `peer`, `root`, `verified`, `state`,
/// `bytes_received`, `throughput`, `retries` always; the optional fields when
/// set; `chunks_applied` and `chunk_writes` once either is above zero; `peers`
/// (one object per provider) when the job has providers. Rates are whole bytes
/// per second, round trips whole milliseconds.
[[nodiscard]] std::string render_status(const actors::session_status& s);
[[nodiscard]] std::string render_statuses(const std::vector<actors::session_status>& list);
[[nodiscard]] std::string render_breakers(const std::vector<actors::breaker_status>& list);
[[nodiscard]] std::string render_peers(const std::vector<actors::peer_info>& list);
[[nodiscard]] std::string render_snapshot(const actors::snapshot_info& info);
/// `GET /node`: `peer_id`, `addresses`, `version`, `uptime_s`, `snapshots`
/// (each as `render_snapshot` writes it).
[[nodiscard]] std::string render_node(const actors::node_description& d);
/// `{"error": message, "code": code}`.
[[nodiscard]] std::string render_error(std::string_view message, std::string_view code);
/// The body of `POST /p2p/snapshots` for `cmd` (used by the client): an empty
/// `peer` and empty `peers` are left out.
[[nodiscard]] std::string render_start_command(const actors::start_command& cmd);

/// Parses and validates a `POST /p2p/snapshots` body `{peer?, peers?,
/// plan_id?, chunk_size?, resume?}` (null = absent; neither `peer` nor `peers`
/// asks the node to discover providers). Fails with `http_errc::invalid_json`
/// when the body is not JSON, and with `control_errc::invalid_argument`
/// (naming the field) for a wrong type, an unknown or missing field, an empty
/// `peer`, `chunk_size` 0, an invalid session id, or `plan_id` or `peers`
/// beside `resume`. Peer ids and the plan id's form are the node's to check.
[[nodiscard]] result<actors::start_command> parse_start_command(std::string_view body);

/// Parses a status JSON object (client side). Unknown keys are ignored so a
/// newer server stays readable, and the swarm's keys may be missing so an
/// older one does too; a missing always-present key or a mistyped known key
/// fails with `http_errc::malformed_response`.
[[nodiscard]] result<actors::session_status> parse_status(std::string_view body);
[[nodiscard]] result<std::vector<actors::session_status>> parse_statuses(std::string_view body);

/// An error body as the server sends it.
struct error_body {
  std::string error;
  std::string code;
};
/// Reads `{"error": ..., "code": ...}`; nullopt when the body is anything else.
[[nodiscard]] std::optional<error_body> parse_error_body(std::string_view body);

/// Parses a session id written in a path: decimal digits only, no sign, at
/// most 2^64-1. Fails with `control_errc::invalid_argument`
/// ("invalid snapshot session id: ...").
[[nodiscard]] result<std::uint64_t> parse_session_id(std::string_view text);

/// How the server answers an error of `code`: the `answer_of` its enum
/// defines beside itself (`control_errc`, `http_errc`, `actors_errc`);
/// `{500, "internal"}` for anything else or an error without a code.
[[nodiscard]] actors::error_answer answer_of(const std::error_code& code) noexcept;
/// The `code` string of an error body for `code` (`answer_of(code).code`).
[[nodiscard]] std::string_view wire_code(const std::error_code& code) noexcept;
/// The inverse of `wire_code`; an empty `std::error_code` for an unknown string.
[[nodiscard]] std::error_code from_wire_code(std::string_view code) noexcept;
/// The HTTP status the server answers with for an error of this code.
[[nodiscard]] unsigned http_status(const std::error_code& code) noexcept;

/// `text` cut to at most `limit` bytes with "..." appended when cut, for
/// echoing client input in messages and logs without letting it grow them.
[[nodiscard]] std::string clip(std::string_view text, std::size_t limit = 64);

} // namespace snapstream::http::detail
