#!/usr/bin/env bash
# Browser tests of OpenID Connect sign-in against a real provider
# (oidc-provider, tests/oidc/provider.mjs) on loopback: a fresh data
# directory with spaces alpha and beta, `vitrine serve` with auth.oidc, and
# tests/oidc/*.test.mjs driving Debian's chromium through playwright-core.
#   tests/oidc/run.sh BUILD_DIR [node --test args...]
# Exits 77 (skipped) when node, npm or /usr/bin/chromium is missing.
# node_modules is cached in BUILD_DIR/oidc/npm and reinstalled (npm ci)
# only when the lock file changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [node --test args...]" >&2; exit 2; }
build=$(realpath "$1")
shift
chromium=${VITRINE_E2E_CHROMIUM:-/usr/bin/chromium}
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "oidc: SKIP: $tool is not installed"; exit 77; }
done
[ -x "$chromium" ] || { echo "oidc: SKIP: $chromium is not installed (apt-get install chromium)"; exit 77; }
vitrine=$build/host/cli/vitrine
[ -x "$vitrine" ] || { echo "oidc: $vitrine is missing; build the target vitrine first" >&2; exit 1; }

npm_dir=$build/oidc/npm
mkdir -p "$npm_dir" "$build/oidc/artifacts"
if ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" ||
   [ ! -f "$npm_dir/node_modules/oidc-provider/package.json" ]; then
  echo "== oidc: npm ci (oidc-provider, playwright-core without a browser) in $npm_dir"
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 120 \
     npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
fi
export VITRINE_OIDC_NODE_MODULES=$npm_dir/node_modules

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitrine-oidc.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    for log in serve provider; do
      [ -f "$tmp/$log.log" ] || continue
      echo "== oidc: last lines of $log.log" >&2
      tail -n 20 "$tmp/$log.log" >&2 || true
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
port=$(free_port)
idp_port=$(free_port)
base=http://127.0.0.1:$port

# The installation: a keyring, two spaces, the client secret (0600).
mkdir -p "$tmp/plugins"
v() { "$vitrine" --data-dir "$tmp/data" --key-file "$tmp/keyring" "$@"; }
v keys init >/dev/null
v spaces create alpha --name "Alpha" >/dev/null
v spaces create beta --name "Beta" >/dev/null
(umask 077 && openssl rand -hex 32 >"$tmp/client-secret")
cat >"$tmp/vitrine.yml" <<YAML
listen: 127.0.0.1:$port
data_dir: data
plugins_dir: plugins
key_file: keyring
plugins:
  mode: in-process
server:
  public_url: $base
auth:
  oidc:
    issuer: http://127.0.0.1:$idp_port
    client_id: vitrine-e2e
    client_secret_file: client-secret
    allow_http_loopback: true
    scopes: [openid, profile, email, groups]
    label: Sign in with the test provider
    roles:
      grafana-admins: [platform-admin]
      team-alpha: ["space-admin:alpha"]
YAML

node "$here/provider.mjs" "$idp_port" "$base" "$tmp/client-secret" >"$tmp/provider.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^ready' "$tmp/provider.log" && break; sleep 0.1; done
grep -q '^ready' "$tmp/provider.log" || { echo "oidc: the provider did not start" >&2; exit 1; }

"$vitrine" serve --config "$tmp/vitrine.yml" >"$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
  curl -fsS --max-time 2 "$base/readyz" 2>/dev/null | grep -q '"ready":true' && break
  sleep 0.1
done
curl -fsS --max-time 2 "$base/readyz" 2>/dev/null | grep -q '"ready":true' ||
  { echo "oidc: the host did not become ready" >&2; exit 1; }
echo "== oidc: host $base, provider http://127.0.0.1:$idp_port"

mkdir -p "$tmp/node-tmp"
export VITRINE_OIDC_BASE=$base
export VITRINE_OIDC_ISSUER=http://127.0.0.1:$idp_port
export VITRINE_OIDC_DATA=$tmp/data
export VITRINE_OIDC_CLI=$vitrine
export VITRINE_OIDC_KEYRING=$tmp/keyring
export VITRINE_OIDC_ARTIFACTS=$build/oidc/artifacts
export VITRINE_E2E_CHROMIUM=$chromium
export VITRINE_OIDC_NODE_MODULES
export TMPDIR=$tmp/node-tmp
cd "$here"
timeout --kill-after=10 300 node --test --test-concurrency=1 --test-timeout=60000 "$@" ./*.test.mjs
