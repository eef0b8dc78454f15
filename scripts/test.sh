#!/usr/bin/env bash
# The test command (README, CI): installs what is missing, builds everything (the CUDA path
# included when nvcc is found) and runs every test suite through ctest.
#   DTPINN_BUILD_DIR  build folder (default: build/ in the clone)
#   DTPINN_JOBS       parallel compile jobs (default: nproc)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DTPINN_BUILD_DIR:-$root/build}"
jobs="${DTPINN_JOBS:-$(nproc)}"

bash "$root/scripts/install.sh"
source "$root/scripts/configure.sh"
dtpinn_configure "$root" "$build"
echo "[test] building in $build with $jobs jobs"
start=$(date +%s)
cmake --build "$build" -j"$jobs"
echo "[test] build took $(( $(date +%s) - start )) s"
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure --timeout 900 -j"${DTPINN_TEST_JOBS:-1}" "$@"
echo "[test] tests took $(( $(date +%s) - start )) s"
