"""Label spreading (Zhou et al., 2004, as :class:`sklearn.semi_supervised.LabelSpreading`) over
the neighbourhood graph of :mod:`skpoe.data._graph`, in bounded memory.

The graph is given as its strict upper triangle with one-byte link counts; the normalized graph
``S = D^-1/2 W D^-1/2`` is made a block of rows at a time in float64, with the bits of the whole
product, and kept between iterations only up to :data:`_SCALED_BYTES`. Past
:data:`_SPREAD_BYTES` the classes spread in two halves (the same bits).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from skpoe.data._sparse_sum import add_product, entry_rows

__all__ = ["spread_labels"]


#: Graph entries (links) handled at a time when the graph is assembled and spread over.
_LINKS = 1 << 18

#: Spreading keeps the normalized graph (float64) between iterations when it takes at most
#: this many bytes; a larger one is normalized again, a block of rows at a time, in each.
_SCALED_BYTES = 64 << 20

#: Past this many bytes of its float64 (n, n_classes) iterate, spreading runs the classes in
#: two halves, each holding an iterate and its successor of half the width.
_SPREAD_BYTES = 64 << 20

#: Rows of the spread distributions normalized at a time.
_ROWS = 65536


def _row_blocks(indptr, links):
    """(r0, r1) blocks of CSR rows with about ``links`` entries each, at least one row each."""
    n = len(indptr) - 1
    r1 = 0
    while r1 < n:
        r0 = r1
        r1 = min(n, max(r0 + 1, int(np.searchsorted(indptr, indptr[r0] + links, "right")) - 1))
        yield r0, r1


def _normalized_rows(upper, inv, r0, r1):
    """The entries of rows ``r0:r1`` of ``upper`` in ``S = D^-1/2 W D^-1/2`` (float64), twice.

    ``S`` is symmetric, so an entry ``(j, i)`` of the upper triangle is also
    entry ``(i, j)`` of the lower one; each is scaled by its own row first, as
    the whole ``S`` is: ``(w * d_j) * d_i`` for the upper, ``(w * d_i) * d_j``
    for the lower. Returns (the upper's values, the lower's values).
    """
    ptr = upper.indptr
    part = slice(ptr[r0], ptr[r1])
    counts = upper.data[part]
    own = np.repeat(inv[r0:r1], np.diff(ptr[r0 : r1 + 1]))
    other = np.take(inv, upper.indices[part])
    up = counts.astype(np.float64)
    up *= own
    up *= other
    low = counts.astype(np.float64)
    low *= other
    low *= own
    return up, low


def _degrees(upper):
    """Row sums of the symmetric graph whose strict upper triangle is ``upper``, in float64
    (exact for its integer counts), a block at a time: each entry adds to its row and its
    column. ``upper.sum(1)`` would convert the whole of its one-byte data to a wider integer.
    """
    ptr = upper.indptr
    n = upper.shape[0]
    deg = np.zeros(n)
    for r0, r1 in _row_blocks(ptr, _LINKS):
        local = entry_rows(ptr[r0 : r1 + 1])
        weights = upper.data[ptr[r0] : ptr[r1]].astype(np.float64)
        deg[r0:r1] += np.bincount(local, weights=weights, minlength=r1 - r0)
        deg += np.bincount(upper.indices[ptr[r0] : ptr[r1]], weights=weights, minlength=n)
    return deg


def _class_groups(n, n_classes):
    """The (start, stop) groups of classes spread together: all of them, or two
    halves when the float64 (n, n_classes) iterate would exceed
    :data:`_SPREAD_BYTES`. A class's column evolves apart from the others, so
    the grouping changes memory and time, not the numbers."""
    if n * n_classes * 8 <= _SPREAD_BYTES or n_classes < 2:
        return [(0, n_classes)]
    half = (n_classes + 1) // 2
    return [(0, half), (half, n_classes)]


def _spread(upper, codes, labeled, n_classes, alpha, n_iter):
    """Label spreading's unnormalized distributions, one float64 array per class group.

    ``upper`` is the strict upper triangle of the symmetric graph. Each
    iteration adds a row's terms in the order of the whole graph's sorted row:
    the lower triangle's (the columns below the diagonal, from the rows above)
    then the upper's, so the numbers are those of ``S @ F`` over the whole
    ``S``. The classes of a group iterate together, each exactly as in the
    whole ``(n, n_classes)`` iteration (its column's arithmetic does not depend
    on the others), so a group's iterate and its successor are all the memory
    spreading holds beside the groups done.
    """
    n = upper.shape[0]
    deg = _degrees(upper)
    inv = np.zeros(n)
    inv[deg > 0] = 1.0 / np.sqrt(deg[deg > 0])
    del deg
    lab = np.flatnonzero(labeled)
    cls = codes[lab].astype(np.int64)
    ptr, indices = upper.indptr, upper.indices
    blocks = list(_row_blocks(ptr, _LINKS))
    # each block's CSR layout: its row pointers from 0 (in the indices' dtype) and indices
    layouts = [
        ((ptr[r0 : r1 + 1] - ptr[r0]).astype(indices.dtype), indices[ptr[r0] : ptr[r1]])
        for r0, r1 in blocks
    ]
    kept = 2 * upper.nnz * 8 <= _SCALED_BYTES
    scaled = [_normalized_rows(upper, inv, r0, r1) for r0, r1 in blocks] if kept else []
    done = []
    for c0, c1 in _class_groups(n, n_classes):
        mine = (cls >= c0) & (cls < c1)
        rows, col = lab[mine], cls[mine] - c0
        f = np.zeros((n, c1 - c0))
        f[rows, col] = 1.0
        new = np.empty_like(f)
        for _ in range(n_iter):
            new[:] = 0.0
            for b, (r0, r1) in enumerate(blocks):
                up, low = scaled[b] if scaled else _normalized_rows(upper, inv, r0, r1)
                local, part = layouts[b]
                # the rows r0:r1 as columns of the lower triangle: their terms come before
                # the upper triangle's in every later row, and in rows r0:r1 themselves
                add_product("csc", new, local, part, low, f[r0:r1])
                add_product("csr", new[r0:r1], local, part, up, f)
            new *= alpha
            new[rows, col] += (1.0 - alpha) * 1.0  # + (1 - alpha) * Y: Y is 0 elsewhere
            f, new = new, f
        del new
        done.append(f)
    return done


def _distributions(groups, r0, r1):
    """Rows ``r0:r1`` of the spread groups side by side, each row normalized to sum 1
    (all zero where no labeled row reached it): float64 (r1 - r0, n_classes)."""
    f = np.concatenate([g[r0:r1] for g in groups], axis=1)
    sums = f.sum(1, keepdims=True)
    return np.divide(f, sums, out=f, where=sums > 0)


def spread_labels(graph, codes, labeled, n_classes, alpha=0.2, n_iter=30):
    """Label spreading over ``graph``: class distributions per row, shape (n, n_classes).

    Iterates ``F <- alpha * S F + (1 - alpha) * Y`` with ``S = D^-1/2 W D^-1/2`` and ``Y``
    the one-hot labels of the labeled rows, then normalizes each row; a row that no labeled
    row reaches stays all zero. ``graph`` is a canonical CSR matrix (:func:`view_graph`);
    ``S`` is made a block of rows at a time, in float64, with the bits of the whole product;
    it is kept between iterations up to :data:`_SCALED_BYTES`, and made again in each past that.
    Past :data:`_SPREAD_BYTES` the classes spread in two halves (the same bits).
    """
    upper = sp.triu(graph, 1, format="csr")
    upper.sum_duplicates()  # canonical: sorted, summed
    groups = _spread(upper, codes, labeled, n_classes, alpha, n_iter)
    del upper
    n = graph.shape[0]
    out = np.empty((n, n_classes))
    for r0 in range(0, n, _ROWS):
        out[r0 : r0 + _ROWS] = _distributions(groups, r0, min(r0 + _ROWS, n))
    return out
