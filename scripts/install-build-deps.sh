#!/usr/bin/env bash
# Compiler, CMake and the -dev packages erp-backup builds against (Debian 12 / Ubuntu).
# Used by the Containerfile's build stage and by install-demo-deps.sh (which install-test-deps.sh runs).
set -euo pipefail
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install-runtime-deps.sh"

packages=(
  g++ cmake make pkg-config clang-format
  libcurl4-openssl-dev libssl-dev libpq-dev libarchive-dev libzstd-dev
  libspdlog-dev libpugixml-dev nlohmann-json3-dev doctest-dev
)

install_missing "${packages[@]}"
