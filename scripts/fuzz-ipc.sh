#!/usr/bin/env bash
# Builds the worker IPC decoder fuzz target with clang (libFuzzer + ASan +
# UBSan) in its own build directory and runs it for N seconds (default 30).
#   scripts/fuzz-ipc.sh [seconds] [build-dir]
# Exit status is libFuzzer's: non-zero when a crash, leak or abort was found
# (the reproducer is written to the build directory).
set -euo pipefail
seconds="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${2:-$root/build/fuzz-ipc}"
cc="${CC_FUZZ:-clang}"
cxx="${CXX_FUZZ:-clang++}"
command -v "$cxx" >/dev/null || { echo "fuzz-ipc: $cxx not found; run scripts/setup.sh" >&2; exit 2; }
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DVITRINE_FUZZ=ON -DVITRINE_BUILD_TESTS=OFF -DVITRINE_BUILD_BENCH=OFF -DVITRINE_NO_TOOLS=ON \
  "-DVITRINE_ONLY=log;manifest;plugins;worker" >/dev/null
cmake --build "$build" --target ipc_decoder_fuzz
corpus="$build/ipc-corpus"
mkdir -p "$corpus"
cd "$build"
echo "fuzz-ipc: running for ${seconds}s"
"$build/host/worker/ipc_decoder_fuzz" -max_total_time="$seconds" -max_len=65536 \
  -print_final_stats=1 "$corpus" "$root/fuzz/regressions"
