// `snapstream state generate|import|digest`: the local state of a stopped node.

#include "app/commands.hpp"
#include "app/detail/open_db.hpp"
#include "protocol/common/hex.hpp"
#include "storage/state_loader.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace snapstream::app {

namespace {

namespace fs = std::filesystem;

std::string seconds_text(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double>(d).count());
  return buf;
}

// ---- state generate ----

constexpr std::array<option_spec, 3> generate_options{{
  {"data-dir", "DIR", "the node's data directory (created when missing)", true},
  {"bytes", "SIZE", "size of the records' encodings: 268435456, 256MiB, 1GiB, 500MB...", true},
  {"seed", "N", "seed of the pseudo-random records (default 1)"},
}};

const command_spec generate_spec{
  "state generate",
  "fill the state with deterministic pseudo-random records",
  "Adds pseudo-random records to the state of a stopped node until their\n"
  "encodings total at least SIZE bytes: keys of 16-48 bytes, values of 64-4096\n"
  "bytes, all derived from the seed (the same seed and size give the same\n"
  "records, hence the same digest). Prints the records and bytes written.\n",
  generate_options,
  {},
};

result<int> run_generate(const parsed_arguments& args) {
  auto bytes = parse_size(*args.value("bytes"), "--bytes");
  if (!bytes) return bytes.error();
  if (*bytes == 0) return usage_error("--bytes: the size must be above 0");
  std::uint64_t seed = 1;
  if (auto s = args.value("seed")) {
    auto n = parse_uint(*s, "--seed");
    if (!n) return n.error();
    seed = *n;
  }
  auto d = detail::open_db(*args.value("data-dir"), true);
  if (!d) return d.error();
  const auto start = std::chrono::steady_clock::now();
  auto stats = storage::generate_state(**d, *bytes, seed);
  if (!stats) return detail::storage_failure(stats.error());
  std::cout << "generated records=" << stats->records << " bytes=" << stats->bytes
            << " seconds=" << seconds_text(std::chrono::steady_clock::now() - start) << '\n';
  return 0;
}

// ---- state import ----

constexpr std::array<option_spec, 1> import_options{{
  {"data-dir", "DIR", "the node's data directory (created when missing)", true},
}};
constexpr std::array<std::string_view, 1> import_positionals{"FILE"};

const command_spec import_spec{
  "state import",
  "load key/value records from a text file",
  "Loads records into the state of a stopped node from FILE, one per line:\n"
  "\n"
  "  <hex key> <hex value>\n"
  "\n"
  "hex of either case, one space between the fields; a line with the key alone\n"
  "stores an empty value. Blank lines and lines starting with '#' are skipped;\n"
  "CRLF line ends are accepted; a later duplicate key overwrites. Keys are 1 to\n"
  "65536 bytes, values at most 1 MiB. A malformed line stops the import with\n"
  "its line number; lines before it may be written already, so fix the line\n"
  "and import the file again (records overwrite by key).\n",
  import_options,
  import_positionals,
};

result<int> run_import(const parsed_arguments& args) {
  const fs::path file = args.positionals()[0];
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return error{app_errc::io_error, "cannot read " + file.string()};
  auto d = detail::open_db(*args.value("data-dir"), true);
  if (!d) return d.error();
  const auto start = std::chrono::steady_clock::now();
  auto stats = storage::import_state(**d, file);
  if (!stats) {
    // "import line 3: ..." from storage becomes "FILE: line 3: ...".
    std::string message = stats.error().message();
    constexpr std::string_view prefix = "import ";
    if (message.starts_with(prefix)) message.erase(0, prefix.size());
    return error{app_errc::failed, file.string() + ": " + message};
  }
  std::cout << "imported records=" << stats->records << " bytes=" << stats->bytes
            << " seconds=" << seconds_text(std::chrono::steady_clock::now() - start) << '\n';
  return 0;
}

// ---- state digest ----

constexpr std::array<option_spec, 1> digest_options{{
  {"data-dir", "DIR", "the node's data directory", true},
}};

const command_spec digest_spec{
  "state digest",
  "print the state's record count and digest",
  "Prints `records=N digest=HEX` for the state of a stopped node: the record\n"
  "count and the SHA-256 of every record's canonical encoding in key order\n"
  "(docs/protocol.md 3.1). Two states are identical exactly when their lines\n"
  "are equal.\n",
  digest_options,
  {},
};

result<int> run_digest(const parsed_arguments& args) {
  auto d = detail::open_db(*args.value("data-dir"), false);
  if (!d) return d.error();
  auto digest = (*d)->digest_state();
  if (!digest) return detail::storage_failure(digest.error());
  std::cout << "records=" << digest->record_count << " digest=" << to_hex(digest->sha256) << '\n';
  return 0;
}

const command generate_cmd{&generate_spec, &run_generate};
const command import_cmd{&import_spec, &run_import};
const command digest_cmd{&digest_spec, &run_digest};

} // namespace

const command& state_generate_command() { return generate_cmd; }
const command& state_import_command() { return import_cmd; }
const command& state_digest_command() { return digest_cmd; }

} // namespace snapstream::app
