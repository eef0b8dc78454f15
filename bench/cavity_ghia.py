#!/usr/bin/env python3
"""The lid-driven cavity (Re = 100) against Ghia, Ghia & Shin (1982), at several node counts.

Solves data/configs/cavity.toml with `dtpinn solve --n N` for each N, reads u along the vertical
centreline and v along the horizontal one at the points of Ghia et al.'s Table I and II (their
unit square is x' = (x + 1)/2), and writes the largest deviations to
bench/results/<machine>/cavity_ghia.md (or --out) with the machine, the command and the date.

    python3 bench/cavity_ghia.py                        # N = 1500, 3000, 6000, p = 3
    python3 bench/cavity_ghia.py --n 3000,6000 --order 4

The solution at a centreline point is the value at it of a quadratic least-squares fit to the 15
nearest nodes (the nodes are scattered; the fit is exact for quadratics, so its own error is
O(h^3), below the deviations measured).
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile

from bench_report import ROOT, machine_slug, provenance, write_lines

# Ghia, Ghia & Shin (1982), Re = 100: u(0.5, y') (Table I) and v(x', 0.5) (Table II).
GHIA_Y = [1.0, .9766, .9688, .9609, .9531, .8516, .7344, .6172, .5, .4531, .2813, .1719, .1016,
          .0703, .0625, .0547, 0.0]
GHIA_U = [1.0, .84123, .78871, .73722, .68717, .23151, .00332, -.13641, -.20581, -.21090,
          -.15662, -.10150, -.06434, -.04775, -.04192, -.03717, 0.0]
GHIA_X = [1.0, .9688, .9609, .9531, .9453, .9063, .8594, .8047, .5, .2344, .2266, .1563, .0938,
          .0781, .0703, .0625, 0.0]
GHIA_V = [0.0, -.05906, -.07391, -.08864, -.10313, -.16914, -.22445, -.24533, .05454, .17527,
          .17507, .16077, .12317, .10890, .10091, .09233, 0.0]


def solve6(a, b):
    """Solves the 6 x 6 system a x = b by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            for k in range(c, n + 1):
                m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def fit_at(nodes, values, px, py, k=15):
    """The value at (px, py) of the quadratic least-squares fit to the k nearest nodes."""
    near = sorted(range(len(nodes)), key=lambda i: (nodes[i][0] - px) ** 2 +
                  (nodes[i][1] - py) ** 2)[:k]
    ata = [[0.0] * 6 for _ in range(6)]
    atb = [0.0] * 6
    for i in near:
        dx, dy = nodes[i][0] - px, nodes[i][1] - py
        row = [1.0, dx, dy, dx * dx, dx * dy, dy * dy]
        for r in range(6):
            atb[r] += row[r] * values[i]
            for c in range(6):
                ata[r][c] += row[r] * row[c]
    return solve6(ata, atb)[0]


def deviations(solution_csv):
    with open(solution_csv) as f:
        rows = list(csv.DictReader(f))
    nodes = [(float(r["x"]), float(r["y"])) for r in rows]
    u = [float(r["u"]) for r in rows]
    v = [float(r["v"]) for r in rows]
    du = [abs(fit_at(nodes, u, 0.0, 2 * y - 1) - g) for y, g in zip(GHIA_Y, GHIA_U)]
    dv = [abs(fit_at(nodes, v, 2 * x - 1, 0.0) - g) for x, g in zip(GHIA_X, GHIA_V)]
    iu, iv = max(range(len(du)), key=du.__getitem__), max(range(len(dv)), key=dv.__getitem__)
    return du[iu], GHIA_Y[iu], dv[iv], GHIA_X[iv]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dtpinn", default=os.path.join(ROOT, "build", "dtpinn"))
    p.add_argument("--config", default=os.path.join(ROOT, "data", "configs", "cavity.toml"))
    p.add_argument("--n", default="1500,3000,6000", help="node counts, comma-separated")
    p.add_argument("--order", type=int, default=3)
    p.add_argument("--out", default=None, help="markdown file (default bench/results/...)")
    args = p.parse_args()
    slug = machine_slug()[0]
    out = args.out or os.path.join(ROOT, "bench", "results", slug, "cavity_ghia.md")
    load_start = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.n.split(",")]:
            folder = os.path.join(tmp, str(n))
            subprocess.run([args.dtpinn, "solve", args.config, "--n", str(n), "--order",
                            str(args.order), "-q", "--no-plots", "-o", folder], check=True)
            with open(os.path.join(folder, "results.json")) as f:
                r = json.load(f)
            du, yu, dv, xv = deviations(os.path.join(folder, "solution.csv"))
            rows.append((r["n_nodes"], r["solve_seconds"], r["newton_iterations"],
                         r.get("lu_factorisations", 0), du, yu, dv, xv))
            print(f"N = {r['n_nodes']}: max |u - Ghia| {du:.4f} at y' = {yu}, max |v - Ghia| "
                  f"{dv:.4f} at x' = {xv}; solve {r['solve_seconds']:.1f} s, "
                  f"{r['newton_iterations']} Newton iterations", flush=True)
    lines = [
        f"# Lid-driven cavity, Re = 100, against Ghia, Ghia & Shin (1982) (p = {args.order})", "",
        *provenance("cavity_ghia.py", load_start),
        "- config: data/configs/cavity.toml (the singular lid u = 1, `dtpinn solve --n N`); "
        "deviations over the 17 points of each of Ghia's centreline tables", "",
        "| N | solve s | Newton iterations | LU factorisations | max \\|u - Ghia\\| (at y') | "
        "max \\|v - Ghia\\| (at x') |",
        "| --- | --- | --- | --- | --- | --- |"]
    for n, s, it, lu, du, yu, dv, xv in rows:
        lines.append(f"| {n} | {s:.1f} | {it} | {lu} | {du:.4f} ({yu}) | {dv:.4f} ({xv}) |")
    write_lines(out, lines)


if __name__ == "__main__":
    main()
