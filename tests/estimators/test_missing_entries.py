"""Missing entries: NaN inside an otherwise observed row of a view.

Real data: scikit-learn's breast cancer table split into three groups of ten
features (raw scale, Gaussian likelihood), with entries hidden at random.
"""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import TINY
from sklearn.datasets import load_breast_cancer
from torch import distributions as dist, nn

from skpoe import ESTIMATORS, MultimodalPoEVAE
from skpoe.data._neighbor_fill import fill_missing_entries
from skpoe.likelihoods import (
    Bernoulli,
    Categorical,
    Gaussian,
    Laplace,
    NegativeBinomial,
    Poisson,
    auto_likelihood,
)

GROUPS = {"mean": slice(0, 10), "error": slice(10, 20), "worst": slice(20, 30)}


def _views(X):
    return {k: X[:, s].copy() for k, s in GROUPS.items()}


def _hide(X, fraction, seed):
    """Copy of X with ``fraction`` of its entries set to NaN, and the mask."""
    hidden = np.random.RandomState(seed).rand(*X.shape) < fraction
    return np.where(hidden, np.nan, X), hidden


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def scattered(cancer):
    """Views with 10% hidden entries, a few missing views, and partial labels."""
    X, y = cancer
    Xn, hidden = _hide(X, 0.1, 0)
    views = _views(Xn)
    views["error"][::9] = np.nan  # whole rows: missing views
    y_part = np.where(np.arange(len(y)) % 4 == 0, y, -1)
    return views, y_part


@pytest.fixture(scope="module")
def fitted_scattered(scattered):
    views, y_part = scattered
    return MultimodalPoEVAE(**{**TINY, "max_iter": 3}).fit(views, y_part)


# --------------------------------------------------------------------------
# likelihood masks against direct computation
# --------------------------------------------------------------------------
def _bernoulli_terms(out, extra, x):
    return x * F.logsigmoid(out) + (1 - x) * F.logsigmoid(-out)


def _scale(extra):
    return F.softplus(extra) + 1e-3


def _nb_terms(out, extra, x):
    r = _scale(extra)
    return dist.NegativeBinomial(total_count=r, logits=out - torch.log(r)).log_prob(x)


