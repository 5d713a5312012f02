"""Rows pair by position; pandas views whose indexes differ are refused, and aligned on request."""

from __future__ import annotations

import numpy as np
import pytest

import skpoe
from skpoe import ModalityDict

pd = pytest.importorskip("pandas")

_TINY = dict(
    n_components=2, hidden_layer_sizes=(8,), max_iter=1, batch_size=8, random_state=0, device="cpu"
)


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    index = [f"s{i}" for i in range(12)]
    a = pd.DataFrame(rng.normal(size=(12, 3)), index=index, columns=["a0", "a1", "a2"])
    b = pd.DataFrame(rng.normal(size=(12, 2)), index=index, columns=["b0", "b1"])
    return a, b


@pytest.mark.parametrize("kind", ["reversed", "disjoint"])
def test_fit_and_predict_refuse_views_with_different_indexes(frames, kind):
    a, b = frames
    other = b.iloc[::-1] if kind == "reversed" else b.set_axis([f"t{i}" for i in range(12)])
    est = skpoe.MultimodalPoEVAE(**_TINY)
    with pytest.raises(ValueError) as info:
        est.fit({"a": a, "b": other})
    message = str(info.value)
    assert "'a' and 'b'" in message and "by position" in message
    assert "ModalityDict.align" in message
    assert ("another order" in message) == (kind == "reversed")
    assert not hasattr(est, "module_")
    est.fit({"a": a, "b": b})
    with pytest.raises(ValueError, match="by position"):
        est.predict_proba({"a": a, "b": other}) if est.supervised_ else est.transform(
            {"a": a, "b": other}
        )
    with pytest.raises(ValueError, match="by position"):
        ModalityDict(a=a, b=other)


def test_equal_indexes_and_mixes_with_arrays_behave_as_before(frames):
    a, b = frames
    as_frames = skpoe.MultimodalPoEVAE(**_TINY).fit({"a": a, "b": b})
    as_arrays = skpoe.MultimodalPoEVAE(**_TINY).fit({"a": a.to_numpy(), "b": b.iloc[::-1]})
    positional = skpoe.MultimodalPoEVAE(**_TINY).fit({"a": a.to_numpy(), "b": b.to_numpy()})
    X = {"a": a.to_numpy(), "b": b.to_numpy()}
    assert np.array_equal(as_frames.transform({"a": a, "b": b}), positional.transform(X))
    assert as_arrays.n_iter_ == 1  # a mix with arrays pairs by position, unchecked


def test_align_inner_and_outer(frames):
    a, b = frames
    shuffled = b.iloc[[3, 0, 5, 1]]  # 4 of the 12 samples, in another order
    inner = ModalityDict.align({"a": a, "b": shuffled})
    assert len(inner) == 4
    assert np.array_equal(inner["a"], a.loc[["s0", "s1", "s3", "s5"]].to_numpy())
    assert np.array_equal(inner["b"], b.loc[["s0", "s1", "s3", "s5"]].to_numpy())
    outer = ModalityDict.align({"a": a, "b": shuffled}, join="outer")
    assert len(outer) == 12
    outer_b = np.asarray(outer["b"])  # DataFrames stay DataFrames: rows by position here
    assert np.isnan(outer_b[2]).all() and not np.isnan(outer_b[3]).any()
    est = skpoe.MultimodalPoEVAE(**_TINY).fit(outer)  # rows missing b are missing views
    assert est.transform(outer).shape == (12, 2)
    with pytest.raises(ValueError, match="join must be one of"):
        ModalityDict.align({"a": a, "b": b}, join="left")
    with pytest.raises(TypeError, match="view 'b' is a ndarray"):
        ModalityDict.align({"a": a, "b": b.to_numpy()})
    with pytest.raises(ValueError, match="duplicate index labels"):
        ModalityDict.align({"a": a, "b": pd.concat([b.iloc[:1], b.iloc[:1]])})


def test_label_series_with_another_index_is_refused(frames):
    a, b = frames
    y = pd.Series(np.arange(12) % 2, index=a.index)
    est = skpoe.MultimodalPoEVAE(**_TINY)
    with pytest.raises(ValueError, match="y is a pandas Series whose index differs"):
        est.fit({"a": a, "b": b}, y.iloc[::-1])
    est.fit({"a": a, "b": b}, y)
    assert est.classes_.tolist() == [0, 1]
