#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz, CMake target `fuzz_all`) with
# clang in build/fuzz and runs each for SECONDS (default 60) over a scratch
# corpus plus its committed seeds (tests/fuzz/corpus/<target>), two targets at
# a time. Prints a table (target, executions, crashes) and exits non-zero when
# any target crashed, failed a property, leaked or timed out, naming the
# artifact to reproduce it with:
#   build/fuzz/tests/fuzz/<target> <artifact>
#
# Usage: scripts/fuzz.sh [SECONDS]
# Environment: FUZZ_TARGETS="fuzz_rlp fuzz_noise" runs only those;
# FUZZ_PARALLEL (default 2) targets at once; FUZZ_BUILD_JOBS (default 2);
# FUZZ_SEED=N starts every target from libFuzzer seed N (CI sets it so that a
# red run is the code's doing and replays; unset, each run explores afresh).
# Needs clang++ (Debian's clang package); without it the script says so and
# exits 0 so that a machine without clang skips fuzzing.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (a positive whole number of seconds per target)" >&2
  exit 2
fi
parallel="${FUZZ_PARALLEL:-2}"
build_jobs="${FUZZ_BUILD_JOBS:-2}"

cd "$(dirname "$0")/.."
root="$PWD"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; libFuzzer targets need clang (apt-get install clang). Skipped."
  exit 0
fi

echo "== fuzz: configure and build build/fuzz (fuzz_all) =="
CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSNAPSTREAM_FUZZ=ON \
  -DSNAPSTREAM_WERROR=ON -DSNAPSTREAM_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j"$build_jobs" --target fuzz_all

bin="$root/build/fuzz/tests/fuzz"
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for f in "$bin"/fuzz_*; do
    [ -f "$f" ] && [ -x "$f" ] && targets+=("$(basename "$f")")
  done
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz: no fuzz targets were built in $bin" >&2
  exit 1
fi

runs="$root/build/fuzz/fuzz-runs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

# run_one TARGET: one libFuzzer process; its log and artifacts go to
# build/fuzz/fuzz-runs/TARGET/.
run_one() {
  local t="$1" dir="$runs/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  rm -f "$dir/artifacts"/* "$dir/status"
  local seeds="$root/tests/fuzz/corpus/$t"
  mkdir -p "$seeds" # a target may have no committed seeds yet
  local args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1
              -artifact_prefix="$dir/artifacts/")
  [ -n "${FUZZ_SEED:-}" ] && args+=(-seed="$FUZZ_SEED")
  # Dictionaries are named after the target without its prefix (codec.dict).
  local dict="$root/tests/fuzz/${t#fuzz_}.dict"
  [ -f "$dict" ] && args+=(-dict="$dict")
  local rc=0
  # stdin is /dev/null: fuzz_app_files reads whatever file a config names.
  "$bin/$t" "${args[@]}" "$dir/corpus" "$seeds" </dev/null >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/status"
}

echo "== fuzz: ${#targets[@]} targets, ${seconds} s each, ${parallel} at a time, seed ${FUZZ_SEED:-random} =="
for t in "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "fuzz: no such target $t" >&2; exit 1; }
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
    wait -n || true
  done
  echo "   $t"
  run_one "$t" &
done
wait

failed=0
printf '\n%-22s %14s %8s  %s\n' target executions crashes result
for t in "${targets[@]}"; do
  dir="$runs/$t"
  rc="$(cat "$dir/status" 2>/dev/null || echo 1)"
  # libFuzzer's last words: "Done N runs in S second(s)", else "#N DONE ...".
  execs="$(grep -oE 'Done [0-9]+ runs' "$dir/log" | tail -1 | grep -oE '[0-9]+' || true)"
  [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -1 | grep -oE '[0-9]+' || true)"
  [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#' || true)"
  [ -n "$execs" ] || execs="?"
  artifacts=()
  for a in "$dir/artifacts"/*; do
    [ -f "$a" ] && artifacts+=("$a")
  done
  crashes="${#artifacts[@]}"
  if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
    result="ok"
  else
    failed=1
    [ "$crashes" = 0 ] && crashes=1
    why="$(grep -m1 -E 'property failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$dir/log" || true)"
    result="FAILED (exit $rc) ${why}"
  fi
  printf '%-22s %14s %8s  %s\n' "$t" "$execs" "$crashes" "$result"
  for a in "${artifacts[@]}"; do
    echo "    artifact: $a  (reproduce: $bin/$t $a)"
  done
  [ "$result" = ok ] || echo "    log: $dir/log"
done

if [ "$failed" != 0 ]; then
  echo "fuzz: FAILED; keep each crasher as a regression seed in tests/fuzz/corpus/<target>/ once fixed" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a crash or a failed property"
