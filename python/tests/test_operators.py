"""Nodes and operators of the module equal those of the `dtpinn` command, bitwise."""
import numpy as np
import pytest
import torch

import dtpinn
from conftest import cli, read_mtx


def csr_entries(a):
    crow, col, val = a.crow_indices().numpy(), a.col_indices().numpy(), a.values().numpy()
    rows = np.repeat(np.arange(a.shape[0]), np.diff(crow))
    return list(zip(rows.tolist(), col.tolist(), val.tolist()))


@pytest.mark.parametrize("domain,n,order,alpha,beta", [
    ("disk", 800, 4, 1.0, 1.0),        # the paper's setting, smaller
    ("rectangle", 600, 3, 0.0, 1.0),   # Dirichlet rows, four parts
    ("box", 900, 2, 1.0, 0.0),         # 3D, Neumann
])
def test_operators_equal_the_cli_bitwise(tmp_path, exe, domain, n, order, alpha, beta):
    csv = tmp_path / "nodes.csv"
    cli("nodes", "--domain", domain, "--n", n, "--seed", 3, "-o", csv)
    cli("operators", "--nodes", csv, "--order", order, "--alpha", alpha, "--beta", beta,
        "--gradient", "-o", tmp_path / "ops")
    ops = dtpinn.operators(dtpinn.read_nodes(csv), order=order,
                           boundary=dict(alpha=alpha, beta=beta), gradient=True)
    names = ["L", "B", "Dx", "Dy"] + (["Dz"] if domain == "box" else [])
    assert sorted(ops) == sorted(names)
    for name in names:
        rows, cols, entries = read_mtx(tmp_path / "ops" / f"{name}.mtx")
        a = ops[name]
        assert a.layout == torch.sparse_csr and a.dtype == torch.float64
        assert tuple(a.shape) == (rows, cols)
        assert csr_entries(a) == entries, name  # same pattern, same doubles
        assert ops.info[name]["nnz"] == len(entries)
    # the node set made in Python is the one the command writes (and so has the same operators)
    made = dtpinn.nodes(domain, n=n, seed=3)
    read = dtpinn.read_nodes(csv)
    assert np.array_equal(made.points, read.points)
    assert np.array_equal(made.normals, read.normals)
    assert np.array_equal(made.kinds, read.kinds) and np.array_equal(made.parts, read.parts)
    assert made.part_names == read.part_names
    again = dtpinn.operators(made, order=order, boundary=dict(alpha=alpha, beta=beta))
    assert torch.equal(again["L"].values(), ops["L"].values())
    assert torch.equal(again["B"].col_indices(), ops["B"].col_indices())


def test_node_views_follow_the_documented_order():
    ns = dtpinn.nodes("rectangle", n=400, seed=1)
    ni, nb, N = ns.n_interior, ns.n_boundary, ns.size
    assert ns.n_ghost == nb and N == ni + 2 * nb and ns.points.shape == (N, 2)
    assert (ns.kinds[:ni] == 0).all() and (ns.kinds[ni:ni + nb] == 1).all()
    assert (ns.kinds[ni + nb:] == 2).all()
    assert ns.part_names == ["left", "right", "bottom", "top"]
    assert (ns.parts[:ni] == -1).all() and np.array_equal(ns.parts[ni:ni + nb], ns.parts[ni + nb:])
    # a left node is at x = min, and its outward normal is -x
    left = ni + np.flatnonzero(ns.parts[ni:ni + nb] == 0)
    assert len(left) > 5 and np.allclose(ns.points[left, 0], ns.points[:, 0][:ni + nb].min())
    # (one corner node (min, max) belongs to the left side, with the corner's diagonal normal)
    assert np.isclose(ns.normals[left, 0], -1.0).sum() >= len(left) - 1
    assert np.abs(np.linalg.norm(ns.normals[ni:], axis=1) - 1).max() < 1e-12
    assert not ns.normals[:ni].any()
    # ghost k lies outside along the normal of boundary node Ni + k
    d = ns.points[ni + nb:] - ns.points[ni:ni + nb]
    cross = d[:, 0] * ns.normals[ni:ni + nb, 1] - d[:, 1] * ns.normals[ni:ni + nb, 0]
    assert np.abs(cross).max() < 1e-12 and ((d * ns.normals[ni:ni + nb]).sum(1) > 0).all()
    with pytest.raises(ValueError):
        ns.points[0, 0] = 1.0  # a read-only view
    t = ns.torch()
    assert t["points"].dtype == torch.float64 and torch.equal(t["kinds"], torch.from_numpy(
        ns.kinds.astype(np.int64)))
    assert dtpinn.nodes("disk", n=300, ghosts=False).n_ghost == 0


def test_robin_coefficients_per_node_and_scipy():
    ns = dtpinn.nodes("disk", n=300, seed=0)
    nb = ns.n_boundary
    alpha = np.linspace(0.5, 2.0, nb)
    ops = dtpinn.operators(ns, order=4, boundary=dict(alpha=alpha, beta=3.0))
    # B = alpha n.grad + beta: on u = x (n.grad x = nx) RBF-FD is exact for a linear function
    x = torch.from_numpy(ns.points[:, 0].copy())
    nx = torch.from_numpy(ns.normals[ns.n_interior:ns.n_collocation, 0].copy())
    bx = ops["B"] @ x
    want = torch.from_numpy(alpha) * nx + 3.0 * x[ns.n_interior:ns.n_collocation]
    assert (bx - want).abs().max().item() < 1e-9
    assert "L" in ops and dtpinn.operators(ns, boundary=False).keys() == {"L"}
    sp = pytest.importorskip("scipy.sparse")
    s = ops.scipy()
    assert isinstance(s["B"], sp.csr_matrix)
    assert np.abs(s["B"] @ x.numpy() - bx.numpy()).max() < 1e-12
