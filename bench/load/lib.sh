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

# pg_start PORT: PostgreSQL 15 in $work/pg on loopback PORT (run as an
# unprivileged user when the script runs as root: PostgreSQL refuses root),
# with an empty database "vitrine"; sets db to its URL. Exit 2 when the
# server binaries are missing.
pg_start() {
  local pg_bindir=${VITRINE_PG_BINDIR:-} d u as_pg=()
  for d in "$pg_bindir" /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
    [ -n "$d" ] && [ -x "$d/postgres" ] && { pg_bindir=$d; break; }
  done
  [ -x "$pg_bindir/postgres" ] || { echo "bench: PostgreSQL server binaries missing (apt-get install postgresql-15)" >&2; exit 2; }
  chmod 755 "$work"; mkdir -p "$work/pg"
  if [ "$(id -u)" = 0 ]; then
    for u in postgres nobody; do id "$u" >/dev/null 2>&1 && { as_pg=(setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups); chown "$u" "$work/pg"; break; }; done
  fi
  "${as_pg[@]}" "$pg_bindir/initdb" -D "$work/pg/data" -U vitrine --auth=trust -E UTF8 --no-locale -N >/dev/null
  "${as_pg[@]}" "$pg_bindir/postgres" -D "$work/pg/data" -p "$1" -h 127.0.0.1 -k "$work/pg" >"$work/pg.log" 2>&1 &
  echo $! >"$work/pg.pid"
  for _ in $(seq 100); do psql -q "postgres://vitrine@127.0.0.1:$1/postgres" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
  psql -q "postgres://vitrine@127.0.0.1:$1/postgres" -c 'CREATE DATABASE vitrine' >/dev/null
  db=postgres://vitrine@127.0.0.1:$1/vitrine
}
