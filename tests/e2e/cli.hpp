#pragma once
// The `snapstream` command line as the end to end tests use it between node
// runs: a command run to completion, and the digest of a stopped node's state.

#include "tests/app/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

namespace snapstream::e2e {

/// Runs `snapstream args...` to completion (stdout and stderr captured).
inline app::test::outcome cli(const std::vector<std::string>& args,
                              std::chrono::seconds limit = std::chrono::seconds(240)) {
  app::test::child c(args);
  return c.wait(limit);
}

/// `snapstream state digest` of a stopped node's data directory: "records=N digest=HEX\n".
inline std::string digest_of(const std::string& data_dir) {
  auto r = cli({"state", "digest", "--data-dir", data_dir});
  BOOST_REQUIRE_MESSAGE(r.code == 0, "state digest failed: " << r.err);
  BOOST_REQUIRE(std::regex_match(r.out, std::regex("records=[1-9][0-9]* digest=[0-9a-f]{64}\n")));
  return r.out;
}

/// What `snapstream snapshot create` printed about the snapshot it built.
struct created_snapshot {
  std::string plan_id;
  std::uint64_t pages = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t records = 0;
};

/// `snapstream snapshot create --data-dir D --key K [extra...]` (height 1),
/// its one line of output parsed.
inline created_snapshot create_snapshot(const std::string& data_dir, const std::string& key,
                                        const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"snapshot", "create", "--data-dir", data_dir, "--key", key};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = cli(args);
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(
    std::regex_match(r.out, m,
                     std::regex("plan_id=([0-9a-f]{64}) height=1 pages=([0-9]+) bytes=([0-9]+) records=([0-9]+)\n")),
    r.out);
  return {m[1].str(), std::stoull(m[2].str()), std::stoull(m[3].str()), std::stoull(m[4].str())};
}

/// A JSON number as an unsigned 64-bit integer (throws on anything else).
inline std::uint64_t u64(const boost::json::value& v) { return boost::json::value_to<std::uint64_t>(v); }

} // namespace snapstream::e2e
