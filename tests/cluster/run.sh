#!/usr/bin/env bash
# Three hosts behind one load balancer, on loopback: PostgreSQL (initdb in a
# temporary directory, run as an unprivileged user), the Grafana simulator,
# three `vitrine serve` hosts on one PostgreSQL store and nginx in front.
# Checks, through nginx:
#   CL-1 200 concurrent cold views of one page (page4.md: five macros, two
#        of which fetch the same upstream resource) spread over the hosts
#        make one upstream request per distinct resource (render leases and
#        upstream single-flight);
#   CL-2 a plugin disabled through nginx is seen on every host within 1 s;
#   CL-3 `kill -9` of one host loses no acknowledged write and nginx keeps
#        serving from the others;
#   CL-4 every acknowledged write has its audit row and the audit chain of
#        all hosts verifies (ids strictly increasing, one predecessor each);
#   CL-5.. checks in tests/cluster/check_*.sh (sessions, rate limits, change
#        latency), run while all three hosts serve;
#   CL-8 PostgreSQL stopped and started again under load: page views keep
#        answering, admin writes answer 503 [store-unavailable] and recover
#        without restarting the hosts, no acknowledged write is lost; each
#        host's /readyz says its listen connection is down ("wake":
#        "poll: ...") and then "notify" again.
# Prints the measured numbers as Markdown rows for docs/performance.md.
#   tests/cluster/run.sh [BUILD_DIR]     default build/asan
# Exit 0 pass, 1 a check failed, 77 PostgreSQL server or nginx not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/asan}")
vitrine=$build/host/cli/vitrine

# shellcheck source=tests/support/postgres.sh
. "$root/tests/support/postgres.sh"
pg_find || { echo "cluster: PostgreSQL server binaries not found (apt-get install postgresql-15)"; exit 77; }
command -v nginx >/dev/null || { echo "cluster: nginx not found (apt-get install nginx-light)"; exit 77; }

work=$(mktemp -d /tmp/vitrine-cluster.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -f "$work/demo/sim.pid" ] && kill "$(cat "$work/demo/sim.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "cluster: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "cluster: FAIL $*" >&2; for f in "$work"/host*.log; do echo "== $f" >&2; tail -5 "$f" >&2; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# PostgreSQL (tests/support/postgres.sh; as an unprivileged user when run
# as root, since it refuses root).
pg_init "$work/pg" || fail "initdb"
pg_port=$(free_port)
pg_run "$work/pg" "$pg_port" -c max_connections=200
pids+=("$pg_pid")
pg_create_db "$pg_port" || fail "create database"

# One demo installation (simulator, keyring, plugins, space, tokens, pages),
# its store moved into PostgreSQL, its data directory copied per host.
ports=("$(free_port)" "$(free_port)" "$(free_port)")
"$root/demo/setup-demo.sh" "$build" "$work/demo" "${ports[0]}" >/dev/null
cp "$root/tests/cluster/page4.md" "$work/demo/data/pages/demo/page4.md"
read -r _ sim_admin <"$work/demo/sim.ready"
admin=http://127.0.0.1:$sim_admin
"$vitrine" --data-dir "$work/demo/data" --key-file "$work/demo/keyring" store migrate --to "$db" \
  >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; fail "store migrate"; }
viewer="Authorization: Bearer $(cat "$work/demo/viewer.token")"
padmin="Authorization: Bearer $(cat "$work/demo/admin.token")"
for i in 0 1 2; do
  h=$work/host$i
  mkdir -p "$h"
  cp -a "$work/demo/data" "$h/data"
  rm -f "$h/data"/vitrine.db*
  cp -a "$work/demo/keyring" "$work/demo/tls" "$h/"
  sed -e "s/^listen: .*/listen: 127.0.0.1:${ports[$i]}/" "$work/demo/vitrine.yml" >"$h/vitrine.yml"
  # nginx is one client address with many connections: exempt it from the
  # per-client connection limit (it passes the reader's in X-Forwarded-For).
  printf 'store:\n  backend: postgres\n  url: %s\nserver:\n  trusted_proxies: ["127.0.0.1"]\n' "$db" >>"$h/vitrine.yml"
done
start_host() {
  "$vitrine" serve --config "$work/host$1/vitrine.yml" >>"$work/host$1.log" 2>&1 &
  host_pid[$1]=$!
  pids+=($!)
}
declare -a host_pid
for i in 0 1 2; do start_host "$i"; done
for i in 0 1 2; do
  ok=0
  for _ in $(seq 400); do curl -sf "http://127.0.0.1:${ports[$i]}/readyz" >/dev/null && { ok=1; break; }; sleep 0.05; done
  [ $ok = 1 ] || fail "host $i did not become ready"
