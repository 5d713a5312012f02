"""Row-block sources of one view: in memory, sparse or on disk.

A view that is too big to hold as one float64 array (a ``scipy.sparse``
matrix, an ``np.memmap``, an ``h5py`` dataset or a ``zarr`` array) stays
where it is and is wrapped in a :class:`ViewSource`, which reads blocks of
rows as dense float64 arrays (NaN kept). :func:`scan_view` checks such a
view, computes its observed-row mask and the statistics the likelihoods
need in one streaming pass over row blocks. This module knows numpy and
scipy only; ``h5py`` and ``zarr`` are recognised by duck typing, never
imported.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from skpoe.data._lazy import (
    RowMap,
    _is_chunked_store,
    _is_memmap,
    _sparse_on_disk,
    is_lazy,
    read_rows,
)
from skpoe.data._stats import ViewStats

__all__ = [
    "ViewSource",
    "RowMap",
    "is_lazy",
    "as_source",
    "scan_view",
    "read_rows",
    "BLOCK_ELEMENTS",
    "ViewStats",
]

#: elements (rows x features) of one dense block read from a source
BLOCK_ELEMENTS = 1 << 22


class ViewSource:
    """One view's rows, read in blocks as dense float64 (NaN = missing entry).

    Parameters
    ----------
    value : ndarray, scipy.sparse matrix, np.memmap, h5py.Dataset or zarr.Array
        Two-dimensional, numeric.
    name : str
        Modality name (for messages).

    See Also
    --------
    scan_view : Check a view and gather its statistics in one pass over its blocks.
    as_source : A view as a source.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from skpoe.data.sources import ViewSource
    >>> src = ViewSource(sp.eye(5, format="csr"), "counts")
    >>> [(start, stop, block.shape) for start, stop, block in src.blocks(2)]
    [(0, 2, (2, 5)), (2, 4, (2, 5)), (4, 5, (1, 5))]
    """

    def __init__(self, value, name):
        self.name = name
        self.kind = (
            "sparse"
            if sp.issparse(value)
            else "memmap"
            if _is_memmap(value)
            else "store"
            if _is_chunked_store(value) or isinstance(value, RowMap)
            else "dense"
        )
        # sparse rows have no NaN row: every row is observed unless masked
        self.sparse = self.kind == "sparse" or _sparse_on_disk(value)
        # the usual form of count data (likelihoods="auto" looks for counts)
        self.sparse_like = self.sparse or getattr(value, "is_sparse", False)
        if self.kind == "sparse" and not sp.isspmatrix_csr(value) and value.format != "csr":
            value = value.tocsr()  # row blocks of CSC would read every column
        self.value = value
        self.shape = tuple(int(s) for s in value.shape)
        self.ndim = len(self.shape)
        self.dtype = value.dtype
        self.stats = None  # ViewStats, set by scan_view
        self._fd: int | None = None

    @property
    def n(self):
        """Number of rows.

        See Also
        --------
        ViewSource.block_rows : Rows per block.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.data.sources import ViewSource
        >>> ViewSource(np.zeros((4, 2)), "x").n
        4
        """
        return self.shape[0]

    def block_rows(self):
        """Rows per block so one dense block holds about ``BLOCK_ELEMENTS`` values.

        Returns
        -------
        int
            At least 1.

        See Also
        --------
        ViewSource.blocks : The blocks of this many rows.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.data.sources import BLOCK_ELEMENTS, ViewSource
        >>> ViewSource(np.zeros((3, 1024)), "x").block_rows() == BLOCK_ELEMENTS // 1024
        True
        """
        return max(1, BLOCK_ELEMENTS // max(1, self.shape[1]))

    def read(self, rows, native=False):
        """Rows as a dense float64 array.

        Parameters
        ----------
        rows : slice or array-like of int
            The rows, in any order.
        native : bool, default=False
            Floats keep their own precision (float32 stays float32).

        Returns
        -------
        ndarray of shape (n_rows, n_features)

        See Also
        --------
        read_rows : Rows in the view's own kind (sparse stays sparse).

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from skpoe.data.sources import ViewSource
        >>> ViewSource(sp.eye(3, format="csr"), "x").read([2]).tolist()
        [[0.0, 0.0, 1.0]]
        """
        if self.kind == "memmap" and self.value.flags.c_contiguous:
            block = self._pread(rows)
        elif self.kind in ("sparse", "store", "memmap"):
            block = read_rows(self.value, rows)
            if sp.issparse(block):
                block = block.toarray()
        else:
            block = self.value[rows]
        block = np.asarray(block)
        if native and block.dtype.kind == "f":
            return block
        return block.astype(np.float64, copy=False)

    def blocks(self, size=None, native=False):
        """``(start, stop, block)`` over consecutive row blocks.

        Parameters
        ----------
        size : int, default=None
            Rows per block; ``None`` is :meth:`block_rows`.
        native : bool, default=False
            As in :meth:`read`.

        Yields
        ------
        start, stop : int
            The block's rows, ``start:stop``.
        block : ndarray of shape (stop - start, n_features)

        See Also
        --------
        ViewSource.read : One block of any rows.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.data.sources import ViewSource
        >>> [stop for _, stop, _ in ViewSource(np.zeros((5, 2)), "x").blocks(size=2)]
        [2, 4, 5]
        """
        size = size or self.block_rows()
        for start in range(0, self.n, size):
            stop = min(start + size, self.n)
            yield start, stop, self.read(slice(start, stop), native)

    # -- memmap: read through the file, so pages are not mapped into RSS --
    def _pread(self, rows):
        mm = self.value
        if self._fd is None:
            self._fd = os.open(mm.filename, os.O_RDONLY)
        row_bytes = mm.strides[0]
        base = mm.offset
        if isinstance(rows, slice):
            start, stop, step = rows.indices(self.n)
            if step == 1:
                buf = os.pread(self._fd, (stop - start) * row_bytes, base + start * row_bytes)
                return np.frombuffer(buf, mm.dtype).reshape(stop - start, *self.shape[1:])
            rows = np.arange(start, stop, step)
        rows = np.asarray(rows)
        out = np.empty((rows.size,) + self.shape[1:], mm.dtype)
        for i, r in enumerate(rows.tolist()):
            buf = os.pread(self._fd, row_bytes, base + r * row_bytes)
            out[i] = np.frombuffer(buf, mm.dtype)
        return out

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fd"] = None
        return state

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def __repr__(self):
        return f"ViewSource({self.name!r}, {self.kind}, shape={self.shape})"


def as_source(value, name):
    """``value`` as a :class:`ViewSource` (a source is returned unchanged).

    Parameters
    ----------
    value : ViewSource, ndarray, scipy.sparse matrix, np.memmap, h5py.Dataset or zarr.Array
        The view.
    name : str
        Modality name (for messages).

    Returns
    -------
    ViewSource

    See Also
    --------
    scan_view : A source with its observed rows and statistics.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.data.sources import as_source
    >>> src = as_source(np.zeros((4, 2)), "x")
    >>> as_source(src, "x") is src, src.shape
    (True, (4, 2))
    """
    return value if isinstance(value, ViewSource) else ViewSource(value, name)


def _check_block(name, block, start):
    """The block's NaN mask (``False`` if it has none); raises on infinity."""
    finite = np.isfinite(block)
    if finite.all():
        return False
    if np.isinf(block).any():
        row = start + int(np.flatnonzero(np.isinf(block).any(1))[0])
        raise ValueError(
            f"Modality {name!r} contains infinity (first at row {row}); values "
            "must be finite (NaN marks a missing entry)."
        )
    return ~finite


