#!/usr/bin/env bash
# What the erp-backup binary needs at run time on Debian 12 / Ubuntu. The
# Containerfile's runtime stage runs exactly this script, and so does CI (through
# install-test-deps.sh), so a missing package shows up here, not in production.
# PG_CLIENT_PACKAGE (default postgresql-client) names the package that brings pg_dump; empty
# installs none (the image installs the client of its PG_MAJOR with container/install-pg-client.sh).
set -euo pipefail
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

packages=(
  ca-certificates
  libcurl4 libssl3 libpq5 libarchive13 libzstd1 libpugixml1v5 libspdlog1.10
)
pg_client="${PG_CLIENT_PACKAGE-postgresql-client}"  # pg_dump / pg_restore (major >= the server's)
if [[ -n "$pg_client" ]]; then packages+=("$pg_client"); fi

install_missing "${packages[@]}"
