#!/usr/bin/env bash
# shellcheck disable=SC2154  # work, port, demo come from lib.sh
# Change-to-all-hosts latency, with and without change announcements, on
# loopback: PostgreSQL 15 (initdb in the work directory) and three `vitrine
# serve` hosts on one database (a demo installation moved with `vitrine
# store migrate`, its data directory copied per host), no load balancer.
# For each store.notify mode (true: NOTIFY wakes the reconcilers; false:
# the 200 ms poll alone) the hosts are started fresh and 50 desired-state
# changes (alert_list enabled / disabled in space demo, sent to host 0) are
# each timed from acknowledgment until all three hosts' /readyz report them
# applied (tests/cluster/change_latency.py, 2 ms polls). Prints Markdown rows
# for docs/performance.md.
#   bench/load/change_latency.sh [BUILD_DIR] [COUNT]   default build/release, 50;
#   needs curl, psql, python3 and the PostgreSQL 15 server binaries
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
count=${2:-50}
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools curl psql python3

demo_setup change
pg_start $((port + 3))
vitrine_cli store migrate --to "$db" >/dev/null 2>&1
padmin="Authorization: Bearer $(cat "$demo/admin.token")"
hosts=""
for i in 0 1 2; do
  h=$work/host$i
  mkdir -p "$h"
  cp -a "$demo/data" "$h/data"
  rm -f "$h/data"/vitrine.db*
  cp -a "$demo/keyring" "$demo/tls" "$h/"
  hosts+="${hosts:+,}http://127.0.0.1:$((port + i))"
done

# hosts_start NOTIFY: the three hosts with store.notify NOTIFY, waited for.
hosts_start() {
  local i h
  for i in 0 1 2; do
    h=$work/host$i
    sed -e "s/^listen: .*/listen: 127.0.0.1:$((port + i))/" "$demo/vitrine.yml" >"$h/vitrine.yml"
    printf 'store:\n  backend: postgres\n  url: %s\n  notify: %s\n' "$db" "$1" >>"$h/vitrine.yml"
    "$build/host/cli/vitrine" serve --config "$h/vitrine.yml" >>"$work/host$i.log" 2>&1 &
    echo $! >"$work/host$i.pid"
  done
  for i in 0 1 2; do
    for _ in $(seq 400); do curl -sf "http://127.0.0.1:$((port + i))/readyz" >/dev/null && break; sleep 0.05; done
    curl -sf "http://127.0.0.1:$((port + i))/readyz" >/dev/null ||
      { echo "bench: host $i did not become ready" >&2; tail "$work/host$i.log" >&2; exit 1; }
  done
}
hosts_stop() {
  local i
  for i in 0 1 2; do
    [ -f "$work/host$i.pid" ] && { kill "$(cat "$work/host$i.pid")" 2>/dev/null || true; wait "$(cat "$work/host$i.pid")" 2>/dev/null || true; rm -f "$work/host$i.pid"; }
  done
}

rows=""
for notify in true false; do
  hosts_start "$notify"
  # setup-demo.sh enabled alert_list; the measured changes start with an
  # enable, so disable it first.
  curl -s -o /dev/null -X DELETE -H "$padmin" "http://127.0.0.1:$port/api/v1/spaces/demo/plugins/alert_list"
  sleep 1
  out=$(python3 "$root/tests/cluster/change_latency.py" --hosts "$hosts" \
    --change-base "http://127.0.0.1:$port" --header "$padmin" --db "$db" --count "$count")
  echo "bench: store.notify $notify: $out" >&2
  median_ms=$(sed -n 's/.*median_ms=\([0-9]*\).*/\1/p' <<<"$out")
  p99_ms=$(sed -n 's/.*p99_ms=\([0-9]*\).*/\1/p' <<<"$out")
  rows+="| change-to-all-hosts latency, 3 hosts on PostgreSQL, $count changes, store.notify: $notify | median $median_ms ms, p99 $p99_ms ms | p99 <= 1 s |"$'\n'
  hosts_stop
done
printf '%s' "$rows"
