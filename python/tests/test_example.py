"""examples/python/poisson_disk.py: the paper's DT-PINN in PyTorch with the module's op."""
import importlib.util

from conftest import ROOT


def test_example_reaches_1e_3_on_the_unit_disk():
    spec = importlib.util.spec_from_file_location(
        "poisson_disk", ROOT / "examples" / "python" / "poisson_disk.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    lines = []
    r = example.main(n=1663, epochs=40, target=1e-3, log=lines.append)
    print("\n".join(lines), r)
    assert r["error"] < 1e-3, r
    assert r["epochs"] < 40 and len(lines) == r["epochs"]
