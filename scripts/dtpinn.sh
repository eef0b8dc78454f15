#!/usr/bin/env bash
# Runs the dtpinn command from a fresh clone: installs what is missing, builds what is out of
# date (quietly), then runs `build/dtpinn "$@"`. The README's main job is
#   scripts/dtpinn.sh compare -o runs/default
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DTPINN_BUILD_DIR:-$root/build}"
bash "$root/scripts/install.sh" >&2
source "$root/scripts/configure.sh"
dtpinn_configure "$root" "$build" >&2
echo "[dtpinn.sh] building dtpinn (the first time takes ~10 min on 2 cores)" >&2
cmake --build "$build" --target dtpinn -j"${DTPINN_JOBS:-$(nproc)}" >"$build.build.log" 2>&1 ||
  { tail -40 "$build.build.log" >&2; exit 1; }
exec "$build/dtpinn" "$@"
