#pragma once
// Helpers shared by the libFuzzer targets of tests/fuzz.
//
//  - `require` traps (a crash libFuzzer saves as an artifact) when a property
//    fails, after printing which one;
//  - `require_typed` checks that a failure is a typed error naming its problem;
//  - `fuzz_input` reads an input as a little script (selector bytes, lengths,
//    chunks), never past its end;
//  - `--write-seeds DIR` on any target's command line writes its seed corpus
//    (real messages made by our encoders and the tests' vectors) to DIR and
//    exits; each target defines `write_seeds` and calls
//    `SNAPSTREAM_FUZZ_SEEDS(write_seeds)` once;
//  - `fuzz_one_of` lets the first input byte pick one of several decoders.

#include "protocol/common/bytes.hpp"
#include "protocol/common/error.hpp"
#include "protocol/common/hex.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace snapstream::fuzz {

[[noreturn]] inline void property_failed(const char* what) {
  std::fprintf(stderr, "fuzz: property failed: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}

inline void require(bool ok, const char* what) {
  if (!ok) property_failed(what);
}

/// A failure must carry a code and a message naming its problem.
inline void require_typed(const error& e, const char* what) {
  if (!e.code() || e.message().empty()) {
    std::fprintf(stderr, "fuzz: untyped error from %s: code %d message '%s'\n", what, e.code().value(),
                 e.message().c_str());
    property_failed("errors are typed (code and non-empty message)");
  }
}

/// Checks `r`'s error when it failed; returns whether it succeeded.
template <class T>
bool ok_or_typed(const result<T>& r, const char* what) {
  if (r) return true;
  require_typed(r.error(), what);
  return false;
}

/// Reads a fuzz input front to back; every read past the end yields zeros or
/// empty views, so a script never fails on a short input.
class fuzz_input {
public:
  fuzz_input(const std::uint8_t* data, std::size_t size) noexcept : in_(data, size) {}
  explicit fuzz_input(bytes_view in) noexcept : in_(in) {}

  [[nodiscard]] bool empty() const noexcept { return in_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return in_.size(); }

  std::uint8_t u8() noexcept {
    if (in_.empty()) return 0;
    const std::uint8_t v = in_[0];
    in_ = in_.subspan(1);
    return v;
  }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() noexcept { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
  std::uint64_t u64() noexcept { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }

  /// Up to `n` bytes.
  bytes_view take(std::size_t n) noexcept {
    n = std::min(n, in_.size());
    const bytes_view out = in_.first(n);
    in_ = in_.subspan(n);
    return out;
  }
  /// A chunk whose length is the next u16 (little endian).
  bytes_view chunk16() noexcept { return take(u16()); }
  /// Everything left.
  bytes_view rest() noexcept { return take(in_.size()); }

private:
  bytes_view in_;
};

/// Appends `n` as two little-endian bytes (the `chunk16` length).
inline void put_u16(byte_buffer& out, std::uint16_t n) {
  out.push_back(static_cast<std::uint8_t>(n & 0xff));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
}
inline void put_chunk16(byte_buffer& out, bytes_view chunk) {
  put_u16(out, static_cast<std::uint16_t>(chunk.size()));
  append(out, chunk);
}

/// Writes seed files into one directory.
class seed_writer {
public:
  explicit seed_writer(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }
  void write(std::string_view name, bytes_view bytes) {
    std::ofstream f(dir_ / std::string(name), std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      std::fprintf(stderr, "cannot write seed %s\n", std::string(name).c_str());
      std::exit(1);
    }
    ++count_;
  }
  void write(std::string_view name, std::string_view text) { write(name, as_bytes(text)); }
  /// A seed whose first byte selects the decoder.
  void write(std::string_view name, std::uint8_t selector, bytes_view bytes) {
    byte_buffer b{selector};
    append(b, bytes);
    write(name, b);
  }
  void write(std::string_view name, std::uint8_t selector, std::string_view text) {
    write(name, selector, as_bytes(text));
  }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }

private:
  std::filesystem::path dir_;
  std::size_t count_ = 0;
};

/// Hex to bytes for vectors written in the source; aborts on bad hex.
inline byte_buffer unhex(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != ' ' && c != '\n' && c != '\t') clean += c;
  auto r = from_hex(clean);
  if (!r) {
    std::fprintf(stderr, "bad hex in a fuzz target: %s\n", clean.c_str());
    std::abort();
  }
  return *r;
}

template <std::size_t N>
std::array<std::uint8_t, N> unhex_array(std::string_view text) {
  const byte_buffer b = unhex(text);
  if (b.size() != N) std::abort();
  std::array<std::uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

/// Runs `write_seeds(seed_writer&)` and exits when the command line holds
/// `--write-seeds DIR`; otherwise returns and libFuzzer goes on.
template <class WriteSeeds>
void handle_write_seeds(int* argc, char*** argv, WriteSeeds write_seeds) {
  for (int i = 1; i + 1 < *argc; ++i) {
    if (std::string_view((*argv)[i]) == "--write-seeds") {
      seed_writer w((*argv)[i + 1]);
      write_seeds(w);
      std::printf("wrote %zu seeds to %s\n", w.count(), (*argv)[i + 1]);
      std::exit(0);
    }
  }
}

/// The body of a target that fuzzes several decoders: the input's first
/// byte picks one (modulo their number; the seed files' selector bytes count
/// on this order), which gets the rest, as bytes or as text.
template <class... Decoders>
int fuzz_one_of(const std::uint8_t* data, std::size_t size, Decoders... decoders) {
  if (size == 0) return 0;
  const bytes_view in(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  const std::size_t which = data[0] % sizeof...(Decoders);
  std::size_t i = 0;
  auto run = [&](auto& decode) {
    if (i++ != which) return;
    if constexpr (std::is_invocable_v<decltype(decode), bytes_view>) decode(in);
    else decode(text);
  };
  (run(decoders), ...);
  return 0;
}

} // namespace snapstream::fuzz

/// Defines LLVMFuzzerInitialize to honour `--write-seeds DIR`.
#define SNAPSTREAM_FUZZ_SEEDS(fn)                                         \
  extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {          \
    ::snapstream::fuzz::handle_write_seeds(argc, argv, fn);               \
    return 0;                                                             \
  }
