"""In-memory views whose encoded copy is large are encoded per minibatch, bit for bit."""

import numpy as np
import pytest
from conftest import TINY

import skpoe.train.lazy as lazy
from skpoe import MultimodalPoEVAE
from skpoe.data._validation import encoded_copy_bytes
from skpoe.likelihoods import Bernoulli, Gaussian


@pytest.fixture(scope="module")
def views(small):
    """Real-valued digits halves with a missing view and missing entries."""
    top = small.X["top"].astype(np.float32) * 3.0 - 5.0
    bottom = small.X["bottom"].astype(np.float64) * 2.0 + 1.0
    bottom[::5] = np.nan
    top[1::7, :4] = np.nan
    return {"top": top, "bottom": bottom}, small.y_part


def _fit(views, y, monkeypatch, limit, **kw):
    made = []
    real = lazy.make_data

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(lazy, "STREAM_COPY_BYTES", limit)
    monkeypatch.setattr("skpoe.estimators._fit.make_data", spy)
    est = MultimodalPoEVAE(**dict(TINY, max_iter=3, likelihoods="gaussian", **kw)).fit(*views, y)
    return est, made[0]


@pytest.mark.parametrize("kw", [{}, {"entry_masking": 0.2}], ids=["default", "entry-masking"])
def test_streamed_fit_equals_the_whole_tensor_fit(views, monkeypatch, kw):
    X, y = views
    whole, data = _fit((X,), y, monkeypatch, 2**62, **kw)
    assert not isinstance(data, lazy.LazyData)
    streamed, data = _fit((X,), y, monkeypatch, 0, **kw)
    assert isinstance(data, lazy.LazyData)
    np.testing.assert_array_equal(streamed.loss_curve_, whole.loss_curve_)
    np.testing.assert_array_equal(streamed.transform(X), whole.transform(X))
    np.testing.assert_array_equal(streamed.predict_proba(X), whole.predict_proba(X))


def test_copy_bytes_count_only_views_that_need_a_copy(views):
    X, _ = views
    n = X["top"].shape[0]
    own = np.random.default_rng(0).random((n, 5)).astype(np.float32)  # Bernoulli's own input
    real = np.nan_to_num(X["top"])  # no missing entries: one encoded column per feature
    observed = np.ones((n, 2), bool)
    liks = [Bernoulli().fit(own, "a"), Gaussian().fit(real, "b")]
    assert encoded_copy_bytes([own, real], observed, liks) == n * real.shape[1] * 4
    assert encoded_copy_bytes([own], observed[:, :1], liks[:1]) == 0


def test_large_copies_stream_on_the_cpu_only(views, monkeypatch):
    import torch

    X, _ = views
    arr = np.nan_to_num(X["top"])
    observed = np.ones((arr.shape[0], 1), bool)
    liks = [Gaussian().fit(arr, "top")]
    monkeypatch.setattr(lazy, "STREAM_COPY_BYTES", arr.nbytes - 1)
    assert isinstance(lazy.make_data([arr], observed, liks, torch.device("cpu")), lazy.LazyData)
    monkeypatch.setattr(lazy, "STREAM_COPY_BYTES", arr.nbytes)
    data = lazy.make_data([arr], observed, liks, torch.device("cpu"))
    assert not isinstance(data, lazy.LazyData)


def test_streamed_views_give_the_graph_the_arrays_themselves(views, monkeypatch):
    """In-memory views reach the pseudo-label graph as they are, streamed or not: no dense
    float64 copy of them is read for it, and the graph is built before the training data."""
    import skpoe.estimators._fit as fit_module

    X, y = views
    order = []
    real_targets, real_make = fit_module.pseudo_label_targets, fit_module.make_data

    def targets(views_, *args, **kwargs):
        order.append("graph")
        assert all(isinstance(v, np.ndarray) for v in views_)
        assert any(v is X["top"] or v.base is X["top"] for v in views_)
        return real_targets(views_, *args, **kwargs)

    def make(*args, **kwargs):
        order.append("data")
        return real_make(*args, **kwargs)

    monkeypatch.setattr(fit_module, "pseudo_label_targets", targets)
    monkeypatch.setattr(fit_module, "make_data", make)
    monkeypatch.setattr(fit_module, "as_source", lambda *a: pytest.fail("a view read for it"))
    monkeypatch.setattr(lazy, "STREAM_COPY_BYTES", 0)
    est = MultimodalPoEVAE(**dict(TINY, max_iter=2, likelihoods="gaussian")).fit(X, y)
    assert order == ["graph", "data"] and np.isfinite(est.loss_curve_).all()


def test_the_own_input_pass_is_made_once_per_view(views, monkeypatch):
    """make_data asks whether a view is its own encoder input once, for the size and the copy."""
    import torch

    import skpoe.data._validation as validation

    X, _ = views
    n = X["top"].shape[0]
    own = np.random.default_rng(0).random((n, 5)).astype(np.float32)  # Bernoulli's own input
    real = np.nan_to_num(X["top"])
    observed = np.ones((n, 2), bool)
    liks = [Bernoulli().fit(own, "a"), Gaussian().fit(real, "b")]
    calls = []
    check = validation._is_own_input
    monkeypatch.setattr(
        validation, "_is_own_input", lambda *a: calls.append(a[1] is own) or check(*a)
    )
    data = lazy.make_data([own, real], observed, liks, torch.device("cpu"))
    assert calls == [True, False]  # once per view
    assert np.shares_memory(data.inputs[0].numpy(), own)  # used as it is, no copy
    assert not np.shares_memory(data.inputs[1].numpy(), real)
