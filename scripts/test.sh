#!/usr/bin/env bash
# Sets up, builds and runs every snapstream test (what CI runs, via .ci/run).
#  1. installs the Debian dependencies (scripts/setup.sh, quick when present),
#     with Chromium for the dashboard's browser test;
#  2. plain optimised build with -Werror, then every CTest test (unit,
#     integration, interop against js-libp2p and @ethereumjs/devp2p);
#  3. an ASan + UBSan build of the unit tests, run again.
# Exits non-zero when any build step or test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${SNAPSTREAM_JOBS:-2}"

bash scripts/setup.sh --with-browser

echo "== plain build (build/ci) =="
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=Release -DSNAPSTREAM_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
echo "== tests (build/ci) =="
ctest --test-dir build/ci --output-on-failure

echo "== sanitizer build (build/asan): unit tests under ASan + UBSan =="
# -O0 -g1 (line tables for the reports): the sanitizer build compiles the
# whole actor and HTTP layers for the unit tests, and -O0 does that in about
# two thirds of the time -O1 takes (measured: 10 min against 15 on 2 cores).
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" \
  -DSNAPSTREAM_SANITIZE=ON -DSNAPSTREAM_WERROR=ON -DSNAPSTREAM_BUILD_BENCH=OFF >/dev/null
mapfile -t unit_targets < <(ctest --test-dir build/asan -N -L unit | sed -n 's/^ *Test *#[0-9]*: *\(.*\)$/test_\1/p')
cmake --build build/asan -j"$jobs" --target "${unit_targets[@]}"
ctest --test-dir build/asan -L unit --output-on-failure

# Fuzzing of the /rpp/snapshots codec (tests/fuzz), only where clang++ is
# installed: builds the libFuzzer target with clang in build/fuzz and runs it
# for 30 s over the seed corpus; a crash or a failed property fails CI.
if command -v clang++ >/dev/null 2>&1; then
  echo "== fuzz (build/fuzz): fuzz_codec for 30 s =="
  CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSNAPSTREAM_FUZZ=ON \
    -DSNAPSTREAM_WERROR=ON -DSNAPSTREAM_BUILD_BENCH=OFF >/dev/null
  cmake --build build/fuzz -j"$jobs" --target fuzz_codec
  mkdir -p build/fuzz/corpus
  build/fuzz/tests/fuzz/fuzz_codec -dict=tests/fuzz/codec.dict -max_total_time=30 \
    -artifact_prefix=build/fuzz/ build/fuzz/corpus tests/fuzz/corpus
fi
