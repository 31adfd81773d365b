#!/usr/bin/env bash
# The main job: builds Vitrine, starts the Grafana simulator (a local fake
# Grafana Cloud stack over HTTPS), sets up a demo space with the four bundled
# plugins running in isolated workers, writes a static export of the demo
# page, and serves it. Ctrl-C stops everything.
#   scripts/demo.sh [PORT]        (default 8080)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8080}
if [ "$(id -u)" = 0 ]; then scripts/setup.sh; else sudo scripts/setup.sh; fi
# Paths relative to the checkout, so another clone of the tree (CI) hits the
# same compiler cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
build=${VITRINE_BUILD_DIR:-build/release}
if [ -z "${VITRINE_BUILD_DIR:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)" --target vitrine vitrine-worker vitrine-grafana-sim \
    hello dashboard alert_list annotation_timeline panel_image
fi
demo=build/demo
echo "== setting up the demo space in $demo"
demo/setup-demo.sh "$build" "$demo" "$port"
trap 'kill "$(cat "$demo/sim.pid")" 2>/dev/null || true' EXIT

vitrine=$build/host/cli/vitrine
echo "== static export (docs-as-code): vitrine render --space demo demo/pages/checkout.md"
"$vitrine" render --config "$demo/vitrine.yml" --space demo --out "$demo/export" \
  "$demo"/data/pages/demo/*.md 2> >(grep -v '^{' >&2)

cat <<TXT

== serving the demo
  page:      http://127.0.0.1:$port/spaces/demo/pages/checkout
  log in at: http://127.0.0.1:$port/login
    viewer token:         $(cat "$demo/viewer.token")
    platform-admin token: $(cat "$demo/admin.token")
  settings:  http://127.0.0.1:$port/spaces/demo/settings   (as platform admin)
  export:    $demo/export/checkout.html
  API:       curl -H "Authorization: Bearer \$(cat $demo/viewer.token)" \\
               -H 'Content-Type: application/json' -d '{"markdown":"\`\`\`alert-badge\n\`\`\`"}' \\
               http://127.0.0.1:$port/api/v1/spaces/demo/render
Ctrl-C stops the host and the simulator.

TXT
"$vitrine" serve --config "$demo/vitrine.yml"
