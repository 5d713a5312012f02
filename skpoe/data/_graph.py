"""Label distributions spread over the views' neighbourhood graph, for the unlabeled rows.

:func:`view_graph` links each row to its nearest neighbours in every view it observes (views
centered on their observed entries and scaled per column, or by one scale for a view whose
features share a unit; missing entries at the column mean), and adds the views'
graphs, so rows that miss a view are linked through the views they have. :func:`spread_labels`
(:mod:`skpoe.data._spreading`) runs label spreading (Zhou et al., 2004, as
:class:`sklearn.semi_supervised.LabelSpreading`) over that graph, and :func:`pseudo_label_targets` turns its distributions into soft targets with
confidence weights: rows that no labeled row reaches get weight 0.

Memory and time are bounded: neighbours are searched among at most ``max_candidates`` rows of a
view (a random subset past that), with scikit-learn's chunked search, so the graph costs
O(n * n_neighbors) memory and O(n * min(n, max_candidates) * n_features) time per view. Nothing
of size n * n_features is made: the views are standardized and searched a block of rows at a
time, the graph holds its link counts in one byte each, and spreading scales one block of the
graph's rows at a time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from skpoe.data._graph_searches import Columns, index_dtype, plan_searches
from skpoe.data._moments import observed_moments
from skpoe.data._sparse_sum import entry_rows
from skpoe.data._spreading import (
    _LINKS,
    _ROWS,
    _distributions,
    _row_blocks,
    _spread,
    spread_labels,
)

__all__ = ["pseudo_label_targets", "spread_labels", "view_graph"]


#: Values (rows x features) of a view standardized as float64 and searched at a time.
_BLOCK_VALUES = 1 << 22


def _query_rows(n_features):
    """Rows per search block: about :data:`_BLOCK_VALUES` values, a multiple of the
    256-row chunks of scikit-learn's distance computation (the chunks of one call)."""
    return max(256, _BLOCK_VALUES // max(1, n_features) // 256 * 256)


def _standardized(arr, rows, center, scale):
    """Rows ``rows`` of ``arr`` as float64, ``(x - center) / scale``; NaN become 0."""
    x = np.array(arr[rows], dtype=np.float64)
    missing = np.isnan(x)
    x -= center
    x /= scale
    x[missing] = 0.0
    return x


def _view_wide(scale, segments):
    """``scale`` with the columns of each ``(start, stop)`` segment given one scale: the
    root mean square of their standard deviations (a view's total variance is kept)."""
    scale = scale.copy()
    for start, stop in segments:
        part = scale[start:stop]
        if part.size:
            part[:] = np.sqrt(np.mean(part**2))
    return scale


def _neighbours(arr, rows, k, max_candidates, rng, queries=None, pool=None, shared=()):
    """Positions in ``rows`` of each query's nearest candidates, shape (len(rows), k').

    The columns are centered on the mean of the observed entries of
    ``arr[rows]`` (:func:`~skpoe.data._moments.observed_moments`) and scaled
    to variance 1, except that the columns of each ``(start, stop)`` segment
    of ``shared`` (a view whose features share one unit) share one scale
    (:func:`_view_wide`); the queries are scaled and searched a block at a
    time. ``queries`` and
    ``pool`` are positions in ``rows`` (``None``: all of them). The candidates
    are the pool (at most ``max_candidates`` of it). A pool that holds the
    queries gives ``k' = k + 1`` neighbours (a row is usually its own first),
    a separate one ``k' = k``; rows that are not queries get -1.
    """
    center, scale = observed_moments(arr, rows)
    center = np.where(np.isfinite(center), center, 0.0)
    scale = np.where(np.isfinite(scale), scale, 0.0)
    scale = _view_wide(scale, shared)
    scale = np.where(scale > 0, scale, 1.0)
    dtype = index_dtype(len(rows))
    cand = np.arange(len(rows), dtype=dtype) if pool is None else pool.astype(dtype)
    if len(cand) > max_candidates:
        cand = np.sort(rng.choice(cand, max_candidates, replace=False))
    kk = min(k + 1 if pool is None else k, len(cand))
    nn = NearestNeighbors(n_neighbors=kk).fit(_standardized(arr, rows[cand], center, scale))
    ask = np.arange(len(rows), dtype=dtype) if queries is None else queries.astype(dtype)
    out = (
        np.empty((len(rows), kk), dtype) if queries is None else np.full((len(rows), kk), -1, dtype)
    )
    step = _query_rows(arr.shape[1])
    for start in range(0, len(ask), step):
        at = ask[start : start + step]
        query = _standardized(arr, rows[at], center, scale)
        out[at] = cand[nn.kneighbors(query, return_distance=False)]
    return out


def _view_links(nbrs, start, stop):
    """Links of positions ``start:stop`` of one search: (source, target, mutual), self links
    and the -1 of rows that do not search out.

    ``mutual`` marks links whose target also has the source among its neighbours.
    """
    src = np.repeat(np.arange(start, stop, dtype=nbrs.dtype), nbrs.shape[1])
    tgt = nbrs[start:stop]
    mutual = (nbrs[tgt] == src.reshape(tgt.shape)[..., None]).any(-1).ravel()
    tgt = tgt.ravel()
    keep = (tgt != src) & (tgt >= 0)
    return src[keep], tgt[keep], mutual[keep]


def _each_view_pair(views, drop=False):
    """(lower row, higher row) of each pair of rows a search links, search by search, a block
    at a time, given once per unit of the search's weight.

    A search gives each pair it links once: a mutual link is seen from both of
    its rows, and only the direction from the lower position is kept. With
    ``drop``, each search leaves ``views`` (and memory) once its pairs are given.
    """
    while views:
        rows, nbrs, weight = views.pop(0) if drop else views[0]
        views = views if drop else views[1:]
        step = max(1, _LINKS // nbrs.shape[1] ** 2)  # each link looks at its target's links
        for start in range(0, len(rows), step):
            src, tgt, mutual = _view_links(nbrs, start, min(start + step, len(rows)))
            once = ~mutual | (src < tgt)
            src, tgt = src[once], tgt[once]
            for _ in range(weight):
                yield rows[np.minimum(src, tgt)], rows[np.maximum(src, tgt)]  # rows ascend


def _place(indices, cursor, src, tgt):
    """Write targets ``tgt`` into the rows ``src`` of an unsorted CSR layout."""
    order = np.argsort(src, kind="stable")
    src, tgt = src[order], tgt[order]
    first = np.flatnonzero(np.r_[True, src[1:] != src[:-1]]) if len(src) else order[:0]
    run = np.diff(np.r_[first, len(src)])
    pos = cursor[src] + (np.arange(len(src)) - np.repeat(first, run))
    indices[pos] = tgt
    cursor[src[first]] += run


def _assembled(n, views, most):
    """Canonical CSR of the strict upper triangle of the views' summed 0/1 link matrices.

    Each pair of linked rows is one entry, in the row of the lower one (the
    graph is symmetric, so the upper triangle holds all of it in half the
    memory). The entries are placed row by row, then each block of rows is
    sorted and its repeated entries (the views that share a link) summed into
    link counts.
    """
    count = np.zeros(n, np.int64)
    for src, _ in _each_view_pair(views):
        count += np.bincount(src, minlength=n)
    total = int(count.sum())
    index = index_dtype(max(n, total) + 1)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=indptr[1:])
    del count
    indices = np.empty(total, index)
    cursor = indptr[:-1].copy()
    for src, tgt in _each_view_pair(views, drop=True):  # the last use of the links
        _place(indices, cursor, src, tgt)
    del cursor
    data = np.empty(total, np.uint8 if most < 256 else np.int32)  # most: the largest count
    merged = np.zeros(n + 1, index)
    end = 0
    for r0, r1 in _row_blocks(indptr, _LINKS):
        lo, hi = indptr[r0], indptr[r1]
        local = entry_rows(indptr[r0 : r1 + 1], np.int64)
        keys, links = np.unique(local * n + indices[lo:hi], return_counts=True)
        rows = keys // n
        indices[end : end + len(keys)] = keys - rows * n  # end <= lo: the block is read already
        data[end : end + len(keys)] = links
        merged[r0 + 1 : r1 + 1] = end + np.cumsum(np.bincount(rows, minlength=r1 - r0))
        end += len(keys)
    if end < total:  # the repeated entries' room is given back, in place
        indices.resize(end, refcheck=False)
        data.resize(end, refcheck=False)
    return sp.csr_matrix((data, indices, merged), shape=(n, n))


def _shared_segments(arrays, views, shared_scale):
    """Column segments, in the columns of ``views`` side by side, of the views that
    ``shared_scale`` marks."""
    widths = np.cumsum([0] + [arrays[m].shape[1] for m in views])
    return [(widths[i], widths[i + 1]) for i, m in enumerate(views) if shared_scale[m]]


def _upper_graph(
    arrays, observed, n_neighbors, max_candidates, random_state, space="views", shared_scale=None
):
    """The strict upper triangle of :func:`view_graph` (canonical CSR)."""
    n = observed.shape[0]
    shared_scale = [False] * len(arrays) if shared_scale is None else list(shared_scale)
    if len(shared_scale) != len(arrays):
        raise ValueError(f"shared_scale has {len(shared_scale)} entries for {len(arrays)} views.")
    rng = np.random.RandomState(random_state)
    views = []
    for search in plan_searches(observed, space):
        rows = search.rows
        k = min(n_neighbors, len(rows) - 1 if search.pool is None else len(search.pool))
        if k < 1:
            continue
        arr = (
            arrays[search.views[0]]
            if len(search.views) == 1
            else Columns([arrays[m] for m in search.views])
        )
        shared = _shared_segments(arrays, search.views, shared_scale)
        nbrs = _neighbours(arr, rows, k, max_candidates, rng, search.queries, search.pool, shared)
        views.append((rows, nbrs, search.weight))
    return _assembled(n, views, sum(weight for _, _, weight in views))


def view_graph(
    arrays,
    observed,
    n_neighbors=10,
    max_candidates=20000,
    random_state=0,
    space="views",
    shared_scale=None,
):
    """Sum over views of each view's symmetric kNN connectivity, as a sparse (n, n) matrix.

    Parameters
    ----------
    arrays : list of ndarray of shape (n_samples, n_features_m)
        The views (NaN entries are missing entries).
    observed : ndarray of shape (n_samples, n_views), bool
    n_neighbors : int
    max_candidates : int
        Neighbours of a search are looked for among at most this many of its rows.
    random_state : int
        Draws the candidate rows when a search has more.
    space : {"views", "joint"}, default="views"
        Where the rows look for their neighbours
        (:func:`~skpoe.data._graph_searches.plan_searches`): in each view they
        observe, or, for rows with several views, in the space of all of them.
    shared_scale : list of bool, optional
        Per view: ``True`` scales the view's centered columns by one scale
        (the root mean square of their standard deviations), for views whose
        features share a unit (pixels); ``False`` (the default for every
        view) scales each column to variance 1.

    Returns
    -------
    graph : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Canonical CSR (sorted, summed entries), symmetric, with no diagonal;
        entry ``(i, j)`` counts the searches that link rows ``i`` and ``j``,
        a joint search once per view of its space (an integer dtype). The
        pseudo-labels spread over its upper triangle alone.
    """
    upper = _upper_graph(
        arrays, observed, n_neighbors, max_candidates, random_state, space, shared_scale
    )
    return (upper + upper.T).tocsr()


def pseudo_label_targets(
    arrays,
    observed,
    codes,
    labeled,
    n_classes,
    n_neighbors=10,
    max_candidates=20000,
    random_state=0,
    space="views",
    shared_scale=None,
):
    """Soft targets (n, n_classes) and confidence weights (n,) of the unlabeled rows.

    The weight of an unlabeled row is the largest probability of its spread
    distribution; labeled rows and rows the graph never reaches get weight 0
    (and an all-zero target). ``space`` and ``shared_scale`` are :func:`view_graph`'s.
    """
    upper = _upper_graph(
        arrays, observed, n_neighbors, max_candidates, random_state, space, shared_scale
    )
    groups = _spread(upper, codes, labeled, n_classes, 0.2, 30)  # spread_labels' defaults
    del upper
    n = len(observed)
    soft, weight = np.empty((n, n_classes), np.float32), np.zeros(n, np.float32)
    for r0 in range(0, n, _ROWS):
        r1 = min(r0 + _ROWS, n)
        dist = _distributions(groups, r0, r1)
        if n_classes:
            weight[r0:r1] = dist.max(1)
        soft[r0:r1] = dist
    weight[labeled] = 0.0
    soft[labeled] = 0.0
    return soft, weight
