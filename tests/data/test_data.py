"""ModalityDict, input validation helpers and partial-label encoding."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import KFold, train_test_split
from sklearn.utils import _safe_indexing

from skpoe import ModalityDict
from skpoe.data import as_modality_dict, encode_labels


@pytest.fixture
def md(digits):
    X = digits[0][:10]
    return ModalityDict(top=X[:, :32], bottom=X[:, 32:])


def _assert_rows(sub, md, rows):
    assert isinstance(sub, ModalityDict)
    assert list(sub) == list(md)
    for name in md:
        np.testing.assert_array_equal(sub[name], md[name][rows])


def test_len_shape_and_modalities(md):
    assert len(md) == 10
    assert md.shape == (10,)
    assert md.n_samples == 10
    assert md.n_modalities == 2
    assert list(md.keys()) == ["top", "bottom"]
    assert ModalityDict().shape == (0,)


def test_values_are_numpy_and_frames_stay_frames(digits):
    X = digits[0][:5]
    md = ModalityDict(
        a=pd.DataFrame(X[:, :3]), b=torch.tensor(X[:, 3:6], requires_grad=True), c=X[:, 6:].tolist()
    )
    assert isinstance(md["a"], pd.DataFrame)
    for name, cols in [("a", slice(0, 3)), ("b", slice(3, 6)), ("c", slice(6, None))]:
        assert isinstance(md[name], np.ndarray) == (name != "a")
        np.testing.assert_allclose(np.asarray(md[name]), X[:, cols], rtol=1e-6)


def test_frames_keep_index_and_columns_through_row_indexing():
    frame = pd.DataFrame(
        np.arange(12.0).reshape(4, 3), index=["w", "x", "y", "z"], columns=["p", "q", "r"]
    )
    md = ModalityDict(a=frame, b=np.zeros((4, 2)))
    for rows, labels in [
        ([2, 0], ["y", "w"]),
        (np.array([True, False, False, True]), ["w", "z"]),
        (slice(1, 3), ["x", "y"]),
    ]:
        part = md[rows]
        assert isinstance(part["a"], pd.DataFrame)
        assert list(part["a"].index) == labels and list(part["a"].columns) == ["p", "q", "r"]
        assert part["b"].shape == (len(labels), 2)
    assert "DataFrame(4, 3)" in repr(md)
    back = pickle.loads(pickle.dumps(md))
    assert isinstance(back["a"], pd.DataFrame) and back["a"].equals(frame)


def test_frame_with_text_column_fails_when_the_dict_is_made():
    frame = pd.DataFrame({"x": [1.0, 2.0], "label": ["a", "b"]})
    with pytest.raises(ValueError, match="'v'.*'label'"):
        ModalityDict(v=frame)


@pytest.mark.parametrize(
    "key, rows",
    [
        (np.array([3, 0, 7]), [3, 0, 7]),
        (np.arange(10) % 3 == 0, [0, 3, 6, 9]),
        (slice(2, 6), [2, 3, 4, 5]),
        ([8, 1], [8, 1]),
        ((np.array([4, 5]), Ellipsis), [4, 5]),
        (np.int64(6), [6]),
    ],
    ids=["int-array", "bool-mask", "slice", "list", "tuple-ellipsis", "int"],
)
def test_row_indexing(md, key, rows):
    _assert_rows(md[key], md, rows)


def test_name_indexing_returns_array(md, digits):
    np.testing.assert_array_equal(md["top"], digits[0][:10, :32])
    with pytest.raises(KeyError):
        md["nope"]


def test_bad_indexing(md):
    with pytest.raises(IndexError, match="mask"):
        md[np.array([True, False])]
    with pytest.raises(IndexError):
        md[(1, 2)]


def test_empty_row_selection(md):
    sub = md[[]]
    assert len(sub) == 0
    assert sub["top"].shape == (0, 32)


def test_pickle_round_trip(md):
    back = pickle.loads(pickle.dumps(md))
    assert isinstance(back, ModalityDict)
    assert list(back) == list(md)
    assert len(back) == len(md)
    for name in md:
        np.testing.assert_array_equal(back[name], md[name])


def test_copy_is_modality_dict(md):
    c = md.copy()
    assert isinstance(c, ModalityDict) and c is not md
    c["extra"] = np.zeros((10, 1))
    assert "extra" not in md


def test_safe_indexing_train_test_split_and_kfold(md):
    rows = np.array([9, 2, 4])
    _assert_rows(_safe_indexing(md, rows), md, rows)
    _assert_rows(_safe_indexing(md, np.arange(10) < 3), md, np.arange(3))
    y = np.arange(10)
    X_tr, X_te, y_tr, y_te = train_test_split(md, y, test_size=0.3, random_state=0)
    assert len(X_tr) == 7 and len(X_te) == 3
    _assert_rows(X_tr, md, y_tr)  # y holds the row numbers
    _assert_rows(X_te, md, y_te)
    seen = []
    for train, test in KFold(n_splits=5).split(md):
        _assert_rows(_safe_indexing(md, test), md, test)
        assert len(_safe_indexing(md, train)) == 8
        seen.extend(test)
    assert sorted(seen) == list(range(10))


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="'b': 4"):
        ModalityDict(a=np.zeros((3, 2)), b=np.zeros((4, 2)))
    md = ModalityDict(a=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="'c' has 5 rows"):
        md["c"] = np.zeros((5, 1))


def test_rejected_assignment_leaves_dict_unchanged():
    md = ModalityDict(a=np.zeros((3, 2)))
    with pytest.raises(ValueError):
        md["c"] = np.zeros((5, 1))
    assert "c" not in md
    assert len(md) == 3


# --------------------------------------------------------------------------
# as_modality_dict
# --------------------------------------------------------------------------
def test_as_modality_dict_observed_mask(digits):
    X = digits[0][:6].copy()
    views = {"top": X[:, :32].copy(), "bottom": X[:, 32:].copy()}
    views["top"][1] = np.nan
    views["bottom"][4] = np.nan
    names, arrays, observed = as_modality_dict(views)
    assert names == ["top", "bottom"]
    assert all(a.dtype == np.float64 for a in arrays)
    want = np.ones((6, 2), bool)
    want[1, 0] = want[4, 1] = False
    np.testing.assert_array_equal(observed, want)


def test_as_modality_dict_column_groups(digits):
    X = digits[0][:5]
    names, arrays, observed = as_modality_dict(X, {"a": slice(0, 10), "b": [10, 12], "c": 20})
    assert names == ["a", "b", "c"]
    np.testing.assert_array_equal(arrays[0], X[:, :10])
    np.testing.assert_array_equal(arrays[1], X[:, [10, 12]])
    np.testing.assert_array_equal(arrays[2], X[:, [20]])
    assert observed.all()
    names, arrays, _ = as_modality_dict(X)
    assert names == ["X"] and arrays[0].shape == (5, 64)
    with pytest.raises(ValueError, match="'b'"):
        as_modality_dict(X, {"a": slice(0, 10), "b": [70]})


# --------------------------------------------------------------------------
# encode_labels
# --------------------------------------------------------------------------
def test_encode_integer_labels_with_unlabeled():
    y = np.array([3, -1, 5, 3, -1, 9])
    codes, labeled, classes = encode_labels(y, 6)
    np.testing.assert_array_equal(classes, [3, 5, 9])
    np.testing.assert_array_equal(labeled, y != -1)
    np.testing.assert_array_equal(codes, [0, -1, 1, 0, -1, 2])
    np.testing.assert_array_equal(classes[codes[labeled]], y[labeled])


def test_encode_string_labels_and_float_nan():
    y = np.array(["odd", -1, "even", None, "odd"], dtype=object)
    codes, labeled, classes = encode_labels(y, 5)
    assert list(classes) == ["even", "odd"]
    np.testing.assert_array_equal(labeled, [True, False, True, False, True])
    np.testing.assert_array_equal(codes, [1, -1, 0, -1, 1])
    y = np.array([1.0, np.nan, 0.0, -1.0])
    codes, labeled, classes = encode_labels(y, 4)
    np.testing.assert_array_equal(labeled, [True, False, True, False])
    np.testing.assert_array_equal(classes, [0.0, 1.0])


def test_encode_with_known_classes():
    classes = np.array(["a", "b", "c"], dtype=object)
    codes, labeled, _ = encode_labels(np.array(["c", -1, "a"], dtype=object), 3, classes)
    np.testing.assert_array_equal(codes, [2, -1, 0])
    with pytest.raises(ValueError, match="not seen during fit"):
        encode_labels(np.array(["z", "a"], dtype=object), 2, classes)


def test_encode_labels_errors():
    with pytest.raises(ValueError, match="3 labels.*4 samples"):
        encode_labels(np.array([0, 1, 2]), 4)
    with pytest.raises(ValueError, match="infinity"):
        encode_labels(np.array([0.0, np.inf]), 2)
    with pytest.raises(ValueError, match="1-D"):
        encode_labels(np.zeros((3, 2)), 3)
    with pytest.raises(ValueError):
        encode_labels(np.array([0.5, 1.2, 3.3]), 3)  # continuous targets


def test_encode_column_vector_warns():
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning):
        codes, _, _ = encode_labels(np.array([[1], [0]]), 2)
    np.testing.assert_array_equal(codes, [1, 0])
