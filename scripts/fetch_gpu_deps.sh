#!/usr/bin/env bash
# Fetches, on this (networked, Debian 12) machine, the Debian packages that a GPU machine without
# network lacks, and unpacks them into an ignored folder for scripts/gpu_test.sh (and the
# fallback build of scripts/gpu_check.sh); copy .deps/debs to the GPU machine with the repository:
#   .deps/debs/*.deb   the downloaded packages (compressed, ~7-10 MB: the smallest thing to copy)
#   .deps/root/        the same unpacked with `dpkg -x` (headers, CMake/pkg-config files, .so)
# Nothing is installed system-wide and no root is needed (apt-get download only reads the
# package lists). Idempotent: packages already downloaded are not fetched again.
# Usage: scripts/fetch_gpu_deps.sh [--clean]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEPS=.deps

# Header-only/dev packages and the shared libraries they need at run time. A GPU machine with
# CUDA 13, torch 2.11, cmake, ninja and g++ (e.g. an Ubuntu 24.04 image) has libc, libstdc++,
# libgomp and libgmp10; everything below it may lack. gnuplot is optional (plots), left out.
PACKAGES=(
  libeigen3-dev                       # Eigen (header-only)
  libnanoflann-dev                    # nanoflann (header-only)
  libgtest-dev libgmock-dev googletest  # GoogleTest (static libs + CMake config)
  libbenchmark-dev libbenchmark1debian  # Google Benchmark
  libcli11-dev                        # CLI11 (header-only)
  libtomlplusplus-dev libtomlplusplus3  # toml++
  nlohmann-json3-dev                  # nlohmann json (header-only)
  libfmt-dev libfmt9                  # fmt
  libginac-dev libginac11 libcln-dev libcln6 libgmp-dev  # GiNaC + CLN (+ gmp.h)
  libmuparser-dev libmuparser2v5      # muParser
  libgloo-dev                         # gloo headers: the distributed library (headers only;
                                      # LibTorch ships gloo itself)
  pkgconf pkgconf-bin libpkgconf3     # pkg-config, in case the GPU machine has none
)

if [ "${1:-}" = "--clean" ]; then rm -rf "$DEPS"; fi
mkdir -p "$DEPS/debs" "$DEPS/root"
missing=()
for p in "${PACKAGES[@]}"; do
  compgen -G "$DEPS/debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[fetch_gpu_deps] apt-get download: ${missing[*]}"
  (cd "$DEPS/debs" && apt-get download -q "${missing[@]}" >/dev/null)
fi
for deb in "$DEPS"/debs/*.deb; do
  stamp="$DEPS/root/.unpacked.$(basename "$deb")"
  [ -e "$stamp" ] && continue
  dpkg -x "$deb" "$DEPS/root"
  touch "$stamp"
done
# Documentation and man pages are never needed on the GPU machine: keep the copy small.
rm -rf "$DEPS/root/usr/share/doc" "$DEPS/root/usr/share/man" "$DEPS/root/usr/share/info" \
       "$DEPS/root/usr/share/lintian" "$DEPS/root/usr/share/doc-base" "$DEPS/root/usr/src"
# Static archives of the shared libraries (we link the .so; 17 MB of the 43 MB unpacked).
rm -f "$DEPS"/root/usr/lib/*/lib{ginac,cln,gmp,gmpxx}.a
echo "[fetch_gpu_deps] $(ls "$DEPS"/debs/*.deb | wc -l) packages;" \
     "debs $(du -sh "$DEPS/debs" | cut -f1), unpacked $(du -sh "$DEPS/root" | cut -f1)" \
     "(copy .deps/debs to the GPU machine with the repository)"
