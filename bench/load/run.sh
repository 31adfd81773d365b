#!/usr/bin/env bash
# Page-serving benchmarks (a)-(e), each beside its reference in one run, on
# loopback only. Prints a Markdown table for docs/performance.md.
#   bench/load/run.sh [BUILD_DIR]     default build/release; needs wrk, nginx, curl
# (a) warm 8-macro page, wrk -c64, 3 alternating rounds of 10 s, vs nginx
#     serving the same bytes as a file (medians)
# (b) cold-cache 8-macro page, +100 ms on every upstream request, vs one upstream round trip
# (c) 200 concurrent cold requests for one page: upstream requests vs distinct resources
# (d) Grafana down, stale cache: p99 latency under wrk -c64
# (e) idle host RSS with the four plugins loaded (host process; workers apart)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools wrk nginx curl

# A fresh demo installation (empty cache) with optional extra config lines,
# serving page8.
fresh() {
  demo_setup "$1" "${2:-}"
  cp "$root/bench/load/page8.md" "$demo/data/pages/demo/page8.md"
  url=http://127.0.0.1:$port/spaces/demo/pages/page8
  serve_start
}
# The page with every macro's parameters varied by N (101-199), so each call
# misses the render cache while fetching the same upstream resources.
variant() {
  sed -e "/^\`\`\`dashboard$/a max_panels: $1" -e "/^\`\`\`annotation-timeline$/a max_events: $1" \
      -e "s/^max_items: 50$/max_items: $1/" -e "s/^max_items: 10$/max_items: $(($1 + 1))/" \
      -e "s/^height: 240$/height: $1/" "$root/bench/load/page8.md"
}
render_api() {  # POST a variant of the page's Markdown, print seconds
  local md; md=$(variant "$1")
  curl -s -o /dev/null -w '%{time_total}' -H "$auth" -H 'Content-Type: application/json' \
    --data-binary "$(printf '%s' "$md" | python3 -c 'import json,sys; print(json.dumps({"markdown": sys.stdin.read()}))')" \
    "http://127.0.0.1:$port/api/v1/spaces/demo/render"
}

echo "building the bench setup in $work" >&2
# (e) idle RSS right after start, then (a) warm throughput.
fresh a
sleep 1
pid=$(cat "$work/serve.pid")
host_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
workers=$(pgrep -P "$pid" -f vitrine-worker || true)
worker_rss_kb=0; nworkers=0
for w in $workers; do worker_rss_kb=$((worker_rss_kb + $(awk '/VmRSS/ {print $2}' /proc/$w/status))); nworkers=$((nworkers + 1)); done
curl -sf -H "$auth" -o "$work/page8.html" "$url"
grep -q vitrine-error "$work/page8.html" && { echo "bench: the page has error boxes" >&2; exit 1; }
mkdir -p "$work/www"; cp "$work/page8.html" "$work/www/page8.html"
cat >"$work/nginx.conf" <<NGINX
worker_processes auto; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$((port + 1)); root $work/www; } }
NGINX
nginx -c "$work/nginx.conf" -p "$work" &
sleep 0.5
# Three rounds, alternating the two servers, so that noise from other
# tenants of a shared machine hits both sides alike; the medians count.
rounds_v=(); rounds_n=()
for round in 1 2 3; do
  wrk -t2 -c64 -d10s -H "$auth" "$url" >"$work/wrk-a.txt"
  rounds_v+=("$(awk '/Requests\/sec/ {print $2}' "$work/wrk-a.txt")")
  wrk -t2 -c64 -d10s "http://127.0.0.1:$((port + 1))/page8.html" >"$work/wrk-nginx.txt"
  rounds_n+=("$(awk '/Requests\/sec/ {print $2}' "$work/wrk-nginx.txt")")
  echo "bench: (a) round $round: vitrine ${rounds_v[-1]} req/s, nginx ${rounds_n[-1]} req/s" >&2
done
kill "$(cat "$work/nginx.pid")"; rm -f "$work/nginx.pid"
rps_v=$(printf '%s\n' "${rounds_v[@]}" | median)
rps_n=$(printf '%s\n' "${rounds_n[@]}" | median)

# (b) cold cache, +100 ms upstream latency: one round trip (test-connection
# GET through the same egress stack) vs the whole 8-macro page.
curl -s -X POST "$admin/faults" -d '{"mode":"latency","latency_ms":100}' >/dev/null
rt=$(for i in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total}\n' -X POST \
  -H "Authorization: Bearer $(cat "$demo/admin.token")" -H 'Content-Type: application/json' -d '{}' \
  "http://127.0.0.1:$port/api/v1/spaces/demo/test-connection"; done | median)
cold=$(for i in 101 102 103 104 105; do render_api $i; echo; done | median)
curl -s -X DELETE "$admin/faults" >/dev/null

# (c) 200 concurrent requests for one never-rendered page (fresh install).
fresh c
pids=()
for i in $(seq 200); do curl -s -o /dev/null -H "$auth" "$url" & pids+=($!); done
wait "${pids[@]}"  # not a bare wait: the server and simulator are children too
counts=$(curl -s "$admin/counters" | grep -o '"[^"]*": *[0-9]*')
upstream_total=$(echo "$counts" | awk -F: '{s+=$2} END {print s+0}')
upstream_distinct=$(echo "$counts" | awk -F: '$2 > 0' | wc -l)

# (d) stale cache while Grafana is down: freshness capped at 1 s.
fresh d $'render:\n  max_cache_ttl_s: 1\n'
curl -sf -H "$auth" -o /dev/null "$url"; sleep 1.5
curl -s -X POST "$admin/faults" -d '{"mode":"error","status":500}' >/dev/null
curl -sf -H "$auth" -o "$work/stale.html" "$url"
stale_boxes=$(grep -o 'vitrine-macro--stale' "$work/stale.html" | wc -l)
wrk -t2 -c64 -d10s --latency -H "$auth" "$url" >"$work/wrk-d.txt"
p99=$(awk '/ 99%/ {print $2}' "$work/wrk-d.txt")

cat <<TABLE
| case | Vitrine | reference | target |
|---|---|---|---|
| (a) warm 8-macro page, wrk -t2 -c64, median of 3 x 10 s | $rps_v req/s | nginx, same bytes: $rps_n req/s ($(awk -v a="$rps_v" -v b="$rps_n" 'BEGIN {printf "%.2fx", a/b}')) | >= 0.5x nginx |
| (b) cold 8-macro page, +100 ms per upstream request | $(awk -v s="$cold" 'BEGIN {printf "%.0f ms", s*1000}') | one upstream round trip: $(awk -v s="$rt" 'BEGIN {printf "%.0f ms", s*1000}') ($(awk -v a="$cold" -v b="$rt" 'BEGIN {printf "%.2fx", a/b}')) | <= 2.5x |
| (c) 200 concurrent cold requests, one page | $upstream_total upstream requests | $upstream_distinct distinct upstream paths | = distinct resources |
| (d) Grafana down, stale cache, wrk -c64 10 s | p99 $p99 ($stale_boxes of 8 boxes stale) | | p99 <= 50 ms |
| (e) idle host, four plugins loaded | host RSS $((host_rss_kb / 1024)) MB | $nworkers probe workers: $((worker_rss_kb / 1024)) MB | host <= 40 MB |
TABLE
