"""Partial label vectors: ``-1``, NaN, None or ``pd.NA`` mark unlabeled rows.

:func:`encode_labels` turns what users pass as ``y`` (numpy, pandas, torch;
integer, float or string classes) into integer codes, the labeled mask and the
classes, with errors that name ``y``.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from skpoe.data._arrays import to_numpy
from skpoe.exceptions import DataConversionWarning

__all__ = ["encode_labels", "labels_to_numpy"]


def labels_to_numpy(y):
    """Labels as a numpy array (strings and categories kept as objects; pandas'
    nullable integers as int64 with -1, other nullable dtypes as objects with None
    where pd.NA was)."""
    if hasattr(y, "detach") and hasattr(y, "cpu"):
        return to_numpy(y, "y")
    if hasattr(y, "to_numpy"):
        dtype = getattr(y, "dtype", None)
        if _is_nullable(dtype):  # pandas' nullable dtypes: pd.NA marks unlabeled rows
            if getattr(dtype, "kind", "O") in "iu":  # Int64 and kin stay integers
                return np.asarray(y.to_numpy(dtype=np.int64, na_value=-1))
            return np.asarray(y.to_numpy(dtype=object, na_value=None))
        return np.asarray(y.to_numpy())
    try:
        return np.asarray(y)
    except ValueError as exc:
        raise ValueError(f"y cannot be read as a 1-D array of labels ({exc}).") from None


def plain_values(values):
    """Labeled values of an object array that are all booleans (nullable booleans
    with pd.NA) as a bool array; other values as they are."""
    if (
        values.dtype == object
        and values.size
        and all(isinstance(v, (bool, np.bool_)) for v in values)
    ):
        return values.astype(bool)
    return values


def _is_nullable(dtype):
    """Whether ``dtype`` is one of pandas' extension dtypes whose missing value is ``pd.NA``."""
    return (
        dtype is not None
        and not isinstance(dtype, np.dtype)
        and getattr(dtype, "na_value", None) is not None
        and type(getattr(dtype, "na_value", None)).__name__ == "NAType"
    )


def _is_na(v):
    """``None``, a float NaN or pandas' ``pd.NA`` (recognised without importing pandas)."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or type(v).__name__ == "NAType"


def _label_kind(values):
    """ "numeric" or "string" (or "mixed") labels, to compare fit and refit."""
    if values.dtype.kind in "biuf":
        return "numeric"
    if values.dtype.kind in "US":
        return "string"
    if all(isinstance(v, numbers.Number) for v in values):
        return "numeric"
    if all(isinstance(v, str) for v in values):
        return "string"
    return "mixed"


def encode_labels(y, n_samples, classes=None):
    """Encode a partial label vector.

    Unlabeled rows are marked by ``-1`` (integers or objects), or by ``NaN``,
    ``None`` or ``pd.NA`` (in object and string labels, and in pandas'
    nullable dtypes such as ``Int64`` and ``string``, which keep integer or
    string classes). Labeled values may be integers or strings.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_samples : int
        Expected length.
    classes : ndarray, default=None
        Known classes (at predict/score time); ``None`` learns them.

    Returns
    -------
    codes : ndarray of int64
        Each row's index into ``classes``; -1 for unlabeled rows. With
        ``classes`` given, a label that is not one of them is an error.
    labeled : ndarray of bool
    classes : ndarray

    See Also
    --------
    skpoe.datasets.hide_views_and_labels : Hide labels at random (as -1).
    skpoe.metrics.labeled_mask : The labeled rows of a partial label vector.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.data import encode_labels
    >>> codes, labeled, classes = encode_labels(np.array(["b", "-1", "a", None], object), 4)
    >>> codes.tolist(), labeled.tolist(), classes.tolist()
    ([1, -1, 0, -1], [True, False, True, False], ['a', 'b'])
    """
    y = labels_to_numpy(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y has {y.shape[0]} labels but X has {n_samples} samples; they must "
            "match (use -1 for unlabeled rows)."
        )
    if y.dtype.kind == "f":
        if np.isinf(y).any():
            raise ValueError("y contains infinity; use -1 or NaN for unlabeled rows.")
        unlabeled = np.isnan(y) | (y == -1)
    elif y.dtype.kind in "iub":
        unlabeled = y == -1
    else:
        # strings: numpy turns a -1 among strings into '-1', so it marks
        # unlabeled rows too (as do None and NaN)
        unlabeled = np.array(
            [
                _is_na(v)
                or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v == -1)
                or (isinstance(v, str) and v.strip() == "-1")
                for v in y
            ],
            dtype=bool,
        )
    labeled = ~unlabeled
    values = y[labeled]
    values = plain_values(values)
    if y.dtype == object and values.size:
        kinds = {type(v) for v in values}
        if len(kinds) > 1 and not all(issubclass(k, numbers.Number) for k in kinds):
            raise TypeError(
                f"y mixes label types {sorted(k.__name__ for k in kinds)}; use one type."
            )
    if values.size:
        try:
            check_classification_targets(values)
        except ValueError as exc:
            raise ValueError(
                f"y must hold class labels (integers or strings; -1 or NaN for "
                f"unlabeled rows): {exc}"
            ) from None
    codes = np.full(n_samples, -1, dtype=np.int64)
    if classes is None:
        try:
            classes = np.unique(values)
        except TypeError:
            raise TypeError("y mixes label types that cannot be ordered; use one type.") from None
        codes[labeled] = np.searchsorted(classes, values)
    else:
        if values.size and _label_kind(values) != _label_kind(classes):
            raise ValueError(
                f"y holds {_label_kind(values)} labels but the model was fitted with "
                f"{_label_kind(classes)} labels {classes[:5].tolist()}; use labels of the "
                "type seen during fit."
            )
        pos = np.searchsorted(classes, values) if values.size else np.array([], int)
        pos = np.clip(pos, 0, max(len(classes) - 1, 0))
        known = classes[pos] == values if values.size else np.array([], bool)
        if not np.all(known):
            unknown = np.unique(values[~known])[:5]
            raise ValueError(
                f"y contains labels not seen during fit: {list(unknown)}; "
                f"known classes are {list(classes)}."
            )
        codes[labeled] = pos
    return codes, labeled, classes
