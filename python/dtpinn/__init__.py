"""dtpinn: the DT-PINN engine's nodes, RBF-FD operators and SpMV autograd op inside PyTorch.

    import dtpinn, torch
    nodes = dtpinn.nodes("disk", n=1663, seed=0)            # interior, boundary, ghost nodes
    ops = dtpinn.operators(nodes, order=4, boundary=dict(alpha=1.0, beta=1.0))
    L = dtpinn.SparseOperator(ops["L"])                      # differentiable y = L u
    u = net(torch.from_numpy(nodes.points.copy())).squeeze(1)
    loss = (L(u) - f).pow(2).mean()                          # backward applies L^T

Node order (every array, every matrix row and column): interior [0, Ni), boundary [Ni, Ni + Nb),
ghost [Ni + Nb, Ni + 2 Nb); ghost k belongs to boundary node Ni + k. L is (Ni + Nb) x N, B is
Nb x N (row k = boundary node Ni + k), N = Ni + 2 Nb (Ni + Nb without ghosts).

Errors carry the one-line message that the `dtpinn` command prints: ValueError for bad input,
FileNotFoundError for a missing file.
"""
from __future__ import annotations

import json
import math
import os
import signal
import tempfile
import threading
import warnings
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch  # loads LibTorch before the binding needs it

from . import _dtpinn

__all__ = ["NodeSet", "Operators", "SparseOperator", "TrainedModel", "nodes", "read_nodes",
           "operators", "train", "load", "shape_names", "HAVE_CUDA", "__version__",
           "git_commit"]

#: The version of the engine (as `dtpinn --version` and results.json's "dtpinn_version").
__version__: str = str(_dtpinn.__version__)
#: The git commit the engine was built from ("unknown" outside a git checkout).
git_commit: str = str(_dtpinn.git_commit)

#: True when the module was compiled with the CUDA SpMV path (a GPU is still needed to use it).
HAVE_CUDA: bool = bool(_dtpinn.HAVE_CUDA)

KIND_NAMES = ("interior", "boundary", "ghost")


def _missing_file_check(paths: Iterable[str], error: ValueError) -> None:
    """Re-raises an engine error as FileNotFoundError (same message) when a path is missing."""
    for p in paths:
        if p and not os.path.exists(p):
            raise FileNotFoundError(str(error)) from None
    raise error


def shape_names() -> List[str]:
    """The shape library's names (disk, rectangle, annulus, star, lshape, ball, box, ...)."""
    return list(_dtpinn.shape_names())


