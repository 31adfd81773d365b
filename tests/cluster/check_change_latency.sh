# shellcheck shell=bash disable=SC2154  # reads root, ports, lb, padmin, db of run.sh
# CL-7: change-to-all-hosts latency. Sourced by tests/cluster/run.sh while
# three hosts run behind nginx (uses lb, ports, padmin, db, fail).
# 50 desired-state changes through nginx (alert_list enabled, disabled, ...
# in space demo; an even count leaves it disabled as CL-2 left it), each
# timed from its acknowledgment until all three hosts' /readyz report the
# committed change feed seq applied (tests/cluster/change_latency.py).
# Hosts run with store.notify on (the default): each change wakes the other
# hosts' reconcilers through NOTIFY. Fails when p99 is over 1 s.
cl7_out=$(python3 "$root/tests/cluster/change_latency.py" \
  --hosts "http://127.0.0.1:${ports[0]},http://127.0.0.1:${ports[1]},http://127.0.0.1:${ports[2]}" \
  --change-base "$lb" --header "$padmin" --db "$db" --count 50) || fail "CL-7: $cl7_out"
cl7_median=$(sed -n 's/.*median_ms=\([0-9]*\).*/\1/p' <<<"$cl7_out")
cl7_p99=$(sed -n 's/.*p99_ms=\([0-9]*\).*/\1/p' <<<"$cl7_out")
echo "cluster: CL-7 50 changes through nginx, seen on all three hosts: median ${cl7_median} ms, p99 ${cl7_p99} ms" >&2
if [ -z "$cl7_p99" ] || [ "$cl7_p99" -gt 1000 ]; then fail "CL-7: p99 change-to-all-hosts latency ${cl7_p99} ms (> 1 s)"; fi
extra_rows+="| CL-7 50 desired-state changes through nginx, seen on all 3 hosts (store.notify on) | median ${cl7_median} ms, p99 ${cl7_p99} ms | p99 <= 1 s |"$'\n'
