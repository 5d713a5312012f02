"""Views kept where they are (sparse, memmap, h5py, zarr, :class:`RowMap`), and their rows.

``h5py`` and ``zarr`` are recognised by duck typing, never imported. Re-exported by
:mod:`skpoe.data.sources`, the public path of these names.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["RowMap", "is_lazy", "read_rows"]


def _is_memmap(value):
    # fancy indexing a memmap gives an in-memory array that is still of
    # class memmap, without a mapping behind it
    return isinstance(value, np.memmap) and getattr(value, "_mmap", None) is not None


def _is_chunked_store(value):
    """h5py datasets, zarr arrays and AnnData's backed sparse datasets,
    recognised without importing them."""
    module = type(value).__module__ or ""
    return module.startswith(("h5py", "zarr", "anndata")) and hasattr(value, "shape")


def _sparse_on_disk(value):
    return (type(value).__module__ or "").startswith("anndata") and hasattr(value, "format")


def is_lazy(value):
    """True for views kept where they are: sparse, memmap, h5py, zarr, RowMap.

    Parameters
    ----------
    value : object
        A view.

    Returns
    -------
    bool
        Whether the view is read in row blocks rather than converted to one array.

    See Also
    --------
    read_rows : Rows of such a view.
    as_source : Such a view as a :class:`ViewSource`.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from skpoe.data.sources import is_lazy
    >>> is_lazy(sp.eye(3, format="csr")), is_lazy(np.eye(3))
    (True, False)
    """
    return (
        sp.issparse(value)
        or _is_memmap(value)
        or _is_chunked_store(value)
        or isinstance(value, RowMap)
    )


class RowMap:
    """Rows of another array in a new order; index -1 gives a row of NaN.

    Puts a modality that covers some samples only (an AnnData of a MuData)
    in the samples' order without reading it: rows are read when asked for.

    Parameters
    ----------
    value : ndarray, sparse matrix or on-disk array
    index : ndarray of int of shape (n_samples,)
        Row of ``value`` for each sample, -1 where the sample has none.
    """

    def __init__(self, value, index):
        self.value = value
        self.index = np.asarray(index, dtype=np.int64)
        self.shape = (self.index.shape[0], int(value.shape[1]))
        self.ndim = 2
        self.dtype = np.dtype(np.float64)
        self.is_sparse = sp.issparse(value) or _sparse_on_disk(value)

    def __getitem__(self, rows):
        idx = self.index[rows]
        out = np.full((idx.shape[0], self.shape[1]), np.nan)
        present = idx >= 0
        if present.any():
            block = read_rows(self.value, idx[present])
            out[present] = block.toarray() if sp.issparse(block) else block
        return out

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"RowMap({type(self.value).__name__}, shape={self.shape})"


def read_rows(value, rows):
    """Rows of an on-disk or sparse array as an in-memory array of that kind.

    h5py needs increasing indices: they are sorted for the read and put back
    in order.

    Parameters
    ----------
    value : ndarray, scipy.sparse matrix, np.memmap, h5py.Dataset or zarr.Array
        The view.
    rows : slice, array-like of int or array-like of bool
        Anything numpy accepts as a row selector, in any order.

    Returns
    -------
    ndarray or scipy.sparse.csr_matrix
        The rows, in the order asked for (sparse for a sparse view).

    See Also
    --------
    ViewSource.read : The same rows as dense float64.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from skpoe.data.sources import read_rows
    >>> read_rows(sp.eye(4, format="csr"), [2, 0]).toarray().tolist()
    [[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    """
    if sp.issparse(value):
        return value.tocsr()[rows] if not sp.isspmatrix_csr(value) else value[rows]
    if isinstance(rows, slice):
        block = value[rows]
        return block if sp.issparse(block) else np.asarray(block)
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    if rows.size == 0:
        return np.empty((0,) + tuple(value.shape[1:]), dtype=value.dtype)
    order = np.argsort(rows, kind="stable")
    uniq, inverse = np.unique(rows[order], return_inverse=True)
    block = value[uniq.tolist()] if _is_chunked_store(value) else value[uniq]
    if sp.issparse(block):  # AnnData's backed sparse matrices
        return sp.csr_matrix(block)[inverse[np.argsort(order)]]
    block = np.asarray(block)
    out = np.empty((rows.size,) + block.shape[1:], block.dtype)
    out[order] = block[inverse]
    return out