class NodeSet:
    """A node cloud: interior, boundary (with outward normals) and ghost nodes, in that order.

    Attributes (numpy arrays are read-only views of the engine's own memory or fresh copies):
      points   float64 [N, dim]
      normals  float64 [N, dim], zero rows for interior nodes, a ghost has its boundary node's
      kinds    uint8 [N]: 0 interior, 1 boundary, 2 ghost (names in KIND_NAMES)
      parts    int32 [N]: index into part_names of a boundary node's part (a ghost has its
               boundary node's), -1 for interior nodes
      part_names  list of the boundary parts' names
      dim, n_interior, n_boundary, n_ghost, size (N)
    """

    def __init__(self, native: "_dtpinn.NodeSet", report: str = ""):
        self._native = native
        #: what the engine reported making the nodes (domain, or the import summary)
        self.report = report

    dim = property(lambda self: int(self._native.dim), doc="spatial dimension, 2 or 3")
    n_interior = property(lambda self: int(self._native.n_interior), doc="Ni")
    n_boundary = property(lambda self: int(self._native.n_boundary), doc="Nb")
    n_ghost = property(lambda self: int(self._native.n_ghost), doc="Ng, 0 or Nb")
    size = property(lambda self: int(self._native.size), doc="N = Ni + Nb + Ng")
    part_names = property(lambda self: list(self._native.part_names),
                          doc="names of the boundary parts")

    @property
    def n_collocation(self) -> int:
        """Ni + Nb: the rows of L."""
        return self.n_interior + self.n_boundary

    @property
    def points(self) -> np.ndarray:
        """float64 [N, dim] coordinates (read-only view)."""
        return self._native.points

    @property
    def normals(self) -> np.ndarray:
        """float64 [N, dim] outward unit normals (read-only view; zero for interior nodes)."""
        return self._native.normals

    @property
    def kinds(self) -> np.ndarray:
        """uint8 [N]: 0 interior, 1 boundary, 2 ghost."""
        return self._native.kinds

    @property
    def parts(self) -> np.ndarray:
        """int32 [N]: the boundary part of each node (index into part_names), -1 interior."""
        return self._native.parts

    def torch(self, dtype: torch.dtype = torch.float64,
              device: Union[str, torch.device] = "cpu") -> Dict[str, torch.Tensor]:
        """points, normals (dtype, device), kinds and parts (int64) as torch tensors (copies)."""
        return {
            "points": torch.tensor(self.points, dtype=dtype, device=device),
            "normals": torch.tensor(self.normals, dtype=dtype, device=device),
            "kinds": torch.tensor(self.kinds, dtype=torch.int64, device=device),
            "parts": torch.tensor(self.parts, dtype=torch.int64, device=device),
        }

    def write(self, path: str) -> None:
        """Writes the nodes as `dtpinn nodes -o PATH` does (.csv, .ply or .vtk by extension)."""
        _dtpinn.write_nodes(self._native, str(path))

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return (f"NodeSet(dim={self.dim}, Ni={self.n_interior}, Nb={self.n_boundary}, "
                f"Ng={self.n_ghost}, parts={self.part_names})")


#: The most nodes `dtpinn nodes` generates (nodegen::kMaxNodes).
MAX_NODES = 200_000_000


