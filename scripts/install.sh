#!/usr/bin/env bash
# Puts every dependency of dtpinn in place on a Debian 12 machine. Idempotent: a second run
# checks and returns in about a second.
#   - Debian packages (apt-get): compilers' libraries, Eigen, nanoflann, CLI11, toml++, ...
#   - LibTorch: the PyPI `torch` wheel (CUDA build) in a virtual environment outside the clone,
#     ${DTPINN_VENV:-$HOME/.local/share/dtpinn/venv}, reused by every clone and by CI; with it
#     the Python packages of the Python module's tests (PY_PACKAGES).
# Set DTPINN_TORCH_PREFIX to a directory holding TorchConfig.cmake to use a torch you already
# have; then no venv is made.
set -euo pipefail

TORCH_VERSION="${DTPINN_TORCH_VERSION:-2.11.0}"
VENV="${DTPINN_VENV:-$HOME/.local/share/dtpinn/venv}"

APT_PACKAGES=(
  build-essential cmake pkg-config python3-venv
  python3-dev          # Python headers: the Python module dtpinn (python/)
  libeigen3-dev        # dense linear algebra: RBF-FD stencil solves, sparse LU
  libnanoflann-dev     # kd-tree k-nearest-neighbour stencils
  libsuitesparse-dev   # UMFPACK and SuiteSparseQR: sparse LU and least squares of coupled systems
  libgtest-dev libgmock-dev  # unit tests
  libbenchmark-dev     # micro-benchmarks
  libcli11-dev         # command-line parsing
  libtomlplusplus-dev  # TOML configuration files
  nlohmann-json3-dev   # results.json, comparison.json
  libfmt-dev           # formatting of messages and tables
  libginac-dev         # symbolic derivatives of manufactured solutions
  libmuparser-dev      # fast evaluation of user expressions at nodes
  gnuplot-nox          # PNG plots of solutions, errors and loss curves
  ccache               # faster rebuilds (CI reuses its cache across clones)
  libgloo-dev          # headers only: torch's ProcessGroupGloo.hpp includes gloo headers the
                       # torch wheel does not ship (distributed training)
)

# Python module (python/): pytest runs its tests; scipy is optional (Operators.scipy()); the
# tests read every CSV dtpinn writes with pandas' defaults.
PY_PACKAGES=(pytest scipy pandas)

log() { printf '[install] %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get: installing ${#missing[@]} Debian packages (about 150 MB, 1-2 min): ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages: all ${#APT_PACKAGES[@]} present"
fi

if [ -n "${DTPINN_TORCH_PREFIX:-}" ]; then
  log "LibTorch: using DTPINN_TORCH_PREFIX=$DTPINN_TORCH_PREFIX"
  exit 0
fi

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$TORCH_VERSION" <<'PY' 2>/dev/null
import sys, importlib.metadata as m
sys.exit(0 if m.version("torch").split("+")[0] == sys.argv[1] else 1)
PY
then
  log "LibTorch: torch $TORCH_VERSION present in $VENV"
else
  log "LibTorch: installing torch==$TORCH_VERSION (CUDA build, about 4.5 GB with its CUDA"
  log "  libraries, 1-5 min) into $VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --progress-bar off "torch==$TORCH_VERSION" numpy
  log "LibTorch: done"
fi

if "$VENV/bin/python" - "${PY_PACKAGES[@]}" <<'PY' 2>/dev/null
import sys, importlib.metadata as m
for p in sys.argv[1:]:
    m.version(p)
PY
then
  log "Python packages: ${PY_PACKAGES[*]} present"
else
  log "Python packages: installing ${PY_PACKAGES[*]} (about 60 MB) into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --progress-bar off "${PY_PACKAGES[@]}"
fi
