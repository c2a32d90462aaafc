#!/usr/bin/env bash
# Sets up, builds and runs snapstream's main job.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${SNAPSTREAM_JOBS:-2}"
bash scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$jobs" --target snapstream
./build/release/app/snapstream selfcheck "$@"