def _whole_number(flag: str, value: Any, lo: int, hi: int, range_text: str) -> int:
    """`value` as an int in [lo, hi], else ValueError in the CLI's words ("FLAG: must be a whole
    number from ..., got VALUE") instead of a pybind11 TypeError about C++ argument types."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{flag}: must be a whole number {range_text}, got {value!r}")
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)) or not lo <= int(value) <= hi:
        raise ValueError(f"{flag}: must be a whole number {range_text}, got {value!r}")
    return int(value)


def nodes(domain: str, n: Optional[int] = None, h: Optional[float] = None, seed: int = 0,
          ghosts: bool = True, ghost_distance: Optional[float] = None, repulsion: int = 0,
          rescale: bool = False, keep_points: bool = False) -> NodeSet:
    """A node set, as `dtpinn nodes --domain DOMAIN [--n N | --h H] --seed S` makes it.

    domain: a shape name (see shape_names(): disk, rectangle, annulus, star, lshape, ball, box,
      ...) or a geometry file (.stl .obj .ply: surface mesh; .csv .xyz .txt: a node file, a
      boundary point cloud or a 2D outline; see `dtpinn nodes --help`).
    n: target number of collocation nodes Ni + Nb (>= 10); a shape needs n or h.
    h: target spacing instead of n.
    seed: same seed, same nodes (bitwise).
    ghosts: add one ghost node per boundary node (DT-PINN needs them).
    ghost_distance: ghost offset in spacings along the normal, 0.05 to 4 (default 1 in 2D,
      0.5 in 3D).
    repulsion: repulsion steps after the fill (shapes).
    rescale: geometry files only: rescale into the unit box.
    keep_points: boundary clouds only: the file's points as the boundary nodes, as they are
      (default: resampled at the spacing; `--keep-points`).
    Raises ValueError (bad request, unknown shape, bad file, a request larger than the machine's
    memory) or FileNotFoundError.
    """
    domain = os.fspath(domain)
    if n is not None:  # the engine's range messages for what fits its 64-bit count
        n = _whole_number("--n", n, -2**63 + 1, 2**63 - 1, f"from 10 to {MAX_NODES}")
    seed = _whole_number("--seed", seed, 0, 2**64 - 1, "from 0 to 2^64 - 1")
    try:
        native, report = _dtpinn.make_nodes(
            domain, int(n or 0), n is not None, float(h if h is not None else 0.0),
            h is not None, seed, bool(ghosts), float(ghost_distance or 0.0),
            ghost_distance is not None, int(repulsion), bool(rescale), bool(keep_points))
    except ValueError as e:
        _missing_file_check([domain] if _dtpinn.is_geometry_file(domain) else [], e)
    return NodeSet(native, report)


def read_nodes(path: str) -> NodeSet:
    """A node file (dtpinn's CSV, x,y[,z],kind,nx,ny[,nz][,part]) read as is (no ghosts added):
    what `dtpinn operators --nodes PATH` reads."""
    path = os.fspath(path)
    try:
        native = _dtpinn.read_nodes(path)
    except ValueError as e:
        _missing_file_check([path], e)
    return NodeSet(native, f"read: {path}")


def _csr_tensor(t: Tuple[np.ndarray, np.ndarray, np.ndarray, Tuple[int, int]]) -> torch.Tensor:
    row_ptr, col_idx, values, shape = t
    with warnings.catch_warnings():  # "sparse CSR support is in beta": not news to the user
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(row_ptr.astype(np.int64)),
                                       torch.from_numpy(col_idx.astype(np.int64)),
                                       torch.from_numpy(values), size=tuple(shape),
                                       dtype=torch.float64, check_invariants=False)


class Operators(dict):
    """The assembled matrices by name ("L", "B", "Dx", "Dy", "Dz", "L2") as fp64
    torch.sparse_csr_tensor, plus `info` (stencil rule, nnz, min rcond per matrix, and
    assembly_seconds) and `scipy()` (the same matrices as scipy.sparse.csr_matrix)."""

    info: Dict[str, Any]

    def scipy(self) -> Dict[str, Any]:
        """The matrices as scipy.sparse.csr_matrix (needs scipy)."""
        import scipy.sparse  # optional dependency

        return {k: scipy.sparse.csr_matrix(
            (a.values().numpy(), a.col_indices().numpy(), a.crow_indices().numpy()),
            shape=tuple(a.shape)) for k, a in self.items()}


def _coefficients(value: Any, name: str, nb: int) -> np.ndarray:
    a = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if a.ndim != 1 or a.size not in (1, nb):
        raise ValueError(f"boundary.{name}: one value or Nb = {nb} values, got shape "
                         f"{np.shape(value)}")
    if not np.all(np.isfinite(a)):
        raise ValueError("--alpha/--beta: must be finite")
    return a


def operators(nodes: NodeSet, order: int = 4, laplacian: bool = True,
              boundary: Union[Mapping[str, Any], bool, None] = None, gradient: bool = False,
              biharmonic: bool = False, threads: int = 0,
              boundary_stencil_factor: float = 0.0) -> Operators:
    """RBF-FD differentiation matrices of a node set, as `dtpinn operators` builds them
    (bitwise the same; rows and columns in the node order, see the module docstring).

    order: convergence order p, 2..6.
    laplacian: L, (Ni + Nb) x N.
    boundary: B = alpha du/dn + beta u, Nb x N: dict(alpha=..., beta=...) with one value or Nb
      values each (row k = boundary node Ni + k; alpha = 0 Dirichlet, beta = 0 Neumann); None or
      True means alpha = beta = 1 (the CLI's default), False builds no B.
    gradient: also Dx, Dy[, Dz], (Ni + Nb) x N.
    biharmonic: also L2, (Ni + Nb) x N.
    threads: OpenMP threads for the assembly (0: default).
    boundary_stencil_factor: f of the boundary stencils (0: 2 in 2D, 2.5 in 3D).
    Returns Operators: {"L": csr, "B": csr, ...} with .info and .scipy().
    """
    if not isinstance(nodes, NodeSet):
        raise ValueError("operators: nodes must be a dtpinn.NodeSet (dtpinn.nodes(...))")
    want_b = boundary is not False
    spec = dict(boundary) if isinstance(boundary, Mapping) else {}
    unknown = set(spec) - {"alpha", "beta"}
    if unknown:
        raise ValueError(f"boundary: unknown key '{sorted(unknown)[0]}' (alpha, beta)")
    nb = nodes.n_boundary
    alpha = _coefficients(spec.get("alpha", 1.0), "alpha", nb)
    beta = _coefficients(spec.get("beta", 1.0), "beta", nb)
    mats, info = _dtpinn.assemble(nodes._native, int(order), bool(laplacian), want_b, alpha, beta,
                                  bool(gradient), bool(biharmonic), int(threads),
                                  float(boundary_stencil_factor))
    out = Operators({name: _csr_tensor(t) for name, t in mats.items()})
    out.info = dict(info)
    return out


def _csr_arrays(A: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    if isinstance(A, torch.Tensor):
        if A.layout == torch.sparse_csr:
            A = A.detach().cpu()
            return (A.crow_indices().numpy(), A.col_indices().numpy(),
                    A.values().to(torch.float64).numpy(), A.shape[0], A.shape[1])
        if A.layout == torch.sparse_coo:
            return _csr_arrays(A.coalesce().to_sparse_csr())
        if A.layout == torch.strided and A.dim() == 2:
            return _csr_arrays(A.detach().to(torch.float64).cpu().to_sparse_csr())
    elif hasattr(A, "tocsr"):  # scipy.sparse
        A = A.tocsr()
        A.sort_indices()
        return A.indptr, A.indices, np.asarray(A.data, dtype=np.float64), A.shape[0], A.shape[1]
    raise ValueError("SparseOperator: A must be a 2D torch tensor (sparse CSR / COO or dense) "
                     "or a scipy.sparse matrix")


class SparseOperator:
    """y = A u as a differentiable op: forward A u, backward A^T g, with A^T stored explicitly
    (the engine's autodiff op, CPU SpMV or cuSPARSE). Call it on u of shape [cols] or
    [cols, k] (same dtype and device as the operator); the result is [rows] or [rows, k].
    The op is itself differentiable (double backward works), and on CUDA it may be captured in
    a CUDA graph after prepare(k).

    A: torch sparse CSR / COO / dense 2D tensor or scipy.sparse matrix (fp64 values).
    device: "cpu" or "cuda[:i]".  dtype: torch.float64 (default) or torch.float32.
    """

    def __init__(self, A: Any, device: Union[str, torch.device] = "cpu",
                 dtype: torch.dtype = torch.float64):
        dev = torch.device(device)
        if dev.type == "cuda":
            if not HAVE_CUDA:
                raise ValueError("device cuda: this dtpinn module was built without CUDA "
                                 "(no nvcc at build time)")
            if not torch.cuda.is_available():
                raise ValueError("device cuda: no CUDA device visible to torch")
        elif dev.type != "cpu":
            raise ValueError(f"device {dev}: must be cpu or cuda")
        if dtype not in (torch.float64, torch.float32):
            raise ValueError(f"dtype: must be torch.float64 or torch.float32, got {dtype}")
        rp, ci, va, rows, cols = _csr_arrays(A)
        self._op = _dtpinn.SparseOperator(rp, ci, va, int(rows), int(cols), str(dev), str(dtype))
        self.dtype = dtype

    rows = property(lambda self: int(self._op.rows), doc="rows of A")
    cols = property(lambda self: int(self._op.cols), doc="columns of A")
    nnz = property(lambda self: int(self._op.nnz), doc="stored entries of A")
    shape = property(lambda self: (self.rows, self.cols), doc="(rows, cols)")
    device = property(lambda self: torch.device(self._op.device), doc="where A lives")

    def _tensor(self, what: str, v: Any, length: int) -> torch.Tensor:
        if not isinstance(v, torch.Tensor):
            raise ValueError(f"SparseOperator: {what} must be a torch.Tensor of shape [{length}] or "
                             f"[{length}, k], got {type(v).__name__}")
        return v

    def __call__(self, u: torch.Tensor) -> torch.Tensor:
        """A u, recorded by autograd (backward A^T grad)."""
        return self._op.apply(self._tensor("u", u, self.cols))

    def multiply(self, u: torch.Tensor) -> torch.Tensor:
        """A u, not recorded by autograd."""
        return self._op.multiply(self._tensor("u", u, self.cols))

    def multiply_transpose(self, g: torch.Tensor) -> torch.Tensor:
        """A^T g, not recorded by autograd."""
        return self._op.multiply_transpose(self._tensor("g", g, self.rows))

    def prepare(self, k: int = 0) -> None:
        """CUDA: makes the cuSPARSE handles and work buffers for u [cols] (k = 0) or [cols, k]
        now, outside a CUDA graph capture (a first use inside a capture is refused). No-op on
        the CPU."""
        self._op.prepare(int(k))

    def to_sparse_csr(self) -> torch.Tensor:
        """A as a torch.sparse_csr_tensor on the operator's device and dtype."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return torch.sparse_csr_tensor(self._op.row_ptr, self._op.col_idx, self._op.values,
                                           size=self.shape, check_invariants=False)

    def __repr__(self) -> str:
        return (f"SparseOperator({self.rows} x {self.cols}, nnz={self.nnz}, "
                f"device={self.device}, dtype={self.dtype})")


# --- training --------------------------------------------------------------------------------

def _toml_key(k: str) -> str:
    k = str(k)
    return k if k and all(c.isalnum() or c in "_-" for c in k) else json.dumps(k)


def _toml_value(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, (str, os.PathLike)):
        return json.dumps(os.fspath(v))
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x, f'{where}.{k}')}"
                               for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, where) for x in v) + "]"
    raise ValueError(f"{where}: a {type(v).__name__} cannot be a config value")


