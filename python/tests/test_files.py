"""Every CSV dtpinn writes loads anywhere: pandas.read_csv(path) and
numpy.genfromtxt(path, delimiter=",", names=True), both with no other option, give numeric
columns with the engine's values. Node files written before the part table moved out of the CSV
(a `# parts:` line after the header) still import."""
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import dtpinn
from conftest import cli

TINY = ["--set", "domain.n=250", "--set", "domain.test_n=600", "--set", "model.depth=2",
        "--set", "model.width=16", "--epochs", 4, "--no-plots", "-q"]


def load_both(path):
    """The file as pandas and numpy read it with their defaults."""
    frame = pd.read_csv(path)
    table = np.genfromtxt(path, delimiter=",", names=True)
    return frame, table


def assert_numeric(frame, table, columns):
    for c in columns:
        assert pd.api.types.is_float_dtype(frame[c]) or pd.api.types.is_integer_dtype(frame[c]), c
        assert np.isfinite(frame[c].to_numpy()).all(), c
        assert np.array_equal(frame[c].to_numpy(dtype=float), table[c]), c


@pytest.mark.parametrize("shape, columns", [("rectangle", ["x", "y", "nx", "ny"]),
                                            ("box", ["x", "y", "z", "nx", "ny", "nz"])])
def test_node_csv_loads_with_defaults(tmp_path, shape, columns):
    path = tmp_path / f"{shape}.csv"
    cli("nodes", "--domain", shape, "--n", 600, "--seed", 1, "-o", path)
    frame, table = load_both(path)
    ns = dtpinn.read_nodes(str(path))
    assert len(frame) == len(table) == ns.size
    assert_numeric(frame, table, columns)
    # The engine's node order and values, exactly (shortest round-trip decimals).
    assert np.array_equal(frame[columns[:ns.dim]].to_numpy(), ns.points)
    assert list(frame["kind"].unique()) == ["interior", "boundary", "ghost"]
    boundary = frame[frame["kind"] == "boundary"]
    assert set(boundary["part"]) == set(ns.part_names)
    assert frame[frame["kind"] == "interior"]["part"].isna().all()
    # The part table reads back exactly, from the sidecar when the rows do not give it.
    assert ns.part_names == dtpinn.nodes(shape, n=600, seed=1).part_names
    sidecar = tmp_path / f"{shape}.csv.parts"
    if sidecar.exists():
        assert [l for l in sidecar.read_text().splitlines() if l and not l.startswith("#")] \
            == ns.part_names


def test_old_node_files_with_a_parts_line_still_import(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("x,y,kind,nx,ny,part\n# parts: west empty east\n"
                   "0.5,0.5,interior,0,0,\n1,0.5,boundary,1,0,east\n0,0.5,boundary,-1,0,west\n"
                   "0.5,1,boundary,0,1,east\n0.5,0,boundary,0,-1,west\n")
    ns = dtpinn.read_nodes(str(old))
    assert ns.part_names == ["west", "empty", "east"]
    # Written again, the file is plain rows and the table (a part without nodes) is beside it.
    ns.write(str(tmp_path / "new.csv"))
    frame, table = load_both(tmp_path / "new.csv")
    assert_numeric(frame, table, ["x", "y", "nx", "ny"])
    assert (tmp_path / "new.csv.parts").exists()
    assert dtpinn.read_nodes(str(tmp_path / "new.csv")).part_names == ["west", "empty", "east"]


def test_run_outputs_load_with_defaults(tmp_path):
    run = tmp_path / "run"
    cli("train", *TINY, "-o", run)
    results = json.loads((run / "results.json").read_text())
    frame, table = load_both(run / "history.csv")
    terms = list(results["loss_terms"])
    assert_numeric(frame, table, ["epoch", "seconds", "loss", *terms, "test_rel_l2"])
    assert list(frame["epoch"]) == [h["epoch"] for h in results["history"]]
    assert np.allclose(frame["test_rel_l2"], [h["test_rel_l2"] for h in results["history"]])
    # eval's output
    nodes = tmp_path / "nodes.csv"
    cli("nodes", "--domain", "disk", "--n", 200, "--seed", 3, "-o", nodes)
    cli("eval", run, "--points", nodes, "-o", tmp_path / "u.csv")
    frame, table = load_both(tmp_path / "u.csv")
    assert list(frame.columns) == ["x", "y", "u"]
    assert_numeric(frame, table, ["x", "y", "u"])
    model = dtpinn.load(str(run))
    u = model(frame[["x", "y"]].to_numpy()).detach().numpy()
    assert np.abs(u - frame["u"].to_numpy()).max() <= 1e-12 * np.abs(u).max()
    # solve's solution.csv
    cli("solve", "--n", 300, "--no-plots", "-q", "-o", tmp_path / "solve")
    frame, table = load_both(tmp_path / "solve" / "solution.csv")
    assert list(frame.columns) == ["x", "y", "u", "exact", "error"]
    assert_numeric(frame, table, ["x", "y", "u", "exact", "error"])
    assert np.abs(frame["u"] - frame["exact"]).max() < 1e-2


def test_version_threads_and_unused_parameters(tmp_path):
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", dtpinn.__version__)
    assert cli("--version").stdout.startswith(f"dtpinn {dtpinn.__version__} (commit ")
    assert re.fullmatch(r"[0-9a-f]{12}|unknown", dtpinn.git_commit)
    config = {"domain": {"n": 200, "test_n": 600}, "model": {"depth": 1, "width": 8},
              "train": {"epochs": 2}, "problem": {"params": {"k": 2.0}}}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = dtpinn.train(config, output=tmp_path / "run", log=False, plots=False, threads=1)
    assert r["dtpinn_version"] == dtpinn.__version__ and r["git_commit"] == dtpinn.git_commit
    notes = [str(w.message) for w in seen if issubclass(w.category, UserWarning)]
    assert any(n.startswith("problem.params.k: not used") for n in notes), notes
    with pytest.raises(ValueError, match="threads"):
        dtpinn.train(config, output=tmp_path / "bad", log=False, plots=False, threads=-1)
