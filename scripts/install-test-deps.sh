#!/usr/bin/env bash
# Everything the test suite and the demo need on a fresh Debian 12 / Ubuntu machine, as root:
# the build dependencies, real servers (PostgreSQL, moto_server, s3rver from the npm lockfile),
# the independent clients the tests compare against (aws CLI, botocore), and tools.
set -euo pipefail
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
bash "$here/install-build-deps.sh"

packages=(
  postgresql postgresql-client pgbouncer zstd tar strace time procps curl
  openssl ca-certificates   # throwaway CAs: the HTTPS suites' and the TLS PostgreSQL tests'
  python3 python3-botocore python3-boto3 python3-pip
  rclone s3cmd   # the benchmarks compare against them (with the aws CLI below)
  prometheus-pushgateway prometheus   # test_metrics: a real Pushgateway; promtool check metrics
  faketime   # test_concurrent_runs: two backups whose clocks start in the same second
  # test_container: rootful podman builds and runs the image; runc because crun rejects this
  # sandbox's hybrid cgroups; mmdebstrap makes the Debian 12 base (keyring for Ubuntu hosts).
  # Storage: podman's default driver (native overlayfs, rootful) - no configuration written.
  podman runc mmdebstrap debian-archive-keyring
)
# Node.js may come from elsewhere (an image's own build); only a missing npm pulls Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)
# test_chart: the Helm chart is rendered by a Go program on Debian's text/template + sprig
# (built offline from these packages), every YAML and shell file is linted, and the chart's
# alert rules are checked with promtool (Debian's prometheus, listed above).
packages+=(golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev yamllint shellcheck git)
install_missing "${packages[@]}"

# The python3 first on PATH runs the test front; it needs botocore and boto3.
if ! python3 -c 'import botocore, boto3' 2>/dev/null; then
  echo "python3 on PATH ($(command -v python3)) lacks botocore/boto3; installing them with pip"
  python3 -m pip install --quiet boto3 || pip3 install --break-system-packages --quiet boto3
fi
# moto's server (a real, independent S3 implementation) is not packaged by Debian.
if ! command -v moto_server >/dev/null || ! python3 -c 'import moto' 2>/dev/null; then
  echo "installing moto[server] with pip"
  python3 -m pip install --quiet 'moto[server]' ||
    python3 -m pip install --break-system-packages --quiet 'moto[server]'
fi
# The aws CLI is the independent client the tests compare against.
if ! command -v aws >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli ||
    python3 -m pip install --quiet awscli
fi

# s3rver, pinned by tests/support/s3rver/package-lock.json.
(cd "$root/tests/support/s3rver" && npm ci --no-audit --no-fund --loglevel=error)
# The offline Kubernetes and Compose schema validator, pinned by its lockfile.
(cd "$root/tests/support/k8s-validate" && npm ci --no-audit --no-fund --loglevel=error)