def config_to_toml(config: Mapping[str, Any]) -> str:
    """The TOML text of a config dict: {"train": {"epochs": 50}, "bc": [{...}], ...}, where a
    key may also be dotted ({"train.epochs": 50}). The same keys as a run config file."""
    sections: Dict[str, Dict[str, Any]] = {}
    bcs: List[Mapping[str, Any]] = []
    for key, value in config.items():
        key = str(key)
        if key == "bc":
            if not isinstance(value, (list, tuple)) or not all(isinstance(b, Mapping)
                                                               for b in value):
                raise ValueError("bc: must be a list of tables (dicts)")
            bcs.extend(value)
        elif "." in key:
            section, name = key.split(".", 1)
            sections.setdefault(section, {})[name] = value
        elif isinstance(value, Mapping):
            sections.setdefault(key, {}).update(value)
        else:
            raise ValueError(f"{key}: expected a section table such as "
                             f"{{'train': {{'epochs': 100}}}} or a dotted key 'train.epochs'")
    lines: List[str] = []
    for section, table in sections.items():
        lines.append(f"[{_toml_key(section)}]")
        for k, v in table.items():
            lines.append(f"{_toml_key(k)} = {_toml_value(v, f'{section}.{k}')}")
    for i, b in enumerate(bcs, start=1):
        lines.append("[[bc]]")
        for k, v in b.items():
            lines.append(f"{_toml_key(k)} = {_toml_value(v, f'bc[{i}].{k}')}")
    return "\n".join(lines) + "\n"


