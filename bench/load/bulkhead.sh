#!/usr/bin/env bash
# Bulkheads under a slow Grafana, on loopback. Prints a Markdown table for
# docs/performance.md.
#   bench/load/bulkhead.sh [BUILD_DIR]   (default build/release; needs wrk, curl)
# On a fresh demo installation (worker mode), with a warm page (the demo
# runbook, viewed once) and a one-macro page for cold views:
# (1) probes alone: wrk -t1 -c4 -d10s --latency on /healthz, then on the warm
#     page (reference);
# (2) the same probes while 40 clients each hold a cold page view against a
#     Grafana that answers 2 s late (simulator latency fault): every view asks
#     for another time range (nothing coalesces, nothing is cached) and gives
#     up after 12 s, in a loop;
# (3) the warm page alone, then while 16 clients hold cold views against a
#     Grafana 200 ms late: the median (target: <= 2x alone).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools wrk curl
seconds=10

# wrk_latency URL: "p50 p99" in ms from wrk --latency.
wrk_latency() {
  wrk -t1 -c4 -d"${seconds}s" --latency -H "$auth" "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                     if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.2f %.2f\n", p50, p99 }'
}

# cold_load N: N clients in a loop, each a cold view of a distinct time range.
cold_load() {
  local i
  for i in $(seq "$1"); do
    (
      n=0
      while :; do
        n=$((n + 1))
        curl -s -o /dev/null -m 12 -H "$auth" "$base/spaces/demo/pages/cold?from=now-${i}h${n}m" || true
      done
    ) &
    echo $! >"$work/cold-$i.pid"
  done
}
cold_stop() { local f; for f in "$work"/cold-*.pid; do kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done; }
fault() { curl -sf -X PUT -d "{\"mode\":\"latency\",\"latency_ms\":$1}" "$admin/faults" >/dev/null; }

demo_setup bulkhead
printf '%s\n' '# Cold' '' '```dashboard' 'dashboard: svc-checkout' '```' >"$demo/data/pages/demo/cold.md"
base=http://127.0.0.1:$port
serve_start
warm=$base/spaces/demo/pages/checkout
curl -sf -H "$auth" -o /dev/null "$warm"

read -r h50 h99 < <(wrk_latency "$base/healthz")
read -r w50 w99 < <(wrk_latency "$warm")
fault 2000
cold_load 40
sleep 3
read -r hl50 hl99 < <(wrk_latency "$base/healthz")
read -r wl50 wl99 < <(wrk_latency "$warm")
cold_stop
curl -sf -X DELETE "$admin/faults" >/dev/null
sleep 13  # the abandoned views' renders end

read -r a50 _ < <(wrk_latency "$warm")
fault 200
cold_load 16
sleep 2
read -r c50 _ < <(wrk_latency "$warm")
cold_stop
rejected=$(curl -sf "$base/metrics" | awk '/^vitrine_render_dropped_total/ {s += $2} END {print s + 0}')

echo "| probe | alone p50 / p99 (ms) | under cold load p50 / p99 (ms) |"
echo "|---|---|---|"
echo "| /healthz, 40 cold views on a +2 s Grafana | $h50 / $h99 | $hl50 / $hl99 |"
echo "| warm page, 40 cold views on a +2 s Grafana | $w50 / $w99 | $wl50 / $wl99 |"
echo "| warm page, 16 cold views on a +200 ms Grafana (median) | $a50 | $c50 |"
echo
echo "renders dropped (deadline passed in the queue, abandoned, busy): $rejected"
