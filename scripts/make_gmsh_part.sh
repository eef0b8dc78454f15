#!/usr/bin/env bash
# Regenerates data/geometry/plate_with_holes.stl from plate_with_holes.geo with gmsh (OpenCASCADE
# kernel): one ASCII STL solid per physical surface (holes, top, bottom, sides).
# gmsh is not a build dependency: this script installs the PyPI `gmsh` wheel into the project
# venv (${DTPINN_VENV:-$HOME/.local/share/dtpinn/venv}, the one scripts/install.sh makes) the
# first time it runs, then calls the wheel's `gmsh` executable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DTPINN_VENV:-$HOME/.local/share/dtpinn/venv}"
GEO="$ROOT/data/geometry/plate_with_holes.geo"
STL="$ROOT/data/geometry/plate_with_holes.stl"

if [ ! -x "$VENV/bin/python" ]; then
  echo "make_gmsh_part: no venv at $VENV (run scripts/install.sh, or set DTPINN_VENV)" >&2
  exit 1
fi
if ! "$VENV/bin/python" -c "import gmsh" 2>/dev/null; then
  echo "[make_gmsh_part] installing the gmsh wheel into $VENV"
  "$VENV/bin/python" -m pip install --quiet gmsh
fi
# Through the Python API: the wheel's `gmsh` launcher starts with `#!/usr/bin/env python`,
# which is not the venv's python. The .geo sets the STL options (one named solid per physical
# surface, ASCII); Mesh.SaveAll stays 0, so only the physical surfaces are written.
"$VENV/bin/python" - "$GEO" "$STL.tmp.stl" >"$STL.log" 2>&1 <<'PY' ||
import sys
import gmsh
gmsh.initialize()
gmsh.option.setNumber("General.Terminal", 1)
gmsh.open(sys.argv[1])
gmsh.model.mesh.generate(2)
gmsh.option.setNumber("Mesh.StlOneSolidPerSurface", 2)
gmsh.option.setNumber("Mesh.Binary", 0)
gmsh.write(sys.argv[2])
gmsh.finalize()
PY
  { cat "$STL.log" >&2; rm -f "$STL.tmp.stl"; exit 1; }
mv "$STL.tmp.stl" "$STL"
rm -f "$STL.log"
echo "[make_gmsh_part] wrote $STL ($(grep -c '^ *facet' "$STL") triangles; solids:" \
  "$(grep '^solid' "$STL" | cut -d' ' -f2- | tr '\n' ' '))"