def _set_pairs(keys: Union[Mapping[str, Any], Sequence[str], str, None]) -> List[Tuple[str, str]]:
    """train()'s `set`: a dict, a list of "KEY=VALUE" strings, or one such string, as pairs."""
    if keys is None:
        return []
    if isinstance(keys, Mapping):
        return [(str(k), v if isinstance(v, str) else _toml_value(v, str(k)).strip('"'))
                for k, v in keys.items()]
    items = [keys] if isinstance(keys, str) else keys
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise ValueError("set: a dict {\"train.epochs\": 20}, a list of \"KEY=VALUE\" strings or one "
                         f"such string, got {type(keys).__name__}")
    pairs = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"--set {item}: expected KEY=VALUE")
        pairs.append((key, value))
    return pairs


def train(config: Union[Mapping[str, Any], str, os.PathLike, None] = None,
          output: Optional[str] = None,
          set: Union[Mapping[str, Any], Sequence[str], str, None] = None,
          log: bool = True, plots: bool = True, threads: int = 0) -> Dict[str, Any]:
    """Trains as `dtpinn train CONFIG -o OUTPUT` does and returns its results.json as a dict
    (method, precision, device, pde, n_nodes, order, epochs, train_seconds, seconds_per_epoch,
    final_loss, loss_terms, test_rel_l2, best_test_rel_l2, epochs_to_best, seconds_to_best,
    history, ...), plus "run_dir" (the run folder, for load()).

    config: a run config file (TOML), a dict of the same keys ({"train": {"epochs": 20}} or
      {"train.epochs": 20}; [[bc]] as "bc": [ {...}, ... ]), or None for the default experiment.
    output: the run folder (default: a new temporary folder).
    set: more keys as --set KEY=VALUE does: {"train.method": "vanilla"}, ["train.epochs=20",
      "train.lr=0.5"] or "train.epochs=20".
    log: print the progress lines (stdout). plots: render the PNGs with gnuplot, as the CLI does.
    threads: CPU threads for LibTorch and the SpMV, as `--threads` (0: leave the default, all
      cores); it stays in force for the process afterwards, as torch.set_num_threads does.
    A key the run will not read (a parameter the equation does not use) gives a UserWarning,
    the line `dtpinn train` prints as "warning: ...".
    Raises ValueError (the CLI's one-line message; a run larger than the machine's memory is
    refused before it starts) or FileNotFoundError. Ctrl-C (or SIGTERM) during the run ends it
    within the current epoch (between two loss evaluations), writes the run folder
    (stop_reason "interrupted"; continue it with `dtpinn train --resume DIR`) and raises
    KeyboardInterrupt saying where it is.
    """
    sets = _set_pairs(set)
    if isinstance(config, (str, os.PathLike)):
        source, is_file, origin = os.fspath(config), True, os.fspath(config)
        if not os.path.exists(source):
            raise FileNotFoundError(f"config {source}: no such file")
        if os.path.isdir(source):
            raise ValueError(f"config {source}: is a folder, not a file")
    elif config is None:
        source, is_file, origin = "", False, "default"
    elif isinstance(config, Mapping):
        source, is_file, origin = config_to_toml(config), False, "<config dict>"
    else:
        raise ValueError("config: a dict, a path to a TOML file, or None")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads: a whole number >= 0 (0: all cores), got {threads!r}")
    for note in _dtpinn.config_warnings(source, is_file, origin, sets):
        warnings.warn(note, UserWarning, stacklevel=2)
    out = os.fspath(output) if output is not None else tempfile.mkdtemp(prefix="dtpinn-run-")
    # Ctrl-C / SIGTERM: the engine's handlers for the run (the epoch ends, the run is written,
    # then KeyboardInterrupt), Python's own back afterwards. Signals reach the main thread only.
    main = threading.current_thread() is threading.main_thread()
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        interrupted, _ = _dtpinn.train(source, is_file, origin, sets, out, bool(log),
                                       bool(plots), main, int(threads))
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
    if interrupted:
        raise KeyboardInterrupt(interrupted)
    with open(os.path.join(out, "results.json")) as f:
        results = json.load(f)
    results["run_dir"] = out
    return results


