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
#     up after 12 s (wrk with cold_views.lua keeps 40 outstanding);
# (3) the warm page alone, then while 16 clients hold cold views against a
#     Grafana 200 ms late: the median (target: <= 2x alone);
# (4) SIGTERM while 40 cold views wait on the +2 s Grafana: time to exit.
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

# cold_load N: N concurrent cold views (wrk keeps N requests outstanding,
# each a time range never asked before: cold_views.lua); a client gives up
# after 12 s.
cold_load() {
  wrk -t2 -c"$1" -d600s --timeout 12s -s "$root/bench/load/cold_views.lua" -H "$auth" \
    "$base/spaces/demo/pages/cold" >/dev/null 2>&1 &
  echo $! >"$work/cold.pid"
}
cold_stop() { kill "$(cat "$work/cold.pid")" 2>/dev/null || true; rm -f "$work/cold.pid"; }
renders() { curl -sf "$base/metrics" | awk -v s="$1" '$0 ~ "^vitrine_macro_renders_total\\{state=\"" s "\"" {print $2 + 0}'; }
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
deadline=$(curl -sf "$base/metrics" | awk '/^vitrine_render_deadline_total/ {s += $2} END {print s + 0}')
fresh=$(renders fresh) errors=$(renders error)

# (4) SIGTERM with 40 cold views outstanding on a +2 s Grafana: the time
# until the process has exited (server.shutdown_grace_s is 10 s).
fault 2000
cold_load 40
sleep 3
pid=$(cat "$work/serve.pid")
t0=${EPOCHREALTIME/./}
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
stop_ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
rm -f "$work/serve.pid"
cold_stop

echo "| probe | alone p50 / p99 (ms) | under cold load p50 / p99 (ms) |"
echo "|---|---|---|"
echo "| /healthz, 40 cold views on a +2 s Grafana | $h50 / $h99 | $hl50 / $hl99 |"
echo "| warm page, 40 cold views on a +2 s Grafana | $w50 / $w99 | $wl50 / $wl99 |"
echo "| warm page, 16 cold views on a +200 ms Grafana (median) | $a50 | $c50 |"
echo "| SIGTERM to exit, 40 cold views on a +2 s Grafana | | $stop_ms ms |"
echo
echo "cold macros rendered fresh: $fresh; error boxes: $errors (of which past the"
echo "page deadline: $deadline); renders dropped (deadline passed in the queue, abandoned, busy): $rejected"
