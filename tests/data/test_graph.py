"""The views' neighbourhood graph and label spreading over it (the pseudo-label targets)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.semi_supervised import LabelSpreading

from skpoe.data._graph import pseudo_label_targets, spread_labels, view_graph


def blobs(n=60, seed=0, sep=4.0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    a = rng.randn(n, 4) + sep * y[:, None]
    b = rng.randn(n, 3) * 100 + 100 * sep * y[:, None]  # raw scale: standardization matters
    return [a, b], y


def test_graph_links_each_row_to_its_neighbours_in_every_view_it_has():
    (a, b), _ = blobs()
    obs = np.ones((60, 2), bool)
    obs[:10, 1] = False  # rows 0-9 miss view b
    g = view_graph([a, b], obs, n_neighbors=5)
    assert sp.issparse(g) and g.shape == (60, 60)
    assert (g != g.T).nnz == 0 and g.diagonal().sum() == 0
    # each row has at least its k neighbours; rows with both views have more links
    deg = np.asarray((g > 0).sum(1)).ravel()
    assert deg.min() >= 5
    # rows missing view b are linked only through view a: none of their links is a b-neighbour
    gb = view_graph([b[10:]], np.ones((50, 1), bool), n_neighbors=5)
    assert g[10:, 10:].sum() >= gb.sum()


def test_missing_entries_do_not_give_nan():
    (a, b), _ = blobs()
    a = a.copy()
    a[::4, 1] = np.nan
    g = view_graph([a, b], np.ones((60, 2), bool), n_neighbors=5)
    assert np.isfinite(g.data).all()


def dense_spread(w, codes, labeled, k, alpha=0.2, n_iter=30):
    """Label spreading written out densely (the formula, for comparison)."""
    w = np.asarray(w.todense())
    d = w.sum(1)
    dinv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    s = dinv[:, None] * w * dinv[None, :]
    y0 = np.zeros((len(w), k))
    y0[np.flatnonzero(labeled), codes[labeled]] = 1
    f = y0
    for _ in range(n_iter):
        f = alpha * s @ f + (1 - alpha) * y0
    tot = f.sum(1, keepdims=True)
    return np.where(tot > 0, f / np.where(tot > 0, tot, 1), 0)


def test_spreading_matches_the_formula_and_scikit_learn():
    views, y = blobs(sep=0.7)  # overlapping classes: soft distributions
    obs = np.ones((60, 2), bool)
    g = view_graph(views, obs, n_neighbors=5)
    labeled = np.zeros(60, bool)
    labeled[[0, 1, 2, 30, 31]] = True
    got = spread_labels(g, y, labeled, 3)
    np.testing.assert_allclose(got, dense_spread(g, y, labeled, 3), atol=1e-12)
    # scikit-learn's LabelSpreading on the same graph (a precomputed kernel), 30 iterations
    ls = LabelSpreading(kernel=lambda A, B: g.toarray(), alpha=0.2, max_iter=30, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ls.fit(np.arange(60.0)[:, None], np.where(labeled, y, -1))
    np.testing.assert_allclose(got, ls.label_distributions_, atol=1e-8)
    assert 0.05 < got.max(1).min() < 0.99  # soft, so the comparisons below mean something
    # variants with another alpha, or fewer iterations, are caught
    assert not np.allclose(dense_spread(g, y, labeled, 3, alpha=0.5), got, atol=1e-4)
    assert not np.allclose(dense_spread(g, y, labeled, 3, n_iter=3), got, atol=1e-4)


def test_targets_weights_and_unreached_rows():
    views, y = blobs()
    obs = np.ones((60, 2), bool)
    labeled = np.zeros(60, bool)
    labeled[:6] = True
    # an isolated row: its own view only, far from everything
    far = [np.vstack([views[0], [[1e6] * 4]]), np.vstack([views[1], [[np.nan] * 3]])]
    obs = np.vstack([obs, [[True, False]]])
    yy = np.append(y, 0)
    lab = np.append(labeled, False)
    soft, w = pseudo_label_targets(far, obs, yy, lab, 3, n_neighbors=5)
    assert soft.dtype == np.float32 and soft.shape == (61, 3)
    assert (w[lab] == 0).all() and (soft[lab] == 0).all()
    reached = w > 0
    np.testing.assert_allclose(soft[reached].sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(w[reached], soft[reached].max(1), rtol=1e-6)
    # the blobs are separable: the spread labels of the reached unlabeled rows are right
    assert (soft[:60][reached[:60]].argmax(1) == y[reached[:60]]).mean() > 0.95


@pytest.mark.parametrize("n_obs", [0, 1, 2])
def test_views_with_too_few_rows_add_no_links(n_obs):
    views, y = blobs()
    obs = np.ones((60, 2), bool)
    obs[n_obs:, 1] = False
    g = view_graph(views, obs, n_neighbors=5)
    assert np.isfinite(g.data).all() and g.shape == (60, 60)


def test_candidate_pool_bounds_the_search():
    views, _ = blobs(200)
    obs = np.ones((200, 2), bool)
    g = view_graph(views, obs, n_neighbors=4, max_candidates=50, random_state=0)
    # every row's neighbours in a view come from the 50 candidates of that view
    assert g.shape == (200, 200) and g.nnz > 0
    cols = np.unique(sp.triu(g).tocoo().col)
    assert len(cols) < 200
