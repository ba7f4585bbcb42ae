#!/usr/bin/env bash
# What the erp-backup binary needs at run time on Debian 12 / Ubuntu. The
# Containerfile's runtime stage runs exactly this script, and so does CI (through
# install-test-deps.sh), so a missing package shows up here, not in production.
set -euo pipefail
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

packages=(
  ca-certificates
  libcurl4 libssl3 libpq5 libarchive13 libzstd1 libpugixml1v5 libspdlog1.10
  postgresql-client   # pg_dump / pg_restore (major version >= the server's)
)

install_missing "${packages[@]}"
