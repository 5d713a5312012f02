"""scikit-learn integration: clone, params, persistence, pipelines, model selection."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from conftest import TINY, tiny
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline

from skpoe import ModalityDict
from skpoe.metrics import labeled_scorer


def test_clone_is_unfitted_with_same_params(tiny_supervised, small):
    c = clone(tiny_supervised)
    assert c is not tiny_supervised
    assert c.get_params() == tiny_supervised.get_params()
    assert not hasattr(c, "module_")
    with pytest.raises(NotFittedError):
        c.transform(small.X)


def test_get_and_set_params():
    est = tiny()
    params = est.get_params()
    for name, value in TINY.items():
        assert params[name] == value
    for name in (
        "supervision_weight",
        "beta",
        "star",
        "likelihoods",
        "encoders",
        "decoders",
        "modalities",
        "early_stopping",
        "warm_start",
        "device",
    ):
        assert name in params
    assert est.set_params(n_components=3, supervision_weight=5.0) is est
    assert est.n_components == 3 and est.get_params()["supervision_weight"] == 5.0
    with pytest.raises(ValueError):
        est.set_params(no_such_parameter=1)
    assert "n_components=3" in repr(est)


def _same_outputs(a, b, X):
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))


def test_pickle_round_trip(tiny_supervised, small):
    back = pickle.loads(pickle.dumps(tiny_supervised))
    _same_outputs(back, tiny_supervised, small.X)
    assert back.modalities_ == tiny_supervised.modalities_
    np.testing.assert_array_equal(back.classes_, tiny_supervised.classes_)


def test_joblib_round_trip(tiny_supervised, small, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(tiny_supervised, path)
    back = joblib.load(path)
    _same_outputs(back, tiny_supervised, small.X)


def test_pickled_unfitted_and_refit(small):
    est = pickle.loads(pickle.dumps(tiny()))
    a = est.fit(small.X, small.y_part)
    b = tiny().fit(small.X, small.y_part)
    np.testing.assert_array_equal(a.transform(small.X), b.transform(small.X))


def test_pipeline_with_logistic_regression(small):
    X = ModalityDict(small.X)
    pipe = Pipeline([("vae", tiny(max_iter=10)), ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(X, small.y)
    pred = pipe.predict(X)
    assert pred.shape == (small.n,)
    # the pipeline is exactly the VAE's embedding fed to the classifier
    Z = pipe.named_steps["vae"].transform(X)
    np.testing.assert_array_equal(pred, pipe.named_steps["clf"].predict(Z))
    assert pipe.score(X, small.y) > 2 * 0.1
    # and it works with only one view at predict time
    assert pipe.predict({"top": small.X["top"]}).shape == (small.n,)
    make_pipeline(tiny(max_iter=1), LogisticRegression()).fit(small.X, small.y)


@pytest.fixture(scope="module")
def grid_results(small):
    grid = {"n_components": [2, 4], "supervision_weight": [1.0, 50.0]}
    out = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(
            tiny(max_iter=3),
            grid,
            cv=KFold(2, shuffle=True, random_state=0),
            n_jobs=n_jobs,
            scoring=labeled_scorer(),
        )
        search.fit(ModalityDict(small.X), small.y_part)
        out[n_jobs] = search
    return grid, out


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search(grid_results, small, n_jobs):
    grid, searches = grid_results
    search = searches[n_jobs]
    assert len(search.cv_results_["params"]) == 4
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))
    assert search.best_params_["n_components"] in grid["n_components"]
    assert search.best_params_["supervision_weight"] in grid["supervision_weight"]
    assert search.best_estimator_.n_components == search.best_params_["n_components"]
    assert search.predict(small.X).shape == (small.n,)


def test_grid_search_parallel_equals_serial(grid_results):
    _, searches = grid_results
    np.testing.assert_allclose(
        searches[1].cv_results_["mean_test_score"],
        searches[2].cv_results_["mean_test_score"],
    )
    assert searches[1].best_params_ == searches[2].best_params_


def test_cross_val_score_default_scoring(small):
    scores = cross_val_score(tiny(), ModalityDict(small.X), small.y_part, cv=3)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))
    # the estimator's score is the labeled-rows accuracy of skpoe.metrics
    X = ModalityDict(small.X)
    scores_x = cross_val_score(tiny(), X, small.y_part, cv=3, scoring=labeled_scorer())
    np.testing.assert_allclose(scores, scores_x)


def test_train_test_split_then_fit(small):
    X = ModalityDict(small.X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, small.y_part, test_size=0.25, random_state=0)
    assert isinstance(X_tr, ModalityDict) and len(X_tr) == 225 and len(X_te) == 75
    model = tiny().fit(X_tr, y_tr)
    assert model.predict(X_te).shape == (75,)
    assert model.transform(X_te).shape == (75, 4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only machine")
def test_model_pickled_on_gpu_loads_on_cpu_only_machine(tiny_supervised, small):
    """A model whose networks lived on CUDA is stored with CPU tensors and
    loads onto the CPU where CUDA is missing (simulated: device_ says cuda)."""
    import copy

    gpu_model = copy.deepcopy(tiny_supervised)
    gpu_model.device_ = torch.device("cuda")
    loaded = pickle.loads(pickle.dumps(gpu_model))
    assert loaded.device_ == torch.device("cpu")
    assert all(p.device.type == "cpu" for p in loaded.module_.parameters())
    np.testing.assert_array_equal(loaded.transform(small.X), tiny_supervised.transform(small.X))
