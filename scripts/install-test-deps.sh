#!/usr/bin/env bash
# Everything the test suite needs on a fresh Debian 12 / Ubuntu machine, as root: what the demo
# needs (install-demo-deps.sh: the build dependencies, PostgreSQL, botocore, s3rver from the npm
# lockfile), then the other real servers (moto_server, pgbouncer, Ceph's RADOS Gateway), the
# independent clients the tests compare against (aws CLI, pinned botocore), and tools.
set -euo pipefail
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
bash "$here/install-demo-deps.sh"

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
  # Ceph's RADOS Gateway, the third real S3 backend (tests/harness/rgw_server.py): one mon, one
  # bluestore OSD on a sparse file and radosgw, on loopback; ceph-base for monmaptool, which the
  # launcher runs itself. No mgr, no ceph-volume.
  radosgw ceph-mon ceph-osd ceph-common ceph-base
  util-linux mount   # scripts/mutation-check.py (ctest mutation_check): unshare and an overlay mount
)
# test_chart: the Helm chart is rendered by a Go program on Debian's text/template + sprig
# (built offline from these packages), every YAML and shell file is linted, and the chart's
# alert rules are checked with promtool (Debian's prometheus, listed above).
packages+=(golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev yamllint shellcheck git)
packages+=(golang-github-xeipuuv-gojsonschema-dev)   # helm_render checks values.schema.json, as Helm does
install_missing "${packages[@]}"

# The Python side, pinned: moto's server (a real, independent S3 implementation Debian does not
# package), botocore (the front's signature oracle) with boto3, and the aws CLI (the independent
# client the tests compare against). Their behaviour changes between releases (moto's XML and
# fixed <Initiated>, botocore's canonical requests), so the suite asserts the exact versions it
# was written against (install_python_pins, apt-lib.sh; boto3 and botocore are the demo's too).
install_python_pins "moto[server]==5.2.1" "${botocore_pins[@]}" "awscli==1.45.11"
python3 -c 'import moto.server, flask' 2>/dev/null ||
  { echo "moto $(installed_version moto) lacks its server extra (hint: python3 -m pip install 'moto[server]==5.2.1')" >&2; exit 1; }
# `aws` must be that same CLI (a Debian awscli or an AWS v2 installer elsewhere on PATH is not).
aws_version="$(aws --version 2>&1 || true)"
if [[ "$aws_version" != aws-cli/1.45.11\ * ]]; then
  echo "aws on PATH ($(command -v aws || echo missing)) says '${aws_version}'; the tests are pinned to" \
       "aws-cli/1.45.11 from python3's awscli (hint: put $(dirname "$(command -v python3)") first on PATH)" >&2
  exit 1
fi

# The offline Kubernetes and Compose schema validator, pinned by its lockfile.
(cd "$root/tests/tools/k8s-validate" && npm ci --no-audit --no-fund --loglevel=error)
