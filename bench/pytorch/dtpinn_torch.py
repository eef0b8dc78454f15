#!/usr/bin/env python3
"""PyTorch reference implementation of DT-PINN and the autograd (vanilla) PINN, for timing.

Written for this project after the DT-PINN paper's method: the network u(x) is a
4 x 50 tanh MLP; DT-PINN applies the sparse RBF-FD operators L and B through a custom autograd
function (forward L u with torch sparse CSR, backward L^T g with L^T stored explicitly, as in the
paper's appendix A.2); the vanilla PINN takes the Laplacian and the normal derivative by autograd
(create_graph). Both use torch.optim.LBFGS (lr 0.04 / 0.2, max_iter 20, history 100, no line
search) or Adam, with the loss of the paper's eq. (12): mean((L u - f)^2) + mean((B u - g)^2).

Problem: Poisson on the nodes' domain with Robin alpha = beta = 1 and the manufactured solution
u = 1 + sin(pi x) cos(pi y) (so f = Delta u, g = du/dn + u).

Inputs (same files as the C++ engine): a node CSV (header x,y,kind,nx,ny, kinds interior |
boundary | ghost, NodeSet ordering: interior, boundary, ghost) and L.mtx ((Ni+Nb) x N) and B.mtx
(Nb x N) in MatrixMarket coordinate format, as written by `dtpinn nodes` / `dtpinn operators`
or by build/bench/bench_optim_step. Needs only torch (no numpy / scipy).

Usage:
  python bench/pytorch/dtpinn_torch.py --dir DIR [--threads 2] [--repeats 5] [--json out.json]
Prints one line per measurement and writes medians (ms) to --json.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch


def read_nodes(path):
    pts, kinds, normals = [], [], []
    with open(path) as f:
        header = f.readline().strip().split(",")
        if header[:3] != ["x", "y", "kind"]:
            sys.exit(f"{path}:1: expected a 2D node CSV header x,y,kind,nx,ny")
        for line_no, line in enumerate(f, start=2):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            c = line.split(",")
            if len(c) not in (5, 6):  # x,y,kind,nx,ny[,part]
                sys.exit(f"{path}:{line_no}: expected 5 or 6 columns")
            pts.append((float(c[0]), float(c[1])))
            kinds.append(c[2])
            normals.append((float(c[3]), float(c[4])))
    order = {"interior": 0, "boundary": 1, "ghost": 2}
    idx = sorted(range(len(pts)), key=lambda i: order[kinds[i]])  # stable: keeps file order
    x = torch.tensor([pts[i] for i in idx], dtype=torch.float64)
    n = torch.tensor([normals[i] for i in idx], dtype=torch.float64)
    ni = sum(1 for k in kinds if k == "interior")
    nb = sum(1 for k in kinds if k == "boundary")
    return x, n, ni, nb


def read_mtx(path):
    with open(path) as f:
        header = f.readline()
        if not header.startswith("%%MatrixMarket matrix coordinate"):
            sys.exit(f"{path}:1: not a MatrixMarket coordinate file")
        line = f.readline()
        while line.startswith("%"):
            line = f.readline()
        rows, cols, nnz = (int(v) for v in line.split())
        r = torch.empty(nnz, dtype=torch.int64)
        c = torch.empty(nnz, dtype=torch.int64)
        v = torch.empty(nnz, dtype=torch.float64)
        for k in range(nnz):
            a, b, w = f.readline().split()
            r[k], c[k], v[k] = int(a) - 1, int(b) - 1, float(w)
    coo = torch.sparse_coo_tensor(torch.stack([r, c]), v, (rows, cols)).coalesce()
    return coo


class SparseApply(torch.autograd.Function):
    """y = A u; backward A^T g with A^T stored explicitly (CSR)."""

    @staticmethod
    def forward(ctx, u, a, at):
        ctx.at = at
        return a @ u

    @staticmethod
    def backward(ctx, g):
        return ctx.at @ g, None, None


def mlp(dtype, seed=0, width=50, depth=4):
    torch.manual_seed(seed)
    layers, d = [], 2
    for _ in range(depth):
        lin = torch.nn.Linear(d, width)
        torch.nn.init.xavier_normal_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers += [lin, torch.nn.Tanh()]
        d = width
    out = torch.nn.Linear(d, 1)
    torch.nn.init.xavier_normal_(out.weight)
    torch.nn.init.zeros_(out.bias)
    return torch.nn.Sequential(*layers, out).to(dtype)


def exact(x):
    return 1 + torch.sin(math.pi * x[:, 0]) * torch.cos(math.pi * x[:, 1])


def rhs(x, n):
    s, c = torch.sin(math.pi * x[:, 0]), torch.cos(math.pi * x[:, 1])
    f = -2 * math.pi ** 2 * s * c
    ux = math.pi * torch.cos(math.pi * x[:, 0]) * c
    uy = -math.pi * s * torch.sin(math.pi * x[:, 1])
    g = n[:, 0] * ux + n[:, 1] * uy + 1 + s * c
    return f, g


def dtpinn_closure(net, x, f, g, L, Lt, B, Bt, opt):
    def closure():
        opt.zero_grad()
        u = net(x).squeeze(1)
        r1 = SparseApply.apply(u, L, Lt) - f
        r2 = SparseApply.apply(u, B, Bt) - g
        loss = r1.pow(2).mean() + r2.pow(2).mean()
        loss.backward()
        return loss

    return closure


def vanilla_closure(net, xc, nb_normals, ni, f, g, opt):
    def closure():
        opt.zero_grad()
        xr = xc.detach().requires_grad_(True)
        u = net(xr).squeeze(1)
        (du,) = torch.autograd.grad(u.sum(), xr, create_graph=True)
        (uxx,) = torch.autograd.grad(du[:, 0].sum(), xr, create_graph=True)
        (uyy,) = torch.autograd.grad(du[:, 1].sum(), xr, create_graph=True)
        lap = uxx[:, 0] + uyy[:, 1]
        dudn = (du[ni:] * nb_normals).sum(1)
        r1 = lap - f
        r2 = dudn + u[ni:] - g
        loss = r1.pow(2).mean() + r2.pow(2).mean()
        loss.backward()
        return loss

    return closure


SYNC = lambda: None  # torch.cuda.synchronize on a GPU: a clock is read only after the work ends


def time_lbfgs(make_closure, net, lr, repeats):
    opt = torch.optim.LBFGS(net.parameters(), lr=lr, max_iter=20, history_size=100,
                            line_search_fn=None)
    calls = [0]
    inner = make_closure(opt)

    def counted():
        calls[0] += 1
        return inner()

    opt.step(counted)  # warm-up epoch
    per_iter = []
    for _ in range(repeats):
        calls[0] = 0
        SYNC()
        t0 = time.perf_counter()
        opt.step(counted)
        SYNC()
        per_iter.append((time.perf_counter() - t0) / max(calls[0], 1) * 1e3)
    return statistics.median(per_iter)


def time_adam(make_closure, net, repeats, steps=20):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    closure = make_closure(opt)
    for _ in range(3):
        closure()
        opt.step()
    per_step = []
    for _ in range(repeats):
        SYNC()
        t0 = time.perf_counter()
        for _ in range(steps):
            closure()
            opt.step()
        SYNC()
        per_step.append((time.perf_counter() - t0) / steps * 1e3)
    return statistics.median(per_step)


def time_closure(make_closure, net, repeats, calls=20):
    opt = torch.optim.SGD(net.parameters(), lr=0.0)
    closure = make_closure(opt)
    closure()
    per = []
    for _ in range(repeats):
        SYNC()
        t0 = time.perf_counter()
        for _ in range(calls):
            closure()
        SYNC()
        per.append((time.perf_counter() - t0) / calls * 1e3)
    return statistics.median(per)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="folder with nodes.csv, L.mtx, B.mtx")
    ap.add_argument("--nodes", default="nodes.csv")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", default="")
    ap.add_argument("--skip-vanilla", action="store_true")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    a = ap.parse_args()
    global SYNC
    dev = torch.device(a.device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            sys.exit("--device cuda: no CUDA device visible to torch")
        SYNC = torch.cuda.synchronize
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    x, n, ni, nb = read_nodes(f"{a.dir}/{a.nodes}")
    L = read_mtx(f"{a.dir}/L.mtx")
    B = read_mtx(f"{a.dir}/B.mtx")
    N = x.shape[0]
    if L.shape != (ni + nb, N) or B.shape != (nb, N):
        sys.exit(f"{a.dir}: operator shapes {tuple(L.shape)}, {tuple(B.shape)} do not fit "
                 f"Ni={ni}, Nb={nb}, N={N}")
    Lt, Bt = L.t().coalesce().to_sparse_csr().to(dev), B.t().coalesce().to_sparse_csr().to(dev)
    L, B = L.to_sparse_csr().to(dev), B.to_sparse_csr().to(dev)
    x, n = x.to(dev), n.to(dev)
    xc = x[: ni + nb]
    f, _ = rhs(xc, n[: ni + nb])
    _, g = rhs(x[ni: ni + nb], n[ni: ni + nb])
    res = {"torch": torch.__version__, "device": str(dev) if dev.type == "cpu" else
           torch.cuda.get_device_name(dev), "threads": torch.get_num_threads(), "N": N,
           "Ni": ni, "Nb": nb, "P": sum(p.numel() for p in mlp(torch.float64).parameters())}

    def dt(dtype):
        net = mlp(dtype).to(dev)
        cast = lambda t: t.to(dtype)
        Ls = [m.to(dtype) for m in (L, Lt, B, Bt)]
        return net, (lambda opt: dtpinn_closure(net, cast(x), cast(f), cast(g), *Ls, opt))

    net, mk = dt(torch.float64)
    res["dtpinn_fp64_closure_ms"] = time_closure(mk, net, a.repeats)
    net, mk = dt(torch.float64)
    res["dtpinn_fp64_lbfgs_iter_ms"] = time_lbfgs(mk, net, 0.04, a.repeats)
    net, mk = dt(torch.float64)
    res["dtpinn_fp64_adam_step_ms"] = time_adam(mk, net, a.repeats)
    if not a.skip_vanilla:
        for name, dtype in (("fp32", torch.float32), ("fp64", torch.float64)):
            net = mlp(dtype).to(dev)
            xcd, nd = xc.to(dtype), n[ni: ni + nb].to(dtype)
            mk = lambda opt, net=net, xcd=xcd, nd=nd, dtype=dtype: vanilla_closure(
                net, xcd, nd, ni, f.to(dtype), g.to(dtype), opt)
            res[f"vanilla_{name}_lbfgs_iter_ms"] = time_lbfgs(mk, net, 0.2, a.repeats)
    for k, v in res.items():
        print(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}")
    if a.json:
        with open(a.json + ".tmp", "w") as fh:
            json.dump(res, fh, indent=1)
        import os
        os.replace(a.json + ".tmp", a.json)


if __name__ == "__main__":
    main()
