#!/usr/bin/env bash
# The test command: installs build dependencies (Debian 12), builds with
# ASan+UBSan, and runs every test with CTest. Usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then scripts/setup.sh; else sudo scripts/setup.sh; fi
# Paths relative to the checkout, so another clone of the tree (CI) hits the
# same compiler cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$(nproc)"
ctest --preset asan -j"$(nproc)" "$@"
