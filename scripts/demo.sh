#!/usr/bin/env bash
# snapstream's main job, on loopback: set up, build, then
#  1. two nodes with fresh keys; the provider gets a generated state
#     (default 256 MiB; `bash scripts/demo.sh 1GiB` for more) and a snapshot;
#  2. a sync started through the consumer's HTTP API by `snapstream sync`,
#     which shows the progress and ends with the verified state root, the
#     bytes and the MiB/s;
#  3. both nodes shut down cleanly (SIGTERM), then their state digests are
#     compared: they must be equal.
# Exits non-zero when any step fails. Leaves nothing running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
size="${1:-256MiB}"
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
provider_id="$("$bin" keygen --out "$work/provider.key")"
"$bin" keygen --out "$work/consumer.key" >/dev/null
echo "provider peer id: $provider_id"
"$bin" state generate --data-dir "$work/provider" --bytes "$size" --seed 1
"$bin" snapshot create --data-dir "$work/provider" --key "$work/provider.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"

say "starting the provider and the consumer"
"$bin" node --data-dir "$work/provider" --key "$work/provider.key" \
  --p2p-listen /ip4/127.0.0.1/tcp/0 --http-listen 127.0.0.1:0 --token-file "$work/token" \
  >"$work/provider.out" 2>"$work/provider.log" &
pids+=($!)
provider_line="$(startup_line "$work/provider.out" "$work/provider.log" "${pids[0]}")"
echo "$provider_line"
provider_addr="$(field p2p "$provider_line" | cut -d, -f1)"

"$bin" node --data-dir "$work/consumer" --key "$work/consumer.key" \
  --p2p-listen /ip4/127.0.0.1/tcp/0 --http-listen 127.0.0.1:0 --token-file "$work/token" \
  --peer "$provider_addr" --trust "$provider_id" \
  >"$work/consumer.out" 2>"$work/consumer.log" &
pids+=($!)
consumer_line="$(startup_line "$work/consumer.out" "$work/consumer.log" "${pids[1]}")"
echo "$consumer_line"
consumer_http="$(field http "$consumer_line")"

say "sync $size from $provider_id (through the consumer's HTTP API)"
if ! "$bin" sync --http "$consumer_http" --peer "$provider_id" --token-file "$work/token" --chunk-size 1MiB; then
  echo "sync failed; consumer log tail:" >&2
  tail -n 30 "$work/consumer.log" >&2
  exit 1
fi

say "stopping both nodes (SIGTERM)"
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do wait "$pid"; done
pids=()
echo "both nodes stopped cleanly"

say "comparing the nodes' states"
provider_digest="$("$bin" state digest --data-dir "$work/provider")"
consumer_digest="$("$bin" state digest --data-dir "$work/consumer")"
echo "provider: $provider_digest"
echo "consumer: $consumer_digest"
if [ "$provider_digest" != "$consumer_digest" ]; then
  echo "demo FAILED: the digests differ" >&2
  exit 1
fi
rm -rf "$work"
echo "demo OK: the consumer holds exactly the provider's state"
