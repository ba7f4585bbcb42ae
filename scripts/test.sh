#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, builds, and runs
# every test — unit tests and the integration tests against real servers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-test-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)"
cd "$root/build"
ctest --output-on-failure --timeout 1500 -j2 "$@"
