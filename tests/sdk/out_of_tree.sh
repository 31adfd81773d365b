#!/usr/bin/env bash
# ABI-15: a plugin author's path, end to end. Installs the SDK with
# `cmake --install`, builds plugins/hello as a separate project against the
# installed package with find_package(Vitrine), drops it beside its manifest,
# and has the real `vitrine` binary load and render it.
set -euo pipefail
build_dir=$1 source_dir=$2 vitrine=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/sdk" >/dev/null
test -f "$work/sdk/include/vitrine/plugin.h"
test -f "$work/sdk/lib/cmake/Vitrine/VitrineConfig.cmake"

cmake -S "$source_dir/plugins/hello" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/sdk" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null

mkdir "$work/plugins"
cp "$work/build/hello.so" "$source_dir/manifests/hello.yml" "$work/plugins/"

# Only vitrine_entry may be exported (ABI-2).
exported=$(nm -D --defined-only "$work/plugins/hello.so" | awk '$2 ~ /[A-Z]/ {print $3}' | sort)
if [ "$exported" != "vitrine_entry" ]; then
  echo "FAIL: hello.so exports more than vitrine_entry:" $exported; exit 1
fi

"$vitrine" plugins list --plugins-dir "$work/plugins"
html=$("$vitrine" plugins render --plugins-dir "$work/plugins" hello --param name=SDK)
echo "$html"
[ "$html" = '<p class="vitrine-hello">Hello, SDK!</p>' ] || { echo "FAIL: unexpected HTML"; exit 1; }
echo "out-of-tree plugin built, loaded and rendered"
