#!/usr/bin/env bash
# Installs every build and test dependency of snapstream from Debian's packages.
# Idempotent: when everything is present it only checks and returns (no apt-get).
# Must run as root on Debian 12 (bookworm); elsewhere it prints what it needs.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcaf-dev libsimdjson-dev librocksdb-dev libsodium-dev libssl-dev
  libboost1.81-dev libboost-test1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsecp256k1-dev libsnappy-dev liblz4-dev
  rsync gnuplot-nox procps curl
  # ip and tc (network namespaces, veth, tbf) and Python: the WAN testbed
  # (bench/wan) and its cleanup test
  iproute2 python3
  # clang and its libFuzzer runtime: the fuzz targets (tests/fuzz, scripts/fuzz.sh)
  clang libclang-rt-14-dev
)

# `--with-browser` (scripts/test.sh): also Debian's Chromium, which the
# dashboard's browser test drives headless (tests/ui).
if [ "${1:-}" = "--with-browser" ]; then packages+=(chromium); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js runs the interop peers (js-libp2p, @ethereumjs/devp2p). Machines of
# this project ship Node 20; install Debian's only when none is present.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all dependencies present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -o DPkg::Lock::Timeout=900
apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=900 "${missing[@]}"
