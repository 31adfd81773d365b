#!/usr/bin/env bash
# ABI-15: a plugin author's path, end to end. Installs the SDK with
# `cmake --install`, builds plugins/hello (C, escaping with the SDK's C
# library) and tests/sdk/cpp_plugin (C++, vitrine/sdk.hpp: JSON reader,
# escaping, time, the entry macro) as separate projects against the installed
# package with find_package(Vitrine), drops each beside its manifest, and has
# the real `vitrine` binary load and render them.
set -euo pipefail
build_dir=$1 source_dir=$2 vitrine=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/sdk" >/dev/null
test -f "$work/sdk/include/vitrine/plugin.h"
test -f "$work/sdk/lib/cmake/Vitrine/VitrineConfig.cmake"
for f in sdk.hpp sdk/sdk.h sdk/json.h sdk/escape.h sdk/buf.h sdk/time.h; do
  test -f "$work/sdk/include/vitrine/$f" || { echo "FAIL: vitrine/$f is not installed"; exit 1; }
done
ls "$work"/sdk/lib*/libvitrine_sdk.a >/dev/null || { echo "FAIL: libvitrine_sdk.a is not installed"; exit 1; }

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
html=$("$vitrine" plugins render --plugins-dir "$work/plugins" hello --param 'name=<b>&')
[ "$html" = '<p class="vitrine-hello">Hello, &lt;b&gt;&amp;!</p>' ] || { echo "FAIL: not escaped: $html"; exit 1; }

# The C++ plugin, built from the installed headers and Vitrine::sdk only.
cmake -S "$source_dir/tests/sdk/cpp_plugin" -B "$work/build-cpp" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/sdk" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build-cpp" >/dev/null
cp "$work/build-cpp/sdk_cpp_example.so" "$source_dir/tests/sdk/cpp_plugin/sdk_cpp_example.yml" \
  "$work/plugins/"
exported=$(nm -D --defined-only "$work/plugins/sdk_cpp_example.so" | awk '$2 ~ /[A-Z]/ {print $3}' | sort)
if [ "$exported" != "vitrine_entry" ]; then
  echo "FAIL: sdk_cpp_example.so exports more than vitrine_entry:" $exported; exit 1
fi
html=$("$vitrine" plugins render --plugins-dir "$work/plugins" fields \
  --param 'data={"team":"<ops>","n":1,"caf\u00e9":"\ud83d\ude00"}' --param at_ms=1795948920250)
echo "$html"
want='<dl class="sdk-cpp"><dt>team</dt><dd>&lt;ops&gt;</dd><dt>n</dt><dd>(not a string)</dd><dt>café</dt><dd>😀</dd></dl><time>2026-11-29T10:42:00.250Z</time>'
[ "$html" = "$want" ] || { echo "FAIL: unexpected HTML from the C++ plugin"; exit 1; }
# The author's unit test links Vitrine::plugin_test from the installed
# package and drives the same hello.so through the mock host.
test -f "$work/sdk/include/vitrine/testing/mock_host.hpp"
cmake -S "$source_dir/tests/sdk/mock_host_out_of_tree" -B "$work/unit" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/sdk" -DCMAKE_BUILD_TYPE=Release \
  -DPLUGIN_LIBRARY="$work/plugins/hello.so" >/dev/null
cmake --build "$work/unit" >/dev/null
"$work/unit/hello_test"
echo "out-of-tree C and C++ plugins built with the SDK, loaded and rendered"
