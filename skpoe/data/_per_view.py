"""Row helpers of :class:`skpoe.compose.PerView`: a view's observed rows, its rows by position.

A view reaches a scikit-learn transformer as an in-memory array, sparse matrix or DataFrame.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from skpoe.data._arrays import to_numpy
from skpoe.data._container import _is_frame
from skpoe.data.sources import is_lazy, read_rows

__all__ = [
    "observed_rows",
    "rows_of",
    "dense_or_sparse",
    "in_memory",
    "call_transformer",
    "place_rows",
]


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


def call_transformer(name, method, *args):
    """``method(*args)`` of view ``name``'s transformer; a NaN error says how to impute."""
    try:
        return method(*args)
    except ValueError as exc:
        if "NaN" not in str(exc):
            raise
        raise ValueError(
            f"PerView: the transformer of view {name!r} does not accept missing entries "
            "(NaN inside an observed row); pass impute='mean' (or 'median', "
            f"'most_frequent') to fill them first. ({str(exc).splitlines()[0]})"
        ) from None


def place_rows(Y, obs):
    """The output ``Y`` of the rows ``obs`` among all rows: NaN rows where the view is missing.

    A sparse output's missing rows are zero; the ``observed`` masks say which they are.
    """
    n = obs.shape[0]
    if sp.issparse(Y):
        place = sp.csr_matrix(
            (np.ones(int(obs.sum())), (np.flatnonzero(obs), np.arange(Y.shape[0]))),
            shape=(n, Y.shape[0]),
        )
        return (place @ Y).tocsr()
    full = np.full((n, Y.shape[1]), np.nan)
    full[obs] = Y
    return full
