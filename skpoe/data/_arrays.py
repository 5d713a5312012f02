"""One view to a float array, with errors that name the modality, row or column.

Accepts numpy arrays of any numeric or boolean dtype, object arrays of
numbers, pandas DataFrames (numeric, boolean or nullable columns), torch
tensors (any device, ``requires_grad``, bfloat16 and float16 included) and
nested lists. Everything else gets a ``TypeError`` or ``ValueError`` that
says which modality, column or row is at fault. Knows numpy only (torch and
pandas objects are recognised by their methods, not imported).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["to_numpy", "view_values", "FLOAT32_MAX", "is_view_sequence", "column_names"]

#: Largest finite float32: skpoe's networks compute in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _is_tensor(value):
    return hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "dtype")


def _tensor_to_numpy(value, name):
    """A torch tensor as numpy: detached, on the CPU, half precisions widened."""
    t = value.detach().cpu()
    if t.is_complex():
        raise ValueError(
            f"Complex data not supported: modality {name!r} is a complex tensor "
            f"({t.dtype}); skpoe needs real numbers."
        )
    if t.dtype.is_floating_point and t.element_size() < 4:  # bfloat16, float16, float8
        t = t.float()
    try:
        return t.numpy()
    except (TypeError, RuntimeError) as exc:  # dtypes numpy does not know
        raise TypeError(
            f"Modality {name!r}: torch tensor of dtype {t.dtype} cannot be read "
            f"({exc}); convert it with tensor.float()."
        ) from None


def _frame_to_numpy(frame, name):
    """A pandas DataFrame (or Series) as float64, naming the bad column."""
    if frame.ndim == 1:
        frame = frame.to_frame()
    columns = []
    for j, col in enumerate(frame.columns):
        s = frame.iloc[:, j]
        dtype = s.dtype
        label = f"column {col!r} (position {j})"
        if str(dtype) == "category":
            raise TypeError(
                f"Modality {name!r}: {label} is categorical; skpoe needs numbers. "
                f"Encode it first, e.g. df[{col!r}].cat.codes with the 'categorical' "
                "likelihood, or one-hot columns."
            )
        if getattr(dtype, "kind", "O") in "biuf":
            columns.append(np.asarray(s.to_numpy(dtype=np.float64, na_value=np.nan)))
            continue
        try:  # object, string or nullable extension columns
            columns.append(np.asarray(s.to_numpy(dtype=np.float64, na_value=np.nan)))
        except (TypeError, ValueError):
            bad = _first_non_numeric(s.to_numpy(dtype=object))
            raise ValueError(
                f"Modality {name!r}: {label} holds non-numeric values (dtype {dtype}"
                f"{bad}); every column must be numeric."
            ) from None
    if not columns:
        return np.zeros((frame.shape[0], 0))
    return np.stack(columns, axis=1)


def _plain(v):
    """A numpy scalar as the Python value it holds (for messages)."""
    return v.item() if isinstance(v, np.generic) else v


def _first_non_numeric(values):
    for i, v in enumerate(values):
        try:
            float(v)
        except (TypeError, ValueError):
            return f", e.g. {_plain(v)!r} at row {i}"
    return ""


def to_numpy(value, name="X"):
    """Convert one view to a numpy array (any dtype; no checks of values)."""
    if sp.issparse(value):
        raise TypeError(
            f"Modality {name!r} is a sparse matrix; skpoe needs dense arrays (use .toarray())."
        )
    if _is_tensor(value):
        return _tensor_to_numpy(value, name)
    if hasattr(value, "iloc") and hasattr(value, "to_numpy"):  # pandas
        return _frame_to_numpy(value, name)
    if hasattr(value, "to_numpy"):  # polars and others
        value = value.to_numpy()
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"Modality {name!r} cannot be read as a 2-D array ({exc}); give each "
            "view as one array of shape (n_samples, n_features)."
        ) from None


def column_names(value):
    """Column names of a DataFrame view (ndarray of str), else ``None``.

    As scikit-learn does, names are used only when every column name is a
    string.
    """
    columns = getattr(value, "columns", None)
    if columns is None or not hasattr(value, "iloc"):
        return None
    names = list(columns)
    if names and all(isinstance(c, str) for c in names):
        return np.asarray(names, dtype=object)
    return None


def is_view_sequence(X):
    """Whether a list or tuple holds views (2-D arrays), not rows of one array."""
    if not isinstance(X, (list, tuple)) or not X:
        return False
    for item in X:
        ndim = getattr(item, "ndim", None)
        if ndim is None:
            if not isinstance(item, (list, tuple)):
                return False
            ndim = 2 if item and all(isinstance(r, (list, tuple)) for r in item) else 1
        if ndim != 2:
            return False
    return True


def _convert_object(arr, name):
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        flat = arr.reshape(arr.shape[0], -1) if arr.ndim >= 1 and arr.size else arr
        where = ""
        if flat.ndim == 2:
            for i, row in enumerate(flat):
                for j, v in enumerate(row):
                    try:
                        float(v)
                    except (TypeError, ValueError):
                        where = f"; e.g. {_plain(v)!r} at row {i}, column {j}"
                        break
                if where:
                    break
        raise type(exc)(
            f"Modality {name!r} contains non-numeric values (dtype {arr.dtype}{where}); "
            f"every modality must be numeric ({exc})."
        ) from None


#: Values per block of the checks of :func:`view_values` (about 8 MiB of float64).
CHECK_BLOCK = 1 << 20


def _check_range(name, arr):
    """Raise on the first infinite or beyond-float32 value; return the rows
    not entirely NaN. Block by block: the temporaries are O(block)."""
    observed = np.empty(arr.shape[0], bool)
    step = max(1, CHECK_BLOCK // max(1, arr.shape[1]))
    for start in range(0, arr.shape[0], step):
        block = arr[start : start + step]
        with np.errstate(invalid="ignore"):
            big = np.abs(block) > FLOAT32_MAX
        if big.any():
            row, col = (int(v[0]) for v in np.nonzero(big))
            _out_of_range(name, float(block[row, col]), start + row, col)
        observed[start : start + step] = ~np.isnan(block).all(axis=1)
    return observed


def _out_of_range(name, value, row, col):
    if np.isinf(value):
        raise ValueError(
            f"Modality {name!r} contains infinity (first at row {row}, column "
            f"{col}); values must be finite (NaN marks a missing entry, a whole "
            "row of NaN a missing view)."
        )
    raise ValueError(
        f"Modality {name!r} has value {value:.3g} at row {row}, column {col}, "
        f"beyond float32's range (|x| <= {FLOAT32_MAX:.3g}); skpoe computes in "
        "float32, so rescale this view (e.g. divide by a constant or take logs)."
    )


def view_values(name, value):
    """Validate one modality's array: 2-D, numeric, finite or NaN, float32-sized.

    The values are checked block by block (:data:`CHECK_BLOCK`), without a
    copy of the whole view: a float32 or float64 array comes back as it is,
    other dtypes (integers, booleans, float16, objects) as float64.

    Returns
    -------
    arr : ndarray of float32 or float64, shape (n_samples, n_features)
        NaN entries kept.
    observed : ndarray of bool, shape (n_samples,)
        Rows that are not entirely NaN.
    """
    arr = to_numpy(value, name)
    if arr.dtype == object or arr.dtype.kind in "USV":
        arr = _convert_object(arr, name)
    if arr.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: modality {name!r} holds complex numbers; "
            "skpoe needs real numbers."
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Modality {name!r} has unsupported dtype {arr.dtype}; expected numbers.")
    if arr.ndim != 2:
        hint = (
            " Reshape your data with array.reshape(-1, 1) if it has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"Modality {name!r}: expected a 2D array, got {arr.ndim}D array "
            f"instead (shape {arr.shape}).{hint}"
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"Modality {name!r} has 0 feature(s) (shape={arr.shape}) while a minimum "
            "of 1 is required."
        )
    if arr.dtype not in (np.float32, np.float64):
        arr = np.asarray(arr, dtype=np.float64)
    return arr, _check_range(name, arr)
