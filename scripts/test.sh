#!/usr/bin/env bash
# The one test command (README.md, .ci/run): installs what is missing, builds, and runs
# every test — unit tests and the integration tests against real servers.
# Arguments go to ctest (e.g. -L unit, -R test_backup, -E test_container). A selection that
# matches no test fails (ctest --no-tests=error): a run that tested nothing is not a pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-test-deps.sh"
# ERP_UNIT_TEST_DIR narrows unit_tests while developing and is cached in build/: the full run
# always resets it, so a narrowing left in the cache cannot silently shrink `unit`.
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DERP_UNIT_TEST_DIR=tests >/dev/null
cmake --build "$root/build" -j"$(nproc)"
cd "$root/build"
ctest --output-on-failure --no-tests=error --timeout 1500 -j2 "$@"
