"""The PEP 517 backend of `pip install .` (pyproject.toml): builds the Python module with the
project's own CMake build, in the project's build folder, and packs it into a wheel.

- The build folder is $DTPINN_BUILD_DIR or build/ in the clone, the one scripts/test.sh and
  scripts/dtpinn.sh use: configured by scripts/configure.sh when it has no cache yet (Release,
  ccache), otherwise reused as it is; only the module's target (dtpinn_python) is built, so
  after `scripts/test.sh` the wheel costs a link at most.
- The interpreter is the one running pip: it must be the one whose torch the build uses (the
  venv of scripts/install.sh); the module's file name (its ABI tag) is checked against it.
- No build requirements: nothing is downloaded, and pip's isolated environment is bypassed for
  the CMake run (its PYTHONPATH would hide the venv's torch from the configure step).
"""
import base64
import hashlib
import os
import pathlib
import subprocess
import sys
import sysconfig
import zipfile

NAME, VERSION = "dtpinn", "0.1.0"
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _build_dir():
    return pathlib.Path(os.environ.get("DTPINN_BUILD_DIR", ROOT / "build")).resolve()


def _clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONHOME")}
    env.setdefault("DTPINN_PYTHON", sys.executable)  # configure: torch found through it
    return env


def _run(cmd, env):
    print("[dtpinn wheel]", " ".join(map(str, cmd)), file=sys.stderr, flush=True)
    subprocess.run(cmd, env=env, check=True, stdout=sys.stderr)


def _compile():
    build, env = _build_dir(), _clean_env()
    jobs = os.environ.get("DTPINN_JOBS", str(os.cpu_count() or 1))
    _run(["bash", "-c", 'source "$1/scripts/configure.sh" && dtpinn_configure "$1" "$2"', "-",
          str(ROOT), str(build)], env)
    _run(["cmake", "--build", str(build), "--target", "dtpinn_python", f"-j{jobs}"], env)
    pkg = build / "python" / NAME
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not (pkg / f"_dtpinn{suffix}").exists():
        found = sorted(p.name for p in pkg.glob("_dtpinn*"))
        raise RuntimeError(f"{pkg}: no _dtpinn{suffix} for {sys.executable} (found {found}): "
                           "the build folder is configured for another Python; set "
                           "DTPINN_BUILD_DIR to a new folder")
    return [p for p in sorted(pkg.iterdir())
            if p.suffix == ".py" or p.name == f"_dtpinn{suffix}"]


def _tag():
    impl = f"cp{sys.version_info.major}{sys.version_info.minor}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: DT-PINN engine (RBF-FD nodes, operators, SpMV autograd op, training) "
            "for PyTorch\nRequires-Python: >=3.11\nRequires-Dist: numpy\n")


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = _compile()
    tag = _tag()
    dist = f"{NAME}-{VERSION}.dist-info"
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    entries = [(f"{NAME}/{p.name}", p.read_bytes()) for p in files]
    entries += [(f"{dist}/METADATA", _metadata().encode()),
                (f"{dist}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: dtpinn_build\n"
                                   f"Root-Is-Purelib: false\nTag: {tag}\n").encode())]
    record = []
    path = pathlib.Path(wheel_directory) / wheel_name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
        record.append(f"{dist}/RECORD,,")
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return wheel_name
