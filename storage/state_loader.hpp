#pragma once
/// Filling the local state: importing a text file, or generating a
/// deterministic state of a given size (for tests, benchmarks and demos).
/// Both mark the state as `local` and refuse a state that holds a synced
/// plan's records (`owner_mismatch`).

#include "storage/db.hpp"

#include <cstdint>
#include <filesystem>
#include <istream>

namespace snapstream::storage {

struct load_stats {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0; ///< sum of the canonical record encodings (docs/protocol.md 3.1)
};

/// Imports records from text, one per line:
///
///   <hex key> <hex value>
///
/// lower- or upper-case hex, one space between the fields; an empty value may
/// be written as the key alone. Blank lines and lines starting with `#` are
/// skipped; `\r\n` line ends are accepted. Records may come in any order (a
/// later duplicate key overwrites). Fails with `invalid_import` naming the
/// line (bad hex, a key or value outside the limits, a line longer than a
/// maximal record's hex). Records go in batches; the last batch is synced, so
/// the whole import is durable when this returns; a failure part-way leaves
/// the records before the bad line written.
[[nodiscard]] result<load_stats> import_state(db& d, std::istream& in);
[[nodiscard]] result<load_stats> import_state(db& d, const std::filesystem::path& file);

/// Adds a deterministic pseudo-random state of at least `bytes` bytes of
/// record encodings: keys of 16-48 bytes (an 8-byte big-endian prefix that
/// grows with the record index, then random bytes), values of 64-4096 bytes,
/// all derived from `seed` (same seed and size, same records). Writes sorted
/// SST files under `<data-dir>/tmp-generate/` and ingests them (durable when
/// this returns); about 1 GiB in seconds.
[[nodiscard]] result<load_stats> generate_state(db& d, std::uint64_t bytes, std::uint64_t seed);

} // namespace snapstream::storage
