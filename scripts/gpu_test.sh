#!/usr/bin/env bash
# Builds dtpinn and runs the whole test suite (and the GPU benchmarks) on a GPU machine that may
# have no network, against THAT machine's torch (python3 there: torch 2.11 built for CUDA 13) and
# CUDA Toolkit. The Debian packages such a machine lacks are fetched on a networked machine by
# scripts/fetch_gpu_deps.sh into the ignored folder .deps/ and copied here with the repository
# (.deps/debs, about 7 MB, which this script unpacks; or .deps/root, about 23 MB, unpacked).
# The quicker check from prebuilt binaries is scripts/gpu_check.sh (docs/design/gpu-check.md).
#
# Usage (on the GPU machine, from the repository root):
#   scripts/gpu_test.sh [all|build|test|bench]...   (default: all = build test bench)
# Environment: BUILD_DIR (default build-device), JOBS (default nproc), DTPINN_PYTHON (default
# python3), OUT (a folder the logs and benchmark results are also copied to),
# TARGETS (build only these, e.g. for scripts/gpu_check.sh's fallback), GPU_LOGS (where the
# logs are written, default BUILD_DIR/gpu-logs; gpu_check.sh points it into its OUTDIR),
# DTPINN_DEPS_ONLY=1 (verification on a machine that HAS the packages: ignore the system's
# /usr prefix and pkg-config path so only .deps is used; configure only).
# Exit status: non-zero if the build fails, a test fails, or a GPU test skipped on a machine
# where nvidia-smi lists a GPU.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC=$(pwd)
BUILD_DIR=${BUILD_DIR:-build-device}
JOBS=${JOBS:-$(nproc)}
PY=${DTPINN_PYTHON:-python3}
PY=$(command -v "$PY" || echo "$PY")
DEPS=$SRC/.deps
ROOT=$DEPS/root
LOGS=${GPU_LOGS:-$BUILD_DIR/gpu-logs}
export CMAKE_POLICY_VERSION_MINIMUM=3.5  # CMake 4 and older package config files
log() { printf '[gpu_test] %s\n' "$*"; }
save() { if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then cp -f "$@" "$OUT"/ 2>/dev/null || true; fi; }

# --- 1. The copied Debian packages ------------------------------------------------------------
unpack_debs() {
  [ -d "$ROOT/usr/include" ] && return 0
  compgen -G "$DEPS/debs/*.deb" >/dev/null || {
    log "no $ROOT and no $DEPS/debs/*.deb: run scripts/fetch_gpu_deps.sh on a networked machine and copy .deps/debs here"
    exit 2
  }
  mkdir -p "$ROOT"
  for deb in "$DEPS"/debs/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$deb" "$ROOT"
    else  # a .deb is an ar archive holding data.tar.*
      tmp=$(mktemp -d)
      (cd "$tmp" && ar x "$deb") && tar -xf "$tmp"/data.tar.* -C "$ROOT"
      rm -rf "$tmp"
    fi
  done
  log "unpacked $(ls "$DEPS"/debs/*.deb | wc -l) packages into $ROOT ($(du -sh "$ROOT" | cut -f1))"
}

