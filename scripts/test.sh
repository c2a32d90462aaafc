#!/usr/bin/env bash
# Sets up, builds and runs every snapstream test (what CI runs, via .ci/run).
#  1. installs the Debian dependencies (scripts/setup.sh, quick when present),
#     with Chromium for the dashboard's browser test and clang for the fuzzers;
#  2. plain optimised build with -Werror, then every CTest test, two at a
#     time (unit, integration, interop against js-libp2p and
#     @ethereumjs/devp2p);
#  3. an ASan + UBSan build of the unit tests below the HTTP layer, run again
#     (the HTTP and config decoders are fuzzed under ASan + UBSan in step 4);
#  4. every libFuzzer target (tests/fuzz) for a short fixed time
#     (scripts/fuzz.sh).
# Exits non-zero when any build step or test fails. Prints each step's time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${SNAPSTREAM_JOBS:-2}"
fuzz_seconds="${SNAPSTREAM_FUZZ_SECONDS:-10}"

step_start=$SECONDS
step() {
  echo "== $1 (previous step: $((SECONDS - step_start)) s, total: ${SECONDS} s) =="
  step_start=$SECONDS
}

bash scripts/setup.sh --with-browser

step "plain build (build/ci)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=Release -DSNAPSTREAM_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
step "tests (build/ci)"
ctest --test-dir build/ci --output-on-failure -j"$jobs"

step "sanitizer build (build/asan): unit tests under ASan + UBSan"
# -O0 -g1 (line tables for the reports). The unit tests of http/ and app/
# are left out: building those layers (Beast) with the sanitizers costs
# about two minutes of CI, and their decoders of untrusted input (control
# JSON bodies, config, token and key files) are fuzzed under ASan + UBSan
# below. See docs/testing.md#sanitizers for why the integration tests do not
# run here yet.
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" \
  -DSNAPSTREAM_SANITIZE=ON -DSNAPSTREAM_WERROR=ON -DSNAPSTREAM_BUILD_BENCH=OFF >/dev/null
sanitized_exclude='^(http_units|app_units)$'
mapfile -t unit_tests < <(ctest --test-dir build/asan -N -L unit | sed -n 's/^ *Test *#[0-9]*: *\(.*\)$/\1/p' |
  grep -Ev "$sanitized_exclude")
cmake --build build/asan -j"$jobs" --target "${unit_tests[@]/#/test_}"
ctest --test-dir build/asan -L unit -E "$sanitized_exclude" --output-on-failure -j"$jobs"

step "fuzz (build/fuzz): every target for ${fuzz_seconds} s"
bash scripts/fuzz.sh "$fuzz_seconds"
step "done"
