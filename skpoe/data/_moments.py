"""Per-column mean and standard deviation of an in-memory view, without a
float64 copy of the whole view.

NumPy sums a C-ordered float64 array over its rows one row after the other
when it has two or more columns. :func:`column_moments` adds the rows of one
block at a time to the running sum in that same order (the running sum is the
first row of each block's reduction), so it gives the bits of
``X.astype(np.float64).mean(axis=0)`` and ``.std(axis=0)`` while holding only
a block in float64. Other layouts, single columns (summed pairwise by NumPy),
small views and views with missing entries take the direct computation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["column_moments"]

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


def _running_sum(X, term):
    """Sum over rows of ``term(block)``, row after row; None if NaN is met."""
    total = None
    for start in range(0, X.shape[0], MOMENT_ROWS):
        block = term(np.asarray(X[start : start + MOMENT_ROWS], dtype=np.float64))
        if np.isnan(block).any():
            return None
        if total is None:
            total = block.sum(axis=0)
        else:
            total = np.vstack((total[None], block)).sum(axis=0)
    return total


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
    total = _running_sum(X, lambda b: b)
    if total is None:
        return _direct(X)
    mean = total / n

    def squared_deviation(block):
        block -= mean
        block *= block
        return block

    # the float64 block is a fresh copy unless X is float64 already
    copy = X.dtype == np.float64
    ss = _running_sum(X, (lambda b: squared_deviation(b.copy())) if copy else squared_deviation)
    return mean, np.sqrt(ss / n)
