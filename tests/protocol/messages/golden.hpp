#pragma once
// Golden messages of /rpp/snapshots/1.x and their exact JSON text, in the
// order of a session (docs/protocol.md 5.2 and the seed's flow): plan ->
// ack Plan -> light_client_update -> ack -> chunk -> ack -> resume -> error
// (cancel) -> ack Error. Base64 texts were computed independently with
// Python's base64.b64encode. The 1.2.0 additions (offers, a plan request's
// plan_id, an error response's code) are apart: they decode under 1.2.0 only.

#include "protocol/messages/messages.hpp"

#include <limits>
#include <string_view>
#include <vector>

namespace golden {

using namespace snapstream;
using namespace snapstream::messages;

inline shared_bytes bytes(std::initializer_list<std::uint8_t> b) {
  return std::make_shared<const byte_buffer>(b);
}

struct request_case {
  const char* name;
  snapshots_request message;
  std::string_view json; // identical under both encodings (requests carry no bytes)
};

struct response_case {
  const char* name;
  snapshots_response message;
  std::string_view array_json;  // /rpp/snapshots/1.0.0
  std::string_view base64_json; // /rpp/snapshots/1.1.0
};

inline constexpr std::uint64_t max_u64 = std::numeric_limits<std::uint64_t>::max();

inline std::vector<request_case> requests() {
  return {
    {"plan with sizes", {7, plan_request{65536, 4096, 1048576}},
     R"({"type":"plan","session_id":7,"chunk_size":65536,"min_chunk_size":4096,"max_chunk_size":1048576})"},
    {"plan without sizes", {7, plan_request{}}, R"({"type":"plan","session_id":7})"},
    {"plan with a max only", {7, plan_request{std::nullopt, std::nullopt, 262144}},
     R"({"type":"plan","session_id":7,"max_chunk_size":262144})"},
    {"ack plan", {7, ack_message{ack_kind::plan, 0}}, R"({"type":"ack","session_id":7,"kind":"Plan","index":0})"},
    {"light client update", {7, update_request{0}},
     R"({"type":"light_client_update","session_id":7,"update_index":0})"},
    {"ack update", {7, ack_message{ack_kind::light_client_update, 0}},
     R"({"type":"ack","session_id":7,"kind":"LightClientUpdate","index":0})"},
    {"chunk", {7, chunk_request{3}}, R"({"type":"chunk","session_id":7,"chunk_index":3})"},
    {"ack chunk", {7, ack_message{ack_kind::chunk, 3}}, R"({"type":"ack","session_id":7,"kind":"Chunk","index":3})"},
    {"resume", {7, resume_request{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 4, 1, 65536, std::nullopt, std::nullopt}},
     R"({"type":"resume","session_id":7,"plan_id":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","chunk_index":4,"update_index":1,"chunk_size":65536})"},
    {"resume with all sizes", {7, resume_request{"ab", 0, 0, 1, 2, 3}},
     R"({"type":"resume","session_id":7,"plan_id":"ab","chunk_index":0,"update_index":0,"chunk_size":1,"min_chunk_size":2,"max_chunk_size":3})"},
    {"ack resume", {7, ack_message{ack_kind::resume, 1}}, R"({"type":"ack","session_id":7,"kind":"Resume","index":1})"},
    {"ack ack", {7, ack_message{ack_kind::ack, 2}}, R"({"type":"ack","session_id":7,"kind":"Ack","index":2})"},
    {"cancel", {7, error_message{"cancelled by operator"}},
     R"({"type":"error","session_id":7,"message":"cancelled by operator"})"},
    {"largest integers", {max_u64, chunk_request{max_u64}},
     R"({"type":"chunk","session_id":18446744073709551615,"chunk_index":18446744073709551615})"},
  };
}

