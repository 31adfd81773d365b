#!/usr/bin/env bash
# Builds every libFuzzer target with clang (libFuzzer + ASan + UBSan) in one
# build directory and runs each for SECONDS (default 30):
#   - ipc_decoder_fuzz: the worker IPC decoder (corpus: fuzz/regressions)
#   - http_request_parser_fuzz: the HTTP request parser (corpus:
#     fuzz/regressions-http)
#   - page_parser_fuzz: the Markdown page parser and its limits (corpus:
#     fuzz/regressions-page)
#   - sdk_json_fuzz: the plugin SDK's JSON reader (corpus:
#     fuzz/sdk_json_fuzz_seeds)
#   scripts/fuzz.sh [seconds] [build-dir]
# Exit status is non-zero when any target found a crash, leak or abort (the
# reproducer is written to the build directory); every target runs anyway.
set -euo pipefail
seconds="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${2:-$root/build/fuzz}"
cc="${CC_FUZZ:-clang}"
cxx="${CXX_FUZZ:-clang++}"
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found; run scripts/setup.sh" >&2; exit 2; }
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DVITRINE_FUZZ=ON -DVITRINE_BUILD_TESTS=OFF -DVITRINE_BUILD_BENCH=OFF -DVITRINE_NO_TOOLS=ON \
  "-DVITRINE_ONLY=blocking;digest;log;manifest;render;plugins;worker;server/net" >/dev/null
cmake --build "$build" --target ipc_decoder_fuzz http_request_parser_fuzz page_parser_fuzz sdk_json_fuzz

status=0
# run NAME BINARY MAX_LEN REGRESSIONS_DIR
run() {
  local name="$1" binary="$2" max_len="$3" regressions="$4"
  local corpus="$build/$name-corpus"
  local inputs=("$corpus")
  mkdir -p "$corpus"
  [ -d "$regressions" ] && inputs+=("$regressions")
  echo "fuzz: $name for ${seconds}s"
  (cd "$build" && "$binary" -max_total_time="$seconds" -max_len="$max_len" \
    -print_final_stats=1 "${inputs[@]}") || { echo "fuzz: $name FAILED" >&2; status=1; }
}
run ipc "$build/host/worker/ipc_decoder_fuzz" 65536 "$root/fuzz/regressions"
run http "$build/host/server/net/http_request_parser_fuzz" 4096 "$root/fuzz/regressions-http"
run page "$build/host/render/page_parser_fuzz" 32768 "$root/fuzz/regressions-page"
run sdk-json "$build/plugin_api/sdk/sdk_json_fuzz" 65536 "$root/fuzz/sdk_json_fuzz_seeds"
exit "$status"
