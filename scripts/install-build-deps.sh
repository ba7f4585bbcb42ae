#!/usr/bin/env bash
# Compiler, CMake and the -dev packages erp-backup builds against (Debian 12 / Ubuntu).
# Used by the Containerfile's build stage and by install-test-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install-runtime-deps.sh"

packages=(
  g++ cmake make pkg-config clang-format
  libcurl4-openssl-dev libssl-dev libpq-dev libarchive-dev libzstd-dev
  libspdlog-dev libpugixml-dev nlohmann-json3-dev doctest-dev
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