CASES = {
    "bernoulli": (Bernoulli, lambda r: r.rand(9, 4), _bernoulli_terms),
    "gaussian": (
        Gaussian,
        lambda r: r.randn(9, 4) * 3 + 1,
        lambda out, extra, x: dist.Normal(out, _scale(extra)).log_prob(x),
    ),
    "laplace": (
        Laplace,
        lambda r: r.randn(9, 4) * 3 + 1,
        lambda out, extra, x: dist.Laplace(out, _scale(extra)).log_prob(x),
    ),
    "poisson": (
        Poisson,
        lambda r: r.poisson(3.0, (9, 4)).astype(float),
        lambda out, extra, x: dist.Poisson(out.exp()).log_prob(x),
    ),
    "negative_binomial": (
        NegativeBinomial,
        lambda r: r.poisson(3.0, (9, 4)).astype(float),
        _nb_terms,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_masked_log_prob_is_sum_over_observed_entries(name):
    cls, make, direct = CASES[name]
    rng = np.random.RandomState(0)
    X = make(rng)
    X[rng.rand(*X.shape) < 0.3] = np.nan
    X[2] = make(rng)[2]  # one complete row
    lik = cls().fit(X, "v")
    assert lik.missing_indicators_
    target, mask = lik.split_missing(torch.as_tensor(lik.target(X), dtype=torch.float64))
    np.testing.assert_array_equal(mask.numpy(), ~np.isnan(X))
    g = torch.Generator().manual_seed(1)
    out = torch.randn(X.shape, generator=g, dtype=torch.float64, requires_grad=True)
    extra = torch.randn(lik.n_extra, generator=g, dtype=torch.float64, requires_grad=True)
    got = lik.log_prob(out, extra if lik.n_extra else None, target, mask)
    terms = direct(out, extra, target)
    want = torch.where(mask, terms, torch.zeros_like(terms)).sum(-1)
    torch.testing.assert_close(got, want)
    # whatever value a missing entry holds, its term and gradient are gone
    other = torch.where(mask, target, torch.full_like(target, 7.0))
    again = lik.log_prob(out, extra if lik.n_extra else None, other, mask)
    torch.testing.assert_close(again, got, rtol=0, atol=0)
    got.sum().backward()
    assert torch.all(out.grad[~mask] == 0)
    assert torch.all(out.grad[mask] != 0)
    # without a mask the complete row is the plain sum
    torch.testing.assert_close(
        lik.log_prob(out, extra if lik.n_extra else None, target)[2], want[2]
    )


def test_categorical_missing_column_drops_its_term():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, (8, 3)).astype(float)
    X[1, 0] = X[4, 2] = X[5, 1] = np.nan
    lik = Categorical(n_categories=3).fit(X, "codes")
    t = lik.target(X)
    assert t[1, 0] == -1 and t.dtype == np.int64
    target, mask = lik.split_missing(torch.as_tensor(t))
    out = torch.randn(8, lik.n_outputs, generator=torch.Generator().manual_seed(0))
    got = lik.log_prob(out, None, target, mask)
    want = torch.zeros(8)
    for j in range(3):
        logits = out[:, lik.offsets_[j] : lik.offsets_[j + 1]]
        lp = dist.Categorical(logits=logits).log_prob(target[:, j])
        want += torch.where(mask[:, j], lp, torch.zeros_like(lp))
    torch.testing.assert_close(got, want)
    # encoder input: the missing column's one-hot block is zero, indicators last
    x = lik.encoder_input(X)
    assert x.shape == (8, 9 + 3) and lik.n_inputs == 12 and lik.n_outputs == 9
    np.testing.assert_array_equal(x[1, 0:3], 0)
    assert x[1, 3:9].sum() == 2
    np.testing.assert_array_equal(x[:, 9:], ~np.isnan(X))


# --------------------------------------------------------------------------
# preprocessing ignores missing entries
# --------------------------------------------------------------------------
def test_standardization_and_auto_ignore_nan(cancer):
    X = cancer[0][:, :5].copy()
    X[::3, 1] = np.nan
    X[:, 4] = np.nan  # a column never observed: center 0, scale 1
    X[0, 4] = np.nan
    lik = Gaussian().fit(X, "v")
    np.testing.assert_allclose(lik.center_[:4], np.nanmean(X[:, :4], 0))
    np.testing.assert_allclose(lik.scale_[:4], np.nanstd(X[:, :4], 0))
    assert (lik.center_[4], lik.scale_[4]) == (0.0, 1.0)
    x = lik.encoder_input(X)
    assert np.isfinite(x).all() and x.shape == (len(X), 10)
    assert np.all(x[::3, 1] == 0) and np.all(x[::3, 6] == 0) and np.all(x[1::3, 6] == 1)
    counts = Poisson().fit(np.where(np.isnan(X), np.nan, np.round(np.abs(X))), "c")
    assert np.isfinite(counts.center_).all() and np.isfinite(counts.scale_).all()
    unit = np.array([[0.2, np.nan], [np.nan, 1.0]])
    assert isinstance(auto_likelihood(unit), Bernoulli)
    assert isinstance(auto_likelihood(np.array([[0.2, np.nan], [3.0, 1.0]])), Gaussian)


def test_complete_rows_keep_todays_networks(cancer, monkeypatch):
    """No indicator columns without missing entries, and training never looks
    for masks (the complete-data path is the one from before the feature)."""
    X, y = cancer
    views = _views(X)
    views["error"][::5] = np.nan  # missing views only
    calls = []
    original = Gaussian.split_missing

    def spy(self, target):
        calls.append(self.modality)
        return original(self, target)

    monkeypatch.setattr(Gaussian, "split_missing", spy)
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 2}).fit(views)
    assert calls == []
    model.score_samples(views, n_importance_samples=2)  # inference checks
    assert set(calls) == set(GROUPS)
    for name, enc in zip(model.modalities_, model.module_.encoders):
        assert not model.likelihoods_[name].missing_indicators_
        assert enc.net[0].in_features == 10


