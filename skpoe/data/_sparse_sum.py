"""Sparse products added into their output term by term, in stored order.

Label spreading over the upper triangle of a symmetric graph
(:mod:`skpoe.data._graph`) adds each row's terms of ``S @ F`` in two parts,
the lower triangle's and then the upper's. To give the bits of the whole
product, each part must add its terms one after another onto what the output
already holds, not sum them apart and add the sum. :func:`add_product` does
that with scipy's compiled kernels (checked once, :func:`checked_kernels`), or
with ``np.add.at`` in the same order.
"""

from __future__ import annotations

import importlib

import numpy as np

__all__ = ["KERNELS", "add_product", "checked_kernels", "entry_rows"]


def checked_kernels(kernels=None):
    """scipy's compiled sparse products that add into their output, or None.

    They are private to scipy (``scipy.sparse._sparsetools``, unchanged for
    many releases), so they are used only after they add a small product into
    a non-zero output as expected; otherwise spreading takes ``np.add.at``,
    the same numbers, more slowly.
    """
    try:
        if kernels is None:
            kernels = importlib.import_module("scipy.sparse._sparsetools")
        ptr, idx = np.array([0, 2, 3], np.int32), np.array([0, 1, 1], np.int32)
        val, x = np.array([1.0, 2.0, 3.0]), np.array([1.0, 10.0])
        by_rows, by_cols = np.ones(2), np.ones(2)
        kernels.csr_matvecs(2, 2, 1, ptr, idx, val, x, by_rows)
        kernels.csc_matvecs(2, 2, 1, ptr, idx, val, x, by_cols)
    except Exception:  # absent, or called otherwise in this scipy: the fallback
        return None
    ok = by_rows.tolist() == [22.0, 31.0] and by_cols.tolist() == [2.0, 33.0]
    return kernels if ok else None


KERNELS = checked_kernels()


def entry_rows(ptr, dtype=np.intp):
    """The row (0 to ``len(ptr) - 2``) of each entry of a CSR layout's ``ptr``."""
    return np.repeat(np.arange(len(ptr) - 1, dtype=dtype), np.diff(ptr))


def add_product(kernel, out, ptr, idx, values, x):
    """``out += A @ x`` entry by entry, in stored order, into ``out`` (float64, in place).

    ``A`` is a CSR matrix (``kernel="csr"``: ``ptr`` over ``out``'s rows,
    ``idx`` the rows of ``x``) or a CSC one (``"csc"``: ``ptr`` over ``x``'s
    rows, ``idx`` the rows of ``out``). Each row of ``out`` takes its terms one
    after another, added to what it holds, which is what makes the upper and
    lower triangles' terms add up to the whole row's sum bit for bit. scipy's
    compiled kernels do this; without them, ``np.add.at`` (the same order,
    slower).
    """
    if not out.flags.c_contiguous:  # the kernels write through a flat view of it
        raise ValueError("add_product needs a C-contiguous output")
    if KERNELS is not None:
        ptr = ptr.astype(idx.dtype, copy=False)
        fn = KERNELS.csr_matvecs if kernel == "csr" else KERNELS.csc_matvecs
        n_row, n_col = (len(out), len(x)) if kernel == "csr" else (len(out), len(ptr) - 1)
        fn(n_row, n_col, x.shape[1], ptr, idx, values, x.ravel(), out.reshape(-1))
        return
    seq = entry_rows(ptr)
    rows, cols = (seq, idx) if kernel == "csr" else (idx, seq)
    for c in range(x.shape[1]):
        np.add.at(out[:, c], rows, values * x[cols, c])
