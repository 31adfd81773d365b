# shellcheck shell=bash disable=SC2034,SC2154  # sets globals for, and reads root/build of, the caller
# Shared by the load benchmarks in this directory; sourced, not run. Needs
# `root` (the checkout) and `build` (a built tree) set by the script.
# Gives: need_tools, a work directory ($work, removed at exit), a loopback
# port ($port), demo_setup (a fresh demo installation: simulator, keyring,
# space, bundled plugins), serve_start (`vitrine serve` on it, waited for),
# stop_all (everything started here; also every $work/*.pid), median.

need_tools() {  # need_tools TOOL...: exit 2 naming the Debian packages to install
  local tool pkgs=""
  for tool; do pkgs+=" $([ "$tool" = nginx ] && echo nginx-light || echo "$tool")"; done
  for tool; do
    command -v "$tool" >/dev/null || { echo "bench: $tool missing (apt-get install${pkgs})" >&2; exit 2; }
  done
}

work=$(mktemp -d /tmp/vitrine-bench.XXXXXX)
port=$((20000 + RANDOM % 20000))
demo=""
# Every process a script starts writes its pid to $work/NAME.pid (nginx
# does so itself); the simulator's is $demo/sim.pid.
stop_all() {
  local f
  for f in "$work"/*.pid; do
    [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }
  done
  [ -n "$demo" ] && [ -f "$demo/sim.pid" ] && kill "$(cat "$demo/sim.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'stop_all; rm -rf "$work"' EXIT

# demo_setup NAME [CONFIG_LINES]: stops what runs, then a fresh demo
# installation in $work/demo-NAME (empty cache) with the lines appended to
# its vitrine.yml. Sets demo, admin (the simulator's fault/counter API) and
# auth (a viewer's bearer header for page views).
demo_setup() {
  stop_all
  demo=$work/demo-$1
  "$root/demo/setup-demo.sh" "$build" "$demo" "$port" >/dev/null
  printf '%s' "${2:-}" >>"$demo/vitrine.yml"
  read -r _ sim_admin <"$demo/sim.ready"
  admin=http://127.0.0.1:$sim_admin
  auth="Authorization: Bearer $(cat "$demo/viewer.token")"
}

# The CLI on the current demo installation, as an admin runs it.
vitrine_cli() { "$build/host/cli/vitrine" --data-dir "$demo/data" --key-file "$demo/keyring" "$@"; }

# serve_start: `vitrine serve` on the current demo installation, log in
# $work/serve.log; returns once /readyz answers (exits after 15 s).
serve_start() {
  "$build/host/cli/vitrine" serve --config "$demo/vitrine.yml" >"$work/serve.log" 2>&1 &
  echo $! >"$work/serve.pid"
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.05; done
  echo "bench: server did not become ready" >&2; tail "$work/serve.log" >&2; exit 1
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# pg_start PORT: PostgreSQL 15 in $work/pg on loopback PORT
# (tests/support/postgres.sh) with an empty database "vitrine"; sets db to
# its URL. Exit 2 when the server binaries are missing.
# shellcheck source=tests/support/postgres.sh
. "$root/tests/support/postgres.sh"
pg_start() {
  pg_find || { echo "bench: PostgreSQL server binaries missing (apt-get install postgresql-15)" >&2; exit 2; }
  chmod 755 "$work"
  pg_init "$work/pg" || exit 2
  pg_run "$work/pg" "$1"
  echo "$pg_pid" >"$work/pg.pid"
  pg_create_db "$1" || { echo "bench: PostgreSQL did not start; see $work/pg/server.log" >&2; exit 2; }
}
