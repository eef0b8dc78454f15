#!/usr/bin/env bash
# The GPU check, run ON a GPU machine that may have no network: the GPU test suites, then the GPU
# benchmarks, from the binaries prebuilt on another machine by scripts/gpu_bundle.sh and copied
# here as .gpu-bundle/ (docs/design/gpu-check.md is the whole procedure). Every log is written
# straight into OUTDIR as it is produced (a job killed at its time limit still leaves what it
# wrote), and a trap writes OUTDIR/summary.txt on any exit.
#
# Loader: the bundle's binaries were linked against the same torch wheel (2.11.0+cu130) this
# machine's python3 has; LD_LIBRARY_PATH points at .gpu-bundle/lib (GiNaC, CLN, muParser,
# toml++, fmt, ...), THIS machine's torch/lib and site-packages/nvidia/*/lib.
# Fallback: when the bundle is missing or does not load (or the CPU lacks the instruction set it
# was built for), it builds the same targets from source with scripts/gpu_test.sh (needs
# .deps/debs or .deps/root copied here, see scripts/fetch_gpu_deps.sh) and runs the same check.
#
# Usage (GPU machine, repository root): scripts/gpu_check.sh [OUTDIR]
#   OUTDIR: where the logs go (default $OUT, else ./gpu-check-out)
# Environment: DTPINN_PYTHON (default python3: the interpreter whose torch to load),
#   GPU_CHECK_BUDGET (seconds for the whole check, default 330, 570 when building from source:
#   the check stops itself in time for a batch job's limit of 6 or 10 minutes),
#   GPU_CHECK_FILTER (gtest filter),
#   GPU_CHECK_BENCH (quick (default) | full | none), GPU_CHECK_FROM_SOURCE=1 (skip the bundle),
#   OMP_NUM_THREADS (default 8).
# Exit status: 0 all passed; 1 a test or benchmark failed, or GPU tests skipped on a machine
# with a GPU; 2 nothing could be run (no bundle that loads and no .deps for the fallback).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC=$(pwd)
OUT=${1:-${OUT:-$SRC/gpu-check-out}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUNDLE=$SRC/.gpu-bundle
PY=$(command -v "${DTPINN_PYTHON:-python3}" || echo "${DTPINN_PYTHON:-python3}")
BUDGET=${GPU_CHECK_BUDGET:-330}
FILTER=${GPU_CHECK_FILTER:-'*Cuda*:*Gpu*:DeviceOptim*:DeviceAdam.*:SparseOperatorPrepare.*:KernelsHost.*'}
BENCH=${GPU_CHECK_BENCH:-quick}
NCPU=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc honours both
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-8}
START=$(date +%s)
RC=0
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"

log() { printf '[gpu_check] %s\n' "$*" | tee -a "$OUT/gpu_check.log"; }
elapsed() { echo $(($(date +%s) - START)); }
left() { echo $((BUDGET - $(elapsed))); }
finish() {
  local rc=$?
  [ "$RC" -ne 0 ] && rc=$RC
  echo "result: $([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (rc $rc)") after $(elapsed) s" >>"$SUMMARY"
  echo "---- $SUMMARY"
  cat "$SUMMARY"
  exit "$rc"
}
trap finish EXIT
trap 'log "terminated (signal)"; RC=143; exit 143' TERM INT

# step NAME LIMIT CMD...: runs CMD with its output in $OUT/NAME.log, at most LIMIT seconds and
# never past the budget; one line per step in summary.txt. Returns CMD's status.
step() {
  local name=$1 limit=$2
  shift 2
  local t
  t=$(left)
  [ "$limit" -lt "$t" ] && t=$limit
  if [ "$t" -lt 5 ]; then
    echo "$name: not run (budget of $BUDGET s spent)" >>"$SUMMARY"
    RC=1
    return 1
  fi
  log "$name (limit $t s)"
  local s0 rc
  s0=$(date +%s)
  timeout -k 5 "$t" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  echo "$name: rc $rc, $(($(date +%s) - s0)) s$([ "$rc" -eq 124 ] && echo ' (TIMED OUT)')" >>"$SUMMARY"
  [ "$rc" -ne 0 ] && tail -n 25 "$OUT/$name.log"
  return "$rc"
}