@pytest.mark.parametrize("fused", [True, False])
def test_training_loss_ignores_missing_entries(fitted_scattered, scattered, fused):
    """The training loss is finite and its gradient with respect to every
    decoder output at a missing entry is exactly zero: the entry's value,
    whatever it would have been, cannot change the loss. Fused, the decoder
    runs once over the paired and the single-modality rows."""
    views, _ = scattered
    module = copy.deepcopy(fitted_scattered.module_).train()
    data, arrays = fitted_scattered._views_data(views, "fit")
    batch = data.batch(torch.arange(100))
    outputs = []

    def keep(dec, inp, out):
        out.retain_grad()
        outputs.append(out)

    module.decoders[0].register_forward_hook(keep)
    singles = [(0, batch.inputs[0], batch.targets[0])]
    rec = module.loss([batch], singles, sample=False, fused=fused)
    assert torch.isfinite(rec.total)
    rec.total.backward()
    missing = torch.as_tensor(np.isnan(arrays[0][:100]))
    seen = ~missing & batch.mask[:, :1]
    assert len(outputs) == (1 if fused else 2) and missing.any()
    for out in outputs:
        grad = out.grad.reshape(-1, *missing.shape)  # (groups in this pass, rows, features)
        assert grad.shape[0] == (2 if fused else 1)
        assert torch.all(grad[:, missing] == 0)
        assert torch.all(grad[:, seen] != 0)


# --------------------------------------------------------------------------
# estimators end to end
# --------------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_every_estimator_with_scattered_nan(Estimator, scattered):
    views, y_part = scattered
    model = Estimator(**{**TINY, "max_iter": 2}).fit(views, y_part)
    assert all(np.isfinite(model.loss_curve_))
    assert model.likelihoods_["mean"].n_inputs == 10  # column means fill, no indicators
    assert np.isfinite(model.transform(views)).all()
    proba = model.predict_proba(views)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    assert set(model.predict(views)) <= {0, 1}
    assert np.isfinite(model.score_samples(views, n_importance_samples=3)).all()
    filled = model.impute(views)
    for name, arr in views.items():
        assert np.isfinite(filled[name]).all()
        seen = ~np.isnan(arr)
        np.testing.assert_array_equal(filled[name][seen], arr[seen])


def test_impute_entries_are_decoder_means_at_posterior_mean(fitted_scattered, scattered):
    views, _ = scattered
    model = fitted_scattered
    rows = np.flatnonzero(np.isnan(views["mean"]).any(1) & ~np.isnan(views["mean"]).all(1))[:5]
    part = {k: v[rows] for k, v in views.items()}
    Z = torch.as_tensor(model.transform(part), dtype=torch.float32)
    decoded = model._inference().decode(0, Z)
    filled = model.impute(part)["mean"]
    missing = np.isnan(part["mean"])
    np.testing.assert_allclose(filled[missing], decoded[missing], rtol=1e-6)


def test_score_samples_counts_observed_entries_only(fitted_scattered, scattered):
    """One importance sample: the estimate is log p(x_obs|z) + log p(z) -
    log q(z|x), with the Gaussian density of each observed entry in the
    user's units (so the change of units covers observed entries only)."""
    views, _ = scattered
    model = fitted_scattered
    rows = np.arange(40)
    part = {k: v[rows] for k, v in views.items()}
    got = model.score_samples(part, n_importance_samples=1)
    data, arrays = model._views_data(part, "score_samples")
    eps = model._inference().shared_noise(1, 2)
    module = model.module_
    with torch.no_grad():
        batch = data.batch(torch.arange(len(rows)))
        z, log_q = module.draw(batch, eps)
        want = (dist.Normal(0, 1).log_prob(z).sum(-1) - log_q)[0].double()
        for m, name in enumerate(model.modalities_):
            lik, dec = model.likelihoods_[name], module.decoders[m]
            mean = torch.as_tensor(lik.inverse(dec(z)[0].double().numpy()))
            sd = torch.as_tensor(lik.scale_) * (F.softplus(dec.extra.double()) + 1e-3)
            x = torch.as_tensor(arrays[m])
            seen = ~torch.isnan(x)
            lp = dist.Normal(mean, sd).log_prob(torch.where(seen, x, mean))
            want += torch.where(seen, lp, torch.zeros_like(lp)).sum(-1)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-3)
    assert np.isnan(views["error"][rows]).all(1).any()  # missing views included


