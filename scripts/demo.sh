#!/usr/bin/env bash
# The README's first command: runs erp-backup against a throwaway local S3 server
# (s3rver behind the signature-verifying test front, on a free loopback port) and
# shows what it does. Installs what is missing (only what the demo needs: install-demo-deps.sh)
# and builds first. Leaves nothing behind.
#
# A throwaway PostgreSQL and S3 server, a sample ERP database and documents tree, then
# backup, list, the manifest, verify, restore db and restore docs, compared with the sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-demo-deps.sh" >/dev/null
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target erp-backup >/dev/null
exec python3 "$root/scripts/demo.py"
