#!/usr/bin/env bash
# Sets up, builds and runs every snapstream test (what CI runs, via .ci/run).
#  1. installs the Debian dependencies (scripts/setup.sh, quick when present),
#     with Chromium for the dashboard's browser test and clang for the fuzzers;
#  2. plain optimised build with -Werror, then every CTest test, two at a
#     time (unit, integration, interop against js-libp2p and
#     @ethereumjs/devp2p);
#  3. an ASan + UBSan build that runs the unit tests below the HTTP layer,
#     every interop test, the two-node end to end and the hosts' integration
#     tests again (the HTTP and config decoders are fuzzed under ASan + UBSan
#     in step 4);
#  4. every libFuzzer target (tests/fuzz) for a short fixed time
#     (scripts/fuzz.sh).
# Exits non-zero when any build step or test fails. Prints each step's time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${SNAPSTREAM_JOBS:-2}"
fuzz_seconds="${SNAPSTREAM_FUZZ_SECONDS:-10}"

step_start=$SECONDS
# Ninja, not Make: CMake's Makefiles build the targets named on one command
# line one after another (`.NOTPARALLEL`), so a list of single-file test
# programs kept one of the two cores idle. A build tree made by another
# generator is made again.
configure() {
  local dir=$1
  shift
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  cmake -G Ninja -S . -B "$dir" "$@" >/dev/null
}
step() {
  echo "== $1 (previous step: $((SECONDS - step_start)) s, total: ${SECONDS} s) =="
  step_start=$SECONDS
}

bash scripts/setup.sh --with-browser

step "plain build (build/ci)"
configure build/ci -DCMAKE_BUILD_TYPE=Release -DSNAPSTREAM_WERROR=ON
cmake --build build/ci -j"$jobs"
step "tests (build/ci)"
ctest --test-dir build/ci --output-on-failure -j"$jobs"

step "sanitizer build (build/asan): unit, two-node and interop tests under ASan + UBSan"
# -O0 -g1 (line tables for the reports). Run here: the unit tests but those
# of http/ and app/ (their decoders of untrusted input, control JSON bodies,
# config, token and key files, are fuzzed under ASan + UBSan below), every
# interop test, the two-node end to end, the storage records and the libp2p
# and RLPx hosts' own integration tests (floods included). The other integration tests run
# in the optimised build only: building and running all of them here too
# would take CI past 30 minutes (docs/testing.md#sanitizers).
# UBSan's vptr, null and alignment checks are left out: a third of this
# build's compile time (docs/testing.md#sanitizers says what that gives up;
# the fuzz targets keep every check).
configure build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" \
  -DSNAPSTREAM_SANITIZE=ON -DSNAPSTREAM_UBSAN_SKIP=vptr,null,alignment -DSNAPSTREAM_WERROR=ON \
  -DSNAPSTREAM_BUILD_BENCH=OFF
tests_of() { ctest --test-dir build/asan -N "$@" | sed -n 's/^ *Test *#[0-9]*: *\(.*\)$/\1/p'; }
mapfile -t sanitized < <({
  tests_of -L unit | grep -Ev '^(http_units|app_units)$'
  tests_of -L interop
  printf '%s\n' e2e_two_nodes libp2p_host libp2p_floods net_rlpx_host storage_db storage_sessions
} | sort -u)
# Each test's executable is test_<name>; libp2p_interop runs Node.js against
# libp2p_interop_peer, and the end to end tests run the snapstream binary.
targets=(snapstream libp2p_interop_peer)
for t in "${sanitized[@]}"; do [[ $t == libp2p_interop ]] || targets+=("test_$t"); done
cmake --build build/asan -j"$jobs" --target "${targets[@]}"
sanitized_regex="^($(IFS='|'; echo "${sanitized[*]}"))\$"
ctest --test-dir build/asan -R "$sanitized_regex" --output-on-failure -j"$jobs"

step "fuzz (build/fuzz): every target for ${fuzz_seconds} s"
# A fixed libFuzzer seed: a red run here is the code's doing and replays the
# same way; scripts/fuzz.sh run by hand explores from a random seed.
FUZZ_SEED="${FUZZ_SEED:-1}" bash scripts/fuzz.sh "$fuzz_seconds"
step "done"