def test_model_without_indicators_reads_missing_entries_as_the_mean(cancer):
    """Fitted on complete rows with ``entry_fill="mean"``: a NaN entry at predict
    time is the training mean (0 in the standardized encoder input), with no
    indicator."""
    X, y = cancer
    views = _views(X)
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 2}, entry_fill="mean").fit(views, y)
    part = {k: v[:20].copy() for k, v in views.items()}
    as_mean = copy.deepcopy(part)
    part["worst"][[3, 7], [2, 5]] = np.nan
    as_mean["worst"][[3, 7], [2, 5]] = model.likelihoods_["worst"].center_[[2, 5]]
    np.testing.assert_array_equal(model.transform(part), model.transform(as_mean))
    np.testing.assert_array_equal(model.predict_proba(part), model.predict_proba(as_mean))
    filled = model.impute(part)["worst"]
    assert np.isfinite(filled).all()
    np.testing.assert_array_equal(filled[0], views["worst"][0])
    assert np.isfinite(model.score_samples(part, n_importance_samples=3)).all()


def test_default_reads_missing_entries_as_their_nearest_training_rows(cancer):
    """The default ``entry_fill="neighbors"``: a NaN entry is read as its mean
    over the 5 training rows nearest by the row's observed entries (all views,
    standardized), computed here with scikit-learn's KNNImputer."""
    from sklearn.impute import KNNImputer

    X, y = cancer
    views = _views(X)
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 2}).fit(views, y)
    part = {k: v[:20].copy() for k, v in views.items()}
    part["worst"][[3, 7], [2, 5]] = np.nan
    part["mean"][3, :4] = np.nan
    mu, sd = X.mean(0), X.std(0)
    donors = ((X - mu) / sd).astype(np.float32).astype(np.float64)
    flat = np.hstack([part[k] for k in GROUPS])
    knn = KNNImputer(n_neighbors=5).fit(donors).transform((flat - mu) / sd) * sd + mu
    as_knn = {k: knn[:, s] for k, s in GROUPS.items()}
    np.testing.assert_allclose(model.transform(part), model.transform(as_knn), rtol=1e-5, atol=1e-6)
    as_mean = {k: np.where(np.isnan(v), model.likelihoods_[k].center_, v) for k, v in part.items()}
    assert not np.allclose(model.transform(part)[3], model.transform(as_mean)[3], atol=1e-4)


def test_custom_encoder_receives_indicators(scattered):
    views, y_part = scattered
    body = nn.Sequential(nn.Linear(20, 8), nn.ReLU())
    model = MultimodalPoEVAE(
        **{**TINY, "max_iter": 1}, encoders={"mean": body}, missing_indicators=True
    )
    assert np.isfinite(model.fit(views, y_part).transform(views)).all()
    narrow = nn.Sequential(nn.Linear(10, 8), nn.ReLU())
    with pytest.raises(ValueError, match=r"encoders\['mean'\].*\(2, 20\)"):
        MultimodalPoEVAE(**TINY, encoders={"mean": narrow}, missing_indicators=True).fit(
            views, y_part
        )
    # without indicators (the default) the encoder reads the 10 values alone
    MultimodalPoEVAE(**{**TINY, "max_iter": 1}, encoders={"mean": narrow}).fit(views, y_part)


def test_two_d_route_with_scattered_nan(cancer):
    X, y = cancer
    Xn, _ = _hide(X, 0.1, 1)
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 2}, modalities=GROUPS).fit(Xn, y)
    assert np.isfinite(model.predict_proba(Xn)).all()
    imputed = model.impute(Xn)
    assert all(np.isfinite(v).all() for v in imputed.values())


