#!/usr/bin/env bash
# Plugin swap under load, on loopback only. Prints a Markdown table for
# docs/performance.md.
#   bench/load/plugin_swap.sh [BUILD_DIR] [MODES]
#   default build/release and "worker in-process worker+nocache in-process+nocache";
#   needs wrk, curl, python3 and the lifecycle test plugin (targets
#   versioned_v1_0_0 versioned_v1_1_0, tests on)
# A mode is a plugins.mode, with +nocache for render.max_cache_ttl_s: 0: no
# fragment or page is reused, so every view renders all three macros in the
# plugins (and fetches from the simulator) across the swaps; without it most
# views are served from the caches. For each mode, on a fresh demo installation with the test plugin
# `versioned` 1.0.0 and 1.1.0 installed, approved and enabled, and a page
# with a `versioned` macro beside two bundled ones:
# (1) load: wrk -t2 -c32 -d20s on the page while a loop runs `vitrine plugins
#     rollback versioned --to` 1.0.0 / 1.1.0 alternately once a second (the
#     CLI, through the store, as an admin would); count_errors.lua counts
#     non-2xx answers and pages with an error box (target: 0 and 0)
# (2) approval-to-live: 50 more swaps, each timed from the CLI's start until
#     the page first shows the new version's text, polled every 5 ms
#     (swap_latency.py)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build/release}")
modes=${2:-worker in-process worker+nocache in-process+nocache}
# shellcheck source=bench/load/lib.sh
. "$root/bench/load/lib.sh"
need_tools wrk curl python3
versions=$build/tests/integration/lifecycle
for v in v1_0_0 v1_1_0; do
  [ -f "$versions/$v/versioned.so" ] || {
    echo "bench: $versions/$v/versioned.so missing (build the target versioned_$v)" >&2; exit 2; }
done
seconds=20 swaps=50

# A fresh installation in MODE serving the page; 1.1.0 runs.
swap_setup() {
  local pm=${1%+nocache}
  demo_setup "$1" "$([ "$pm" != "$1" ] && printf 'render:\n  max_cache_ttl_s: 0\n')"
  sed -i "s/^  mode: worker$/  mode: $pm/" "$demo/vitrine.yml"
  grep -q "^  mode: $pm$" "$demo/vitrine.yml" || { echo "bench: cannot set plugins.mode $pm" >&2; exit 1; }
  for v in v1_0_0 v1_1_0; do vitrine_cli plugins install "$versions/$v" --allow-unsigned >/dev/null; done
  vitrine_cli plugins approve versioned --version 1.0.0 >/dev/null
  vitrine_cli plugins approve versioned --version 1.1.0 >/dev/null
  vitrine_cli plugins enable --space demo versioned >/dev/null
  printf '%s\n' '# Swap' '' '```versioned' '```' '' '```alert-list' 'max_items: 10' '```' '' \
    '```dashboard' 'dashboard: svc-checkout' '```' >"$demo/data/pages/demo/swap.md"
  url=http://127.0.0.1:$port/spaces/demo/pages/swap
  serve_start
  curl -sf -H "$auth" -o "$work/swap.html" "$url"
  grep -q vitrine-error "$work/swap.html" && { echo "bench: the page has error boxes before any swap" >&2; exit 1; }
  grep -q 'versioned 1.1.0' "$work/swap.html" || { echo "bench: 1.1.0 does not run" >&2; exit 1; }
}

# swap_loop SECONDS: a rollback once a second (on the second, not after the
# previous CLI), alternating versions; one line per CLI run in $work/swaps.log.
swap_loop() {
  local start now next k=1 to
  start=${EPOCHREALTIME/./}
  while :; do
    next=$((start + k * 1000000)); now=${EPOCHREALTIME/./}
    [ $((next - start)) -gt $(($1 * 1000000)) ] && break
    [ "$next" -gt "$now" ] && sleep "$(printf '0.%06d' $((next - now)))"
    to=$([ $((k % 2)) = 1 ] && echo 1.0.0 || echo 1.1.0)
    if vitrine_cli plugins rollback versioned --to "$to" >/dev/null 2>>"$work/swaps.err"; then
      echo "ok $to" >>"$work/swaps.log"
    else
      echo "failed $to" >>"$work/swaps.log"
    fi
    k=$((k + 1))
  done
}

