"""How the pseudo-labels' graph scales a view: per column, or one scale for the view."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors
from test_graph_joint import _data, _graph_arguments, _reference_joint_graph, _standardized

import skpoe.data._graph as graph_mod
from skpoe import MultimodalPoEVAE
from skpoe.data._graph import pseudo_label_targets, spread_labels, view_graph


def _pixels(n=200, seed=0):
    """Image-like views in [0, 1]: strokes that tell the class, and rarely lit columns."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    strokes = np.clip(0.4 * np.eye(3)[y] + 0.5 * rng.rand(n, 3), 0, 1)
    border = (rng.rand(n, 6) < 0.03) * rng.rand(n, 6)  # noise: lit in 3% of the rows
    a = np.concatenate([np.repeat(strokes, 2, 1), border], 1)
    b = np.clip(a[:, ::-1] + 0.1 * rng.rand(*a.shape), 0, 1)
    return [a, b], y


@pytest.mark.parametrize("shared_scale", [[True, False, True], [True, True, True]])
def test_shared_scale_is_the_plain_construction_bit_for_bit(shared_scale):
    arrays, obs, y = _data()
    want = _reference_joint_graph(arrays, obs, 6, shared_scale)
    got = view_graph(arrays, obs, n_neighbors=6, space="joint", shared_scale=shared_scale)
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    # and it is another graph than the per-column one
    assert (got != view_graph(arrays, obs, n_neighbors=6, space="joint")).nnz > 0
    labeled = np.arange(len(y)) % 10 == 0
    soft, _ = pseudo_label_targets(
        arrays, obs, y, labeled, 4, 6, space="joint", shared_scale=shared_scale
    )
    spread = spread_labels(want.astype(np.uint8), y, labeled, 4)
    spread[labeled] = 0.0
    assert np.array_equal(soft, spread.astype(np.float32))


def test_one_scale_is_the_root_mean_square_of_the_columns_deviations(monkeypatch):
    """A variant that takes the mean deviation instead is caught by the reference: within a
    view any one scale finds the same neighbours, but beside another view it sets the view's
    weight."""
    (a, _), _ = _pixels()
    arrays = [a, np.random.RandomState(2).randn(len(a), 4)]
    obs = np.ones((len(a), 2), bool)
    shared_scale = [True, False]
    want = _reference_joint_graph(arrays, obs, 5, shared_scale)
    got = view_graph(arrays, obs, n_neighbors=5, space="joint", shared_scale=shared_scale)
    assert (got != want).nnz == 0

    def mean_deviation(scale, segments):
        scale = scale.copy()
        for start, stop in segments:
            scale[start:stop] = scale[start:stop].mean()
        return scale

    monkeypatch.setattr(graph_mod, "_view_wide", mean_deviation)
    broken = view_graph(arrays, obs, n_neighbors=5, space="joint", shared_scale=shared_scale)
    assert (broken != want).nnz > 0


def test_complete_rows_search_the_concatenated_views_each_at_one_scale():
    (a, b), _ = _pixels()
    obs = np.ones((len(a), 2), bool)
    got = view_graph([a, b], obs, n_neighbors=5, space="joint", shared_scale=[True, True])
    x = np.concatenate([a, b], 1)
    d = a.shape[1]
    z = _standardized(x, np.arange(len(x)), [(0, d), (d, 2 * d)])
    # written out: centered columns over each view's root mean square deviation
    za = (a - a.mean(0)) / np.sqrt(np.mean(a.std(0) ** 2))
    np.testing.assert_allclose(z[:, :d], za)
    knn = NearestNeighbors(n_neighbors=6).fit(z).kneighbors_graph(z, mode="connectivity")
    knn.setdiag(0)
    knn.eliminate_zeros()
    assert (got != 2 * knn.maximum(knn.T)).nnz == 0


def test_one_scale_keeps_rare_columns_from_outweighing_the_strokes():
    """Per column, the rarely lit columns weigh as much as the strokes; with one scale the
    neighbours share the class more often (the reason for ``"auto"`` on [0, 1] views)."""
    (a, _), y = _pixels(n=300)
    obs = np.ones((len(a), 1), bool)

    def same_class(shared):
        g = view_graph([a], obs, n_neighbors=5, shared_scale=[shared]).tocoo()
        return np.mean(y[g.row] == y[g.col])

    assert same_class(True) > same_class(False) + 0.02
    # one scale is blind to the view's unit, per column scaling to each column's
    assert (
        view_graph([a], obs, 5, shared_scale=[True])
        != view_graph([7 * a], obs, 5, shared_scale=[True])
    ).nnz == 0
    skewed = a * np.r_[np.ones(6), 50 * np.ones(6)]
    assert (view_graph([a], obs, 5) != view_graph([skewed], obs, 5)).nnz == 0
    assert (
        view_graph([a], obs, 5, shared_scale=[True])
        != view_graph([skewed], obs, 5, shared_scale=[True])
    ).nnz > 0


def test_shared_scale_must_name_every_view():
    arrays, obs, _ = _data()
    with pytest.raises(ValueError, match="shared_scale has 2 entries for 3 views"):
        view_graph(arrays, obs, shared_scale=[True, False])


@pytest.mark.parametrize(
    "scaling, want", [("auto", [True, False]), ("features", [False, False]), ("view", [True, True])]
)
def test_the_estimator_scales_bernoulli_views_as_one_under_auto(monkeypatch, scaling, want):
    seen = _graph_arguments(monkeypatch, "shared_scale")
    (a, _), y = _pixels(n=120)
    rng = np.random.RandomState(1)
    X = {"pixels": a, "table": rng.randn(120, 3) * 10 + 50}  # Bernoulli and Gaussian
    labels = np.where(np.arange(120) % 6 == 0, y, -1)
    kw = dict(max_iter=1, n_components=2, hidden_layer_sizes=(8,), random_state=0)
    est = MultimodalPoEVAE(neighbor_scaling=scaling, **kw).fit(X, labels)
    assert [est.likelihoods_[m].name for m in X] == ["bernoulli", "gaussian"]
    assert seen == [want]


def test_neighbor_scaling_is_validated():
    with pytest.raises(ValueError, match="neighbor_scaling"):
        MultimodalPoEVAE(neighbor_scaling="pixels", max_iter=1).fit(
            {"a": np.zeros((8, 2)), "b": np.zeros((8, 2))}, np.r_[0, 1, [-1] * 6]
        )