def test_tensor_targets_mark_missing_entries(fitted_scattered, scattered):
    views, y_part = scattered
    model = fitted_scattered
    data, arrays = model._views_data(views, "transform")
    _, batch = next(data.chunks(data.n))  # inference encodes one chunk at a time
    t = batch.targets[0].numpy()
    obs = batch.mask[:, 0].numpy()
    np.testing.assert_array_equal(np.isnan(t[obs]), np.isnan(arrays[0][obs]))
    x = batch.inputs[0].numpy()
    lik = model.likelihoods_["mean"]
    assert x.shape[1] == 10
    missing = np.isnan(arrays[0][obs])
    # the default entry_fill="neighbors": the encoder reads the neighbours' fill
    filled = fill_missing_entries(model.entry_donors_, list(arrays), data.mask_np)
    want = np.asarray(lik.encoder_input(filled[0][obs]), np.float32)
    np.testing.assert_allclose(x[obs][missing], want[missing], rtol=1e-6, atol=1e-7)
    assert not np.allclose(x[obs][missing], np.broadcast_to(lik.fill_, missing.shape)[missing])


def test_indicator_inputs_on_request(scattered):
    views, y_part = scattered
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 1}, missing_indicators=True).fit(views, y_part)
    data, arrays = model._views_data(views, "transform")
    _, batch = next(data.chunks(data.n))
    x, obs = batch.inputs[0].numpy(), batch.mask[:, 0].numpy()
    np.testing.assert_array_equal(x[obs, 10:], ~np.isnan(arrays[0][obs]))
    assert np.all(x[obs, :10][np.isnan(arrays[0][obs])] == 0)


def test_column_means_fill_missing_entries_in_encoded_space():
    from skpoe.likelihoods import Bernoulli, Gaussian

    X = np.array([[0.2, 1.0], [np.nan, 0.0], [0.6, np.nan], [0.4, 1.0]])
    b = Bernoulli().fit(X, "v").fill_with_means(np.nanmean(X, 0))
    np.testing.assert_allclose(b.fill_, [0.4, 2 / 3], rtol=1e-6)
    np.testing.assert_allclose(b.encoder_input(X)[1:3], [[0.4, 0.0], [0.6, 2 / 3]], rtol=1e-6)
    g = Gaussian().fit(X * 100, "v").fill_with_means(np.nanmean(X * 100, 0))
    np.testing.assert_allclose(g.fill_, 0, atol=1e-6)  # the mean, in standardized units
    assert b.n_inputs == 2 and b.has_missing_entries and not b.missing_indicators_
    # a column with no observed entry gets 0; a non-affine encoding keeps its indicators
    b2 = Bernoulli().fit(X, "v").fill_with_means(np.array([np.nan, 0.5]))
    np.testing.assert_allclose(b2.fill_, [0.0, 0.5])
    from skpoe.likelihoods import Poisson

    counts = np.array([[1.0, 2.0], [np.nan, 3.0]])
    p = Poisson().fit(counts, "c").fill_with_means(np.nanmean(counts, 0))
    assert p.missing_indicators_ and p.fill_ is None


# --------------------------------------------------------------------------
# imputation quality on real data
# --------------------------------------------------------------------------
def test_impute_beats_column_mean_with_20_percent_hidden(cancer):
    """RMSE on the hidden entries (in units of each feature's std) is well
    below the column-mean baseline (about 0.67 of it; 1 to 3 epochs give
    about 1.0, so the bar can fail)."""
    X, _ = cancer
    Xn, hidden = _hide(X, 0.2, 0)
    model = MultimodalPoEVAE(
        n_components=4,
        hidden_layer_sizes=(32,),
        max_iter=40,
        likelihoods="gaussian",
        random_state=0,
        device="cpu",
    ).fit(_views(Xn))
    filled = np.concatenate(list(model.impute(_views(Xn)).values()), 1)
    column_mean = np.where(hidden, np.nanmean(Xn, 0), X)
    sd = X.std(0)

    def rmse(A):
        return np.sqrt(np.mean(((A - X) / sd)[hidden] ** 2))

    assert rmse(filled) < 0.8 * rmse(column_mean)
    np.testing.assert_array_equal(filled[~hidden], X[~hidden])
