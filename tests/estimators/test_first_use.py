"""First-use traps: partial labels through pipelines, the automatic
likelihood's reason, pandas in and out, and unknown parameters."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from conftest import tiny
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

import skpoe
from skpoe import MultimodalPoEVAE
from skpoe.likelihoods import Bernoulli, Gaussian, choose_likelihood
from skpoe.semi_supervised import LabeledOnly, PartialLabelsWarning, check_labeled_classes


def _pipe(final):
    return Pipeline([("vae", tiny(max_iter=15, n_components=8)), ("clf", final)])


def _partial_warnings(record):
    return [w for w in record if issubclass(w.category, PartialLabelsWarning)]


@pytest.fixture(scope="module")
def trap(small):
    """The issue's pipeline, fitted with -1 labels: plain and with LabeledOnly."""
    out = {}
    for key, final in (
        ("plain", LogisticRegression(max_iter=1000)),
        ("wrapped", LabeledOnly(LogisticRegression(max_iter=1000))),
    ):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            out[key] = _pipe(final).fit(small.X, small.y_part)
        out[key + "_warnings"] = _partial_warnings(record)
    return out


# -- 1. partial labels through pipelines ----------------------------------------
def test_plain_pipeline_learns_minus_one_and_scores_high(trap, small):
    pipe = trap["plain"]
    unlabeled = small.y_part == -1
    assert -1 in pipe.classes_
    # pipe.score looks good because the unlabeled rows are "correctly" -1 ...
    assert pipe.score(small.X, small.y_part) > 0.5
    # ... while on the real labels of those rows it is close to nothing
    real = np.mean(pipe.predict(small.X)[unlabeled] == small.y[unlabeled])
    assert real < 0.2
    with pytest.raises(ValueError, match="learned the unlabeled marker"):
        check_labeled_classes(pipe)


def test_plain_pipeline_warns_once_naming_the_step(trap):
    [w] = trap["plain_warnings"]
    text = str(w.message)
    assert "'clf'" in text and "LogisticRegression" in text and "LabeledOnly" in text


def test_labeled_only_pipeline_predicts_real_classes_without_warning(trap, small):
    pipe = trap["wrapped"]
    assert trap["wrapped_warnings"] == []
    np.testing.assert_array_equal(pipe.classes_, np.arange(10))
    unlabeled = small.y_part == -1
    real = np.mean(pipe.predict(small.X)[unlabeled] == small.y[unlabeled])
    assert real > 0.5
    assert check_labeled_classes(pipe) is pipe
    proba = pipe.predict_proba(small.X)
    assert proba.shape == (small.n, 10)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert pipe.decision_function(small.X).shape == (small.n, 10)
    # score counts only the labeled rows
    lab = small.y_part != -1
    expected = np.mean(pipe.predict(small.X)[lab] == small.y_part[lab])
    assert pipe.score(small.X, small.y_part) == pytest.approx(expected)


@pytest.mark.parametrize(
    "final", [SelfTrainingClassifier(LogisticRegression(), max_iter=0), "passthrough"]
)
def test_no_warning_for_label_aware_or_absent_final_step(small, final):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        Pipeline([("vae", tiny(max_iter=1)), ("last", final)]).fit(small.X, small.y_part)
    assert _partial_warnings(record) == []


def test_no_warning_outside_pipeline_or_with_full_labels(small):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        tiny(max_iter=1).fit_transform(small.X, small.y_part)
        _pipe(LogisticRegression(max_iter=200)).set_params(vae__max_iter=1).fit(small.X, small.y)
    assert _partial_warnings(record) == []


def test_labeled_only_meta_estimator_contract(small):
    X = small.X2d
    y = small.y_part.astype(float)
    y[y == -1] = np.nan  # NaN marks unlabeled rows too
    est = LabeledOnly(LogisticRegression(C=0.5, max_iter=500))
    assert est.get_params()["estimator__C"] == 0.5
    assert is_classifier(est) and get_tags(est).target_tags.required
    est.fit(X, y)
    assert est.n_labeled_ == int((small.y_part != -1).sum())
    assert est.classes_.dtype.kind == "i" and -1 not in est.classes_
    assert est.n_features_in_ == X.shape[1]
    assert pickle.loads(pickle.dumps(est)).predict(X[:5]).shape == (5,)
    assert clone(est).get_params()["estimator__C"] == 0.5
    assert not hasattr(LabeledOnly(LogisticRegression()), "transform")
    # sample_weight is cut to the labeled rows with them
    w = np.ones(small.n)
    LabeledOnly(LogisticRegression(max_iter=500)).fit(X, small.y_part, sample_weight=w)
    scores = cross_val_score(LabeledOnly(LogisticRegression(max_iter=500)), X, small.y_part, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)
    search = GridSearchCV(
        LabeledOnly(LogisticRegression(max_iter=500)), {"estimator__C": [0.1, 1.0]}, cv=3
    ).fit(X, small.y_part)
    assert search.best_params_["estimator__C"] in (0.1, 1.0)


def test_labeled_only_string_labels_with_none():
    X = np.array([[0.0], [0.2], [1.0], [1.2], [0.1], [1.1]])
    y = np.array(["a", "a", "b", "b", None, None], dtype=object)
    est = LabeledOnly(LogisticRegression()).fit(X, y)
    assert est.classes_.tolist() == ["a", "b"]
    assert est.predict(X).tolist() == ["a", "a", "b", "b", "a", "b"]


