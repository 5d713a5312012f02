"""Labels: a label alone is no view, and pandas' missing markers mark unlabeled rows."""

from __future__ import annotations

import numpy as np
import pytest

import skpoe
from skpoe.data._labels import encode_labels

pd = pytest.importorskip("pandas")

_TINY = dict(
    n_components=2, hidden_layer_sizes=(8,), max_iter=1, batch_size=2, random_state=1, device="cpu"
)


@pytest.mark.parametrize("cls", skpoe.ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_label_only_row_is_the_same_clear_error_as_without_y(cls, early_stopping):
    X = np.random.default_rng(0).normal(size=(8, 8))
    X[0] = np.nan  # row 0 has a label but no view
    y = np.array([2, -1, -1, 0, -1, 1, -1, 2])
    est = cls(**_TINY, early_stopping=early_stopping)
    with pytest.raises(ValueError) as with_y:
        est.fit({"m0": X}, y)
    with pytest.raises(ValueError) as without_y:
        est.fit({"m0": X})
    assert str(with_y.value) == str(without_y.value)
    assert "Rows 0 have no observed view" in str(with_y.value)
    assert not hasattr(est, "module_")


@pytest.mark.parametrize("dtype", ["string", object])
@pytest.mark.parametrize("missing", [pd.NA, None])
def test_pd_na_and_none_mark_unlabeled_string_labels(dtype, missing):
    y = pd.Series(["b", missing, "a", missing], dtype=dtype)
    codes, labeled, classes = encode_labels(y, 4)
    assert codes.tolist() == [1, -1, 0, -1]
    assert labeled.tolist() == [True, False, True, False]
    assert classes.tolist() == ["a", "b"]
    assert encode_labels(np.array(["b", missing], dtype=object), 2)[1].tolist() == [True, False]


def test_nullable_integer_labels_keep_integer_classes_and_predictions():
    rng = np.random.default_rng(0)
    X = {"a": rng.normal(size=(30, 3)), "b": rng.normal(size=(30, 2))}
    values = [i % 3 if i % 2 == 0 else pd.NA for i in range(30)]
    with_na = pd.Series(values, dtype="Int64")
    est = skpoe.MultimodalPoEVAE(**{**_TINY, "batch_size": 8}).fit(X, with_na)
    assert est.classes_.dtype.kind == "i" and est.classes_.tolist() == [0, 1, 2]
    assert est.predict(X).dtype.kind == "i"
    plain = skpoe.MultimodalPoEVAE(**{**_TINY, "batch_size": 8}).fit(
        X, with_na.fillna(-1).astype("int64")
    )
    assert np.array_equal(est.predict_proba(X), plain.predict_proba(X))


def test_nullable_boolean_labels():
    codes, labeled, classes = encode_labels(pd.Series([True, pd.NA, False], dtype="boolean"), 3)
    assert codes.tolist() == [1, -1, 0] and classes.dtype == bool


def test_string_labels_with_na_fit_and_predict_strings():
    rng = np.random.default_rng(1)
    X = {"a": rng.normal(size=(20, 3))}
    y = pd.Series(
        ["x" if i % 4 == 0 else ("y" if i % 4 == 1 else pd.NA) for i in range(20)], dtype="string"
    )
    est = skpoe.MVAE(**{**_TINY, "batch_size": 8}).fit(X, y)
    assert est.classes_.tolist() == ["x", "y"]
    assert set(est.predict(X)) <= {"x", "y"}


@pytest.mark.parametrize("dtype", ["boolean", "Int64", "string"])
def test_score_with_nullable_labels(dtype):
    rng = np.random.default_rng(2)
    X = {"a": rng.normal(size=(24, 3))}
    raw = {"boolean": [True, False], "Int64": [4, 7], "string": ["p", "q"]}[dtype]
    y = pd.Series([raw[i % 2] if i % 3 else pd.NA for i in range(24)], dtype=dtype)
    est = skpoe.MVAE(**{**_TINY, "batch_size": 8}).fit(X, y)
    labeled = (np.arange(24) % 3) != 0
    expected = np.mean(est.predict({"a": X["a"][labeled]}) == np.array(raw * 12)[labeled])
    assert est.score(X, y) == pytest.approx(expected)
