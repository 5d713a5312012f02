"""The pseudo-label graph searched in the joint space of each row's views (``space="joint"``)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

import skpoe.data._graph as graph_mod
import skpoe.data._graph_searches as searches_mod
import skpoe.data._moments as moments
import skpoe.data._spreading as spreading_mod
from skpoe import MultimodalPoEVAE
from skpoe.data._graph import pseudo_label_targets, spread_labels, view_graph
from skpoe.data._graph_searches import plan_searches


def _standardized(x, rows, shared=()):
    """Columns scaled over ``rows``' observed entries; NaN become 0. The columns of
    each ``(start, stop)`` in ``shared`` share one scale: the root mean square of
    their standard deviations."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, std = np.nanmean(x[rows], 0), np.nanstd(x[rows], 0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std), std, 0.0)
    for start, stop in shared:
        std[start:stop] = np.sqrt(np.mean(std[start:stop] ** 2))
    std = np.where(std > 0, std, 1.0)
    out = (x - mean) / std
    out[np.isnan(out)] = 0.0
    return out


def _links(x, queries, pool, k, n, shared=()):
    """Symmetric 0/1 matrix of each query's k nearest pool rows (itself left out)."""
    rows = np.union1d(queries, pool)
    z = _standardized(x, rows, shared)
    kk = min(k + 1 if np.isin(queries, pool).any() else k, len(pool))
    idx = NearestNeighbors(n_neighbors=kk).fit(z[pool]).kneighbors(z[queries])[1]
    src, tgt = np.repeat(queries, kk), pool[idx].ravel()
    keep = src != tgt
    w = sp.csr_matrix((np.ones(keep.sum()), (src[keep], tgt[keep])), shape=(n, n))
    w.data[:] = 1.0
    return w.maximum(w.T)


def _reference_joint_graph(arrays, observed, k, shared_scale=None):
    """The joint-space graph written plainly, search by search, as the docs describe it."""
    n, n_views = observed.shape
    shared_scale = [False] * n_views if shared_scale is None else shared_scale

    def own(m):  # the view's columns, alone
        return [(0, arrays[m].shape[1])] if shared_scale[m] else []

    total = sp.csr_matrix((n, n))
    sets = {tuple(np.flatnonzero(r)) for r in observed if r.sum() > 1}
    for m in range(n_views):
        has = np.flatnonzero(observed[:, m])
        one = np.flatnonzero(observed[:, m] & (observed.sum(1) == 1))
        if len(one) and len(has) > 1:
            total = total + _links(arrays[m], one, has, k, n, own(m))
    for views in sets:
        rows_of = np.flatnonzero((observed == np.isin(np.arange(n_views), views)).all(1))
        has_all = observed[:, list(views)].all(1)
        x = np.concatenate([arrays[m] for m in views], 1)
        ends = np.cumsum([0] + [arrays[m].shape[1] for m in views])
        shared = [(ends[i], ends[i + 1]) for i, m in enumerate(views) if shared_scale[m]]
        total = total + len(views) * _links(x, rows_of, np.flatnonzero(has_all), k, n, shared)
        for m in views:
            rest = np.flatnonzero(observed[:, m] & ~has_all)
            if len(rest):
                total = total + _links(arrays[m], rows_of, rest, k, n, own(m))
    return total.tocsr()