done

# nginx on loopback: config, pid, logs and temp files in the work dir.
lb_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream vitrine {
    server 127.0.0.1:${ports[0]} max_fails=3 fail_timeout=2s;
    server 127.0.0.1:${ports[1]} max_fails=3 fail_timeout=2s;
    server 127.0.0.1:${ports[2]} max_fails=3 fail_timeout=2s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$lb_port;
    location / {
      proxy_pass http://vitrine;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/start.log" &
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$lb_port/readyz" && break; sleep 0.05; done
lb=http://127.0.0.1:$lb_port

# CL-1: 200 concurrent cold views of one page through nginx.
curl -sf -X POST "$admin/counters/reset" >/dev/null
start=$(now_ms)
vpids=()
for n in $(seq 200); do
  curl -s -o "$work/view-$n.html" -w '%{http_code}\n' -H "$viewer" "$lb/spaces/demo/pages/page4" >"$work/view-$n.code" &
  vpids+=($!)
done
wait "${vpids[@]}"
cold_ms=$(($(now_ms) - start))
not_ok=$(cat "$work"/view-*.code | grep -vc '^200$' || true)
errors=$(grep -l 'vitrine-error' "$work"/view-*.html | wc -l || true)
counts=$(curl -s "$admin/counters" | grep -o '"[^"]*": *[0-9]*' || true)
upstream_total=$(echo "$counts" | awk -F: '{s+=$2} END {print s+0}')
upstream_distinct=$(echo "$counts" | awk -F: '$2 > 0' | wc -l)
# The hosts write their log in batches (at most 200 ms apart): wait for
# the last batch so the per-host counts add up to the views.
sleep 0.5
per_host=""
for i in 0 1 2; do
  per_host+="$(grep -c '"path":"/spaces/demo/pages/page4"' "$work/host$i.log" || true) "
done
echo "cluster: CL-1 200 cold views in ${cold_ms} ms: $upstream_total upstream requests, $upstream_distinct distinct; views per host: $per_host; non-200: $not_ok, pages with error boxes: $errors" >&2
[ "$not_ok" = 0 ] || fail "CL-1: $not_ok of 200 views did not answer 200"
[ "$errors" = 0 ] || fail "CL-1: $errors views had error boxes"
[ "$upstream_distinct" -gt 0 ] || fail "CL-1: the simulator saw no request"
[ "$upstream_total" = "$upstream_distinct" ] || fail "CL-1: $upstream_total upstream requests for $upstream_distinct distinct resources: $counts"

# CL-2: disable a plugin through nginx; every host shows it within 1 s.
curl -sf -X DELETE -H "$padmin" "$lb/api/v1/spaces/demo/plugins/alert_list" >/dev/null || fail "CL-2: disabling through nginx"
changed=$(now_ms)
converge_max=0
for i in 0 1 2; do
  seen=""
  while [ $(($(now_ms) - changed)) -lt 5000 ]; do
    if curl -s -H "$viewer" "http://127.0.0.1:${ports[$i]}/spaces/demo/pages/page4" | grep -q 'plugin-not-enabled'; then
      seen=$(($(now_ms) - changed)); break
    fi
    sleep 0.02
  done
  [ -n "$seen" ] || fail "CL-2: host $i did not see the change within 5 s"
  [ "$seen" -gt "$converge_max" ] && converge_max=$seen
done
echo "cluster: CL-2 change seen on all three hosts after ${converge_max} ms" >&2
[ "$converge_max" -le 1000 ] || fail "CL-2: the slowest host saw the change after $converge_max ms (> 1 s)"

# CL-5 and later: checks in files of their own (tests/cluster/check_*.sh),
# sourced here while all three hosts run; they use this script's variables
# (lb, ports, viewer, padmin, work, fail, now_ms) and add their Markdown rows
# for docs/performance.md to extra_rows.
extra_rows=""
for check in "$root"/tests/cluster/check_*.sh; do
  [ -e "$check" ] || continue
  # shellcheck source=/dev/null
  . "$check"
done

# CL-3 and CL-4: writes through nginx; host 1 is killed (-9) half way.
acked=()
for n in $(seq 1 40); do
  if [ "$n" = 20 ]; then kill -9 "${host_pid[1]}"; killed_at=$n; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$padmin" -H 'Content-Type: application/json' \
    -d "{\"key\": \"w-$n\", \"name\": \"write $n\"}" "$lb/api/v1/spaces" || true)
  [ "$code" = 200 ] && acked+=("w-$n")
done
after_ok=0
for n in $(seq 20); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$viewer" "$lb/spaces/demo/pages/page4")" = 200 ] && after_ok=$((after_ok + 1))
done
echo "cluster: CL-3 host 1 killed before write $killed_at: ${#acked[@]} of 40 writes acknowledged; $after_ok of 20 views after the kill answered 200" >&2
[ "$after_ok" = 20 ] || fail "CL-3: nginx did not keep serving after the kill ($after_ok of 20)"
[ "${#acked[@]}" -ge 38 ] || fail "CL-3: only ${#acked[@]} of 40 writes acknowledged"
listed=$(curl -sf -H "$padmin" "$lb/api/v1/spaces")
lost=0
for k in "${acked[@]}"; do grep -q "\"$k\"" <<<"$listed" || { lost=$((lost + 1)); echo "cluster: lost $k" >&2; }; done
[ "$lost" = 0 ] || fail "CL-3: $lost acknowledged writes lost"

psql -Atq "$db" -c "SELECT subject FROM audit WHERE action = 'space.create' AND verdict = 'ok'" >"$work/audit-subjects"
missing=0
for k in "${acked[@]}"; do grep -qx "$k" "$work/audit-subjects" || { missing=$((missing + 1)); echo "cluster: no audit row for $k" >&2; }; done
order_breaks=$(psql -Atq "$db" -c "SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY id) AS prev FROM audit) t WHERE prev IS NOT NULL AND id <= prev")
audit_rows=$(psql -Atq "$db" -c "SELECT count(*) FROM audit")
"$vitrine" --data-dir "$work/host0/data" --key-file "$work/host0/keyring" --store-url "$db" audit verify >"$work/verify.log" 2>&1 ||
  { cat "$work/verify.log" >&2; fail "CL-4: audit verify"; }
echo "cluster: CL-4 $audit_rows audit rows from three hosts, chain verified; acknowledged writes without a row: $missing" >&2
[ "$missing" = 0 ] || fail "CL-4: $missing acknowledged writes have no audit row"
[ "$order_breaks" = 0 ] || fail "CL-4: audit ids not strictly increasing"

# CL-8: PostgreSQL stopped and started again while readers and an admin
# work through nginx (host 1 stays dead from CL-3). Readers keep getting
# pages from memory and the stale cache; admin writes answer 503
# [store-unavailable]; the hosts recover without a restart and every
# acknowledged write is in the database.
views_log=$work/cl8-views
writes_log=$work/cl8-writes
: >"$views_log"
: >"$writes_log"
cl8_stop=$work/cl8-stop
(
  while [ ! -e "$cl8_stop" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' -m 5 -H "$viewer" "$lb/spaces/demo/pages/page4" >>"$views_log" || echo 000 >>"$views_log"
    sleep 0.02
  done
) &
cl8_reader=$!
(
  n=0
  while [ ! -e "$cl8_stop" ]; do
    n=$((n + 1))
    code=$(curl -s -o "$work/cl8-body" -w '%{http_code}' -m 10 -X POST -H "$padmin" -H 'Content-Type: application/json' \
      -d "{\"key\": \"pg-$n\", \"name\": \"during restart $n\"}" "$lb/api/v1/spaces" || echo 000)
    rule=""
    [ "$code" = 503 ] && grep -q 'store-unavailable' "$work/cl8-body" && rule=store-unavailable
    echo "$(now_ms) $code pg-$n $rule" >>"$writes_log"
    sleep 0.05
  done
) &
cl8_writer=$!
sleep 1
pg_stop "$work/pg" || fail "CL-8: stopping PostgreSQL"
wait "$pg_pid" 2>/dev/null || true
stopped_at=$(now_ms)
sleep 3
# Each live host's /readyz says its listen connection is down (it polls).
down_wake=0
for i in 0 2; do
  curl -s -m 2 "http://127.0.0.1:${ports[$i]}/readyz" | grep -q '"wake":"poll: ' && down_wake=$((down_wake + 1))
done
pg_run "$work/pg" "$pg_port" -c max_connections=200
pids+=("$pg_pid")
started_at=$(now_ms)
recovered_at=""
while [ $(($(now_ms) - started_at)) -lt 30000 ]; do
  last=$(tail -1 "$writes_log" | awk '{print $1, $2}')
  set -- $last
  if [ "${2:-}" = 200 ] && [ "${1:-0}" -gt "$started_at" ]; then recovered_at=$1; break; fi
  sleep 0.1
done
relisten_ms=""
for _ in $(seq 200); do
  n=0
  for i in 0 2; do
    curl -s -m 2 "http://127.0.0.1:${ports[$i]}/readyz" | grep -q '"wake":"notify"' && n=$((n + 1))
  done
  [ "$n" = 2 ] && { relisten_ms=$(($(now_ms) - started_at)); break; }
  sleep 0.05
done
sleep 1
touch "$cl8_stop"
wait "$cl8_reader" "$cl8_writer" 2>/dev/null || true
[ -n "$recovered_at" ] || fail "CL-8: no admin write succeeded within 30 s of PostgreSQL starting again"
views_total=$(wc -l <"$views_log")
views_bad=$(grep -vcx 200 "$views_log" || true)
refused=$(awk -v a="$stopped_at" -v b="$started_at" '$1 >= a && $1 <= b && $2 != 200' "$writes_log" | wc -l)
refused_503=$(awk '$2 == 503 && $4 == "store-unavailable"' "$writes_log" | wc -l)
refused_other=$(awk '$2 != 200 && !($2 == 503 && $4 == "store-unavailable")' "$writes_log" | wc -l)
[ "$refused" -gt 0 ] || fail "CL-8: no write was refused while PostgreSQL was down (did it stop?)"
listed=$(curl -sf -H "$padmin" "$lb/api/v1/spaces")
cl8_lost=0
cl8_acked=0
while read -r _ code key _; do
  [ "$code" = 200 ] || continue
  cl8_acked=$((cl8_acked + 1))
  grep -q "\"$key\"" <<<"$listed" || { cl8_lost=$((cl8_lost + 1)); echo "cluster: lost $key" >&2; }
done <"$writes_log"
recovery_ms=$((recovered_at - started_at))
echo "cluster: CL-8 PostgreSQL down $((started_at - stopped_at)) ms: $views_total views, $views_bad not 200; writes: $cl8_acked acknowledged, $refused_503 answered 503 [store-unavailable], $refused_other other refusals, $cl8_lost lost; first write after restart ok after ${recovery_ms} ms; /readyz wake 'poll: ...' on $down_wake of 2 hosts while down, 'notify' on both ${relisten_ms:-never} ms after the start" >&2
[ "$down_wake" = 2 ] || fail "CL-8: only $down_wake of 2 live hosts said in /readyz that their listen connection was down"
[ -n "$relisten_ms" ] || fail "CL-8: the hosts' /readyz did not say 'notify' again within 10 s of PostgreSQL starting"
[ "$views_bad" = 0 ] || fail "CL-8: $views_bad of $views_total page views failed while PostgreSQL restarted"
[ "$refused_other" = 0 ] || fail "CL-8: $refused_other writes refused with something other than 503 [store-unavailable]: $(awk '$2 != 200 && $2 != 503' "$writes_log" | head -3)"
[ "$cl8_lost" = 0 ] || fail "CL-8: $cl8_lost acknowledged writes lost"

cat <<TABLE
| cluster case (3 hosts, nginx, PostgreSQL 15, ASan build) | measured | target |
|---|---|---|
| CL-1 200 concurrent cold views of page4 through nginx | $upstream_total upstream requests, $upstream_distinct distinct resources (${cold_ms} ms for all 200; views per host: ${per_host% }) | = distinct resources |
| CL-2 plugin disabled through nginx, seen on all 3 hosts | after ${converge_max} ms | <= 1 s |
| CL-3 kill -9 of host 1 during 40 writes through nginx | ${#acked[@]} acknowledged, 0 lost; 20 of 20 views after the kill 200 | none lost |
| CL-4 audit rows of all hosts | $audit_rows rows, chain verified, 0 acknowledged writes without a row | complete, ordered |
| CL-8 PostgreSQL stopped for 3 s and started again under load through nginx | $views_total page views, $views_bad failed; $cl8_acked writes acknowledged, 0 lost, $refused_503 answered 503 [store-unavailable]; writes ok again ${recovery_ms} ms after the start; /readyz said \`poll: ...\` on $down_wake of 2 live hosts while down and \`notify\` on both ${relisten_ms} ms after the start | views served, writes 503 then recover, none lost |
TABLE
printf '%s' "$extra_rows"
echo "cluster: PASS" >&2
