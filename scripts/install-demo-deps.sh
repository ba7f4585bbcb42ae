#!/usr/bin/env bash
# What scripts/demo.sh needs on a fresh Debian 12 / Ubuntu machine, as root, and nothing more:
# the build dependencies, a PostgreSQL server (the demo's throwaway cluster), Python with the
# pinned botocore (the test front re-verifies every SigV4 signature with it) and boto3 (it creates
# the front's bucket), and Node.js with s3rver from its npm lockfile (the demo's S3 server).
# install-test-deps.sh starts with this script and adds the servers and clients only the test
# suite uses (moto, Ceph RGW, pgbouncer, podman, Go, the aws CLI, ...).
set -euo pipefail
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
bash "$here/install-build-deps.sh"

packages=(postgresql postgresql-client python3 python3-pip)
# Node.js may come from elsewhere (an image's own build); only a missing npm pulls Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)
install_missing "${packages[@]}"
install_python_pins "${botocore_pins[@]}"

# s3rver, pinned by tests/tools/s3rver/package-lock.json.
(cd "$root/tests/tools/s3rver" && npm ci --no-audit --no-fund --loglevel=error)