def scan_view(name, value, mask=None):
    """Check a view and compute its observed rows and statistics in one pass.

    Parameters
    ----------
    name : str
        Modality name (for messages).
    value : array-like, scipy.sparse matrix, np.memmap, h5py or zarr array
    mask : ndarray of bool of shape (n_samples,), default=None
        Rows explicitly marked observed; ``None`` marks every row observed
        for sparse views, and every row that is not entirely NaN otherwise.

    Returns
    -------
    source : ViewSource
        With ``stats`` (a :class:`ViewStats` over the observed rows) set.
    observed : ndarray of bool of shape (n_samples,)

    See Also
    --------
    skpoe.ModalityDict : Keeps sparse and on-disk views as they are, for this pass.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.data.sources import scan_view
    >>> x = np.array([[1.0, 2.0], [np.nan, np.nan], [3.0, np.nan]])
    >>> src, observed = scan_view("x", x)
    >>> observed.tolist(), src.stats.count.tolist()
    ([True, False, True], [2.0, 1.0])
    """
    src = as_source(value, name)
    if src.ndim != 2:
        raise ValueError(
            f"Modality {name!r}: expected a 2D array, got {src.ndim}D (shape {src.shape})."
        )
    if src.shape[1] == 0:
        raise ValueError(f"Modality {name!r} has 0 features; at least 1 is required.")
    if np.dtype(src.dtype).kind not in "biuf":
        raise TypeError(f"Modality {name!r} has unsupported dtype {src.dtype}; expected numbers.")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (src.n,):
            raise ValueError(
                f"observed[{name!r}] must be a boolean array of shape ({src.n},), "
                f"got dtype {mask.dtype} and shape {mask.shape}."
            )
    observed = np.zeros(src.n, bool)
    stats = ViewStats(src.shape[1])
    for start, stop, block in src.blocks(native=True):
        nan = _check_block(name, block, start)
        if src.sparse or nan is False:
            obs = np.ones(stop - start, bool)
        else:
            obs = ~nan.all(1)
        if mask is not None:
            obs &= mask[start:stop]
        observed[start:stop] = obs
        if obs.all():
            stats.update(block, nan)
        else:
            stats.update(block[obs], False if nan is False else nan[obs])
    src.stats = stats
    return src, observed
