#!/usr/bin/env bash
# End-to-end browser tests of the web UI (issue 6): sets up a fresh demo
# installation (simulator, space, tokens, pages) in a temporary directory,
# serves it on a free loopback port, and runs tests/e2e/*.test.mjs with
# node's test runner, driving Debian's chromium through playwright-core.
#   tests/e2e/run.sh BUILD_DIR [node --test args...]
# Exits 77 (skipped) when node, npm or /usr/bin/chromium is missing.
# Screenshots go to BUILD_DIR/e2e/artifacts; node_modules is cached in
# BUILD_DIR/e2e/npm and reinstalled (npm ci) only when the lock file changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [node --test args...]" >&2; exit 2; }
build=$(realpath "$1")
shift
chromium=${VITRINE_E2E_CHROMIUM:-/usr/bin/chromium}

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "e2e: SKIP: $tool is not installed"; exit 77; }
done
[ -x "$chromium" ] || { echo "e2e: SKIP: $chromium is not installed (apt-get install chromium)"; exit 77; }
for bin in host/cli/vitrine tools/grafana_sim/vitrine-grafana-sim; do
  [ -x "$build/$bin" ] || { echo "e2e: $build/$bin is missing; build the target e2e_prerequisites first" >&2; exit 1; }
done
# The lifecycle test plugin in several versions (tests/integration/lifecycle),
# which plugin_upgrade_approval.test.mjs installs into the running demo.
lifecycle=${VITRINE_E2E_LIFECYCLE:-$build/tests/integration/lifecycle}
for v in v1_0_0 v1_2_0; do
  [ -f "$lifecycle/$v/versioned.so" ] || { echo "e2e: $lifecycle/$v/versioned.so is missing; build the target e2e_prerequisites first" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitrine-e2e.XXXXXX")
demo=$tmp/demo
server_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "$server_pid" "$(cat "$demo/sim.pid" 2>/dev/null || true)"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$tmp/serve.log" ]; then
    echo "== e2e: last lines of the host's log" >&2
    tail -n 30 "$tmp/serve.log" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# node_modules, cached in the build dir and reinstalled only when the lock
# file changed.
npm_dir=$build/e2e/npm
mkdir -p "$npm_dir" "$build/e2e/artifacts"
if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" ||
   [ ! -f "$npm_dir/node_modules/playwright-core/package.json" ]; then
  echo "== e2e: npm ci (playwright-core, no browser download) in $npm_dir"
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 120 \
     npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
fi

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

echo "== e2e: demo installation in $demo"
port=$(free_port)
timeout 60 "$root/demo/setup-demo.sh" "$build" "$demo" "$port"
cp "$here"/pages/*.md "$demo/data/pages/demo/"

# Start the host; if another process took the port meanwhile, try another.
base=
for attempt in 1 2 3; do
  sed -i "s/^listen: .*/listen: 127.0.0.1:$port/" "$demo/vitrine.yml"
  "$build/host/cli/vitrine" serve --config "$demo/vitrine.yml" >"$tmp/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 150); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q '"ready":true'; then
      base=http://127.0.0.1:$port
      break 2
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  echo "e2e: the host did not become ready on port $port (attempt $attempt)" >&2
  tail -n 5 "$tmp/serve.log" >&2 || true
  port=$(free_port)
done
[ -n "$base" ] || { echo "e2e: the host never became ready" >&2; exit 1; }
echo "== e2e: host ready at $base"

mkdir -p "$tmp/node-tmp"
export VITRINE_E2E_BASE=$base
export VITRINE_E2E_DEMO=$demo
export VITRINE_E2E_SIM=$build/tools/grafana_sim/vitrine-grafana-sim
export VITRINE_E2E_CLI=$build/host/cli/vitrine
export VITRINE_E2E_LIFECYCLE=$lifecycle
export VITRINE_E2E_ARTIFACTS=$build/e2e/artifacts
export VITRINE_E2E_NODE_MODULES=$npm_dir/node_modules
export VITRINE_E2E_CHROMIUM=$chromium
# Chromium's profile and crash dumps stay in the temp dir, removed on exit.
export TMPDIR=$tmp/node-tmp
cd "$here"
status=0
timeout --kill-after=10 300 node --test --test-concurrency=1 --test-timeout=60000 "$@" ./*.test.mjs || status=$?
echo "== e2e: screenshots in $VITRINE_E2E_ARTIFACTS"
exit "$status"
