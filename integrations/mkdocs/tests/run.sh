#!/usr/bin/env bash
# The MkDocs build test: builds the fixture site (tests/site, mkdocs-material
# theme) with the vitrine plugin twice, through `vitrine render` (mode cli)
# and through a running host's render API (mode api, viewer token from the
# environment), against a demo installation with the Grafana simulator on
# loopback; then loads both results in headless Chromium (check_site.mjs)
# and checks that the macros, their images and the error box are there.
#   integrations/mkdocs/tests/run.sh BUILD_DIR
# Exits 77 (skipped) when Debian's mkdocs or mkdocs-material, node, npm or
# /usr/bin/chromium is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(realpath "$1")
python=/usr/bin/python3  # Debian's mkdocs runs under Debian's python
chromium=${VITRINE_E2E_CHROMIUM:-/usr/bin/chromium}

[ -x /usr/bin/mkdocs ] || { echo "mkdocs: SKIP: /usr/bin/mkdocs is not installed (apt-get install mkdocs)"; exit 77; }
"$python" -c 'import mkdocs, material' 2>/dev/null ||
  { echo "mkdocs: SKIP: mkdocs-material is not installed (apt-get install mkdocs-material)"; exit 77; }
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "mkdocs: SKIP: $tool is not installed"; exit 77; }
done
[ -x "$chromium" ] || { echo "mkdocs: SKIP: $chromium is not installed (apt-get install chromium)"; exit 77; }
for bin in host/cli/vitrine tools/grafana_sim/vitrine-grafana-sim; do
  [ -x "$build/$bin" ] || { echo "mkdocs: $build/$bin is missing; build the target e2e_prerequisites first" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitrine-mkdocs.XXXXXX")
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
    echo "== mkdocs: last lines of the host's log" >&2
    tail -n 20 "$tmp/serve.log" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# playwright-core, pinned by the e2e harness's lock file, cached in the build dir.
npm_dir=$build/mkdocs-e2e/npm
mkdir -p "$npm_dir"
if ! cmp -s "$root/tests/e2e/package-lock.json" "$npm_dir/package-lock.json" ||
   [ ! -f "$npm_dir/node_modules/playwright-core/package.json" ]; then
  echo "== mkdocs: npm ci (playwright-core, no browser download) in $npm_dir"
  cp "$root/tests/e2e/package.json" "$root/tests/e2e/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 120 \
     npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
fi

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

port=$(free_port)
echo "== mkdocs: demo installation in $demo"
timeout 60 "$root/demo/setup-demo.sh" "$build" "$demo" "$port" >/dev/null

# The plugin is used from the source tree, with nothing downloaded or installed.
export PYTHONPATH=$root/integrations/mkdocs
site=$here/site
mk() { timeout 300 "$python" -m mkdocs build --strict -f "$site/mkdocs.yml" "$@"; }

echo "== mkdocs: mode cli (vitrine render, no server)"
# --strict turns the failing macro's warning into a failure; the warning and
# its page:line are what this step checks, the build is repeated without it.
set +e
VITRINE_MODE=cli VITRINE_CLI=$build/host/cli/vitrine VITRINE_CONFIG=$demo/vitrine.yml \
  mk -d "$tmp/site-strict" >"$tmp/strict.log" 2>&1
strict_rc=$?
set -e
[ "$strict_rc" -ne 0 ] || { echo "mkdocs: --strict passed although a macro fails" >&2; exit 1; }
grep -q "docs/runbook.md:22: dashboard: .*no-such-dashboard-mkdocs" "$tmp/strict.log" ||
  { echo "mkdocs: the failing macro's warning does not name docs/runbook.md:22:" >&2; cat "$tmp/strict.log" >&2; exit 1; }
VITRINE_MODE=cli VITRINE_CLI=$build/host/cli/vitrine VITRINE_CONFIG=$demo/vitrine.yml \
  timeout 300 "$python" -m mkdocs build -q -f "$site/mkdocs.yml" -d "$tmp/site-cli"

echo "== mkdocs: mode api (a running host, viewer token from the environment)"
"$build/host/cli/vitrine" serve --config "$demo/vitrine.yml" >"$tmp/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 150); do
  curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q '"ready":true' && break
  sleep 0.1
done
url=http://127.0.0.1:$port
set +e
VITRINE_URL=$url VITRINE_TOKEN= timeout 120 "$python" -m mkdocs build -q -f "$site/mkdocs.yml" \
  -d "$tmp/site-none" >"$tmp/notoken.log" 2>&1
notoken_rc=$?
set -e
[ "$notoken_rc" -ne 0 ] && grep -q "no token: set the environment variable VITRINE_TOKEN" "$tmp/notoken.log" ||
  { echo "mkdocs: a build without a token did not fail naming VITRINE_TOKEN" >&2; cat "$tmp/notoken.log" >&2; exit 1; }
VITRINE_URL=$url VITRINE_TOKEN=$(cat "$demo/viewer.token") \
  timeout 300 "$python" -m mkdocs build -q -f "$site/mkdocs.yml" -d "$tmp/site-api"
if grep -rq "vtr_" "$tmp/site-api" "$tmp/site-cli"; then
  echo "mkdocs: an API token is in the built site" >&2
  exit 1
fi

echo "== mkdocs: both sites in headless Chromium"
export VITRINE_E2E_NODE_MODULES=$npm_dir/node_modules
export VITRINE_E2E_CHROMIUM=$chromium
mkdir -p "$tmp/node-tmp"
TMPDIR=$tmp/node-tmp timeout 120 node "$here/check_site.mjs" "$tmp/site-cli" "$tmp/site-api"