# pkg-config files hold prefix=/usr: relocated copies point at $ROOT/usr.
relocate_pkgconfig() {
  PCDIR=$SRC/$BUILD_DIR/deps-pkgconfig
  mkdir -p "$PCDIR"
  for pc in "$ROOT"/usr/lib/*/pkgconfig/*.pc "$ROOT"/usr/share/pkgconfig/*.pc; do
    [ -e "$pc" ] || continue
    sed -e "s|=/usr\b|=$ROOT/usr|g" -e "s|-I/usr/|-I$ROOT/usr/|g" -e "s|-L/usr/|-L$ROOT/usr/|g" \
      "$pc" >"$PCDIR/$(basename "$pc")"
  done
  export PKG_CONFIG_PATH=$PCDIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  PKGCONF_ARGS=()
  if ! command -v pkg-config >/dev/null; then
    PKGCONF_ARGS=(-DPKG_CONFIG_EXECUTABLE="$ROOT/usr/bin/pkgconf")
    log "no pkg-config here: using the pkgconf from .deps"
  fi
}

setup_env() {
  mkdir -p "$BUILD_DIR" "$LOGS"
  unpack_debs
  relocate_pkgconfig
  export LD_LIBRARY_PATH=$(echo "$ROOT"/usr/lib/*-linux-gnu | tr ' ' ':')${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export DTPINN_PYTHON=$PY
}

gpu_present() { command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q GPU; }

# --- 2. Build ----------------------------------------------------------------------------------
do_build() {
  setup_env
  {
    echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
    uname -a
    nvidia-smi -L 2>/dev/null || echo "nvidia-smi: no GPU listed"
    "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
    command -v nvcc >/dev/null && nvcc --version | tail -1
    ${CXX:-c++} --version | head -1
    cmake --version | head -1
  } 2>&1 | tee "$LOGS/machine.txt"
  local nvcc_path=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
  local gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  local extra=()
  if [ "${DTPINN_DEPS_ONLY:-0}" = 1 ]; then
    # Verification mode: the system's packages are invisible, only .deps can satisfy find_*.
    extra=(-DCMAKE_IGNORE_PREFIX_PATH=/usr)
    export PKG_CONFIG_LIBDIR=$PCDIR
  fi
  [ -f "$BUILD_DIR/CMakeCache.txt" ] && grep -q "^CMAKE_GENERATOR:INTERNAL=Ninja" "$BUILD_DIR/CMakeCache.txt" \
    && [ ${#gen[@]} -eq 0 ] && rm -f "$BUILD_DIR/CMakeCache.txt"
  log "configure ($BUILD_DIR)"
  cmake -S "$SRC" -B "$BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$ROOT/usr" -DCMAKE_CUDA_COMPILER="$nvcc_path" -DDTPINN_CUDA_ARCH=90 \
    "${PKGCONF_ARGS[@]}" "${extra[@]}" 2>&1 | tee "$LOGS/configure.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { save "$LOGS"/*.log; exit 1; }
  if [ "${DTPINN_DEPS_ONLY:-0}" = 1 ]; then
    log "dependency locations (must all be under $ROOT):"
    grep -E "^(Eigen3|nanoflann|fmt|CLI11|nlohmann_json|GTest|benchmark)_DIR:|^TOMLPP_INCLUDEDIR|^GINAC_INCLUDEDIR|^MUPARSER_INCLUDEDIR|^GINAC_LIBDIR|^MUPARSER_LIBDIR|^TOMLPP_LIBDIR" \
      "$BUILD_DIR/CMakeCache.txt" | tee "$LOGS/deps.txt"
    return 0
  fi
  local targets=()
  [ -n "${TARGETS:-}" ] && read -r -a targets <<<"--target $TARGETS"
  log "build (-j$JOBS) ${TARGETS:-everything}"
  set +e
  cmake --build "$BUILD_DIR" "${targets[@]}" -j"$JOBS" 2>&1 | tee "$LOGS/build.log" | grep -E "error|warning:|Building CUDA|Linking|FAILED" | tail -200
  local rc=${PIPESTATUS[0]}
  set -e
  save "$LOGS"/*.log "$LOGS/machine.txt"
  [ "$rc" -eq 0 ] || { log "build FAILED (rc $rc): see $LOGS/build.log"; exit 1; }
}

# --- 3. Tests ----------------------------------------------------------------------------------
do_test() {
  setup_env
  log "ctest"
  set +e
  (cd "$BUILD_DIR" && ctest --output-on-failure -j"$(( JOBS > 8 ? 8 : JOBS ))" --timeout 900) 2>&1 | tee "$LOGS/ctest.log"
  local rc=${PIPESTATUS[0]}
  set -e
  # Skipped tests and their reasons, straight from the GPU suites.
  for t in test_kernels test_autodiff; do
    exe=$(find "$BUILD_DIR" -name "$t" -type f -perm -u+x | head -1)
    [ -n "$exe" ] && "$exe" --gtest_brief=1 >"$LOGS/$t.txt" 2>&1 || true
  done
  save "$LOGS"/ctest.log "$LOGS"/test_*.txt
  local skipped
  skipped=$(grep -E "\*\*\*Skipped|Not Run" "$LOGS/ctest.log" || true)
  if [ -n "$skipped" ]; then log "skipped tests:"; echo "$skipped"; fi
  if gpu_present && echo "$skipped" | grep -qiE "gpu|cuda"; then
    log "FAIL: a GPU is present but GPU/CUDA tests skipped (LibTorch or the runtime sees no device)"
    rc=1
  fi
  [ "$rc" -eq 0 ] && log "all tests passed" || log "tests FAILED (rc $rc)"
  return "$rc"
}

# --- 4. GPU benchmark --------------------------------------------------------------------------
do_bench() {
  setup_env
  local b
  for b in "$BUILD_DIR"/bench/bench_gpu*; do
    [ -x "$b" ] || continue
    log "$b"
    "$b" 2>&1 | tee "$LOGS/$(basename "$b").log"
    save "$LOGS/$(basename "$b").log"
  done
  for f in bench/results/gpu_*.md; do [ -e "$f" ] && save "$f"; done
  return 0
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
rc=0
for s in "${steps[@]}"; do
  case "$s" in
    all) do_build && { do_test || rc=1; } && do_bench ;;
    build) do_build ;;
    test) do_test || rc=1 ;;
    bench) do_bench ;;
    *) echo "usage: $0 [all|build|test|bench]..." >&2; exit 2 ;;
  esac
done
exit $rc
