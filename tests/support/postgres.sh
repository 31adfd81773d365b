# shellcheck shell=bash disable=SC2034  # sets pg_bindir, as_pg, pg_pid and db for the caller
# A throwaway PostgreSQL 15 on loopback for the shell tests and load
# benchmarks (tests/cluster/run.sh, bench/load/lib.sh); sourced, not run.
# The C++ tests have their own (tests/store/pg_server.h).
#   pg_find               sets pg_bindir (initdb, postgres, pg_ctl); 1 if missing
#   pg_init DIR           initdb of DIR/data; run as an unprivileged user
#                         when the caller is root (PostgreSQL refuses root),
#                         whose command prefix is then in the array as_pg
#   pg_run DIR PORT [ARG...]  postgres on 127.0.0.1:PORT in the background,
#                         socket in DIR, log DIR/server.log; sets pg_pid
#   pg_create_db PORT     waits until the server answers, creates database
#                         "vitrine"; sets db to its URL
#   pg_stop DIR           fast shutdown, waits for it

pg_find() {
  local d
  for d in "${VITRINE_PG_BINDIR:-}" /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { pg_bindir=$d; return 0; }
  done
  return 1
}

pg_init() {
  local u
  as_pg=()
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then
    for u in postgres nobody; do
      id "$u" >/dev/null 2>&1 && { as_pg=(setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups); chown "$u" "$1"; break; }
    done
  fi
  "${as_pg[@]}" "$pg_bindir/initdb" -D "$1/data" -U vitrine --auth=trust -E UTF8 --no-locale -N >"$1/initdb.log" 2>&1 ||
    { cat "$1/initdb.log" >&2; return 1; }
}

pg_run() {
  local dir=$1 port=$2
  shift 2
  "${as_pg[@]}" "$pg_bindir/postgres" -D "$dir/data" -p "$port" -h 127.0.0.1 -k "$dir" "$@" >>"$dir/server.log" 2>&1 &
  pg_pid=$!
}

pg_create_db() {
  local _
  for _ in $(seq 100); do psql -q "postgres://vitrine@127.0.0.1:$1/postgres" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
  psql -q "postgres://vitrine@127.0.0.1:$1/postgres" -c 'CREATE DATABASE vitrine' >/dev/null || return 1
  db=postgres://vitrine@127.0.0.1:$1/vitrine
}

pg_stop() {
  "${as_pg[@]}" "$pg_bindir/pg_ctl" -D "$1/data" -m fast -w stop >"$1/stop.log" 2>&1
}
