#!/usr/bin/env bash
# The main job: builds Vitrine (release) and shows the bundled plugins being
# checked, loaded and rendered.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then scripts/setup.sh; else sudo scripts/setup.sh; fi
# Paths relative to the checkout, so another clone of the tree (CI) hits the
# same compiler cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
bin=build/release/host/cli/vitrine
plugins=build/release/plugins

echo; echo "== $bin --version"
"$bin" --version
echo; echo "== vitrine manifest check manifests/*.yml"
"$bin" manifest check manifests/*.yml
echo; echo "== vitrine plugins list --plugins-dir $plugins"
"$bin" plugins list --plugins-dir "$plugins"
echo; echo "== vitrine plugins render --plugins-dir $plugins hello --param name=Vitrine"
"$bin" plugins render --plugins-dir "$plugins" hello --param name=Vitrine
