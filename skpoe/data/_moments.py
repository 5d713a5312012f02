"""Per-column mean and standard deviation of an in-memory view, without a
float64 copy of the whole view.

NumPy sums a C-ordered float64 array over its rows one row after the other
when it has two or more columns. :func:`column_moments` adds the rows of one
block at a time to the running sum in that same order (the running sum is the
first row of each block's reduction), so it gives the bits of
``X.astype(np.float64).mean(axis=0)`` and ``.std(axis=0)``, or of
``np.nanmean`` and ``np.nanstd`` where entries are missing, while holding only
a block in float64. Other layouts, single columns (summed pairwise by NumPy)
and small views take the direct computation.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["column_moments", "observed_moments"]

#: Rows of a view converted to float64 at a time; views up to this many rows
#: are computed directly.
MOMENT_ROWS = 16384


def _direct(X):
    X = np.asarray(X, dtype=np.float64)
    if not np.isnan(X).any():
        return X.mean(axis=0), X.std(axis=0)
    seen = (~np.isnan(X)).any(axis=0)
    center, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    center[seen] = np.nanmean(X[:, seen], axis=0)
    scale[seen] = np.nanstd(X[:, seen], axis=0)
    return center, scale


def _running_sum(blocks, term):
    """Sum over rows of ``term(block)`` for each float64 block, row after row."""
    total = None
    for block in blocks():
        part = term(block)
        total = part.sum(axis=0) if total is None else np.vstack((total[None], part)).sum(axis=0)
    return total


def _nan_moments(blocks, n):
    """``nanmean`` and ``nanstd`` (``ddof=0``) of the C-ordered float64 rows that
    ``blocks()`` yields, summed row after row; also whether no entry is missing.

    Missing entries count as 0 in the sums, as NumPy's ``nanmean`` and
    ``nanvar`` count them; columns without an observed entry give NaN.
    """
    count = _running_sum(blocks, lambda b: (~np.isnan(b)).astype(np.intp))
    complete = bool((count == n).all())

    def zeroed(block):
        block[np.isnan(block)] = 0.0
        return block

    def deviation(block):
        missing = np.isnan(block) if not complete else None
        block -= mean
        if missing is not None:
            block[missing] = 0.0
        block *= block
        return block

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _running_sum(blocks, zeroed if not complete else (lambda b: b)) / count
        var = _running_sum(blocks, deviation) / count
    return mean, np.sqrt(var), complete


#: At most this many values (rows x features) in one float64 block.
MOMENT_VALUES = 1 << 22


def _blocks_of(X, rows, n):
    # any block boundaries give the same running sums: only the memory changes
    step = max(1, min(MOMENT_ROWS, MOMENT_VALUES // max(1, X.shape[1])))

    def blocks():
        for start in range(0, n, step):
            part = X[start : start + step] if rows is None else X[rows[start : start + step]]
            yield np.array(part, dtype=np.float64)  # a fresh C-ordered block, changed in place

    return blocks


def column_moments(X):
    """Per-column mean and std over the non-NaN entries of ``X``, in float64.

    Columns without an observed entry get mean 0 and std 1.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        A view, any float dtype; NaN entries are missing.

    Returns
    -------
    center : ndarray of shape (n_features,)
        The column means (float64).
    scale : ndarray of shape (n_features,)
        The column standard deviations (float64, ``ddof=0``).

    See Also
    --------
    observed_moments : The same over some rows, as the neighbourhood graph standardizes views.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> center, scale = column_moments(X)
    >>> center.tolist(), scale.round(4).tolist()
    ([2.0, 3.0], [1.633, 1.633])
    """
    n, d = X.shape
    if n == 0:
        return np.zeros(d), np.ones(d)
    X = np.asarray(X)
    if n <= MOMENT_ROWS or d < 2 or not X.flags.c_contiguous:
        return _direct(X)
    mean, std, complete = _nan_moments(_blocks_of(X, None, n), n)
    # with missing entries, the direct computation (NumPy sums its column subset pairwise)
    return (mean, std) if complete else _direct(X)


def observed_moments(X, rows):
    """``nanmean`` and ``nanstd`` over the rows ``rows`` of ``X``, as of a
    C-ordered float64 copy of ``X[rows]``, a block of rows at a time.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        A view, any float dtype; NaN entries are missing.
    rows : ndarray of int
        The rows to take, in this order.

    Returns
    -------
    center, scale : ndarray of shape (n_features,)
        Float64; NaN for columns without an observed entry (as ``nanmean``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [np.nan, 3.0], [2.0, 5.0]])
    >>> center, scale = observed_moments(X, np.arange(3))
    >>> center.tolist(), scale.tolist()
    ([1.0, 3.0], [1.0, 1.632993161855452])
    """
    n, d = len(rows), X.shape[1]
    if d < 2:  # one column: NumPy sums it pairwise
        x = np.asarray(X[rows], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            if not np.isnan(x).any():
                return x.mean(0), x.std(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanmean(x, 0), np.nanstd(x, 0)
    if n == 0:
        return np.full(d, np.nan), np.full(d, np.nan)
    mean, std, _ = _nan_moments(_blocks_of(X, rows, n), n)
    return mean, std
