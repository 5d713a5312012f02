"""benchmarks/semi_supervised_paired.py: paired differences seed by seed."""

import os

import numpy as np
import pandas as pd
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


@pytest.fixture
def paired_module(monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    import semi_supervised_paired

    return semi_supervised_paired


def _frame(rng, seeds=6):
    rows = []
    for seed in range(seeds):
        for est in ("Model", "LogisticRegression", "LabelSpreading"):
            rows.append(
                dict(
                    dataset="d",
                    protocol="paper",
                    labeled=0.1,
                    estimator=est,
                    seed=seed,
                    acc_a=rng.rand(),
                    acc_all=rng.rand(),
                )
            )
    return pd.DataFrame(rows)


def test_paired_differences_match_a_direct_computation(paired_module):
    frame = _frame(np.random.RandomState(0))
    rows = paired_module.paired(frame, "Model", ["LogisticRegression", "LabelSpreading"])
    assert [r[3] for r in rows] == ["a", "all"]
    for row in rows:
        view = row[3]
        own = frame[frame.estimator == "Model"].set_index("seed")[f"acc_{view}"]
        for base, cell in zip(["LogisticRegression", "LabelSpreading"], row[6]):
            other = frame[frame.estimator == base].set_index("seed")[f"acc_{view}"]
            d = own - other
            mean, se, wins, n = cell
            assert mean == pytest.approx(d.mean())
            assert se == pytest.approx(d.std(ddof=1) / np.sqrt(len(d)))
            assert (wins, n) == (int((d > 0).sum()), len(d))


def test_differences_pair_the_same_seed(paired_module):
    # a baseline's rows in another order must not change the differences
    frame = _frame(np.random.RandomState(1))
    shuffled = frame.sample(frac=1.0, random_state=0)
    a = paired_module.paired(frame, "Model", ["LogisticRegression"])
    b = paired_module.paired(shuffled, "Model", ["LogisticRegression"])
    for ra, rb in zip(a, b):
        assert ra[6][0] == pytest.approx(rb[6][0])
    # pairing by position instead of by seed gives another answer on shuffled rows
    own = shuffled[shuffled.estimator == "Model"]["acc_a"].to_numpy()
    base = shuffled[shuffled.estimator == "LogisticRegression"]["acc_a"].to_numpy()
    by_position = (own - base).std(ddof=1)
    assert by_position != pytest.approx(a[0][6][0][1] * np.sqrt(6))


def test_markdown_marks_differences_beyond_two_standard_errors(paired_module):
    frame = _frame(np.random.RandomState(2))
    frame.loc[frame.estimator == "Model", "acc_a"] += 1.0  # far ahead on view a
    text = paired_module.to_markdown(paired_module.paired(frame, "Model"), "Model")
    line = next(row for row in text.splitlines() if "| a |" in row)
    assert "*" in line.split("|")[7]  # the LogisticRegression column
    assert "(6/6)" in line
    assert "–" in line  # SelfTraining is not in the frame


def test_the_model_is_compared_to_the_estimators_asked_for(paired_module, tmp_path):
    frame = _frame(np.random.RandomState(3))
    csv = tmp_path / "runs.csv"
    frame.to_csv(csv, index=False)
    out = tmp_path / "paired.md"
    paired_module.main(
        [str(csv), "--model", "Model", "--against", "LabelSpreading", "--out", str(out)]
    )
    header = next(line for line in out.read_text().splitlines() if line.startswith("| data"))
    assert header.endswith("| - LabelSpreading |") and "LogisticRegression" not in header
    line = next(row for row in out.read_text().splitlines() if "| a |" in row)
    own = frame[frame.estimator == "Model"].set_index("seed")["acc_a"]
    other = frame[frame.estimator == "LabelSpreading"].set_index("seed")["acc_a"]
    assert f"{(own - other).mean():+.3f}" in line
