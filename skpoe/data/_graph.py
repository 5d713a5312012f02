"""Label distributions spread over the views' neighbourhood graph, for the unlabeled rows.

:func:`view_graph` links each row to its nearest neighbours in every view it observes (views
standardized on their observed entries, missing entries at the column mean), and adds the views'
graphs, so rows that miss a view are linked through the views they have. :func:`spread_labels`
runs label spreading (Zhou et al., 2004, as :class:`sklearn.semi_supervised.LabelSpreading`)
over that graph, and :func:`pseudo_label_targets` turns its distributions into soft targets with
confidence weights: rows that no labeled row reaches get weight 0.

Memory and time are bounded: neighbours are searched among at most ``max_candidates`` rows of a
view (a random subset past that), with scikit-learn's chunked search, so the graph costs
O(n * n_neighbors) memory and O(n * min(n, max_candidates) * n_features) time per view.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

__all__ = ["pseudo_label_targets", "spread_labels", "view_graph"]


#: Rows per block when a view is copied as float64 for the graph.
_BLOCK = 65536


def _standardized(arr, rows):
    """Rows ``rows`` of ``arr`` as float64, columns scaled to mean 0 and variance 1
    over their observed entries; NaN become 0.

    One float64 array is made, block by block, and standardized in place.
    Without NaN the moments are ``mean`` and ``std``, which equal ``nanmean``
    and ``nanstd`` there without their copies of the whole array.
    """
    x = np.empty((len(rows), arr.shape[1]))
    for start in range(0, len(rows), _BLOCK):
        x[start : start + _BLOCK] = arr[rows[start : start + _BLOCK]]
    if not x.size:
        return x
    missing = np.isnan(x)
    if not missing.any():
        mean, std = x.mean(0), x.std(0)
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns: NaN, then 0 / 1
            mean, std = np.nanmean(x, 0), np.nanstd(x, 0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    x -= mean
    x /= std
    x[missing] = 0.0
    return x


def _neighbour_pairs(arr, rows, k, max_candidates, rng):
    """(row, neighbour) pairs of the kNN links of ``arr``'s rows ``rows``, self-links out.

    Indices are int32 where the rows allow (the same values, half the memory).
    """
    x = _standardized(arr, rows)
    cand = np.arange(len(rows))
    if len(rows) > max_candidates:
        cand = np.sort(rng.choice(len(rows), max_candidates, replace=False))
    nn = NearestNeighbors(n_neighbors=k + 1).fit(x[cand])
    idx = nn.kneighbors(x, return_distance=False)  # (len(rows), k + 1), usually the row first
    del x, nn
    index = np.int32 if len(rows) < 2**31 else np.int64
    nbrs = cand.astype(index)[idx].ravel()
    del idx
    src = np.repeat(np.arange(len(rows), dtype=index), k + 1)
    keep = nbrs != src
    return rows[src[keep]], rows[nbrs[keep]]


def view_graph(arrays, observed, n_neighbors=10, max_candidates=20000, random_state=0):
    """Sum over views of each view's symmetric kNN connectivity, as a sparse (n, n) matrix.

    Parameters
    ----------
    arrays : list of ndarray of shape (n_samples, n_features_m)
        The views (NaN entries are missing entries).
    observed : ndarray of shape (n_samples, n_views), bool
    n_neighbors : int
    max_candidates : int
        Neighbours of a view are searched among at most this many of its rows.
    random_state : int
        Draws the candidate rows when a view has more.
    """
    n = observed.shape[0]
    rng = np.random.RandomState(random_state)
    index = np.int32 if n < 2**31 else np.int64
    # built with float32 links (small integers: exact), returned as float64
    total = sp.csr_matrix((n, n), dtype=np.float32)
    for m, arr in enumerate(arrays):
        rows = np.flatnonzero(observed[:, m]).astype(index)
        k = min(n_neighbors, len(rows) - 1)
        if k < 1:
            continue
        a, b = _neighbour_pairs(arr, rows, k, max_candidates, rng)
        w = sp.csr_matrix((np.ones(len(a), np.float32), (a, b)), shape=(n, n))
        del a, b
        w.data[:] = 1.0  # duplicates count once
        w = w.maximum(w.T)
        total = total + w
        del w
    total = total.tocsr()
    data = total.data.astype(np.float64)
    return sp.csr_matrix((data, total.indices, total.indptr), shape=(n, n))


def _normalized(graph, overwrite=False):
    """``D^-1/2 W D^-1/2`` of the graph ``W`` (canonical CSR), entries in ``W``'s order.

    Each entry is ``(d_i * w_ij) * d_j``, as ``diags(d) @ W @ diags(d)``
    computes it, scaled in place block by block (on ``graph`` itself with
    ``overwrite``) instead of in that product's two copies of ``W``.
    """
    deg = np.asarray(graph.sum(1), dtype=np.float64).ravel()
    inv = np.zeros(len(deg))
    inv[deg > 0] = 1.0 / np.sqrt(deg[deg > 0])
    s = graph if overwrite else graph.copy()
    ptr = s.indptr
    for r0 in range(0, len(deg), _BLOCK):
        r1 = min(r0 + _BLOCK, len(deg))
        part = slice(ptr[r0], ptr[r1])
        s.data[part] *= np.repeat(inv[r0:r1], np.diff(ptr[r0 : r1 + 1]))
        s.data[part] *= inv[s.indices[part]]
    return s


def spread_labels(graph, codes, labeled, n_classes, alpha=0.2, n_iter=30, overwrite=False):
    """Label spreading over ``graph``: class distributions per row, shape (n, n_classes).

    Iterates ``F <- alpha * S F + (1 - alpha) * Y`` with ``S = D^-1/2 W D^-1/2`` and ``Y``
    the one-hot labels of the labeled rows, then normalizes each row; a row that no labeled
    row reaches stays all zero. ``graph`` is a canonical CSR matrix (:func:`view_graph`);
    with ``overwrite`` it becomes ``S``.
    """
    n = graph.shape[0]
    y0 = np.zeros((n, n_classes))
    lab = np.flatnonzero(labeled)
    y0[lab, codes[lab].astype(np.int64)] = 1.0
    s = _normalized(graph, overwrite)
    fixed = (1.0 - alpha) * y0
    f = y0
    for _ in range(n_iter):
        f = s @ f
        f *= alpha
        f += fixed
    sums = f.sum(1, keepdims=True)
    return np.divide(f, sums, out=np.zeros_like(f), where=sums > 0)


def pseudo_label_targets(
    arrays,
    observed,
    codes,
    labeled,
    n_classes,
    n_neighbors=10,
    max_candidates=20000,
    random_state=0,
):
    """Soft targets (n, n_classes) and confidence weights (n,) of the unlabeled rows.

    The weight of an unlabeled row is the largest probability of its spread
    distribution; labeled rows and rows the graph never reaches get weight 0
    (and an all-zero target).
    """
    graph = view_graph(arrays, observed, n_neighbors, max_candidates, random_state)
    dist = spread_labels(graph, codes, labeled, n_classes, overwrite=True)
    del graph
    weight = dist.max(1) if n_classes else np.zeros(len(dist))
    weight[labeled] = 0.0
    dist[labeled] = 0.0
    return dist.astype(np.float32), weight.astype(np.float32)