def _data(n=300, seed=0, missing=True):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 4, n)
    a = rng.randn(n, 4) + 2.0 * (y[:, None] % 2)
    b = rng.randn(n, 3) * 30 + 60.0 * (y[:, None] // 2)  # raw scale
    c = (rng.rand(n, 5) * 3).astype(np.float32)
    obs = np.ones((n, 3), bool)
    if missing:
        obs[rng.rand(n) < 0.3, 0] = False
        obs[rng.rand(n) < 0.3, 1] = False
        obs[rng.rand(n) < 0.3, 2] = False
        obs[~obs.any(1), 2] = True
        a[rng.rand(n, 4) < 0.05] = np.nan  # missing entries too
    arrays = [np.where(obs[:, [m]], x, np.nan) for m, x in enumerate((a, b, c))]
    return arrays, obs, y


@pytest.mark.parametrize("blocks", [False, True])
def test_joint_graph_is_the_plain_construction_bit_for_bit(monkeypatch, blocks):
    arrays, obs, y = _data()
    if blocks:
        monkeypatch.setattr(graph_mod, "_query_rows", lambda d: 37)  # searches in blocks
        for mod in (graph_mod, spreading_mod):
            monkeypatch.setattr(mod, "_LINKS", 300)  # assembled and spread in blocks
        monkeypatch.setattr(moments, "MOMENT_ROWS", 53)  # the moments in blocks
    assert len({tuple(r) for r in obs}) >= 5  # rows of one, two and three views
    want = _reference_joint_graph(arrays, obs, 6)
    got = view_graph(arrays, obs, n_neighbors=6, space="joint")
    assert got.data.dtype == np.uint8
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    # the weights: links of a three-view search count 3, and some pairs sum several searches
    assert got.data.max() >= 3
    # the targets spread over it are those of the whole graph
    labeled = np.arange(len(y)) % 10 == 0
    soft, weight = pseudo_label_targets(arrays, obs, y, labeled, 4, 6, space="joint")
    spread = spread_labels(want.astype(np.uint8), y, labeled, 4)
    spread[labeled] = 0.0
    assert np.array_equal(soft, spread.astype(np.float32))


def test_complete_rows_are_one_search_over_the_concatenated_views():
    arrays, obs, _ = _data(missing=False)
    searches = plan_searches(obs, "joint")
    assert [(s.views, s.weight) for s in searches] == [((0, 1, 2), 3)]
    got = view_graph(arrays, obs, n_neighbors=5, space="joint")
    x = _standardized(np.concatenate(arrays, 1), np.arange(len(obs)))
    knn = NearestNeighbors(n_neighbors=6).fit(x).kneighbors_graph(x, mode="connectivity")
    knn.setdiag(0)
    knn.eliminate_zeros()
    assert (got != 3 * knn.maximum(knn.T)).nnz == 0


def test_one_view_gives_the_same_graph_in_both_spaces():
    arrays, obs, _ = _data()
    keep = obs[:, 0]
    args = [arrays[0][keep]], obs[keep, :1]
    a = view_graph(*args, n_neighbors=5, space="joint")
    b = view_graph(*args, n_neighbors=5, space="views")
    assert (a != b).nnz == 0 and a.nnz > 0


def test_rare_sets_of_views_search_view_by_view(monkeypatch):
    """Past MAX_JOINT_SETS sets of several views, the rarer sets' rows search each view."""
    _, obs, _ = _data()
    monkeypatch.setattr(searches_mod, "MAX_JOINT_SETS", 1)
    plan = plan_searches(obs, "joint")
    joint = [s for s in plan if len(s.views) > 1]
    assert len(joint) == 1 and joint[0].views == (0, 1, 2)  # the most frequent set
    per_view = [s for s in plan if len(s.views) == 1 and s.pool is None]
    queried = np.zeros(len(obs), bool)
    for s in per_view:
        queried[s.rows[s.queries]] = True
    counts = obs.sum(1)
    assert queried[counts == 1].all()
    assert queried[(counts == 2)].all()  # the two-view sets are past the cap
    assert not queried[counts == 3].any()


def test_joint_space_finds_classes_no_single_view_holds():
    """Classes set by the views together: the joint neighbours are right, the views' are not."""
    rng = np.random.RandomState(0)
    n = 400
    y = rng.randint(0, 4, n)
    a = rng.randn(n, 2) * 0.3 + (y[:, None] % 2)  # view a tells y % 2
    b = rng.randn(n, 2) * 0.3 + (y[:, None] // 2)  # view b tells y // 2
    obs = np.ones((n, 2), bool)
    labeled = np.arange(n) % 20 == 0

    def accuracy(space):
        soft, weight = pseudo_label_targets([a, b], obs, y, labeled, 4, 10, space=space)
        rows = ~labeled & (weight > 0)
        return (soft[rows].argmax(1) == y[rows]).mean()

    joint, views = accuracy("joint"), accuracy("views")
    assert joint > 0.9 and joint > views + 0.2, (joint, views)  # measured: 0.96 and 0.44


def test_the_space_is_checked():
    with pytest.raises(ValueError, match="space must be one of"):
        plan_searches(np.ones((4, 2), bool), "all")
    with pytest.raises(ValueError, match="neighbor_space"):
        MultimodalPoEVAE(neighbor_space="all", max_iter=1).fit(
            {"a": np.zeros((8, 2)), "b": np.zeros((8, 2))}, np.r_[0, 1, [-1] * 6]
        )


def _graph_arguments(monkeypatch, name):
    """The values of the keyword ``name`` that fits pass to the pseudo-labels' graph."""
    import skpoe.estimators._fit as fit_module

    seen = []
    real = fit_module.pseudo_label_targets
    monkeypatch.setattr(
        fit_module,
        "pseudo_label_targets",
        lambda *a, **k: seen.append(k[name]) or real(*a, **k),
    )
    return seen


def test_the_estimator_builds_the_graph_in_its_space(monkeypatch):
    spaces = _graph_arguments(monkeypatch, "space")
    arrays, obs, y = _data(120)
    X = {"a": arrays[0], "b": arrays[1], "c": arrays[2]}
    labels = np.where(np.arange(120) % 5 == 0, y, -1)
    kw = dict(max_iter=1, n_components=2, hidden_layer_sizes=(8,), random_state=0)
    joint = MultimodalPoEVAE(**kw).fit(X, labels)
    views = MultimodalPoEVAE(neighbor_space="views", **kw).fit(X, labels)
    assert spaces == ["joint", "views"]
    assert not np.allclose(joint.predict_proba(X), views.predict_proba(X))


def test_every_row_searches_whatever_the_number_of_views():
    """Sets of views are told apart by their rows, not by a bit code: 70 views work."""
    rng = np.random.RandomState(0)
    obs = rng.rand(200, 70) < 0.5
    obs[~obs.any(1), 0] = True
    plan = plan_searches(obs, "joint")
    assert sum(len(s.views) > 1 for s in plan) == 16  # the cap: every row here has its own set
    searching = np.zeros(len(obs), bool)
    for s in plan:
        searching[s.rows if s.queries is None else s.rows[s.queries]] = True
    assert searching.all()
