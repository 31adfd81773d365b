#!/usr/bin/env bash
# Cold first views across many spaces, through `vitrine serve` (HTTP), on
# loopback. Prints a Markdown table for docs/performance.md.
#   bench/load/spaces_scale.sh [BUILD_DIR]   (default build/release; needs wrk, curl)
# Two fresh demo installations (worker mode, default limits), each with 5000
# pages of the `hello` macro, every page a different render: 10 spaces x 500
# pages (the reference) and 1000 spaces x 5 pages. Each page is viewed once,
# page by page over all spaces, by wrk -t2 -c8 (8: render.threads) with
# spaces_views.lua; every first view of a space starts its worker.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools wrk curl

# scale_setup SPACES PAGES: a fresh installation with the spaces and pages.
scale_setup() {
  demo_setup "s$1"
  vitrine_cli plugins approve hello --plugins-dir "$build/plugins" >/dev/null
  local token i j
  token=$("$build/tools/grafana_sim/vitrine-grafana-sim" --print-token demo)
  echo "bench: creating $1 spaces with $2 pages each" >&2
  for i in $(seq 0 $(($1 - 1))); do
    vitrine_cli spaces create "space-$i" --name "Space $i" >/dev/null
    vitrine_cli spaces connect "space-$i" --origin https://demo.grafana.net >/dev/null
    printf '%s' "$token" | vitrine_cli spaces token set "space-$i" --stdin >/dev/null
    vitrine_cli plugins enable --space "space-$i" hello >/dev/null
    mkdir -p "$demo/data/pages/space-$i"
    for j in $(seq 0 $(($2 - 1))); do
      printf '# p%s\n\n```hello\nname: s%s-p%s\n```\n' "$j" "$i" "$j" >"$demo/data/pages/space-$i/p$j.md"
    done
    [ $((i % 100)) -eq 99 ] && echo "bench: $((i + 1)) of $1 spaces" >&2
  done
  serve_start
  auth="Authorization: Bearer $(cat "$demo/admin.token")"
  curl -sf -H "$auth" "http://127.0.0.1:$port/spaces/space-0/pages/p0" | grep -q "s0-p0" || {
    echo "bench: the first page does not render" >&2; exit 1; }
}

# views SPACES PAGES: "req/s errors workers" for the cold views (p0 of space-0 was viewed above).
views() {
  local out
  out=$(wrk -t2 -c8 -d"${4:-60}s" --timeout 20s -s "$root/bench/load/spaces_views.lua" -H "$auth" \
    "http://127.0.0.1:$port/" -- "$1" "$2" 2)
  local rps errs starts
  rps=$(awk '/^views:/ {print $6}' <<<"$out")
  errs=$(awk '/^bad answers:/ {print $3}' <<<"$out")
  starts=$(curl -sf "http://127.0.0.1:$port/metrics" |
    awk '/^vitrine_worker_starts_total/ {s += $2} END {print s + 0}')
  curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^vitrine_worker_(starts|retired)_total|^vitrine_worker_cap|^vitrine_worker_idle_memory|^vitrine_workers' >&2 || true
  echo "$rps ${errs:-0} $starts"
}

echo "| case | cold first views/s | answers not 200 or with an error box | worker starts |"
echo "|---|---|---|---|"
IFS=';' read -ra shapes <<<"${SHAPES:-10 500;1000 5}"  # SHAPES="3 2;5 1" for a quick try
for shape in "${shapes[@]}"; do
  read -r s p <<<"$shape"
  scale_setup "$s" "$p"
  read -r rps errs starts < <(views "$s" "$p" 2 "${SECONDS_PER_RUN:-60}")
  echo "| $s spaces x $p pages | $rps | $errs | $starts |"
done
