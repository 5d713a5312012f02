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


def _standardized(x):
    """Columns scaled to mean 0 and variance 1 over their observed entries; NaN become 0."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns: NaN, then 0 / 1
        mean = np.nanmean(x, 0) if x.size else np.zeros(x.shape[1])
        std = np.nanstd(x, 0) if x.size else np.ones(x.shape[1])
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    out = (x - mean) / std
    out[np.isnan(out)] = 0.0
    return out


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
    total = sp.csr_matrix((n, n), dtype=np.float64)
    for m, arr in enumerate(arrays):
        rows = np.flatnonzero(observed[:, m])
        k = min(n_neighbors, len(rows) - 1)
        if k < 1:
            continue
        x = _standardized(arr[rows])
        cand = np.arange(len(rows))
        if len(rows) > max_candidates:
            cand = np.sort(rng.choice(len(rows), max_candidates, replace=False))
        nn = NearestNeighbors(n_neighbors=k + 1).fit(x[cand])
        _, idx = nn.kneighbors(x)
        nbrs = cand[idx]  # (len(rows), k + 1), usually the row itself first
        src = np.repeat(np.arange(len(rows)), k + 1)
        keep = nbrs.ravel() != src
        a = rows[src[keep]]
        b = rows[nbrs.ravel()[keep]]
        w = sp.csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        w.data[:] = 1.0  # duplicates count once
        total = total + w.maximum(w.T)
    return total.tocsr()


def spread_labels(graph, codes, labeled, n_classes, alpha=0.2, n_iter=30):
    """Label spreading over ``graph``: class distributions per row, shape (n, n_classes).

    Iterates ``F <- alpha * S F + (1 - alpha) * Y`` with ``S = D^-1/2 W D^-1/2`` and ``Y``
    the one-hot labels of the labeled rows, then normalizes each row; a row that no labeled
    row reaches stays all zero.
    """
    n = graph.shape[0]
    y0 = np.zeros((n, n_classes))
    lab = np.flatnonzero(labeled)
    y0[lab, codes[lab].astype(np.int64)] = 1.0
    deg = np.asarray(graph.sum(1)).ravel()
    inv = np.zeros(n)
    inv[deg > 0] = 1.0 / np.sqrt(deg[deg > 0])
    s = sp.diags(inv) @ graph @ sp.diags(inv)
    f = y0.copy()
    for _ in range(n_iter):
        f = alpha * (s @ f) + (1.0 - alpha) * y0
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
    dist = spread_labels(graph, codes, labeled, n_classes)
    weight = dist.max(1) if n_classes else np.zeros(len(dist))
    weight[labeled] = 0.0
    dist[labeled] = 0.0
    return dist.astype(np.float32), weight.astype(np.float32)
