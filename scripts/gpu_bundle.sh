#!/usr/bin/env bash
# Builds HERE (a networked machine with the dependencies) what the GPU check needs and packs it,
# with the shared libraries a GPU machine may lack, into the ignored folder .gpu-bundle/ (about
# 20 MiB). Copy the repository with .gpu-bundle/ to the GPU machine (which needs no network)
# and run scripts/gpu_check.sh OUTDIR there; docs/design/gpu-check.md is the whole procedure.
#
# Why prebuilt: building everything on the GPU machine takes 5-8 minutes of its time. The local
# torch must be the same wheel (2.11.0+cu130) as the GPU machine's python3 torch; then binaries
# linked here run there once the loader finds THAT machine's torch/lib and nvidia/*/lib
# (gpu_check.sh sets LD_LIBRARY_PATH; the RUNPATHs into ~/.local/share/dtpinn/venv do not exist
# there). What is bundled: the binaries, and every library they load that is not glibc,
# libstdc++, libgcc_s, libgomp (a newer system has newer ones: built on Debian 12, the bundle
# runs on Ubuntu 24.04), the CUDA driver, torch's or the NVIDIA wheels'. manifest.txt records
# the commit, the instruction set, the glibc / libstdc++ symbol versions needed, and where every
# library resolved.
#
# Usage: scripts/gpu_bundle.sh            (build folder: $DTPINN_BUILD_DIR or build/)
# Environment: DTPINN_BUILD_DIR, DTPINN_JOBS (default nproc), DTPINN_BUNDLE (default .gpu-bundle),
#   DTPINN_BUNDLE_MAX_MB (default 56: refuse a bundle larger than this, e.g. a debug build).
# Exit status: non-zero if a target fails to build, a library is missing, or the bundle is too big.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DTPINN_BUILD_DIR:-$root/build}"
jobs="${DTPINN_JOBS:-$(nproc)}"
bundle="${DTPINN_BUNDLE:-$root/.gpu-bundle}"
max_mb="${DTPINN_BUNDLE_MAX_MB:-56}"
# The GPU check's binaries: the GPU test suites, the command (CliTrain runs it), the benchmarks.
TARGETS=(test_kernels test_autodiff test_core test_cli dtpinn bench_gpu_spmv bench_optim_step)
log() { printf '[gpu_bundle] %s\n' "$*"; }

source "$root/scripts/configure.sh"
dtpinn_configure "$root" "$build"
py="${DTPINN_PYTHON:-${DTPINN_VENV:-$HOME/.local/share/dtpinn/venv}/bin/python}"
isa=$(sed -n 's/^DTPINN_ISA_EFFECTIVE:INTERNAL=//p' "$build/CMakeCache.txt")
log "building ${TARGETS[*]} in $build (-j$jobs)"
cmake --build "$build" --target "${TARGETS[@]}" -j"$jobs" ||
  { log "build failed (no test_kernels target: configured without nvcc?)"; exit 1; }