class TrainedModel(torch.nn.Module):
    """A trained network from a `dtpinn train` run folder: model(x) is u at the rows of x
    ([M, D], D = dim, or dim + 1 with t last for heat; tensor or array), shape [M] (a system
    of F fields: [M, F], one column per field in the config's order), differentiable in x. `config` is the run's config.toml text; `lower`/`upper` the box the
    inputs were normalised with. The weights are the engine's (on the CPU, fp64 or fp32)."""

    def __init__(self, native: "_dtpinn.Network", config: str, run_dir: str):
        super().__init__()
        self._net = native
        self.config = config
        self.run_dir = run_dir
        self.in_dim = int(native.in_dim)
        self.dtype = torch.float32 if native.dtype == "float32" else torch.float64
        self.lower = np.asarray(native.lower)
        self.upper = np.asarray(native.upper)

    def weights(self) -> List[torch.Tensor]:
        """The engine's weight tensors (shared, not copies)."""
        return list(self._net.parameters())

    def forward(self, x: Union[torch.Tensor, np.ndarray, Sequence[Sequence[float]]]
                ) -> torch.Tensor:
        x = x if isinstance(x, torch.Tensor) else torch.tensor(np.asarray(x))  # a copy
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"model: x must be [M, {self.in_dim}], got {list(x.shape)}")
        return self._net.forward(x.to(dtype=self.dtype, device="cpu"))

    def evaluate(self, x: Union[torch.Tensor, np.ndarray, Sequence[Sequence[float]]],
                 expr: Optional[Mapping[str, str]] = None) -> Dict[str, np.ndarray]:
        """The columns `dtpinn eval` writes after the coordinates, at the rows of x ([M, in_dim]),
        as {name: array [M]}: one per field (u; u, v, p for a system), then one per entry of
        `expr` (name -> an expression of the fields' values and first derivatives u, u_x, u_y,
        u_z, v_x, ... (u_t in time), x, y, z, t and the run's parameters, as `dtpinn eval --expr
        NAME=EXPR`; the derivatives by autograd of the network at the points). Raises ValueError
        ("expr NAME: ...") for a bad name or expression, or a value that is not finite."""
        x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"model: x must be [M, {self.in_dim}], got {list(x.shape)}")
        with open(os.path.join(self.run_dir, "checkpoint.json")) as f:
            fields = json.load(f).get("fields", ["u"])
        u = self.forward(torch.tensor(x)).detach().to(torch.float64).numpy().reshape(len(x), -1)
        out = {name: u[:, k].copy() for k, name in enumerate(fields)}
        if expr:
            if not isinstance(expr, Mapping):
                raise ValueError("expr: a dict {name: expression}, e.g. {\"g\": \"u_x + 2*u\"}")
            for name in expr:
                if not isinstance(name, str) or "=" in name:
                    raise ValueError(f"expr: {name!r} is not a name (a letter, then letters, "
                                     "digits or _)")
            definitions = [f"{name}={text}" for name, text in expr.items()]
            values = _dtpinn.evaluate_expressions(self._net, self.run_dir, x, definitions)
            out.update({name: values[:, k].copy() for k, name in enumerate(expr)})
        return out

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, dtype={self.dtype}, run_dir={self.run_dir!r}"


def load(run_dir: Union[str, os.PathLike]) -> TrainedModel:
    """The trained network of a `dtpinn train` run folder (checkpoint.json + model.pt), as a
    torch.nn.Module evaluating u at new points. Raises FileNotFoundError (no such folder, no
    checkpoint) or ValueError (a bad checkpoint)."""
    d = os.fspath(run_dir)
    if not os.path.isdir(d):
        raise FileNotFoundError(f"{d}: no such folder")
    try:
        native, config = _dtpinn.load_checkpoint(d)
    except ValueError as e:
        _missing_file_check([os.path.join(d, "checkpoint.json")], e)
    return TrainedModel(native, config, d)
