"""Smoke tests of the example scripts in examples/: each states its extra at
the top, runs with quick=True saying it is a smoke run, writes its PNG and
returns finite numbers in range."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ALL_EXAMPLES = sorted(p.stem for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_example_states_its_extra_and_smoke_run(name):
    # no import: this check runs without matplotlib and pandas too
    source = (EXAMPLES / f"{name}.py").read_text()
    docstring = source.split('"""')[1]
    assert 'pip install -e ".[examples]"' in "\n".join(docstring.splitlines()[:4])
    assert re.search(r'print\(\s*"smoke run', source) and "--quick" in source


def load_example(name):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"skpoe_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    module = load_example(name)
    marked = []
    real = module.mark_smoke_run
    module.mark_smoke_run = lambda fig, *a, **k: marked.append(real(fig, *a, **k))
    result = module.main(quick=True, out_dir=str(tmp_path))
    assert capsys.readouterr().out.startswith("smoke run")
    # the figure itself says so, above everything drawn on it
    assert len(marked) == 1 and marked[0].get_text().startswith("smoke run")
    png = Path(result["png"])
    assert png.parent == tmp_path
    assert png.is_file() and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return result


def numbers(obj):
    """Every int or float inside nested dicts and lists."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


def assert_rates(values):
    values = list(values)
    assert values
    for v in values:
        assert math.isfinite(v) and 0.0 <= v <= 1.0, v


def test_generation_grids(tmp_path, capsys):
    import skpoe

    result = run("generation_grids", tmp_path, capsys)
    assert set(result["coherence"]) == {e.__name__ for e in skpoe.ESTIMATORS}
    assert_rates([result["oracle_accuracy"]])
    for r in result["coherence"].values():
        assert_rates([r["top_to_bottom"], r["bottom_to_top"]])
        assert math.isfinite(r["fit_seconds"]) and r["fit_seconds"] >= 0


def test_latent_space(tmp_path, capsys):
    result = run("latent_space", tmp_path, capsys)
    assert set(result["accuracy"]) == {"top only", "bottom only", "top + bottom"}
    for r in result["accuracy"].values():
        assert_rates([r["probe_accuracy"], r["predict_accuracy"]])
    for name in ("top only", "bottom only"):
        d = result["accuracy"][name]["distance_to_joint"]
        assert math.isfinite(d) and d >= 0


def test_coherence_vs_supervision(tmp_path, capsys):
    import skpoe

    result = run("coherence_vs_supervision", tmp_path, capsys)
    assert set(result["coherence"]) == {e.__name__ for e in skpoe.ESTIMATORS}
    n_levels = len(result["levels"])
    for per_model in result["coherence"].values():
        for per_oracle in per_model.values():
            for curve in per_oracle.values():
                assert len(curve) == n_levels
    assert_rates(numbers(result["coherence"]))
    assert_rates([result["oracle_accuracy"]])


def test_grid_search(tmp_path, capsys):
    result = run("grid_search", tmp_path, capsys)
    assert_rates(result["mean_test_scores"])
    assert_rates(
        [result["best_cv_accuracy"], result["test_accuracy_pipeline"], result["test_accuracy_vae"]]
    )
    assert set(result["best_params"]) == {
        "multimodalpoevae__n_components",
        "multimodalpoevae__supervision_weight",
    }


def test_own_data(tmp_path, capsys):
    result = run("own_data", tmp_path, capsys)
    assert set(result["accuracy"]) == {"mean", "error", "worst", "all three"}
    for acc in result["accuracy"].values():
        assert_rates([acc["skpoe"], acc["logistic_regression"]])
        assert acc["n_labeled"] > 0
    for r2 in (result["impute_r2"], result["impute_r2_linear"]):
        assert math.isfinite(r2) and r2 <= 1.0


def test_custom_networks(tmp_path, capsys):
    result = run("custom_networks", tmp_path, capsys)
    assert_rates([result["accuracy_from_top"], result["accuracy_from_bottom"]])


def test_log_to_csv(tmp_path, capsys):
    import csv

    result = run("log_to_csv", tmp_path, capsys)
    with open(result["csv"]) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == result["epochs_logged"] == result["n_iter"] >= 1
    assert [int(r["epoch"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {"loss", "kl", "label"} <= set(rows[0])
    assert math.isclose(float(rows[-1]["loss"]), result["final_loss"])
