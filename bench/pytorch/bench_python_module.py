#!/usr/bin/env python3
"""Time per L-BFGS iteration: the Python module's example (examples/python/poisson_disk.py: nodes,
operators and the SpMV op from `dtpinn`) against the plain-PyTorch reference
bench/pytorch/dtpinn_torch.py (torch sparse CSR with an explicit transpose), on the same nodes
and operators, in one process, alternating, medians.

Both run the example's problem (unit disk, p = 4, Robin alpha = beta = 1, N = 1663 by default)
with the same network shape (4 x 50 tanh, fp64) and the reference's timing harness
(torch.optim.LBFGS, lr 0.04, max_iter 20, history 100, no line search: time per closure call,
median of --repeats L-BFGS steps after a warm-up step). The reference reads the node CSV and the
MatrixMarket files that `dtpinn nodes` / `dtpinn operators` write for the same nodes (bitwise the
module's, python/tests/test_operators.py).

Usage (from the clone, after the build):
  PYTHONPATH=build/python python bench/pytorch/bench_python_module.py --exe build/dtpinn \
      --threads 2 --rounds 5 --out bench/results/cpu-2core-amd-epyc/python_module.md
"""
import argparse
import datetime
import importlib.util
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile

import torch

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import dtpinn_torch as ref  # noqa: E402

import dtpinn  # noqa: E402


def load_example():
    spec = importlib.util.spec_from_file_location(
        "poisson_disk", ROOT / "examples" / "python" / "poisson_disk.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor()}, {os.cpu_count()} logical CPUs, {platform.system()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exe", default=str(ROOT / "build" / "dtpinn"), help="the dtpinn command")
    ap.add_argument("--n", type=int, default=1663)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5, help="alternations of the two")
    ap.add_argument("--repeats", type=int, default=5, help="L-BFGS steps per measurement")
    ap.add_argument("--out", default="", help="markdown file to write")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ex = load_example()

    # The module's side: the example's problem, network and loss.
    x, L, B, f, g = ex.problem(a.n)
    # The reference's side: the same nodes and operators through files, as it reads them.
    work = pathlib.Path(tempfile.mkdtemp(prefix="dtpinn-bench-"))
    dtpinn.nodes("disk", n=a.n, seed=0).write(str(work / "nodes.csv"))
    subprocess.run([a.exe, "operators", "--nodes", work / "nodes.csv", "--order", "4", "--alpha",
                    "1", "--beta", "1", "-o", work], check=True, stdout=subprocess.DEVNULL)
    rx, rn, ni, nb = ref.read_nodes(work / "nodes.csv")
    assert torch.equal(rx, x), "the two sides must use the same nodes"
    RL, RB = ref.read_mtx(work / "L.mtx"), ref.read_mtx(work / "B.mtx")
    RLt, RBt = RL.t().coalesce().to_sparse_csr(), RB.t().coalesce().to_sparse_csr()
    RL, RB = RL.to_sparse_csr(), RB.to_sparse_csr()
    rf, _ = ref.rhs(rx[: ni + nb], rn[: ni + nb])
    _, rg = ref.rhs(rx[ni: ni + nb], rn[ni: ni + nb])
    assert (rf - f).abs().max() < 1e-12 and (rg - g).abs().max() < 1e-12

    def module_step():
        net = ref.mlp(torch.float64)

        def make(opt):
            def closure():
                opt.zero_grad()
                loss = ex.loss_fn(net, x, L, B, f, g)
                loss.backward()
                return loss
            return closure
        return ref.time_lbfgs(make, net, 0.04, a.repeats)

    def reference_step():
        net = ref.mlp(torch.float64)
        return ref.time_lbfgs(
            lambda opt: ref.dtpinn_closure(net, rx, rf, rg, RL, RLt, RB, RBt, opt), net, 0.04,
            a.repeats)

    load_before = os.getloadavg()[0]
    mod, tor = [], []
    for r in range(a.rounds):
        for name, fn, acc in (("module", module_step, mod), ("torch", reference_step, tor))[
                :: 1 if r % 2 == 0 else -1]:
            acc.append(fn())
            print(f"round {r + 1}: {name} {acc[-1]:.3f} ms per L-BFGS iteration", flush=True)
    m, t = statistics.median(mod), statistics.median(tor)
    print(f"median: module {m:.3f} ms, torch reference {t:.3f} ms, ratio {m / t:.3f}")
    if a.out:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        cmd = " ".join(["PYTHONPATH=build/python", "python", "bench/pytorch/bench_python_module.py",
                        "--exe", "build/dtpinn", "--n", str(a.n), "--threads", str(a.threads),
                        "--rounds", str(a.rounds), "--repeats", str(a.repeats), "--out", a.out])
        text = f"""# The Python module's example vs the plain-PyTorch DT-PINN: time per L-BFGS iteration

- machine: {machine()}
- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}
- Python {platform.python_version()}, torch {torch.__version__}, {a.threads} thread(s); load
  average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (a shared VM)
- command: `{cmd}`
- problem: unit disk, N = {x.shape[0]} nodes (Ni = {ni}, Nb = {nb}, with ghosts), p = 4, Robin
  alpha = beta = 1; 4 x 50 tanh MLP in fp64; L-BFGS lr 0.04, max_iter 20, history 100, no line
  search; time per closure call (forward, loss, backward), median of {a.repeats} steps after a
  warm-up step; {a.rounds} rounds, the two alternating (which goes first alternates too).

| | ms per L-BFGS iteration (median of the rounds) | rounds (ms) |
| --- | --- | --- |
| `dtpinn.SparseOperator` (examples/python/poisson_disk.py) | {m:.3f} | {", ".join(f"{v:.3f}" for v in mod)} |
| torch sparse CSR + explicit transpose (bench/pytorch/dtpinn_torch.py) | {t:.3f} | {", ".join(f"{v:.3f}" for v in tor)} |

Ratio module / reference: {m / t:.3f}.
"""
        pathlib.Path(a.out).write_text(text)
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