inline std::vector<response_case> responses() {
  return {
    {"plan", {7, plan_response{bytes({83, 83, 80, 76, 1}), 65536, 4096, 4194304, 1}},
     R"({"type":"plan","session_id":7,"plan":[83,83,80,76,1],"chunk_size":65536,"min_chunk_size":4096,"max_chunk_size":4194304,"max_concurrent_requests":1})",
     R"({"type":"plan","session_id":7,"plan":"U1NQTAE=","chunk_size":65536,"min_chunk_size":4096,"max_chunk_size":4194304,"max_concurrent_requests":1})"},
    {"plan without sizes", {7, plan_response{bytes({0, 51, 102, 153, 204, 255}), {}, {}, {}, {}}},
     R"({"type":"plan","session_id":7,"plan":[0,51,102,153,204,255]})",
     R"({"type":"plan","session_id":7,"plan":"ADNmmcz/"})"},
    {"ack plan", {7, ack_message{ack_kind::plan, 0}}, R"({"type":"ack","session_id":7,"kind":"Plan","index":0})",
     R"({"type":"ack","session_id":7,"kind":"Plan","index":0})"},
    {"light client update", {7, update_response{0, bytes({83, 83, 76, 85, 1, 0, 0, 0, 0, 0, 0, 0, 42})}},
     R"({"type":"light_client_update","session_id":7,"update_index":0,"update":[83,83,76,85,1,0,0,0,0,0,0,0,42]})",
     R"({"type":"light_client_update","session_id":7,"update_index":0,"update":"U1NMVQEAAAAAAAAAKg=="})"},
    {"ack update", {7, ack_message{ack_kind::light_client_update, 0}},
     R"({"type":"ack","session_id":7,"kind":"LightClientUpdate","index":0})",
     R"({"type":"ack","session_id":7,"kind":"LightClientUpdate","index":0})"},
    {"chunk", {7, chunk_response{3, bytes({0, 1, 127, 128, 255})}},
     R"({"type":"chunk","session_id":7,"chunk_index":3,"chunk":[0,1,127,128,255]})",
     R"({"type":"chunk","session_id":7,"chunk_index":3,"chunk":"AAF/gP8="})"},
    {"empty chunk", {7, chunk_response{0, bytes({})}},
     R"({"type":"chunk","session_id":7,"chunk_index":0,"chunk":[]})",
     R"({"type":"chunk","session_id":7,"chunk_index":0,"chunk":""})"},
    {"ack chunk", {7, ack_message{ack_kind::chunk, 3}}, R"({"type":"ack","session_id":7,"kind":"Chunk","index":3})",
     R"({"type":"ack","session_id":7,"kind":"Chunk","index":3})"},
    {"resume", {7, resume_response{4, 1, 65536, 4096, 4194304, 1}},
     R"({"type":"resume","session_id":7,"chunk_index":4,"update_index":1,"chunk_size":65536,"min_chunk_size":4096,"max_chunk_size":4194304,"max_concurrent_requests":1})",
     R"({"type":"resume","session_id":7,"chunk_index":4,"update_index":1,"chunk_size":65536,"min_chunk_size":4096,"max_chunk_size":4194304,"max_concurrent_requests":1})"},
    {"resume without sizes", {7, resume_response{0, 2, {}, {}, {}, {}}},
     R"({"type":"resume","session_id":7,"chunk_index":0,"update_index":2})",
     R"({"type":"resume","session_id":7,"chunk_index":0,"update_index":2})"},
    {"refusal", {7, error_message{"resume chunk index 9 exceeds total 4"}},
     R"({"type":"error","session_id":7,"message":"resume chunk index 9 exceeds total 4"})",
     R"({"type":"error","session_id":7,"message":"resume chunk index 9 exceeds total 4"})"},
    {"ack cancel", {7, ack_message{ack_kind::error, 0}}, R"({"type":"ack","session_id":7,"kind":"Error","index":0})",
     R"({"type":"ack","session_id":7,"kind":"Error","index":0})"},
  };
}

inline constexpr std::string_view plan_id_hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// Requests that only `/rpp/snapshots/1.2.0` has.
inline std::vector<request_case> v1_2_requests() {
  return {
    {"offers", {7, offers_request{}}, R"({"type":"offers","session_id":7})"},
    {"plan of a given snapshot", {7, plan_request{65536, 4096, 1048576, std::string(plan_id_hex)}},
     R"({"type":"plan","session_id":7,"chunk_size":65536,"min_chunk_size":4096,"max_chunk_size":1048576,"plan_id":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})"},
    {"plan with a plan id only", {8, plan_request{std::nullopt, std::nullopt, std::nullopt, std::string(plan_id_hex)}},
     R"({"type":"plan","session_id":8,"plan_id":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})"},
  };
}