binary_path() {  # where CMake put a target's executable
  local f
  for f in "$build/$1" "$build/tests/$1" "$build/bench/$1"; do
    [ -x "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

# Libraries the GPU machine provides itself (or that must come from its own torch / driver).
provided() {
  case "$(basename "$1")" in
    linux-vdso* | ld-linux* | libc.so* | libm.so* | libpthread* | libdl.so* | librt.so* | \
      libresolv* | libutil* | libstdc++* | libgcc_s* | libgomp* | libcuda.so* | libnvidia*)
      return 0 ;;
  esac
  case "$1" in
    */site-packages/torch/* | */site-packages/nvidia/* | */torch.libs/* | /usr/local/cuda*) return 0 ;;
  esac
  return 1
}

rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib"
for t in "${TARGETS[@]}"; do
  src=$(binary_path "$t") || { log "built $t but cannot find its executable under $build"; exit 1; }
  cp "$src" "$bundle/bin/$t"
  strip --strip-unneeded "$bundle/bin/$t"  # symbols only: 3-5x smaller, same code
done

# Every library the binaries load (ldd lists the transitive closure) that the GPU machine lacks.
declare -A bundled=()
for b in "$bundle"/bin/*; do
  while read -r name path; do
    [ -n "$path" ] || continue
    if [ "$path" = "not" ]; then log "$(basename "$b"): $name not found here"; exit 1; fi
    provided "$path" && continue
    bundled[$name]=$path
  done < <(ldd "$b" | awk '$2 == "=>" {print $1, $3} $2 != "=>" && $1 ~ /^\// {print $1, $1}')
done
for name in "${!bundled[@]}"; do
  cp -L "${bundled[$name]}" "$bundle/lib/$name"
  strip --strip-unneeded "$bundle/lib/$name" 2>/dev/null || true
done

# The loader setting gpu_check.sh uses there, tried here on this machine's torch: every bundled
# library must now resolve inside the bundle, and nothing may be missing.
torch_lib=$("$py" -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")')
nv_libs=$(ls -d "$(dirname "$(dirname "$torch_lib")")"/nvidia/*/lib 2>/dev/null | tr '\n' ':')
ld_path="$bundle/lib:$torch_lib:$nv_libs/usr/local/cuda/lib64"
for b in "$bundle"/bin/*; do
  out=$(LD_LIBRARY_PATH=$ld_path ldd "$b")
  if grep -q "not found" <<<"$out"; then
    log "$(basename "$b") misses libraries with the bundle's loader path:"
    grep "not found" <<<"$out"
    exit 1
  fi
  for name in "${!bundled[@]}"; do
    if grep -q "^[[:space:]]*$name " <<<"$out" && ! grep -q "$name => $bundle/lib/" <<<"$out"; then
      log "$(basename "$b"): $name does not resolve inside the bundle"
      exit 1
    fi
  done
done

# The newest glibc / libstdc++ symbol versions anything in the bundle needs.
newest() {
  objdump -T "$bundle"/bin/* "$bundle"/lib/* 2>/dev/null | grep -o "$1[0-9.]*" | sort -uV | tail -1
}
{
  echo "dtpinn GPU bundle (scripts/gpu_bundle.sh; run there with scripts/gpu_check.sh)"
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD) ($(git -C "$root" status --porcelain | wc -l) uncommitted paths)"
  echo "source_dir: $root"
  echo "build_dir: $build"
  echo "isa: ${isa:-baseline}"
  echo "torch: $("$py" -c 'import torch;print(torch.__version__)')"
  echo "built_on: $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}'), $(gcc --version | head -1)"
  echo "needs: $(newest GLIBC_) $(newest GLIBCXX_) $(newest CXXABI_) (Ubuntu 24.04 has GLIBC_2.39, GLIBCXX_3.4.33)"
  echo "targets: ${TARGETS[*]}"
  echo "bundled libraries:"
  for name in $(printf '%s\n' "${!bundled[@]}" | sort); do echo "  $name <- ${bundled[$name]}"; done
  echo "files:"
  (cd "$bundle" && find bin lib -type f -printf '  %p %s\n' | sort)
} >"$bundle/manifest.txt"

bytes=$(du -sb "$bundle" | cut -f1)
tree=$(git -C "$root" ls-files -z | (cd "$root" && xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1))
log "$bundle: $((bytes / 1048576)) MiB ($(ls "$bundle/bin" | wc -l) binaries, ${#bundled[@]} libraries); tracked tree $((tree / 1048576)) MiB"
log "needs $(newest GLIBC_) $(newest GLIBCXX_)"
if [ "$bytes" -gt $((max_mb * 1048576)) ]; then
  log "too big: over $max_mb MiB (DTPINN_BUNDLE_MAX_MB)"
  exit 1
fi
log "next: copy the repository with $(basename "$bundle")/ (and .deps/debs from" \
  "scripts/fetch_gpu_deps.sh, for the fallback build) to the GPU machine and run" \
  "scripts/gpu_check.sh OUTDIR there (docs/design/gpu-check.md)"
