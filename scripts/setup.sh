#!/usr/bin/env bash
# Installs Vitrine's build and test dependencies on Debian 12. Idempotent:
# apt-get skips what is already installed.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libpoco-dev libyaml-cpp-dev libssl-dev openssl
  libboost-dev libboost-filesystem-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpsl-dev libcli11-dev zlib1g-dev libgumbo-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
  libseccomp-dev clang libclang-rt-14-dev
  libcjose-dev libjansson-dev
  python3 python3-jsonschema python3-yaml curl
  libpq-dev postgresql-15 nginx-light wrk
  libgit2-dev
  chromium
  mkdocs mkdocs-material python3-setuptools
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all build dependencies present"
fi
