"""benchmarks/graph_scaling.py: the pseudo-labels' accuracy under each scaling of the graph."""

import os

import numpy as np
import pytest

from skpoe.model_selection._compare import _check_data, _split

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


@pytest.fixture
def scaling_module(monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    import graph_scaling

    return graph_scaling


def _accuracies(module, name, protocol, labeled, seed=0):
    X, y = _check_data(*module.LOADERS[name]())
    split = _split(
        X,
        y,
        seed,
        0.25,
        labeled,
        stratify_labels=name in module.TABLES,
        **module.PROTOCOLS[protocol],
    )
    return {s: module.target_accuracy(split, s) for s in module.SCALINGS}


def test_one_scale_per_view_helps_pixels(scaling_module):
    # digits halves, every view hidden with probability 0.3: one scale per view labels more
    # unlabeled rows right than one scale per column (5 of 5 seeds in the benchmark)
    acc = _accuracies(scaling_module, "digits-halves", "dropout30", 0.1)
    assert 0.5 < acc["features"][0] < acc["view"][0] <= 1
    assert 0.5 < acc["features"][1] < acc["view"][1] <= 1


def test_per_column_scaling_helps_tables_in_mixed_units(scaling_module):
    # wine's views mix units: one scale per view lets the largest column lead the distances
    acc = _accuracies(scaling_module, "wine-3views", "paper", 0.1)
    assert acc["features"][0] > acc["view"][0] + 0.03


def test_the_script_writes_its_table(scaling_module, tmp_path):
    out = tmp_path / "table.md"
    scaling_module.main(
        [
            "--datasets",
            "wine-3views",
            "--seeds",
            "2",
            "--labeled",
            "0.1",
            "--protocols",
            "paper",
            "--out",
            str(out),
        ]
    )
    text = out.read_text()
    assert "| wine-3views | paper | 0.1 |" in text
    row = next(line for line in text.splitlines() if line.startswith("| wine-3views"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    values = np.array(cells[3:7], dtype=float)
    assert np.all((values > 0) & (values <= 1))
    assert cells[7].endswith("/2)")
