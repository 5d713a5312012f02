"""MultimodalPoEVAE on real data: quality on digits halves and the estimator API."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tiny
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold, cross_val_score

from skpoe import ModalityDict, MultimodalPoEVAE
from skpoe.likelihoods import (
    Bernoulli,
    Categorical,
    Gaussian,
    Laplace,
    NegativeBinomial,
    Poisson,
)
from skpoe.metrics import labeled_scorer


def _with_nan_rows(X, rows, view):
    out = {k: np.array(v, dtype=float, copy=True) for k, v in X.items()}
    out[view][rows] = np.nan
    return out


# --------------------------------------------------------------------------
# quality on digits (the session-scoped fit with default hyper-parameters)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("view", ["top", "bottom"])
def test_one_view_prediction_beats_logistic_regression(fitted, split, view):
    """Predicting the digit from one half beats a supervised baseline trained on
    the labeled rows of that half: the unlabeled rows and the other view help."""
    acc = accuracy_score(split.y_test, fitted.predict({view: split.X_test[view]}))
    baseline = LogisticRegression(max_iter=2000).fit(
        split.X_train[view][split.labeled], split.y_train_full[split.labeled]
    )
    assert acc > baseline.score(split.X_test[view], split.y_test)


def test_both_views_predict_at_least_as_well_as_one(fitted, split):
    y = split.y_test
    acc_both = accuracy_score(y, fitted.predict(split.X_test))
    acc_top = accuracy_score(y, fitted.predict({"top": split.X_test["top"]}))
    acc_bottom = accuracy_score(y, fitted.predict({"bottom": split.X_test["bottom"]}))
    assert acc_both >= max(acc_top, acc_bottom)
    assert acc_both > 2 * 0.1  # far above chance for 10 classes


def test_missing_view_as_nan_rows_equals_leaving_it_out(fitted, split):
    """A NaN row and an absent modality both mean 'view missing'; the other
    rows of the batch do not influence a row's prediction."""
    n = len(split.y_test)
    rows = np.arange(n) % 2 == 0
    X_nan = _with_nan_rows(split.X_test, rows, "bottom")
    proba = fitted.predict_proba(X_nan)
    proba_top = fitted.predict_proba({"top": split.X_test["top"]})
    proba_both = fitted.predict_proba(split.X_test)
    np.testing.assert_allclose(proba[rows], proba_top[rows], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(proba[~rows], proba_both[~rows], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(
        fitted.transform(X_nan)[rows], fitted.transform({"top": split.X_test["top"]})[rows]
    )


def test_predict_proba_rows_sum_to_one_and_argmax_is_predict(fitted, split):
    for X in (split.X_test, {"bottom": split.X_test["bottom"]}):
        proba = fitted.predict_proba(X)
        assert proba.shape == (len(split.y_test), len(fitted.classes_))
        assert np.all(proba >= 0)
        np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)
        np.testing.assert_array_equal(fitted.classes_[proba.argmax(1)], fitted.predict(X))
    np.testing.assert_array_equal(fitted.classes_, np.arange(10))


def test_score_is_accuracy_over_labeled_rows_only(fitted, split):
    y = split.y_test.copy()
    y[::3] = -1
    lab = y != -1
    want = np.mean(fitted.predict(split.X_test)[lab] == split.y_test[lab])
    assert fitted.score(split.X_test, y) == pytest.approx(want)
    # unlabeled rows are ignored, whatever the model predicts for them
    assert fitted.score(ModalityDict(split.X_test)[lab], y[lab]) == pytest.approx(want)
    scorer = labeled_scorer()
    assert scorer(fitted, split.X_test, y) == pytest.approx(want)
    # sample weights apply to the labeled rows
    w = np.linspace(0.5, 2.0, len(y))
    correct = fitted.predict(split.X_test)[lab] == split.y_test[lab]
    assert fitted.score(split.X_test, y, sample_weight=w) == pytest.approx(
        np.average(correct, weights=w[lab])
    )


@pytest.fixture(scope="module")
def missing_at_fit(split):
    """Fit with ~20% of the top rows and ~20% of the bottom rows missing (never both)."""
    n = len(split.y_train)
    rng = np.random.RandomState(1)
    which = rng.choice(3, size=n, p=[0.2, 0.2, 0.6])
    X = _with_nan_rows(split.X_train, which == 0, "top")
    X["bottom"][which == 1] = np.nan
    model = MultimodalPoEVAE(
        n_components=8, hidden_layer_sizes=(64,), max_iter=30, random_state=0, device="cpu"
    ).fit(X, split.y_train)
    return model, which


def test_fit_with_missing_views(missing_at_fit, split):
    model, which = missing_at_fit
    assert np.all(np.isfinite(model.loss_curve_))
    for view in ("top", "bottom"):
        acc = accuracy_score(split.y_test, model.predict({view: split.X_test[view]}))
        assert acc > 3 * 0.1, view  # well above chance
    # prediction on test rows with either view missing
    rows = np.arange(len(split.y_test)) % 3
    X_test = _with_nan_rows(split.X_test, rows == 0, "top")
    X_test["bottom"][rows == 1] = np.nan
    pred = model.predict(X_test)
    np.testing.assert_array_equal(
        pred[rows == 0], model.predict({"bottom": split.X_test["bottom"]})[rows == 0]
    )
    assert accuracy_score(split.y_test, pred) > 3 * 0.1
    acc_both = accuracy_score(split.y_test, model.predict(split.X_test))
    assert acc_both >= accuracy_score(split.y_test, model.predict({"top": split.X_test["top"]}))
    Z = model.transform(X_test)
    assert Z.shape == (len(rows), 8) and np.all(np.isfinite(Z))


# --------------------------------------------------------------------------
# API on small models
# --------------------------------------------------------------------------
def test_transform_shape(tiny_supervised, small):
    Z = tiny_supervised.transform(small.X)
    assert Z.shape == (small.n, tiny_supervised.n_components)
    assert Z.dtype == np.float64 and np.all(np.isfinite(Z))
    assert tiny_supervised.transform({"top": small.X["top"]}).shape == Z.shape


def test_fit_transform_equals_fit_then_transform(small):
    Z1 = tiny(random_state=3).fit_transform(small.X, small.y_part)
    Z2 = tiny(random_state=3).fit(small.X, small.y_part).transform(small.X)
    np.testing.assert_array_equal(Z1, Z2)


def test_string_classes_with_unlabeled(small):
    names = np.array(["even", "odd"], dtype=object)[small.y % 2]
    y = names.copy()
    y[np.arange(small.n) % 3 != 0] = -1
    model = tiny().fit(small.X, y)
    assert list(model.classes_) == ["even", "odd"]
    pred = model.predict(small.X)
    assert set(pred) <= {"even", "odd"}
    assert model.predict_proba(small.X).shape == (small.n, 2)
    sampled = model.sample(5)[1]
    assert set(sampled) <= {"even", "odd"}


def test_string_dtype_labels_with_minus_one(small):
    names = np.array(["even", "odd"])[small.y % 2]
    y = np.where(np.arange(small.n) % 3 == 0, names, "-1")
    try:
        model = tiny(max_iter=1).fit(small.X, y)
    except ValueError:
        return  # refusing the ambiguous str-dtype '-1' is fine too
    assert "-1" not in set(model.classes_)


def test_nan_marks_unlabeled_in_float_y(small):
    y_nan = small.y_part.astype(float)
    y_nan[small.y_part == -1] = np.nan
    m_nan = tiny().fit(small.X, y_nan)
    m_int = tiny().fit(small.X, small.y_part)
    np.testing.assert_array_equal(m_nan.classes_, np.arange(10))
    np.testing.assert_array_equal(m_nan.transform(small.X), m_int.transform(small.X))
    np.testing.assert_array_equal(m_nan.predict(small.X), m_int.predict(small.X))


def test_labeled_scorer_in_cross_val_score(small):
    X = ModalityDict(small.X)
    est = tiny()
    cv = KFold(2, shuffle=True, random_state=0)
    scores = cross_val_score(est, X, small.y_part, cv=cv, scoring=labeled_scorer())
    default = cross_val_score(est, X, small.y_part, cv=cv)  # estimator.score
    want = []
    for train, test in cv.split(np.zeros(small.n)):
        m = tiny().fit(X[train], small.y_part[train])
        lab = small.y_part[test] != -1
        want.append(np.mean(m.predict(X[test][lab]) == small.y_part[test][lab]))
    np.testing.assert_allclose(scores, want)
    np.testing.assert_allclose(default, want)


def test_unsupervised_fit(tiny_unsupervised, small):
    assert not tiny_unsupervised.supervised_
    assert not hasattr(tiny_unsupervised, "classes_")
    with pytest.raises(ValueError, match="without y"):
        tiny_unsupervised.predict(small.X)
    with pytest.raises(ValueError, match="without y"):
        tiny_unsupervised.predict_proba(small.X)
    assert tiny_unsupervised.score(small.X) == pytest.approx(
        tiny_unsupervised.score_samples(small.X).mean()
    )
    Xs, ys = tiny_unsupervised.sample(3)
    assert ys is None and Xs["top"].shape == (3, 32)


def test_score_samples_real_rows_beat_noise(tiny_unsupervised, small):
    ll = tiny_unsupervised.score_samples(small.X)
    assert ll.shape == (small.n,) and np.all(np.isfinite(ll))
    rng = np.random.RandomState(0)
    noise = {k: rng.rand(*v.shape) for k, v in small.X.items()}
    ll_noise = tiny_unsupervised.score_samples(noise)
    assert np.all(np.isfinite(ll_noise))
    assert ll.mean() > ll_noise.mean()
    assert np.median(ll) > np.median(ll_noise)
    # a row's estimate depends on that row only
    np.testing.assert_allclose(
        tiny_unsupervised.score_samples(ModalityDict(small.X)[[5, 3]]), ll[[5, 3]], rtol=1e-5
    )


def test_importance_sampling_tightens_the_bound(tiny_unsupervised, small, monkeypatch):
    """E[log (1/K) sum_k w_k] grows with K (Burda et al.): the K=1 estimate,
    averaged over independent draws, is at most the K=500 estimate."""
    X = ModalityDict(small.X)[:150]
    model = copy.deepcopy(tiny_unsupervised)
    k1 = []
    for seed in range(60):
        monkeypatch.setattr(model, "_inference_seed", 1000 + seed)
        k1.append(model.score_samples(X, n_importance_samples=1).mean())
    k_many = model.score_samples(X, n_importance_samples=500).mean()
    assert k_many >= np.mean(k1)
    with pytest.raises(ValueError, match="n_importance_samples"):
        model.score_samples(X, n_importance_samples=0)


def test_impute_fills_only_missing_rows(tiny_unsupervised, small):
    X = _with_nan_rows(small.X, np.arange(small.n) < 40, "bottom")
    X["top"][40:60] = np.nan
    out = tiny_unsupervised.impute(X)
    assert isinstance(out, ModalityDict) and list(out) == ["top", "bottom"]
    for name in out:
        assert out[name].shape == small.X[name].shape
        assert not np.isnan(out[name]).any()
        assert np.all((out[name] >= 0) & (out[name] <= 1))  # bernoulli: probabilities
    np.testing.assert_array_equal(out["bottom"][40:], small.X["bottom"][40:])
    np.testing.assert_array_equal(out["top"][:40], small.X["top"][:40])
    np.testing.assert_array_equal(out["top"][60:], small.X["top"][60:])
    # imputed rows follow the observed view (not a constant fill)
    assert np.ptp(out["bottom"][:40], axis=0).max() > 0
    # a view left out of the dict is imputed for every row
    only_top = tiny_unsupervised.impute({"top": small.X["top"]})
    np.testing.assert_array_equal(only_top["top"], small.X["top"])
    assert only_top["bottom"].shape == (small.n, 32)


def test_impute_gaussian_in_user_units(small):
    X = {k: v * 1000.0 + 500.0 for k, v in small.X.items()}
    model = tiny(likelihoods="gaussian", max_iter=20).fit(X)
    assert isinstance(model.likelihoods_["bottom"], Gaussian)
    X_miss = _with_nan_rows(X, np.arange(small.n) < 50, "bottom")
    imputed = model.impute(X_miss)["bottom"][:50]
    true = X["bottom"][:50]
    std = X["bottom"].std(0)
    varying = std > 0
    # in the user's units (standardized units would be centred on 0)
    assert 500.0 <= imputed.mean() <= 1500.0
    np.testing.assert_allclose(imputed[:, ~varying], 500.0, atol=0.5)
    z = np.abs(imputed.mean(0) - true.mean(0))[varying] / std[varying]
    assert np.all(z < 1.0)
    assert np.corrcoef(imputed.ravel(), true.ravel())[0, 1] > 0.3
    np.testing.assert_array_equal(model.impute(X_miss)["bottom"][50:], X["bottom"][50:])


def test_sample(tiny_supervised):
    Xs, ys = tiny_supervised.sample(7)
    assert isinstance(Xs, ModalityDict)
    assert list(Xs) == tiny_supervised.modalities_
    assert all(v.shape == (7, 32) for v in Xs.values())
    assert all(np.all((v >= 0) & (v <= 1)) for v in Xs.values())
    assert ys.shape == (7,) and set(ys) <= set(tiny_supervised.classes_)
    a, _ = tiny_supervised.sample(4, random_state=1)
    b, _ = tiny_supervised.sample(4, random_state=1)
    np.testing.assert_array_equal(a["top"], b["top"])
    with pytest.raises(ValueError, match="n_samples"):
        tiny_supervised.sample(0)


def test_feature_names_and_pandas_output(tiny_supervised, small):
    names = tiny_supervised.get_feature_names_out()
    assert len(names) == tiny_supervised.n_components
    assert len(set(names)) == len(names)
    assert all(str(n).startswith("multimodalpoevae") for n in names)
    model = copy.deepcopy(tiny_supervised).set_output(transform="pandas")
    Z = model.transform(small.X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == list(names)
    np.testing.assert_allclose(Z.to_numpy(), tiny_supervised.transform(small.X))


def test_two_d_array_with_column_groups_equals_dict_route(small):
    X = small.X2d
    groups = {"a": slice(0, 32), "b": list(range(32, 64))}
    m2d = tiny(modalities=groups).fit(X, small.y_part)
    mdict = tiny().fit({"a": X[:, :32], "b": X[:, 32:]}, small.y_part)
    assert m2d.modalities_ == ["a", "b"]
    assert m2d.n_features_per_modality_ == {"a": 32, "b": 32}
    assert m2d.n_features_in_ == 64
    np.testing.assert_array_equal(
        m2d.transform(X), mdict.transform({"a": X[:, :32], "b": X[:, 32:]})
    )
    np.testing.assert_array_equal(m2d.predict(X), mdict.predict({"a": X[:, :32], "b": X[:, 32:]}))
    # a NaN block on the 2-D route is a missing view
    X_nan = X.copy()
    X_nan[:10, 32:] = np.nan
    np.testing.assert_array_equal(m2d.predict(X_nan)[:10], mdict.predict({"a": X[:10, :32]}))


def test_two_d_array_single_modality(small):
    m = tiny().fit(small.X2d, small.y_part)
    assert m.modalities_ == ["X"]
    m_dict = tiny().fit({"X": small.X2d}, small.y_part)
    np.testing.assert_array_equal(m.transform(small.X2d), m_dict.transform({"X": small.X2d}))
    df = pd.DataFrame(small.X2d, columns=[f"px{i}" for i in range(64)])
    m_df = tiny().fit(df, small.y_part)
    assert list(m_df.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(m_df.transform(df), m.transform(small.X2d))


def test_pandas_and_torch_views_in_dict(small):
    X = {
        "top": pd.DataFrame(small.X["top"]),
        "bottom": torch.tensor(small.X["bottom"], dtype=torch.float64),
    }
    m_mixed = tiny().fit(X, small.y_part)
    m_np = tiny().fit(small.X, small.y_part)
    np.testing.assert_array_equal(m_mixed.transform(X), m_np.transform(small.X))
    np.testing.assert_array_equal(m_mixed.predict(X), m_np.predict(small.X))


def test_three_modalities_predict_from_one_strip(digits):
    X, y = digits
    n = 900
    cols = {"a": slice(0, 24), "b": slice(24, 40), "c": slice(40, 64)}
    strips = {k: X[:n, c] for k, c in cols.items()}
    y_part = np.where(np.arange(n) % 4 == 0, y[:n], -1)
    model = tiny(n_components=8, hidden_layer_sizes=(64,), max_iter=30).fit(strips, y_part)
    assert model.modalities_ == ["a", "b", "c"]
    # one own + three substitute heads per encoder (three views + labels)
    assert model.module_.n_heads == 4
    test = slice(n, n + 300)
    single = {}
    for name, c in cols.items():
        pred = model.predict({name: X[test, c]})
        assert set(pred) <= set(model.classes_)
        single[name] = accuracy_score(y[test], pred)
        assert single[name] > 2 * 0.1, name  # above chance from one strip
    acc_all = accuracy_score(y[test], model.predict({k: X[test, c] for k, c in cols.items()}))
    assert acc_all >= max(single.values())
    Z = model.transform({"b": X[test, 24:40], "c": X[test, 40:]})
    assert Z.shape == (300, 8) and np.all(np.isfinite(Z))


def test_single_modality_plain_vae(small):
    X = {"image": small.X2d}
    unsup = tiny().fit(X)
    assert unsup.module_.M == 1
    assert unsup.transform(X).shape == (small.n, 4)
    assert np.all(np.isfinite(unsup.score_samples(X)))
    sup = tiny().fit(X, small.y_part)
    assert sup.predict(X).shape == (small.n,)
    assert np.all(np.isfinite(sup.impute(X)["image"]))


def test_gaussian_views_on_wildly_different_scales(small):
    """Standardization makes the fit invariant to a per-view change of units;
    score_samples moves by the log-Jacobian of that change."""
    scales = {"top": 1e4, "bottom": 1e-3}
    X_big = {k: v * scales[k] for k, v in small.X.items()}
    m_big = tiny(likelihoods="gaussian").fit(X_big, small.y_part)
    m_ref = tiny(likelihoods="gaussian").fit(small.X, small.y_part)
    assert np.all(np.isfinite(m_big.loss_curve_))
    Z = m_big.transform(X_big)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z, m_ref.transform(small.X), atol=1e-4)
    ll_big, ll_ref = m_big.score_samples(X_big), m_ref.score_samples(small.X)
    assert np.all(np.isfinite(ll_big))
    varying = {k: np.sum(v.std(0) > 0) for k, v in small.X.items()}
    shift = -sum(varying[k] * np.log(scales[k]) for k in scales)
    np.testing.assert_allclose(ll_big - ll_ref, shift, rtol=1e-3)


@pytest.mark.parametrize(
    "likelihood, cls",
    [
        ("poisson", Poisson),
        ("negative_binomial", NegativeBinomial),
        ("categorical", Categorical),
        ("laplace", Laplace),
    ],
)
def test_other_likelihoods_fit_and_score(digits, likelihood, cls):
    X, y = digits
    n = 300
    raw = np.round(X[:n] * 16)  # pixel intensities 0..16: counts
    view = raw[:, 32:]
    if likelihood == "categorical":
        view = np.floor(raw[:, 32:] / 4)  # 5 intensity levels as codes 0..4
    elif likelihood == "laplace":
        view = raw[:, 32:] - 8.0
    data = {"top": X[:n, :32], "v": view}
    y_part = np.where(np.arange(n) % 3 == 0, y[:n], -1)
    model = tiny(likelihoods={"v": likelihood}).fit(data, y_part)
    assert isinstance(model.likelihoods_["v"], cls)
    assert isinstance(model.likelihoods_["top"], Bernoulli)
    ll = model.score_samples(data)
    assert ll.shape == (n,) and np.all(np.isfinite(ll))
    assert np.all(np.isfinite(model.transform({"v": view})))
    imputed = model.impute({"top": data["top"][:20]})["v"]
    assert np.all(np.isfinite(imputed))
    if likelihood in ("poisson", "negative_binomial"):
        assert np.all(imputed >= 0)
    if likelihood == "categorical":
        assert set(np.unique(imputed)) <= set(range(5))


def test_device_cpu_explicit(small):
    model = tiny(device="cpu", max_iter=1).fit(small.X)
    assert model.device_ == torch.device("cpu")
    assert all(p.device.type == "cpu" for p in model.module_.parameters())


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_device_cuda_without_cuda_raises(small):
    with pytest.raises(ValueError, match="cuda"):
        tiny(device="cuda", max_iter=1).fit(small.X)


def test_auto_hidden_layer_sizes_follow_the_number_of_rows(tmp_path):
    import skpoe
    from skpoe.datasets import load_digits_views

    X, y = load_digits_views()
    small = skpoe.MultimodalPoEVAE(max_iter=1, random_state=0).fit(X[:999], y[:999])
    large = skpoe.MultimodalPoEVAE(max_iter=1, random_state=0).fit(X[:1000], y[:1000])
    assert small.auto_hidden_layer_sizes_ == (64,) and large.auto_hidden_layer_sizes_ == (256, 256)
    assert small.module_.encoders[0].net[0].out_features == 64
    given = skpoe.MultimodalPoEVAE(max_iter=1, hidden_layer_sizes=(32,)).fit(X[:999], y[:999])
    assert not hasattr(given, "auto_hidden_layer_sizes_")
    small.save(tmp_path / "m.skpoe")
    again = skpoe.load(tmp_path / "m.skpoe")
    np.testing.assert_array_equal(again.transform(X[:50]), small.transform(X[:50]))
