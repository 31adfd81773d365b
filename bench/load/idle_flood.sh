#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2154  # build is read by, and work/port/auth set by, lib.sh
# One client address holding 1024 idle connections (and reopening those the
# server closes) must not lock other clients out. Prints a Markdown table
# for docs/performance.md.
#   bench/load/idle_flood.sh [BUILD_DIR]   (default build/release; needs curl, python3)
# On a fresh demo installation (default limits: 64 connections per client
# address), from 127.0.0.2 (all of 127/8 is loopback on Linux):
# (1) reference: 2000 GETs of /healthz, a new connection each, and 2000 GETs
#     of a cached page on one keep-alive connection;
# (2) the same probes while 127.0.0.1 holds 1024 connections, reopening every
#     closed one every 200 ms (the server keeps 64 and refuses the rest);
# (3) for comparison, (2) with the per-client limit off
#     (server.max_connections_per_client: 0), as before the limit existed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools curl python3
helper=$root/bench/load/idle_flood.py
count=10000

# run_case NAME [CONFIG_LINES]: sets alone, flooded, attempts, refused.
run_case() {
  demo_setup "$1" "${2:-}"
  serve_start
  curl -sf -H "$auth" -o /dev/null "http://127.0.0.1:$port$page"  # rendered once: cached
  mapfile -t alone < <(probes)
  python3 "$helper" flood "$port" 1024 127.0.0.1 200 >"$work/flood.out" &
  echo $! >"$work/flood.pid"
  sleep 2
  mapfile -t flooded < <(probes)
  kill "$(cat "$work/flood.pid")"
  wait "$(cat "$work/flood.pid")" 2>/dev/null || true
  rm -f "$work/flood.pid"
  attempts=$(cat "$work/flood.out")
  refused=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^vitrine_http_refused_total/ {
      sub(/.*reason="/, "", $1); sub(/".*/, "", $1); printf "%s%s: %d", sep, $1, $2; sep = ", " }')
}
page=/spaces/demo/pages/checkout
probes() {
  python3 "$helper" probe "$port" /healthz "$count" 127.0.0.2 "" --fresh
  python3 "$helper" probe "$port" "$page" "$count" 127.0.0.2 "$auth"
}
row() {  # row NAME "p50 p99 max bad" "p50 p99 max bad"
  read -r a50 a99 _ abad <<<"$2"
  read -r f50 f99 fmax fbad <<<"$3"
  echo "| $1 | $a50 / $a99 ($abad non-200) | $f50 / $f99 / max $fmax ($fbad non-200) |"
}

run_case idle-flood
echo "| probe from 127.0.0.2 ($count requests) | alone: p50 / p99 ms | with 1024 idle sockets from 127.0.0.1: p50 / p99 ms |"
echo "|---|---|---|"
row "/healthz, new connection each" "${alone[0]}" "${flooded[0]}"
row "cached page, keep-alive" "${alone[1]}" "${flooded[1]}"
echo
echo "Flood: $attempts connection attempts from 127.0.0.1; refusals: ${refused:-none}."
run_case idle-flood-nolimit $'server:\n  max_connections_per_client: 0\n'
echo
echo "Limit off (server.max_connections_per_client: 0):"
echo
row "/healthz, new connection each" "${alone[0]}" "${flooded[0]}"
row "cached page, keep-alive" "${alone[1]}" "${flooded[1]}"
echo
echo "Flood: $attempts connection attempts from 127.0.0.1; refusals: ${refused:-none}."
