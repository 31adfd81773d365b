#!/usr/bin/env bash
# License-gated page vs the same page without its gated macro (issue 13,
# item 5; docs/performance.md "License audit on the hot path"), on loopback.
#   bench/load/audit_badge.sh [BUILD_DIR]     default build/release; needs wrk, curl
# The page is demo/pages/checkout.md (five macros, one of them the licensed
# alert-badge); the reference is the same page with the alert-badge block
# removed. wrk -t2 -c64, 3 alternating rounds of 10 s, medians. Then the
# license.check rows the run wrote and the database growth.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools wrk curl

demo_setup badge
pages=$demo/data/pages/demo
# The reference: checkout.md without the ```alert-badge ... ``` block.
awk '/^```alert-badge$/ {skip=1} !skip {print} skip && /^```$/ {skip=0}' \
  "$pages/checkout.md" >"$pages/nobadge.md"
grep -q alert-badge "$pages/nobadge.md" && { echo "bench: nobadge still has the badge" >&2; exit 1; }
serve_start
base=http://127.0.0.1:$port/spaces/demo/pages
for p in checkout nobadge; do
  curl -sf -H "$auth" -o "$work/$p.html" "$base/$p"
  grep -q vitrine-error "$work/$p.html" && { echo "bench: $p has error boxes" >&2; exit 1; }
done
grep -q 'alert-badge\|vitrine-badge\|badge' "$work/checkout.html" || { echo "bench: no badge rendered" >&2; exit 1; }
db_before=$(stat -c %s "$demo/data/vitrine.db")
rps() {  # rps PAGE: requests per second of one 10 s wrk round
  wrk -t2 -c64 -d10s -H "$auth" "$base/$1" | awk '/Requests\/sec/ {print $2}'
}
badge=() ref=()
for _ in 1 2 3; do
  badge+=("$(rps checkout)")
  ref+=("$(rps nobadge)")
done
b=$(printf '%s\n' "${badge[@]}" | median)
r=$(printf '%s\n' "${ref[@]}" | median)
# A clean stop flushes the open window.
kill -TERM "$(cat "$work/serve.pid")"
wait "$(cat "$work/serve.pid")" 2>/dev/null || true
rm -f "$work/serve.pid"
rows=$(vitrine_cli audit --format json | grep -o '"action":"license.check"' | wc -l)
views=$(vitrine_cli audit --format json | grep -o '"count":[0-9]*' | awk -F: '{s+=$2} END {print s+0}')
db_after=$(stat -c %s "$demo/data/vitrine.db")
wal=$(stat -c %s "$demo/data/vitrine.db-wal" 2>/dev/null || echo 0)
verify=$(vitrine_cli audit verify 2>/dev/null)
echo "| case | req/s (rounds) |"
echo "|---|---|"
echo "| badge page (checkout.md) | $b (${badge[*]}) |"
echo "| same page without the badge | $r (${ref[*]}) |"
echo
awk -v b="$b" -v r="$r" 'BEGIN {printf "ratio: %.2fx (target >= 0.8x)\n", b / r}'
echo "license.check rows written: $rows, counting $views decisions"
echo "database: $db_before -> $db_after bytes (+ WAL $wal)"
echo "$verify"
