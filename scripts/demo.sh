#!/usr/bin/env bash
# snapstream's main job, on loopback: set up, build, then a small swarm.
#  1. five nodes A-E with fresh keys; A gets a generated state (default
#     256 MiB; `bash scripts/demo.sh 1GiB` for more) and a snapshot, signed
#     by A's key, which every other node trusts (--trust A);
#  2. B and C each sync A's snapshot from A, through their HTTP APIs
#     (`snapstream sync`), and from then on serve it too;
#  3. D syncs the same snapshot from A, B and C at once, and shows each
#     provider's share;
#  4. E syncs it from D alone (a node that verified a snapshot serves it on);
#  5. every node shuts down cleanly (SIGTERM), then the five state digests
#     are compared: they must all be equal.
# While D and E sync it prints their dashboards' URLs (open one in a browser;
# the token is in the printed file). With --keep the nodes stay up after the
# syncs until Ctrl-C, so the dashboards can be looked at; then step 5 runs.
# Exits non-zero when any step fails. Leaves nothing running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
keep=""
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
size="${1:-256MiB}"
if [ "${2:-}" = "--keep" ]; then keep=1; fi
jobs="${SNAPSTREAM_JOBS:-2}"

bash scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$jobs" --target snapstream
bin="$PWD/build/release/app/snapstream"

work="$(mktemp -d /tmp/snapstream-demo.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

# Waits for a node's startup line ("node peer_id=... p2p=... http=HOST:PORT").
startup_line() {
  local out="$1" log="$2" pid="$3"
  for _ in $(seq 1 300); do
    if grep -q '^node peer_id=' "$out" 2>/dev/null; then grep -m1 '^node peer_id=' "$out"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "node exited early; its log:" >&2; cat "$log" >&2; return 1; fi
    sleep 0.1
  done
  echo "node did not start within 30 s; its log:" >&2; cat "$log" >&2; return 1
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

say "keys and state (work dir $work)"
declare -A id
for n in A B C D E; do id[$n]="$("$bin" keygen --out "$work/$n.key")"; echo "node $n: ${id[$n]}"; done
"$bin" state generate --data-dir "$work/A" --bytes "$size" --seed 1
"$bin" snapshot create --data-dir "$work/A" --key "$work/A.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"

declare -A p2p http
# Starts node $1; its address book holds the nodes named after it.
start_node() {
  local n="$1"; shift
  local peers=()
  for m in "$@"; do peers+=(--peer "${p2p[$m]}"); done
  "$bin" node --data-dir "$work/$n" --key "$work/$n.key" \
    --p2p-listen /ip4/127.0.0.1/tcp/0 --http-listen 127.0.0.1:0 --token-file "$work/token" \
    --trust "${id[A]}" "${peers[@]}" >"$work/$n.out" 2>"$work/$n.log" &
  pids+=($!)
  local line
  line="$(startup_line "$work/$n.out" "$work/$n.log" "$!")"
  p2p[$n]="$(field p2p "$line" | cut -d, -f1)"
  http[$n]="$(field http "$line")"
  echo "node $n listening: ${p2p[$n]} (http ${http[$n]})"
}

# Syncs node $1 from the nodes named after it, through $1's HTTP API.
sync_from() {
  local n="$1"; shift
  local peers=()
  for m in "$@"; do peers+=(--peer "${id[$m]}"); done
  if ! "$bin" sync --http "${http[$n]}" "${peers[@]}" --token-file "$work/token" --chunk-size 1MiB; then
    echo "sync of $n failed; its log tail:" >&2
    tail -n 30 "$work/$n.log" >&2
    exit 1
  fi
}

say "starting the nodes"
start_node A
start_node B A
start_node C A

say "B and C sync $size from A"
sync_from B A
sync_from C A

dashboard() { echo "dashboard of $1: http://${http[$1]}/  (token: the contents of $work/token)"; }

say "D syncs from A, B and C at once"
start_node D A B C
dashboard D
sync_from D A B C

say "E syncs from D, which verified the snapshot and serves it on"
start_node E D
dashboard E
sync_from E D

if [ -n "$keep" ]; then
  say "the nodes stay up (--keep): open a dashboard, then press Ctrl-C"
  for n in A B C D E; do dashboard "$n"; done
  stop=""
  trap 'stop=1' INT
  while [ -z "$stop" ]; do sleep 1; done
  trap - INT
fi

say "stopping every node (SIGTERM)"
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do wait "$pid"; done
pids=()
echo "every node stopped cleanly"

say "comparing the nodes' states"
reference="$("$bin" state digest --data-dir "$work/A")"
for n in A B C D E; do
  digest="$("$bin" state digest --data-dir "$work/$n")"
  echo "$n: $digest"
  if [ "$digest" != "$reference" ]; then
    echo "demo FAILED: node $n's digest differs from A's" >&2
    exit 1
  fi
done
rm -rf "$work"
echo "demo OK: five nodes hold exactly A's state, four of them verified it from the swarm"
