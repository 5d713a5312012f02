"""The views' neighbourhood graph and label spreading over it (the pseudo-label targets)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelSpreading

import skpoe.data._graph as graph_mod
import skpoe.data._moments as moments
import skpoe.data._sparse_sum as sparse_sum
import skpoe.data._spreading as spreading_mod
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
    ls = LabelSpreading(
        kernel=lambda A, B: g.toarray().astype(float), alpha=0.2, max_iter=30, tol=0.0
    )
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


# -- the memory-lean construction gives the straightforward one's numbers, bit for bit ----------
def _reference_standardized(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, std = np.nanmean(x, 0), np.nanstd(x, 0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    out = (x - mean) / std
    out[np.isnan(out)] = 0.0
    return out


def _reference_graph(arrays, observed, n_neighbors, max_candidates, random_state=0):
    """view_graph written plainly: float64 copies, distances, int64 links, one sparse sum."""
    n = observed.shape[0]
    rng = np.random.RandomState(random_state)
    total = sp.csr_matrix((n, n), dtype=np.float64)
    for m, arr in enumerate(arrays):
        rows = np.flatnonzero(observed[:, m])
        k = min(n_neighbors, len(rows) - 1)
        if k < 1:
            continue
        x = _reference_standardized(arr[rows])
        cand = np.arange(len(rows))
        if len(rows) > max_candidates:
            cand = np.sort(rng.choice(len(rows), max_candidates, replace=False))
        _, idx = NearestNeighbors(n_neighbors=k + 1).fit(x[cand]).kneighbors(x)
        nbrs = cand[idx]
        src = np.repeat(np.arange(len(rows)), k + 1)
        keep = nbrs.ravel() != src
        w = sp.csr_matrix(
            (np.ones(keep.sum()), (rows[src[keep]], rows[nbrs.ravel()[keep]])), shape=(n, n)
        )
        w.data[:] = 1.0
        total = total + w.maximum(w.T)
    return total.tocsr()


def _reference_spread(graph, codes, labeled, n_classes, alpha=0.2, n_iter=30):
    y0 = np.zeros((graph.shape[0], n_classes))
    lab = np.flatnonzero(labeled)
    y0[lab, codes[lab]] = 1.0
    deg = np.asarray(graph.sum(1)).ravel()
    inv = np.zeros(len(deg))
    inv[deg > 0] = 1.0 / np.sqrt(deg[deg > 0])
    s = sp.diags(inv) @ graph @ sp.diags(inv)
    f = y0.copy()
    for _ in range(n_iter):
        f = alpha * (s @ f) + (1.0 - alpha) * y0
    sums = f.sum(1, keepdims=True)
    return np.divide(f, sums, out=np.zeros_like(f), where=sums > 0)


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


@pytest.mark.parametrize(
    "missing, kept, n_classes, kernels",
    [(m, k, c, True) for m in (False, True) for k in (True, False) for c in (4, 9)]
    + [(True, True, 4, False), (True, False, 9, False)],  # without scipy's compiled kernels
)
def test_graph_and_spreading_are_bit_identical_to_the_plain_construction(
    monkeypatch, missing, kept, n_classes, kernels
):
    if not kernels:
        monkeypatch.setattr(sparse_sum, "KERNELS", None)
    monkeypatch.setattr(graph_mod, "_query_rows", lambda d: 37)  # searches in several blocks
    for mod in (graph_mod, spreading_mod):
        monkeypatch.setattr(mod, "_LINKS", 300)  # assembly and spreading in several blocks
        monkeypatch.setattr(mod, "_ROWS", 1000 if kept else 29)  # normalized in blocks
    # the normalized graph kept between iterations, or made again in each
    monkeypatch.setattr(spreading_mod, "_SCALED_BYTES", 1 << 30 if kept else 0)
    # the classes spread together, or in two halves
    monkeypatch.setattr(spreading_mod, "_SPREAD_BYTES", 1 << 30 if kept else 0)
    monkeypatch.setattr(moments, "MOMENT_ROWS", 53)  # the views' moments in several blocks
    rng = np.random.RandomState(1)
    n = 400
    a = (rng.rand(n, 5) * 3).astype(np.float32)
    b = rng.randn(n, 7) * 50 + 10
    obs = np.ones((n, 2), bool)
    if missing:
        a[rng.rand(n, 5) < 0.05] = np.nan  # missing entries: the nan-moments
        obs[::7, 1] = False  # missing views
    codes, labeled = rng.randint(0, n_classes, n), rng.rand(n) < 0.1
    want = _reference_graph([a, b], obs, 6, 150)
    got = view_graph([a, b], obs, n_neighbors=6, max_candidates=150)
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    # link counts: small integers, held in one byte each
    assert got.data.dtype == np.uint8 and np.array_equal(got.data, want.data)
    spread = _reference_spread(want, codes, labeled, n_classes)
    assert np.array_equal(_bits(spread_labels(got, codes, labeled, n_classes)), _bits(spread))
    soft, weight = pseudo_label_targets([a, b], obs, codes, labeled, n_classes, 6, 150)
    want_weight = spread.max(1)
    want_weight[labeled] = 0.0
    spread[labeled] = 0.0
    assert np.array_equal(_bits(soft), _bits(spread.astype(np.float32)))
    assert np.array_equal(_bits(weight), _bits(want_weight.astype(np.float32)))
    # the comparison can fail: a graph off by one link spreads other numbers
    other = want.tolil()
    other[0, 1] = other[1, 0] = 1.0 + other[0, 1]
    changed = _reference_spread(other.tocsr(), codes, labeled, n_classes)
    assert not np.array_equal(_bits(changed), _bits(spread_labels(got, codes, labeled, n_classes)))


def test_sparse_kernels_are_used_only_when_they_add_into_their_output():
    import scipy.sparse._sparsetools as real

    assert sparse_sum.checked_kernels() is real  # this scipy's kernels pass the check

    class Renamed:  # a scipy whose private kernels changed
        pass

    class Overwriting:  # kernels that write their product instead of adding it
        @staticmethod
        def csr_matvecs(n_row, n_col, n_vecs, ptr, idx, val, x, y):
            y[:] = 0.0
            real.csr_matvecs(n_row, n_col, n_vecs, ptr, idx, val, x, y)

        csc_matvecs = staticmethod(real.csc_matvecs)

    assert sparse_sum.checked_kernels(Renamed()) is None
    assert sparse_sum.checked_kernels(Overwriting()) is None


def test_spreading_holds_the_upper_triangle_only(monkeypatch):
    """The pseudo-labels spread over half the symmetric graph: its strict upper triangle."""
    views, y = blobs(120)
    obs, labeled = np.ones((120, 2), bool), np.arange(120) % 10 == 0
    whole = view_graph(views, obs, n_neighbors=5)
    seen = []
    real = graph_mod._spread

    def spy(graph, *args):
        seen.append(graph)
        return real(graph, *args)

    monkeypatch.setattr(graph_mod, "_spread", spy)
    pseudo_label_targets(views, obs, y, labeled, 3, n_neighbors=5)
    (upper,) = seen
    assert 2 * upper.nnz == whole.nnz and sp.tril(upper).nnz == 0
    assert (upper + upper.T != whole).nnz == 0


def test_search_blocks_are_bounded_in_values():
    assert graph_mod._query_rows(32) == graph_mod._BLOCK_VALUES // 32
    assert graph_mod._query_rows(784) % 256 == 0
    assert graph_mod._query_rows(784) * 784 <= graph_mod._BLOCK_VALUES
    assert graph_mod._query_rows(10**7) == 256  # at least one of scikit-learn's chunks


def test_no_float64_copy_of_a_whole_view_is_made(monkeypatch):
    """The search standardizes a block of rows at a time; the moments are summed by blocks."""
    monkeypatch.setattr(graph_mod, "_query_rows", lambda d: 64)
    monkeypatch.setattr(moments, "MOMENT_ROWS", 50)
    monkeypatch.setattr(moments, "_direct", lambda X: pytest.fail("whole-view moments"))
    sizes = []
    real = graph_mod._standardized

    def spy(arr, rows, center, scale):
        sizes.append(len(rows))
        return real(arr, rows, center, scale)

    monkeypatch.setattr(graph_mod, "_standardized", spy)
    (a, b), y = blobs(300)
    a[::9, 2] = np.nan
    obs, labeled = np.ones((300, 2), bool), np.arange(300) < 30
    soft, _ = pseudo_label_targets([a, b], obs, y, labeled, 3, 5, max_candidates=100)
    # per view: the 100 candidates, then every row as a query, in blocks of 64
    assert sizes == 2 * [100, 64, 64, 64, 64, 44]
    assert np.isfinite(soft).all()


def test_classes_spread_in_halves_past_the_memory_limit(monkeypatch):
    assert spreading_mod._class_groups(1000, 10) == [(0, 10)]  # 80 kB: together
    monkeypatch.setattr(spreading_mod, "_SPREAD_BYTES", 1000 * 10 * 8 - 1)
    assert spreading_mod._class_groups(1000, 10) == [(0, 5), (5, 10)]
    assert spreading_mod._class_groups(1000, 3) == [(0, 3)]  # 24 kB: under the limit
    assert spreading_mod._class_groups(10**6, 1) == [(0, 1)]