/// Responses that only `/rpp/snapshots/1.2.0` has: the offers response and
/// a refusal of each code.
inline std::vector<response_case> v1_2_responses() {
  return {
    {"offers", {7, offers_response{bytes({83, 83, 79, 70, 1, 0})}},
     R"({"type":"offers","session_id":7,"offers":[83,83,79,70,1,0]})",
     R"({"type":"offers","session_id":7,"offers":"U1NPRgEA"})"},
    // The two offers of docs/protocol.md section 3.6.
    {"offers of two snapshots",
     {7, offers_response{bytes({
       83, 83, 79, 70, 1, 2, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17,
       17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 0, 0, 0, 0, 0, 0, 0, 100, 0, 1,
       0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 2, 1, 170,
       170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170, 170,
       170, 170, 170, 170, 170, 170, 170, 1, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
       34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 0, 0, 0, 0, 0, 0, 0, 7,
       0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 156, 64, 0, 0, 0, 1,
       0, 0, 5, 2})}},
     R"({"type":"offers","session_id":7,"offers":[83,83,79,70,1,2,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,17,0,0,0,0,0,0,0,100,0,1,0,0,0,0,0,0,0,0,0,3,0,0,0,0,0,0,0,100,0,0,0,2,1,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,170,1,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,34,0,0,0,0,0,0,0,7,0,0,16,0,0,0,0,0,0,0,0,10,0,0,0,0,0,0,156,64,0,0,0,1,0,0,5,2]})",
     R"({"type":"offers","session_id":7,"offers":"U1NPRgECEREREREREREREREREREREREREREREREREREREREREREAAAAAAAAAZAABAAAAAAAAAAAAAwAAAAAAAABkAAAAAgGqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqgEiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIgAAAAAAAAAHAAAQAAAAAAAAAAAKAAAAAAAAnEAAAAABAAAFAg=="})"},
    {"empty offers", {7, offers_response{bytes({})}}, R"({"type":"offers","session_id":7,"offers":[]})",
     R"({"type":"offers","session_id":7,"offers":""})"},
    {"not found", {7, error_message{"snapshot session 7 not found", refusal_code::not_found}},
     R"({"type":"error","session_id":7,"message":"snapshot session 7 not found","code":"not_found"})",
     R"({"type":"error","session_id":7,"message":"snapshot session 7 not found","code":"not_found"})"},
    {"not available", {7, error_message{"chunk 3 is not available yet", refusal_code::not_available}},
     R"({"type":"error","session_id":7,"message":"chunk 3 is not available yet","code":"not_available"})",
     R"({"type":"error","session_id":7,"message":"chunk 3 is not available yet","code":"not_available"})"},
    {"backpressure", {7, error_message{"backpressure: session 7 already has a request in flight", refusal_code::backpressure}},
     R"({"type":"error","session_id":7,"message":"backpressure: session 7 already has a request in flight","code":"backpressure"})",
     R"({"type":"error","session_id":7,"message":"backpressure: session 7 already has a request in flight","code":"backpressure"})"},
    {"saturated", {7, error_message{"snapshot provider saturated: 8 active sessions", refusal_code::saturated}},
     R"({"type":"error","session_id":7,"message":"snapshot provider saturated: 8 active sessions","code":"saturated"})",
     R"({"type":"error","session_id":7,"message":"snapshot provider saturated: 8 active sessions","code":"saturated"})"},
    {"breaker open", {7, error_message{"retry after 30 s", refusal_code::breaker_open}},
     R"({"type":"error","session_id":7,"message":"retry after 30 s","code":"breaker_open"})",
     R"({"type":"error","session_id":7,"message":"retry after 30 s","code":"breaker_open"})"},
    {"resume rejected", {7, error_message{"resume chunk index 9 exceeds total 4", refusal_code::resume_rejected}},
     R"({"type":"error","session_id":7,"message":"resume chunk index 9 exceeds total 4","code":"resume_rejected"})",
     R"({"type":"error","session_id":7,"message":"resume chunk index 9 exceeds total 4","code":"resume_rejected"})"},
    {"invalid request", {7, error_message{"", refusal_code::invalid_request}},
     R"({"type":"error","session_id":7,"message":"","code":"invalid_request"})",
     R"({"type":"error","session_id":7,"message":"","code":"invalid_request"})"},
    {"unavailable", {7, error_message{"snapshot provider storage unavailable: timeout", refusal_code::unavailable}},
     R"({"type":"error","session_id":7,"message":"snapshot provider storage unavailable: timeout","code":"unavailable"})",
     R"({"type":"error","session_id":7,"message":"snapshot provider storage unavailable: timeout","code":"unavailable"})"},
  };
}

} // namespace golden
