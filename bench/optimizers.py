#!/usr/bin/env python3
"""Second-order training against L-BFGS, side by side in one run.

Trains the default experiment (unit disk, u = 1 + sin(pi x) cos(pi y), Robin, 4 x 50 tanh) with
each optimiser / output-layer variant for DT-PINN and the vanilla PINN on the same nodes, and
writes a table of test errors and times (the engine's training clock) to
bench/results/<machine>/optimizers.md (or --out), next to the classical RBF-FD solve's error on
the same nodes (the floor of any DT-PINN on them).

    python3 bench/optimizers.py                     # N = 1672, p = 4, 30 s per variant
    python3 bench/optimizers.py --n 19638 --order 5 --budget 600 --variants dtpinn-lbfgs,...

Variants run one after the other, alternating nothing: each is one process with the same
threads; the machine, the command, the date and the load are written with the table.
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

from bench_report import ROOT, machine_slug, provenance, write_lines

# name: (method, precision, optimizer, output_layer)
VARIANTS = {
    "dtpinn-lbfgs": ("dtpinn", "fp64", "lbfgs", "trained"),
    "dtpinn-lbfgs-ls": ("dtpinn", "fp64", "lbfgs", "least_squares"),
    "dtpinn-adam-ls": ("dtpinn", "fp64", "adam", "least_squares"),
    "dtpinn-gn": ("dtpinn", "fp64", "gauss_newton", "trained"),
    "dtpinn-gn-cg": ("dtpinn", "fp64", "gauss_newton", "trained"),
    "vanilla32-lbfgs": ("vanilla", "fp32", "lbfgs", "trained"),
    "vanilla64-lbfgs": ("vanilla", "fp64", "lbfgs", "trained"),
    "vanilla64-lbfgs-ls": ("vanilla", "fp64", "lbfgs", "least_squares"),
    "vanilla64-gn": ("vanilla", "fp64", "gauss_newton", "trained"),
}
DEFAULT = ("dtpinn-lbfgs,dtpinn-lbfgs-ls,dtpinn-adam-ls,dtpinn-gn,vanilla32-lbfgs,"
           "vanilla64-lbfgs,vanilla64-lbfgs-ls,vanilla64-gn")


def first_time(history, e):
    for h in history:
        if 0 <= h["test_rel_l2"] <= e:
            return h["seconds"]
    return None


def floor_error(dtpinn, n, order):
    sizes = ["--n", str(n)] if n else []
    out = subprocess.run([dtpinn, "solve", *sizes, "--order", str(order)], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"relative l2 error ([0-9.e+-]+)", out)
    return float(m.group(1)) if m else None


def run_variant(dtpinn, name, args, tmp):
    method, precision, optimizer, output_layer = VARIANTS[name]
    out = os.path.join(tmp, name)
    cmd = [dtpinn, "train", "--method", method, "--precision", precision, "--optimizer", optimizer,
           "--set", f"train.output_layer={output_layer}", "--order", str(args.order), "--time-budget", str(args.budget), "--set",
           f"train.eval_every={args.eval_every}", "--set", "train.log_every=1000000",
           "--threads", str(args.threads), "-o", out]
    if args.n:
        cmd += ["--n", str(args.n)]
    if name.endswith("-cg"):
        cmd += ["--set", "train.gn_solver=cg"]
    if optimizer == "adam":
        cmd += ["--epochs", "1000000"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    with open(os.path.join(out, "results.json")) as f:
        return cmd, json.load(f)


def fmt_t(t):
    return "-" if t is None else f"{t:.1f} s"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dtpinn", default=os.path.join(ROOT, "build", "dtpinn"))
    p.add_argument("--n", type=int, default=0, help="domain.n (default: the default experiment's)")
    p.add_argument("--order", type=int, default=4)
    p.add_argument("--budget", type=float, default=30.0, help="training seconds per variant")
    p.add_argument("--eval-every", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variants", default=DEFAULT)
    p.add_argument("--out", default=None, help="markdown file (default bench/results/...)")
    args = p.parse_args()
    slug = machine_slug()[0]
    out = args.out or os.path.join(ROOT, "bench", "results", slug, f"optimizers_n{args.n or 'default'}_p{args.order}.md")
    load_start = os.getloadavg()[0]
    floor = floor_error(args.dtpinn, args.n, args.order)
    target = 1.2 * floor if floor else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.variants.split(","):
            cmd, r = run_variant(args.dtpinn, name, args, tmp)
            h = r["history"]
            rows.append((name, r, first_time(h, 1e-3), first_time(h, 1e-4),
                         first_time(h, target) if target else None))
            print(f"{name}: best {r['best_test_rel_l2']:.3e} after {r['seconds_to_best']:.1f} s, "
                  f"{r['epochs']} epochs, {r['seconds_per_epoch']:.3f} s/epoch", flush=True)
    lines = [
        f"# Optimisers: Gauss-Newton, least-squares output layer, L-BFGS "
        f"({rows[0][1]['n_nodes']} nodes, p = {args.order})", "",
        *provenance("optimizers.py", load_start),
        f"- problem: the default experiment (unit disk, Robin, 4 x 50 tanh, seed 0), "
        f"{args.budget:g} s of training per variant, {args.threads} threads, test error every "
        f"{args.eval_every} epochs (21 983 test nodes)",
        f"- floor: the classical RBF-FD solve on the same nodes has relative l2 error "
        f"{floor:.3e} at the nodes (`dtpinn solve{' --n ' + str(args.n) if args.n else ''} "
        f"--order {args.order}`); "
        f"1.2x floor = {target:.2e}", "",
        "| variant | method | optimizer | output layer | epochs | s / epoch | to 1e-3 | to 1e-4 | "
        "to 1.2x floor | best test rel. l2 (at) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r, t3, t4, tf in rows:
        method, precision, optimizer, output_layer = VARIANTS[name]
        lines.append(
            f"| {name} | {method} {precision} | {optimizer} | {output_layer} | {r['epochs']} | "
            f"{r['seconds_per_epoch']:.3f} | {fmt_t(t3)} | {fmt_t(t4)} | {fmt_t(tf)} | "
            f"{r['best_test_rel_l2']:.2e} ({r['seconds_to_best']:.1f} s) |")
    write_lines(out, lines)


if __name__ == "__main__":
    main()
