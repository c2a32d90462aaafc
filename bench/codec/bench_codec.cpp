// Throughput of the /rpp/snapshots codec on chunk responses (64 KiB, 1 MiB,
// 4 MiB payloads, both byte encodings), next to SHA-256 page hashing (64 KiB
// pages) and memcpy, measured in the same run on the same machine.
//
// Each figure is the median (with min and max) over repeated runs, in MiB of
// payload per second, and its ratio to the memcpy median. Decoding goes
// through `padded_input` (in place, as the transport does) and includes
// allocating the decoded chunk's buffer. Usage: bench_codec [repeats]

#include "protocol/common/sha256.hpp"
#include "protocol/messages/decoder.hpp"
#include "protocol/messages/detail/base64_simd.hpp"
#include "protocol/messages/encoder.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace snapstream;
using namespace snapstream::messages;

namespace {

using clock_type = std::chrono::steady_clock;

struct figure {
  double median, min, max; // MiB/s
};

/// Runs `op` (which processes `bytes` bytes of payload) enough times per run to
/// last a few milliseconds, `repeats` runs, and returns MiB/s statistics.
figure measure(std::size_t bytes, int repeats, const std::function<void()>& op) {
  op(); // warm-up: caches, page faults of reused buffers, the parser
  const std::size_t per_run = std::max<std::size_t>(1, (std::size_t{32} << 20) / bytes);
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < per_run; ++i) op();
    const std::chrono::duration<double> took = clock_type::now() - start;
    rates.push_back(static_cast<double>(bytes * per_run) / (1024.0 * 1024.0) / took.count());
  }
  std::sort(rates.begin(), rates.end());
  return {rates[rates.size() / 2], rates.front(), rates.back()};
}

double memcpy_median = 0;

void report(const std::string& name, const figure& f) {
  std::printf("%-34s %10.0f %10.0f %10.0f %9.3f\n", name.c_str(), f.median, f.min, f.max, f.median / memcpy_median);
}

volatile std::size_t sink; // keeps results observable

} // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
  std::mt19937_64 rng(42);

  std::printf("bench_codec: %d runs per figure, MiB/s of payload; base64 AVX2 decode path: %s\n", repeats,
              messages::detail::base64_simd_available() ? "yes" : "no");
  std::printf("%-34s %10s %10s %10s %9s\n", "operation", "median", "min", "max", "/memcpy");

  {
    const std::size_t n = std::size_t{4} << 20;
    byte_buffer src(n), dst(n);
    for (auto& b : src) b = static_cast<std::uint8_t>(rng());
    memcpy_median = 1; // so the memcpy line's ratio reads 1.000
    const figure f = measure(n, repeats, [&] {
      std::memcpy(dst.data(), src.data(), n);
      sink = dst[n / 2];
    });
    memcpy_median = f.median;
    report("memcpy 4 MiB", f);
  }

  {
    const std::size_t page = 64 * 1024, pages = 64;
    byte_buffer data(page * pages);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    report("sha256 64 KiB pages", measure(data.size(), repeats, [&] {
      std::size_t x = 0;
      for (std::size_t p = 0; p < pages; ++p) x += sha256(bytes_view(data).subspan(p * page, page))[0];
      sink = x;
    }));
  }

  for (const std::size_t size : {std::size_t{64} << 10, std::size_t{1} << 20, std::size_t{4} << 20}) {
    auto payload = std::make_shared<byte_buffer>(size);
    for (auto& b : *payload) b = static_cast<std::uint8_t>(rng());
    const snapshots_response message{0x1234567890ull, chunk_response{4321, payload}};
    const std::string label = size >= (1u << 20) ? std::to_string(size >> 20) + " MiB" : std::to_string(size >> 10) + " KiB";
    for (const auto encoding : {byte_encoding::array, byte_encoding::base64}) {
      const char* name = encoding == byte_encoding::array ? "array" : "base64";
      byte_buffer out;
      report(std::string("encode chunk ") + label + " " + name, measure(size, repeats, [&] {
        out.clear();
        encode(message, encoding, out);
        sink = out.size();
      }));
      byte_buffer wire;
      encode(message, encoding, wire);
      reserve_padding(wire);
      const auto input = *padded_input::from(wire);
      const decode_options options{wire.size()};
      bool ok = true;
      report(std::string("decode chunk ") + label + " " + name, measure(size, repeats, [&] {
        auto r = decode_response(input, options);
        ok = ok && r.has_value() && *r == message;
        sink = r ? r->session_id : 0;
      }));
      if (!ok) {
        std::fprintf(stderr, "bench_codec: decoded chunk differs from the encoded one\n");
        return 1;
      }
    }
  }
  return 0;
}
