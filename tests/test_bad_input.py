"""Each kind of bad input found by the generated-input campaign gets a clear
error naming the modality, row, column or parameter, or works with finite
outputs; none gives a traceback from inside torch/numpy or a silent NaN."""

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tiny
from sklearn.model_selection import GridSearchCV

import skpoe
from skpoe.data import ModalityDict
from skpoe.metrics import labeled_scorer

FAST = dict(n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def views():
    rng = np.random.RandomState(0)
    X = {"a": rng.randn(30, 3), "b": rng.rand(30, 2)}
    y = np.where(np.arange(30) % 3 == 0, np.arange(30) % 2, -1)
    return X, y


@pytest.fixture(scope="module")
def fitted(views):
    return tiny(max_iter=2).fit(*views)


def _all_outputs(est, X):
    """Every output of a fitted supervised estimator, as float arrays."""
    out = [est.transform(X), est.predict_proba(X), est.score_samples(X)]
    out += list(est.impute(X).values()) + list(est.sample(3)[0].values())
    return out


# -- dtypes and containers ---------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda a: torch.tensor(a, dtype=torch.bfloat16),
        lambda a: torch.tensor(a, dtype=torch.float16),
        lambda a: torch.tensor(a, dtype=torch.float32, requires_grad=True),
        lambda a: torch.tensor(np.round(a * 10), dtype=torch.int64),
        lambda a: a.astype(np.float16),
        lambda a: a.astype(object),
        lambda a: a > 0,
        lambda a: pd.DataFrame(a).astype("Float64"),
    ],
    ids=[
        "bf16",
        "torch-f16",
        "requires-grad",
        "torch-int",
        "np-f16",
        "object",
        "bool",
        "pandas-nullable",
    ],
)
def test_dtypes_fit_and_predict(views, make):
    X, y = views
    Xd = {"a": make(X["a"]), "b": X["b"]}
    est = tiny(max_iter=1).fit(Xd, y)
    for out in _all_outputs(est, Xd):
        assert np.isfinite(np.asarray(out, dtype=float)).all()


def test_pandas_string_column_names_modality_and_column(views):
    X, y = views
    df = pd.DataFrame(X["a"], columns=["x", "y", "z"])
    df["y"] = ["n/a"] + [str(v) for v in df["y"][1:]]
    with pytest.raises(ValueError, match=r"'a': column 'y' \(position 1\).*non-numeric.*'n/a'"):
        tiny().fit({"a": df, "b": X["b"]}, y)


def test_pandas_categorical_column(views):
    X, y = views
    df = pd.DataFrame(X["a"], columns=["x", "y", "z"])
    df["z"] = pd.Categorical(np.where(X["a"][:, 2] > 0, "hi", "lo"))
    with pytest.raises(TypeError, match=r"'a': column 'z'.*categorical.*cat.codes"):
        tiny().fit({"a": df, "b": X["b"]}, y)


def test_complex_and_string_arrays(views):
    X, y = views
    with pytest.raises(ValueError, match="Complex data not supported.*'a'"):
        tiny().fit({"a": X["a"] + 1j, "b": X["b"]}, y)
    strings = X["a"].astype(str)
    strings[4, 1] = "oops"
    with pytest.raises(ValueError, match=r"'a'.*'oops' at row 4, column 1"):
        tiny().fit({"a": strings, "b": X["b"]}, y)


# -- values beyond float32 ----------------------------------------------------
@pytest.mark.parametrize("value", [1e39, -1e160])
def test_beyond_float32_at_fit(views, value):
    X, y = views
    a = X["a"].copy()
    a[7, 2] = value
    with pytest.raises(ValueError, match=r"'a'.*row 7, column 2.*float32"):
        tiny().fit({"a": a, "b": X["b"]}, y)


@pytest.mark.parametrize("method", ["transform", "predict", "score_samples", "impute"])
def test_beyond_float32_at_predict(fitted, views, method):
    a = views[0]["a"][:4].copy()
    a[2, 0] = 1e39
    with pytest.raises(ValueError, match=r"'a'.*row 2.*float32"):
        getattr(fitted, method)({"a": a})


def test_far_from_training_data_at_predict(fitted, views):
    a = views[0]["a"][:4].copy()
    a[1, 1] = 1e20
    with pytest.raises(ValueError, match=r"'a'.*row 1, column 1.*standard deviations"):
        fitted.transform({"a": a})


# -- numerics of degenerate views ------------------------------------------
@pytest.mark.parametrize("estimator", skpoe.ESTIMATORS, ids=lambda e: e.__name__)
@pytest.mark.parametrize(
    "kind", ["constant01", "bool", "near1e8", "scale1e8", "scale1e-8", "one_row"]
)
def test_degenerate_views_give_finite_outputs(estimator, kind):
    rng = np.random.RandomState(1)
    n = 1 if kind == "one_row" else 3
    a = {
        "constant01": np.zeros((n, 3)),
        "bool": np.ones((n, 3), bool),
        "near1e8": 1e8 + rng.randn(n, 3),
        "scale1e8": 1e8 * rng.randn(n, 3),
        "scale1e-8": 1e-8 * rng.randn(n, 3),
        "one_row": rng.randn(n, 3),
    }[kind]
    X = {"a": a, "b": np.ones((n, 2)) * 1e8}
    y = np.array([0, 1, -1])[:n]
    est = estimator(**FAST).fit(X, y)
    new = {"a": a[:1], "b": X["b"][:1] + 3.0}
    for out in _all_outputs(est, X) + _all_outputs(est, new):
        assert np.isfinite(np.asarray(out, dtype=float)).all()