def test_labeled_only_errors(small):
    with pytest.raises(ValueError, match="no labeled rows"):
        LabeledOnly(LogisticRegression()).fit(small.X2d, np.full(small.n, -1))
    with pytest.raises(ValueError, match="requires y to be passed"):
        LabeledOnly(LogisticRegression()).fit(small.X2d, None)


# -- 2. automatic likelihood: reported and stored ----------------------------------
def test_choose_likelihood_reasons():
    rng = np.random.RandomState(0)
    lik, reason = choose_likelihood(rng.rand(20, 3))
    assert isinstance(lik, Bernoulli) and "continuous" in reason and "gaussian" in reason
    lik, reason = choose_likelihood((rng.rand(20, 3) > 0.5).astype(float))
    assert isinstance(lik, Bernoulli) and "only 0 and 1" in reason
    lik, reason = choose_likelihood(rng.randn(20, 3) * 5)
    assert isinstance(lik, Gaussian) and "outside [0, 1]" in reason


def test_likelihood_reasons_stored_and_printed(small, capsys):
    X = {"top": small.X["top"], "scaled": small.X["bottom"] * 16}
    model = tiny(max_iter=1, verbose=1, likelihoods={"top": "auto", "scaled": "auto"}).fit(X)
    out = capsys.readouterr().out
    assert set(model.likelihood_reasons_) == {"top", "scaled"}
    assert "bernoulli" in model.likelihood_reasons_["top"]
    assert "gaussian" in model.likelihood_reasons_["scaled"]
    assert "modality 'top' uses the bernoulli likelihood" in out
    assert "modality 'scaled' uses the gaussian likelihood" in out
    quiet = tiny(max_iter=1, likelihoods={"top": "gaussian"}).fit(X)
    assert quiet.likelihood_reasons_["top"] == "given: likelihoods='gaussian'"
    assert "uses the" not in capsys.readouterr().out


# -- 3. pandas in, pandas out ---------------------------------------------------
def test_pandas_index_kept_and_impute_returns_frames(small):
    pd = pytest.importorskip("pandas")
    index = pd.Index([f"s{i}" for i in range(small.n)], name="sample")
    X = {
        k: pd.DataFrame(v.copy(), index=index, columns=[f"{k}_{j}" for j in range(v.shape[1])])
        for k, v in small.X.items()
    }
    X["bottom"].iloc[::3] = np.nan
    model = tiny(max_iter=1).set_output(transform="pandas")
    Z = model.fit_transform(X, small.y_part)
    assert isinstance(Z, pd.DataFrame) and Z.index.equals(index)
    assert list(Z.columns) == list(model.get_feature_names_out())
    assert model.transform(X).index.equals(index)
    filled = model.impute(X)
    assert set(filled) == {"top", "bottom"}
    for name, frame in filled.items():
        assert isinstance(frame, pd.DataFrame) and frame.index.equals(index)
        assert list(frame.columns) == list(X[name].columns)
        assert not frame.isna().any().any()
    # a view left out of the input comes back with generated column names
    only_top = model.impute({"top": X["top"]})
    assert list(only_top["bottom"].columns)[:2] == ["bottom0", "bottom1"]
    # default output and numpy input are unchanged
    model.set_output(transform="default")
    assert isinstance(model.transform(X), np.ndarray)
    with pytest.warns(skpoe.SkpoeWarning, match="does not have valid feature names"):
        assert isinstance(model.impute(small.X), skpoe.ModalityDict)  # arrays after frames


def test_pandas_2d_route_impute_splits_columns(small):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        small.X2d.copy(), columns=[f"px{j}" for j in range(64)], index=np.arange(small.n) + 1000
    )
    df.iloc[::5, 40:] = np.nan
    model = tiny(max_iter=1, modalities={"top": slice(0, 32), "bottom": slice(32, 64)})
    filled = model.fit(df).impute(df)
    assert list(filled["bottom"].columns) == [f"px{j}" for j in range(32, 64)]
    assert filled["top"].index.equals(df.index)


# -- 4. unknown parameters -------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, hint",
    [
        ({"n_epochs": 10}, "max_iter"),
        ({"learning_rate": 0.1}, "learning_rate_init"),
        ({"n_component": 3}, "n_components"),
        ({"latent_dim": 3}, "n_components"),
    ],
)
def test_unknown_parameter_names_class_and_closest(kwargs, hint):
    with pytest.raises(TypeError, match=f"MultimodalPoEVAE.*did you mean '{hint}'"):
        MultimodalPoEVAE(**kwargs)


def test_unknown_parameter_every_estimator_and_positional():
    for Est in skpoe.ESTIMATORS:
        with pytest.raises(TypeError, match=Est.__name__):
            Est(n_epochs=3)
    with pytest.raises(TypeError, match="only n_components may be passed by position"):
        MultimodalPoEVAE(4, (16,))
    with pytest.raises(TypeError, match="'foo'\\. Valid parameters"):
        MultimodalPoEVAE(foo=1)


@parametrize_with_checks(
    [LabeledOnly(LogisticRegression())],
    expected_failed_checks=lambda est: {
        "check_classifiers_classes": (
            "the check uses -1 as a class label; -1 marks unlabeled rows, as in "
            "sklearn.semi_supervised"
        )
    },
)
def test_labeled_only_sklearn_checks(estimator, check):
    check(estimator)