# How often the `versioned` plugin itself rendered so far (its render histogram).
plugin_renders() {
  curl -sf "http://127.0.0.1:$port/metrics" |
    awk '/^vitrine_plugin_render_seconds_count\{plugin="versioned"\}/ {n=$2} END {print n+0}'
}

rows=()
for mode in $modes; do
  echo "bench: $mode: setting up in $work" >&2
  swap_setup "$mode"
  : >"$work/swaps.log"
  renders_before=$(plugin_renders)
  swap_loop "$seconds" &
  echo $! >"$work/swap.pid"
  wrk -t2 -c32 -d${seconds}s --latency -s "$root/bench/load/count_errors.lua" -H "$auth" "$url" \
    >"$work/wrk-$mode.txt"
  wait "$(cat "$work/swap.pid")"; rm -f "$work/swap.pid"
  renders=$(($(plugin_renders) - renders_before))
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$mode.txt")
  p99=$(awk '/ 99%/ {print $2}' "$work/wrk-$mode.txt")
  read -r non2xx boxes v100 v110 neither < <(sed -n 's/^swap-counts non2xx=\([0-9]*\) error_boxes=\([0-9]*\) v1.0.0=\([0-9]*\) v1.1.0=\([0-9]*\) neither=\([0-9]*\)$/\1 \2 \3 \4 \5/p' "$work/wrk-$mode.txt")
  sockerr=$(grep -o 'Socket errors:.*' "$work/wrk-$mode.txt" || echo "Socket errors: none")
  ok=$(grep -c '^ok' "$work/swaps.log" || true); failed=$(grep -c '^failed' "$work/swaps.log" || true)
  echo "bench: $mode: $rps req/s, $ok swaps ($failed failed), non-2xx $non2xx, error boxes $boxes, pages 1.0.0 $v100 / 1.1.0 $v110 / neither $neither, $renders renders by versioned itself; $sockerr" >&2
  grep '^first-bad:' "$work/wrk-$mode.txt" >&2 || true
  [ "$failed" = 0 ] || { echo "bench: rollback failures:" >&2; sort -u "$work/swaps.err" >&2; }
  if [ "$boxes" != 0 ] || [ "$non2xx" != 0 ]; then  # the host's side of each bad page
    grep -E '"level":"(warn|error)"' "$work/serve.log" | sort | uniq -c | sort -rn | head -5 >&2 || true
  fi
  # (2) approval-to-live, the load stopped.
  read -r -a lat < <(python3 "$root/bench/load/swap_latency.py" "$swaps" "$url" "$auth" \
    "$build/host/cli/vitrine" --data-dir "$demo/data" --key-file "$demo/keyring")
  declare -A l=()
  for kv in "${lat[@]}"; do l[${kv%%=*}]=${kv#*=}; done
  echo "bench: $mode: approval-to-live ${lat[*]}" >&2
  rows+=("| $mode | $rps req/s, p99 $p99 | $ok ($failed failed) | $non2xx | $boxes | $v100 / $v110 / $neither | $renders | ${l[live_median]} ms / ${l[live_p99]} ms (min ${l[live_min]}) | ${l[cli_median]} ms / ${l[cli_p99]} ms | ${l[bad_polls]} |")
  unset l
done

cat <<TABLE
| mode | wrk -t2 -c32 -d${seconds}s on the page | swaps during load (CLI failures) | non-2xx | pages with an error box | pages showing 1.0.0 / 1.1.0 / neither | renders by versioned itself | approval-to-live, median / p99 of $swaps | CLI run time, median / p99 | bad polls during the $swaps |
|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")
TABLE
echo "target: 0 non-2xx and 0 error boxes; approval-to-live within 1 s (reconciler period 200 ms)" >&2