# -- counts of draws ---------------------------------------------------------
@pytest.mark.parametrize("value", [0, -2, 2.5, True, "3"])
def test_invalid_draw_counts(fitted, views, value):
    X = views[0]
    err = (ValueError, TypeError)
    with pytest.raises(err, match="n_samples"):
        fitted.predict_proba(X, n_samples=value)
    with pytest.raises(err, match="n_samples"):
        fitted.sample(value)
    with pytest.raises(err, match="n_importance_samples"):
        fitted.score_samples(X, n_importance_samples=value)


# -- views and categories ----------------------------------------------------
def test_view_missing_in_every_training_row(views):
    X, y = views
    with pytest.raises(ValueError, match=r"Modality 'b' is missing \(all NaN\) in every"):
        tiny().fit({"a": X["a"], "b": np.full_like(X["b"], np.nan)}, y)


def test_huge_category_code_is_refused_quickly(views):
    X, y = views
    codes = np.zeros((30, 1))
    codes[5, 0] = 1e9
    with pytest.raises(ValueError, match=r"'c': column 0.*1000000001 categories.*row 5"):
        tiny(likelihoods={"c": "categorical"}).fit({"a": X["a"], "c": codes}, y)


# -- labels ------------------------------------------------------------------
def test_continuous_labels(views):
    X, _ = views
    with pytest.raises(ValueError, match="y must hold class labels"):
        tiny().fit(X, np.linspace(0, 1, 30))


def test_warm_start_with_labels_of_another_type(views):
    X, y = views
    est = tiny(max_iter=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"y holds string labels.*numeric labels"):
        est.fit(X, np.where(y == -1, "-1", np.where(y == 0, "cat", "dog")))


@pytest.mark.parametrize(
    "y",
    [
        np.full(30, -1),
        np.arange(30) % 1,
        np.arange(30),
        np.arange(30) - 5,
        np.array(["a", "b", "-1"], dtype=object)[np.arange(30) % 3],
        np.where(np.arange(30) % 2, 1.0, np.nan),
    ],
    ids=[
        "all-unlabeled",
        "one-class",
        "one-row-per-class",
        "negative-codes",
        "strings",
        "float-nan",
    ],
)
def test_label_patterns(views, y):
    X = views[0]
    est = tiny(max_iter=1)
    if (y == -1).all():
        with pytest.raises(ValueError, match="y has no labeled rows"):
            est.fit(X, y)
        return
    est.fit(X, y)
    proba = est.predict_proba(X)
    assert proba.shape == (30, len(est.classes_)) and np.isfinite(proba).all()
    assert np.isin(est.predict(X), est.classes_).all()


# -- lists and tuples of views ------------------------------------------------
@pytest.mark.parametrize("form", [list, tuple])
def test_list_of_views(views, form):
    X, y = views
    est = tiny(max_iter=1).fit(form([X["a"], X["b"]]), y)
    assert est.modalities_ == ["view0", "view1"]
    np.testing.assert_allclose(
        est.transform(form([X["a"], X["b"]])), est.transform({"view0": X["a"], "view1": X["b"]})
    )
    with pytest.raises(ValueError, match=r"'view1' has 3 features.*2"):
        est.transform([X["a"], X["a"]])
    with pytest.raises(ValueError, match="'view2'"):
        est.transform([X["a"], X["b"], X["b"]])
    assert np.isfinite(est.score(form([X["a"], X["b"]]), y))


def test_nested_list_is_still_one_array(views):
    X, y = views
    est = tiny(max_iter=1).fit(X["a"].tolist(), y)
    assert est.modalities_ == ["X"]


# -- labeled_scorer with scikit-learn scoring names -------------------------
def test_labeled_scorer_names_match_hand_computation(fitted, views):
    from sklearn.metrics import balanced_accuracy_score, f1_score

    X, y = views
    lab = y != -1
    pred = fitted.predict(ModalityDict(X)[np.flatnonzero(lab)])
    assert labeled_scorer("accuracy")(fitted, X, y) == pytest.approx(np.mean(pred == y[lab]))
    assert labeled_scorer("balanced_accuracy")(fitted, X, y) == pytest.approx(
        balanced_accuracy_score(y[lab], pred)
    )
    assert labeled_scorer("f1_macro")(fitted, X, y) == pytest.approx(
        f1_score(y[lab], pred, average="macro")
    )
    assert np.isfinite(labeled_scorer("neg_log_loss")(fitted, X, y))


def test_labeled_scorer_bad_metric():
    with pytest.raises(ValueError, match="metric='acuracy'"):
        labeled_scorer("acuracy")
    with pytest.raises(TypeError, match="metric"):
        labeled_scorer(3)


def test_grid_search_with_scoring_name(views):
    X, y = views
    search = GridSearchCV(
        tiny(max_iter=1),
        {"n_components": [2, 3]},
        cv=2,
        scoring=labeled_scorer("accuracy"),
    ).fit(ModalityDict(X), y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()
