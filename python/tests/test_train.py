"""dtpinn.train is `dtpinn train`; dtpinn.load evaluates its checkpoint as `dtpinn eval` does."""
import json

import numpy as np
import pytest
import torch

import dtpinn
from conftest import cli

SMALL = {"domain": {"n": 200, "test_n": 1000}, "train": {"epochs": 3, "time_budget": 0.0}}


def test_train_is_the_cli_run_and_load_evaluates_it(tmp_path):
    r = dtpinn.train(SMALL, output=tmp_path / "py", log=False, plots=False)
    assert r["run_dir"] == str(tmp_path / "py")
    cli("train", "--n", 200, "--set", "domain.test_n=1000", "--epochs", 3, "--time-budget", 0,
        "--threads", 2, "-o", tmp_path / "cli")
    c = json.loads((tmp_path / "cli" / "results.json").read_text())
    for key in ("method", "precision", "device", "pde", "n_nodes", "n_interior", "n_boundary",
                "order", "epochs", "n_parameters"):
        assert r[key] == c[key], key
    assert r["epochs"] == 3 and len(r["history"]) >= 2 and 0 < r["test_rel_l2"] < 1
    # same nodes, operators and initial network: the same loss at epoch 0 (docs/user/python.md)
    assert r["history"][0]["epoch"] == 0
    assert r["history"][0]["loss"] == pytest.approx(c["history"][0]["loss"], rel=1e-12)
    assert r["best_test_rel_l2"] <= r["history"][0]["test_rel_l2"]

    model = dtpinn.load(r["run_dir"])
    assert isinstance(model, torch.nn.Module) and model.in_dim == 2
    pts = dtpinn.nodes("disk", n=150, seed=5, ghosts=False).points
    np.savetxt(tmp_path / "p.csv", pts, delimiter=",", header="x,y", comments="", fmt="%.17g")
    cli("eval", r["run_dir"], "--points", tmp_path / "p.csv", "-o", tmp_path / "u.csv")
    want = np.loadtxt(tmp_path / "u.csv", delimiter=",", skiprows=1)[:, -1]
    x = torch.from_numpy(pts.copy()).requires_grad_(True)
    u = model(x)
    assert u.shape == (len(pts),)
    assert np.abs(u.detach().numpy() - want).max() < 1e-9 * np.abs(want).max()
    (du,) = torch.autograd.grad(u.sum(), x)  # differentiable in x
    assert du.shape == x.shape and torch.isfinite(du).all() and du.abs().max() > 0
    assert "[train]" in model.config and len(model.weights()) == 10  # 5 layers: W, b
    # expressions of u and its first derivatives, as `dtpinn eval --expr`: against autograd
    got = model.evaluate(pts, expr={"g": "u_x + 2*u", "h": "x*u_y - y"})
    assert list(got) == ["u", "g", "h"]
    du = du.detach().numpy()
    assert np.abs(got["u"] - u.detach().numpy()).max() < 1e-14
    assert np.abs(got["g"] - (du[:, 0] + 2 * got["u"])).max() < 1e-12
    assert np.abs(got["h"] - (pts[:, 0] * du[:, 1] - pts[:, 1])).max() < 1e-12
    cli("eval", r["run_dir"], "--points", tmp_path / "p.csv", "-o", tmp_path / "g.csv",
        "--expr", "g=u_x + 2*u")
    assert np.abs(np.loadtxt(tmp_path / "g.csv", delimiter=",", skiprows=1)[:, -1]
                  - got["g"]).max() < 1e-12
    with pytest.raises(ValueError, match=r"^expr g: \"u_xx\" uses u_xx"):
        model.evaluate(pts, expr={"g": "u_xx"})
    # a node file as `dtpinn nodes` writes it (interior rows end in an empty part field)
    ns = dtpinn.nodes("rectangle", n=120, seed=2)
    ns.write(str(tmp_path / "n.csv"))
    cli("eval", r["run_dir"], "--points", tmp_path / "n.csv", "-o", tmp_path / "un.csv")
    got = np.loadtxt(tmp_path / "un.csv", delimiter=",", skiprows=1)
    assert got.shape == (ns.size, 3) and np.array_equal(got[:, :2], ns.points)
    un = model(ns.points).detach().numpy()
    assert np.abs(got[:, 2] - un).max() < 1e-9 * np.abs(un).max()


def test_config_file_and_overrides(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('[domain]\nn = 150\ntest_n = 800\n[train]\nepochs = 1\ntime_budget = 0.0\n')
    r = dtpinn.train(str(cfg), output=tmp_path / "a", set={"train.epochs": 2, "rbffd.order": 3},
                     log=False, plots=False)
    assert r["epochs"] == 2 and r["order"] == 3 and r["n_nodes"] < 170
    assert dtpinn.config_to_toml({"train.lr": 0.5, "bc": [{"on": "boundary", "type": "robin"}]}) \
        == '[train]\nlr = 0.5\n[[bc]]\non = "boundary"\ntype = "robin"\n'


def test_ctrl_c_ends_the_run_written_and_restores_python_handlers(tmp_path):
    import os
    import signal
    import threading

    cfg = {"domain": {"n": 200, "test_n": 1000}, "train": {"epochs": 100000, "time_budget": 0.0}}
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt, match=r"^interrupted \(SIGINT\) at epoch \d+: the run"):
        dtpinn.train(cfg, output=tmp_path / "r", log=False, plots=False)
    timer.join()
    r = json.loads((tmp_path / "r" / "results.json").read_text())
    assert r["stop_reason"] == "interrupted" and 0 < r["epochs"] < 100000
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert dtpinn.load(tmp_path / "r")(torch.zeros(1, 2, dtype=torch.float64)).shape == (1,)


def test_a_system_trains_and_loads_with_one_output_per_field(tmp_path):
    # Kovasznay flow (data/configs/kovasznay.toml), small: three fields, three outputs.
    import pathlib
    cfg = pathlib.Path(__file__).resolve().parents[2] / "data" / "configs" / "kovasznay.toml"
    r = dtpinn.train(str(cfg), output=tmp_path / "k", log=False, plots=False,
                     set={"domain.n": 200, "domain.test_n": 400, "model.depth": 2,
                          "model.width": 12, "train.epochs": 3, "train.time_budget": 0.0})
    assert set(r["fields"]) == {"u", "v", "p"}
    assert r["fields"]["p"]["constant_removed"] and not r["fields"]["u"]["constant_removed"]
    assert r["loss_terms"].keys() >= {"pde:u", "pde:v", "pde:p"}
    assert r["best_test_rel_l2"] <= r["history"][0]["test_rel_l2"]
    model = dtpinn.load(r["run_dir"])
    pts = dtpinn.nodes("rectangle", n=120, seed=3, ghosts=False).points
    u = model(pts)
    assert u.shape == (len(pts), 3)
    np.savetxt(tmp_path / "p.csv", pts, delimiter=",", header="x,y", comments="", fmt="%.17g")
    cli("eval", r["run_dir"], "--points", tmp_path / "p.csv", "-o", tmp_path / "u.csv")
    head = (tmp_path / "u.csv").read_text().splitlines()[0]
    assert head == "x,y,u,v,p"
    want = np.loadtxt(tmp_path / "u.csv", delimiter=",", skiprows=1)[:, 2:]
    assert np.abs(u.detach().numpy() - want).max() < 1e-9 * np.abs(want).max()
