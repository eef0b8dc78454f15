"""Shared fixtures: the `dtpinn` command (the reference), the package from the build tree."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(os.environ.get("DTPINN_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
EXE = pathlib.Path(os.environ.get("DTPINN_EXE", ROOT / "build" / "dtpinn"))
try:
    import dtpinn  # noqa: F401  (PYTHONPATH=build/python under ctest, or `pip install .`)
except ImportError:
    sys.path.insert(0, str(ROOT / "build" / "python"))

import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))


def cli(*args, check=True):
    """Runs `dtpinn ARGS`; returns the CompletedProcess (text)."""
    p = subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"dtpinn {' '.join(map(str, args))} failed: {p.stderr}")
    return p


def cli_error(*args):
    """The one-line message of a failing `dtpinn CMD ...`, without "dtpinn CMD: error: "."""
    p = cli(*args, check=False)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    line = p.stderr.strip()
    assert "\n" not in line
    return line.split(": error: ", 1)[1]


def read_mtx(path):
    """MatrixMarket coordinate real general -> (rows, cols, [(i, j, v)]) with exact values."""
    with open(path) as f:
        assert f.readline().startswith("%%MatrixMarket matrix coordinate real general")
        line = f.readline()
        while line.startswith("%"):
            line = f.readline()
        rows, cols, nnz = map(int, line.split())
        entries = []
        for _ in range(nnz):
            i, j, v = f.readline().split()
            entries.append((int(i) - 1, int(j) - 1, float(v)))
    return rows, cols, entries


@pytest.fixture
def exe():
    assert EXE.exists(), f"{EXE}: build the `dtpinn` target first"
    return EXE
