"""Property-based tests over random modality dicts and parameters.

Property: every call of fit, transform, predict, predict_proba, score,
score_samples, impute and sample either works, with finite outputs of the
right shape, or raises a ``ValueError``/``TypeError`` that names a modality,
a row or a parameter and is raised by skpoe's (or scikit-learn's) checks, not
from inside torch, numpy or pandas (:func:`fuzz.classify_error`).

The cases come from :func:`fuzz.draw_case` (numbers of modalities and
features, dtypes and containers, missingness, label patterns, 0 to 40 rows,
constant and extreme-scale features, predict-time inputs that differ from
fit, invalid parameters), tiny networks and one or two epochs. The default
profile runs a few dozen cases; the ``fuzz`` profile at least 10,000
(``python -m pytest -m fuzz tests/test_fuzz.py``).
"""

import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from fuzz import HypothesisChooser, classify_error, draw_case, run_case  # noqa: E402
from hypothesis import (  # noqa: E402
    HealthCheck,
    given,
    settings,
    strategies as st,  # noqa: E402
)

torch.set_num_threads(1)

_COMMON = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check(data):
    case = draw_case(HypothesisChooser(data))
    bad = [(m, o, d) for m, o, d in run_case(case) if o in ("unclear", "nonfinite", "silent")]
    assert not bad, (
        f"{case['estimator'].__name__} params={case['params']} form={case['form']} "
        f"predict={case['predict_kind']}: {bad}"
    )


@settings(max_examples=150, derandomize=True, **_COMMON)
@given(st.data())
def test_every_call_is_finite_or_a_clear_error(data):
    _check(data)


@pytest.mark.fuzz
@settings(max_examples=10_000, **_COMMON)
@given(st.data())
def test_every_call_is_finite_or_a_clear_error_at_scale(data):
    _check(data)


def test_the_cases_cover_indexes_label_only_rows_and_nullable_labels():
    """The generators draw the traps of rows and labels, and run_case catches a silent answer."""
    from fuzz import NumpyChooser

    cases = [draw_case(NumpyChooser(i)) for i in range(400)]
    refused = [c for c in cases if c["must_refuse"]]
    assert sum("fit" in c["must_refuse"] for c in refused) >= 10
    assert sum(c["predict_kind"] == "index_mismatch" for c in cases) >= 5
    pandas_y = [c["y"] for c in cases if hasattr(c["y"], "dtype") and hasattr(c["y"], "index")]
    assert {str(y.dtype) for y in pandas_y} >= {"Int64", "string", "boolean", "category"}
    for case in refused[:12]:
        outcomes = {m: o for m, o, _ in run_case(case)}
        assert all(outcomes.get(m) != "silent" for m in case["must_refuse"]), outcomes
    silent = dict(
        refused[0],
        must_refuse={"fit"},
        X={"m0": [[1.0], [2.0]]},
        y=None,
        params={"max_iter": 1, "hidden_layer_sizes": (2,), "device": "cpu"},
    )
    assert run_case(silent)[0][1] == "silent"  # the rule can fail


def test_the_rule_can_fail():
    """The rule itself: unclear errors are told from clear ones."""
    names = {"top", "n_samples"}
    try:
        torch.empty(-1)
    except RuntimeError as exc:
        assert classify_error(exc, names) == "unclear"
    try:
        import numpy as np

        np.zeros(3).reshape(2, 2)
    except ValueError as exc:  # raised inside numpy
        assert classify_error(exc, names) == "unclear"
    assert classify_error(ValueError("bad value"), names) == "unclear"
    assert classify_error(ValueError("Modality 'top' is bad"), names) == "clear"
    assert classify_error(TypeError("n_samples must be an int"), names) == "clear"
    assert classify_error(ValueError("Rows 1, 2 have no view"), names) == "clear"
    assert classify_error(KeyError("top"), names) == "unclear"