gpu_present() { [[ "$(nvidia-smi -L 2>/dev/null)" == *GPU* ]]; }  # no pipe: pipefail + grep -q

machine_info() {
  echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
  uname -a
  nvidia-smi -L 2>/dev/null || echo "nvidia-smi: no GPU listed"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  grep -m1 "model name" /proc/cpuinfo || true
  echo "cores: $NCPU  OMP_NUM_THREADS=$OMP_NUM_THREADS"
  ldd --version 2>&1 | head -1
  [ -f "$BUNDLE/manifest.txt" ] && sed -n '1,10p' "$BUNDLE/manifest.txt"
}

# LD_LIBRARY_PATH: the bundle's libraries, then this machine's torch and NVIDIA wheel libraries.
set_loader_path() {
  local torch_lib nv
  torch_lib=$("$PY" -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")') || return 1
  nv=$(ls -d "$(dirname "$(dirname "$torch_lib")")"/nvidia/*/lib 2>/dev/null | tr '\n' ':')
  local rest=$ORIG_LD_LIBRARY_PATH
  export LD_LIBRARY_PATH="$1:$torch_lib:${nv}${CUDA_HOME:-/usr/local/cuda}/lib64${rest:+:$rest}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
}

# The CPU must have what the bundle was compiled for (x86-64-v3: AVX2, FMA, BMI2...).
cpu_has_isa() {
  grep -q "^isa: x86-64-v3" "$BUNDLE/manifest.txt" || return 0
  local f
  for f in avx2 fma bmi2 movbe f16c; do grep -qw "$f" /proc/cpuinfo || return 1; done
}

# Every binary loads (libraries and symbol versions): ldd, then each runs far enough to parse
# its arguments. Prints what failed.
bundle_loads() {
  local b out ok=0
  for b in "$1"/*; do
    out=$(ldd "$b" 2>&1)  # captured: `ldd | grep -q` would fail under pipefail on SIGPIPE
    if grep -q "not found" <<<"$out"; then
      echo "$(basename "$b"): $(grep "not found" <<<"$out" | tr '\n' ' ')"
      ok=1
    fi
  done
  for b in test_kernels test_autodiff test_core test_cli; do
    "$1/$b" --gtest_list_tests >/dev/null 2>&1 || { echo "$b does not start"; ok=1; }
  done
  "$1/dtpinn" --help >/dev/null 2>&1 || { echo "dtpinn does not start"; ok=1; }
  for b in bench_gpu_spmv bench_optim_step; do  # a bad option: they load, then refuse it
    out=$("$1/$b" --bad-option 2>&1)
    grep -q "unknown option" <<<"$out" || { echo "$b does not start: $out"; ok=1; }
  done
  return $ok
}

# Builds the same targets here (scripts/gpu_test.sh, the copied .deps); BIN then points there.
build_from_source() {
  if [ ! -d .deps/debs ] && [ ! -d .deps/root ]; then
    log "no .deps/debs or .deps/root here: cannot build from source (run scripts/fetch_gpu_deps.sh on a networked machine and copy .deps/debs here)"
    RC=2
    exit 2
  fi
  # A build of these targets takes minutes: unless told otherwise, allow 570 s in all.
  [ -z "${GPU_CHECK_BUDGET:-}" ] && BUDGET=570
  # The build runs with the machine's own loader path (an empty LD_LIBRARY_PATH is not unset).
  if [ -n "$ORIG_LD_LIBRARY_PATH" ]; then export LD_LIBRARY_PATH=$ORIG_LD_LIBRARY_PATH; else unset LD_LIBRARY_PATH; fi
  step fallback_build 480 env BUILD_DIR=build-device GPU_LOGS="$OUT/fallback" JOBS="$NCPU" \
    TARGETS="test_kernels test_autodiff test_core test_cli dtpinn bench_gpu_spmv bench_optim_step" \
    scripts/gpu_test.sh build || { RC=1; exit 1; }
  mkdir -p build-device/gpu-bin
  local t
  for t in test_kernels test_autodiff test_core test_cli; do ln -sf ../tests/$t build-device/gpu-bin/$t; done
  ln -sf ../dtpinn build-device/gpu-bin/dtpinn
  ln -sf ../bench/bench_gpu_spmv build-device/gpu-bin/bench_gpu_spmv
  ln -sf ../bench/bench_optim_step build-device/gpu-bin/bench_optim_step
  BIN=$SRC/build-device/gpu-bin
  set_loader_path "$SRC/.deps/root/usr/lib/x86_64-linux-gnu" >>"$OUT/gpu_check.log"
}

# One test binary with the GPU filter; gtest's own XML next to the log.
run_suite() {
  local t=$1 limit=$2
  step "$t" "$limit" "$BIN/$t" --gtest_filter="$FILTER" --gtest_output="xml:$OUT/$t.xml" \
    --gtest_color=no || RC=1
}

# Skips on a machine with a GPU mean LibTorch or the runtime did not see it (the two tests that
# skip BECAUSE a GPU is present are expected).
check_skips() {
  local skipped
  skipped=$(grep -h "^\[  SKIPPED \] [A-Za-z]" "$OUT"/test_*.log 2>/dev/null | sed 's/ (.*//' |
    sort -u | grep -v "WithoutAGpu\|WithoutADevice" || true)
  [ -z "$skipped" ] && return 0
  echo "$skipped" >"$OUT/skipped.txt"
  if gpu_present; then
    log "FAIL: a GPU is listed but GPU tests skipped: $(echo "$skipped" | wc -l) (skipped.txt)"
    echo "skipped GPU tests on a GPU machine: $(echo "$skipped" | wc -l)" >>"$SUMMARY"
    RC=1
  else
    log "no GPU here: $(echo "$skipped" | wc -l) GPU tests skipped with their reason (skipped.txt)"
  fi
}

run_benches() {
  [ "$BENCH" = none ] && return 0
  local spmv=(--quick) optim=(--n 1663 --repeats 3)
  [ "$BENCH" = full ] && spmv=() && optim=()
  step bench_gpu_spmv 150 "$BIN/bench_gpu_spmv" "${spmv[@]}" --out "$OUT/gpu_spmv.md" || RC=1
  step bench_optim_step 200 "$BIN/bench_optim_step" --device cuda "${optim[@]}" \
    --python "$PY" --out "$OUT/optim_gpu.md" || RC=1
}

log "start: budget $BUDGET s, output in $OUT"
machine_info >"$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
BIN=$BUNDLE/bin
if [ "${GPU_CHECK_FROM_SOURCE:-0}" = 1 ] || [ ! -d "$BIN" ]; then
  log "no bundle (or GPU_CHECK_FROM_SOURCE=1): building from source"
  build_from_source
elif ! cpu_has_isa; then
  log "this CPU lacks the bundle's ISA ($(grep '^isa:' "$BUNDLE/manifest.txt")): building from source"
  build_from_source
else
  set_loader_path "$BUNDLE/lib" >>"$OUT/gpu_check.log"
  if ! bundle_loads "$BIN" >"$OUT/bundle_load.log" 2>&1; then
    log "the bundle does not load here (bundle_load.log): building from source"
    cat "$OUT/bundle_load.log"
    build_from_source
  else
    echo "bundle: loads" >>"$SUMMARY"
  fi
fi

# Prebuilt binaries run outside their build tree: the paths they were built with do not exist.
export DTPINN_EXE=$BIN/dtpinn DTPINN_TEST_TMPDIR=$OUT/tmp DTPINN_SOURCE_DIR=$SRC
mkdir -p "$DTPINN_TEST_TMPDIR"
run_suite test_kernels 60
run_suite test_autodiff 90
run_suite test_core 90
run_suite test_cli 150
check_skips
rm -rf "$DTPINN_TEST_TMPDIR"
run_benches
