#!/usr/bin/env bash
# Warm page through one host: the same 8-macro page (page8.md) from a host
# on SQLite and from a host on PostgreSQL (a copy of the same installation
# moved with `vitrine store migrate`), both on loopback beside each other,
# wrk -t2 -c64, 3 alternating rounds of 10 s; prints a Markdown row with
# both medians and their ratio (target: PostgreSQL >= 0.9x SQLite).
#   bench/load/pg_warm.sh [BUILD_DIR]     default build/release; needs wrk,
#   curl and the PostgreSQL 15 server binaries
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools wrk curl psql

# The SQLite installation, then a copy of it on PostgreSQL (port + 1).
demo_setup warm
cp "$root/bench/load/page8.md" "$demo/data/pages/demo/page8.md"
pg_start $((port + 2))

vitrine_cli store migrate --to "$db" >/dev/null 2>&1
pgdemo=$work/demo-warm-pg
cp -a "$demo" "$pgdemo"
rm -f "$pgdemo/data"/vitrine.db*
sed -i "s/^listen: .*/listen: 127.0.0.1:$((port + 1))/" "$pgdemo/vitrine.yml"
printf 'store:\n  backend: postgres\n  url: %s\n' "$db" >>"$pgdemo/vitrine.yml"
serve_start
"$build/host/cli/vitrine" serve --config "$pgdemo/vitrine.yml" >"$work/serve-pg.log" 2>&1 &
echo $! >"$work/serve-pg.pid"
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$((port + 1))/readyz" >/dev/null && break; sleep 0.05; done
url_s=http://127.0.0.1:$port/spaces/demo/pages/page8
url_p=http://127.0.0.1:$((port + 1))/spaces/demo/pages/page8
for u in "$url_s" "$url_p"; do
  curl -sf -H "$auth" -o "$work/page.html" "$u"
  grep -q vitrine-error "$work/page.html" && { echo "bench: $u has error boxes" >&2; exit 1; }
done
rounds_s=(); rounds_p=()
for round in 1 2 3; do
  wrk -t2 -c64 -d10s -H "$auth" "$url_s" >"$work/wrk-s.txt"
  rounds_s+=("$(awk '/Requests\/sec/ {print $2}' "$work/wrk-s.txt")")
  wrk -t2 -c64 -d10s -H "$auth" "$url_p" >"$work/wrk-p.txt"
  rounds_p+=("$(awk '/Requests\/sec/ {print $2}' "$work/wrk-p.txt")")
  echo "bench: round $round: sqlite ${rounds_s[-1]} req/s, postgres ${rounds_p[-1]} req/s" >&2
done
rps_s=$(printf '%s\n' "${rounds_s[@]}" | median)
rps_p=$(printf '%s\n' "${rounds_p[@]}" | median)
echo "| warm 8-macro page, one host, wrk -t2 -c64, median of 3 x 10 s | SQLite $rps_s req/s | PostgreSQL $rps_p req/s ($(awk -v a="$rps_p" -v b="$rps_s" 'BEGIN {printf "%.2fx", a/b}')) | >= 0.9x SQLite |"
