"""Row helpers of :class:`skpoe.compose.PerView`: a view's observed rows, its rows by position.

A view reaches a scikit-learn transformer as an in-memory array, sparse matrix or DataFrame.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from skpoe.data._arrays import to_numpy
from skpoe.data._container import _is_frame
from skpoe.data.sources import is_lazy, read_rows

__all__ = ["observed_rows", "rows_of", "dense_or_sparse", "in_memory"]


def observed_rows(name, value, given):
    """Rows of a view that are observed: not all NaN (dense), or as given."""
    if sp.issparse(value):
        obs = np.ones(value.shape[0], bool)
    else:
        arr = np.asarray(to_numpy(value, name), dtype=np.float64)
        obs = np.asarray(~np.isnan(arr).all(axis=1))
    return obs if given is None else obs & np.asarray(given, bool)


def rows_of(value, rows):
    """``rows`` of a view (a DataFrame by position)."""
    if _is_frame(value):
        return value.iloc[rows]
    return value[rows]


def dense_or_sparse(Y):
    """A transformer's output as a sparse matrix or a float64 array."""
    return Y if sp.issparse(Y) else np.asarray(to_numpy(Y), dtype=np.float64)


def in_memory(value):
    """On-disk views are read: a transformer needs the array itself."""
    if is_lazy(value) and not sp.issparse(value):
        return read_rows(value, slice(None))
    return value
