"""Errors are Python exceptions with the `dtpinn` command's one-line messages."""
import pytest

import dtpinn
from conftest import cli_error


def test_nodes_errors_match_the_cli(tmp_path):
    out = tmp_path / "x.csv"
    cases = [  # (python call, CLI arguments, exception)
        (lambda: dtpinn.nodes("dsk", n=100), ["--domain", "dsk", "--n", 100], ValueError),
        (lambda: dtpinn.nodes("disk", n=5), ["--domain", "disk", "--n", 5], ValueError),
        (lambda: dtpinn.nodes("disk"), ["--domain", "disk"], ValueError),
        (lambda: dtpinn.nodes("disk", h=0.0), ["--domain", "disk", "--h", 0], ValueError),
        (lambda: dtpinn.nodes("disk", n=100, ghost_distance=9.0),
         ["--domain", "disk", "--n", 100, "--ghost-distance", 9], ValueError),
        (lambda: dtpinn.nodes(str(tmp_path / "no.stl")), ["--domain", tmp_path / "no.stl"],
         FileNotFoundError),
        (lambda: dtpinn.nodes("disk", n=100, keep_points=True),
         ["--domain", "disk", "--n", 100, "--keep-points"], ValueError),
    ]
    for call, args, exc in cases:
        want = cli_error("nodes", *args, "-o", out)
        with pytest.raises(exc) as e:
            call()
        assert str(e.value) == want
    assert not out.exists()


def test_bad_files_and_configs(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,kind,nx,ny\n0,0,interior,0,0\n1,nan,boundary,1,0\n")
    with pytest.raises(ValueError) as e:
        dtpinn.read_nodes(bad)
    assert str(e.value) == cli_error("operators", "--nodes", bad, "-o", tmp_path / "o")
    with pytest.raises(FileNotFoundError, match="no.csv"):
        dtpinn.read_nodes(tmp_path / "no.csv")

    toml = tmp_path / "run.toml"
    toml.write_text("[train]\nlrr = 0.5\n")
    with pytest.raises(ValueError) as e:
        dtpinn.train(str(toml), output=tmp_path / "r", log=False)
    assert str(e.value) == cli_error("train", toml, "-o", tmp_path / "r")
    assert "unknown key 'train.lrr' (did you mean 'train.lr'?)" in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        dtpinn.train(str(tmp_path / "none.toml"), output=tmp_path / "r")
    assert str(e.value) == cli_error("train", tmp_path / "none.toml", "-o", tmp_path / "r")
    with pytest.raises(ValueError, match="^<config dict>:2:1: unknown key 'train.lrr'"):
        dtpinn.train({"train": {"lrr": 0.5}}, output=tmp_path / "r")
    with pytest.raises(ValueError) as e:
        dtpinn.train(None, output=tmp_path / "r", set={"train.epochs": -1})
    assert str(e.value) == cli_error("train", "--set", "train.epochs=-1", "-o", tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_load_and_operator_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        dtpinn.load(tmp_path / "none")
    with pytest.raises(FileNotFoundError) as e:
        dtpinn.load(tmp_path)
    pts = tmp_path / "p.csv"
    pts.write_text("x,y\n0,0\n")
    assert str(e.value) == cli_error("eval", tmp_path, "--points", pts, "-o", tmp_path / "u.csv")
    ns = dtpinn.nodes("disk", n=30)
    with pytest.raises(ValueError) as e:
        dtpinn.operators(ns, order=6)
    csv = tmp_path / "n.csv"
    ns.write(str(csv))
    assert str(e.value) == cli_error("operators", "--nodes", csv, "--order", 6, "-o", tmp_path / "o")
    with pytest.raises(ValueError, match="boundary.alpha: one value or Nb"):
        dtpinn.operators(ns, boundary=dict(alpha=[1.0, 2.0]))
    with pytest.raises(ValueError, match="boundary: unknown key 'gamma'"):
        dtpinn.operators(ns, boundary=dict(gamma=1.0))


def test_sizes_seeds_and_arguments_are_one_line_value_errors(tmp_path):
    out = tmp_path / "x.csv"
    cases = [  # (python call, CLI arguments): the same line
        (lambda: dtpinn.nodes("disk", n=10**13), ["--domain", "disk", "--n", 10**13]),
        (lambda: dtpinn.nodes("disk", n=0), ["--domain", "disk", "--n", 0]),
        (lambda: dtpinn.nodes("disk", n=100, seed=-1), ["--domain", "disk", "--n", 100,
                                                         "--seed", -1]),
    ]
    for call, args in cases:
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == cli_error("nodes", *args, "-o", out)
    # Python integers beyond 64 bits, and values of the wrong type: the CLI's words, one line.
    for bad in (dict(n=2**70), dict(n="many"), dict(n=100, seed=2**64), dict(n=100, seed=1.5)):
        with pytest.raises(ValueError) as e:
            dtpinn.nodes("disk", **bad)
        assert "\n" not in str(e.value) and "must be a whole number" in str(e.value), bad
    assert not out.exists()

    ns = dtpinn.nodes("disk", n=100)
    op = dtpinn.SparseOperator(dtpinn.operators(ns)["L"])
    for call in (lambda: op("abc"), lambda: op.multiply([1.0]), lambda: op.multiply_transpose(3)):
        with pytest.raises(ValueError, match="^SparseOperator: [ug] must be a torch.Tensor") as e:
            call()
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="^alpha = 0 and beta = 0: ") as e:
        dtpinn.operators(ns, boundary=dict(alpha=0.0, beta=0.0))
    assert "\n" not in str(e.value)


def test_train_set_forms_and_memory_refusal(tmp_path):
    small = {"domain": {"n": 120, "test_n": 300}, "rbffd": {"order": 3},
             "model": {"depth": 1, "width": 8}, "train": {"time_budget": 0.0}}
    # set as a list of KEY=VALUE strings, or one such string, as --set takes them
    r = dtpinn.train(small, output=tmp_path / "a", set=["train.epochs=1", "train.seed=3"],
                     log=False, plots=False)
    assert r["epochs"] == 1 and r["seed"] == 3
    r = dtpinn.train(small, output=tmp_path / "b", set="train.epochs=2", log=False, plots=False)
    assert r["epochs"] == 2
    for bad, message in ((["train.epochs"], "^--set train.epochs: expected KEY=VALUE$"),
                         ([1, 2], "^set: a dict"), (42, "^set: a dict")):
        with pytest.raises(ValueError, match=message):
            dtpinn.train(small, output=tmp_path / "c", set=bad, log=False)
    # A run that cannot fit in memory: the CLI's line, before anything is made.
    with pytest.raises(ValueError) as e:
        dtpinn.train(None, output=tmp_path / "c", set={"model.width": 100000, "model.depth": 100})
    want = cli_error("train", "--set", "model.width=100000", "--set", "model.depth=100", "-o",
                     tmp_path / "c")
    # the same line up to the memory available, which moves between the two calls
    assert str(e.value).split(", more than")[0] == want.split(", more than")[0]
    assert str(e.value).startswith("model.width = 100000: the run needs about")
    assert not (tmp_path / "c").exists()
