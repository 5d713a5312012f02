"""Per-modality likelihoods against torch.distributions, and their preprocessing."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import distributions as dist

from skpoe.likelihoods import (
    LIKELIHOODS,
    Bernoulli,
    Categorical,
    Gaussian,
    Laplace,
    NegativeBinomial,
    Poisson,
    auto_likelihood,
    get_likelihood,
)

N, P = 11, 4


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _out(seed=0, shape=(N, P)):
    return torch.randn(*shape, generator=_gen(seed), dtype=torch.float64) * 2


def test_bernoulli_log_prob_with_logits(digits):
    X = digits[0][:N, :P]  # fractional values in [0, 1], not binarized
    lik = Bernoulli().fit(X, "v")
    logits = _out(1)
    target = torch.as_tensor(lik.target(X), dtype=torch.float64)
    got = lik.log_prob(logits, None, target)
    # continuous Bernoulli-style cross-entropy: x log p + (1 - x) log (1 - p)
    want = (target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)).sum(-1)
    torch.testing.assert_close(got, want)
    binary = (target > 0.5).double()
    torch.testing.assert_close(
        lik.log_prob(logits, None, binary),
        dist.Bernoulli(logits=logits).log_prob(binary).sum(-1),
    )
    torch.testing.assert_close(lik.mean(logits, None), torch.sigmoid(logits))


@pytest.mark.parametrize("cls, torch_dist", [(Gaussian, dist.Normal), (Laplace, dist.Laplace)])
def test_real_valued_log_prob(cls, torch_dist):
    rng = np.random.RandomState(0)
    X = rng.randn(N, P) * 5 + 3
    lik = cls().fit(X, "v")
    out = _out(2)
    extra = torch.randn(P, generator=_gen(3), dtype=torch.float64)
    target = torch.as_tensor(lik.target(X), dtype=torch.float64)
    scale = F.softplus(extra) + 1e-3
    want = torch_dist(out, scale).log_prob(target).sum(-1)
    torch.testing.assert_close(lik.log_prob(out, extra, target), want)
    torch.testing.assert_close(lik.mean(out, extra), out)
    # initial free parameter: unit scale in standardized units
    assert torch.allclose(F.softplus(lik.init_extra()) + 1e-3, torch.ones(P), atol=2e-3)
    assert lik.n_extra == P


def test_poisson_log_prob():
    rng = np.random.RandomState(0)
    X = rng.poisson(4.0, size=(N, P)).astype(float)
    lik = Poisson().fit(X, "v")
    log_rate = _out(4)
    target = torch.as_tensor(lik.target(X), dtype=torch.float64)
    want = dist.Poisson(log_rate.exp()).log_prob(target).sum(-1)
    torch.testing.assert_close(lik.log_prob(log_rate, None, target), want)
    torch.testing.assert_close(lik.mean(log_rate, None), log_rate.exp())


def test_negative_binomial_log_prob_mean_and_inverse_dispersion():
    """Decoder output = log mean mu; free parameter r = softplus(extra) + floor is
    the inverse dispersion (torch's total_count), so variance = mu + mu^2 / r."""
    rng = np.random.RandomState(1)
    X = rng.negative_binomial(3, 0.4, size=(N, P)).astype(float)
    lik = NegativeBinomial().fit(X, "v")
    log_mu = _out(5)
    extra = torch.randn(P, generator=_gen(6), dtype=torch.float64)
    r = F.softplus(extra) + 1e-3
    target = torch.as_tensor(lik.target(X), dtype=torch.float64)
    # torch: mean = total_count * exp(logits)
    nb = dist.NegativeBinomial(total_count=r.expand_as(log_mu), logits=log_mu - torch.log(r))
    torch.testing.assert_close(nb.mean, log_mu.exp())
    torch.testing.assert_close(lik.log_prob(log_mu, extra, target), nb.log_prob(target).sum(-1))
    torch.testing.assert_close(lik.mean(log_mu, extra), log_mu.exp())
    assert lik.n_extra == P


def test_categorical_log_prob_per_column():
    rng = np.random.RandomState(2)
    X = np.stack([rng.randint(0, 3, N), rng.randint(0, 5, N)], 1).astype(float)
    X[0] = [2, 4]  # make sure the largest codes occur
    lik = Categorical().fit(X, "v")
    assert lik.n_categories_ == [3, 5]
    assert lik.n_outputs == lik.n_inputs == 8
    out = _out(7, (N, 8))
    target = torch.as_tensor(lik.target(X))
    want = dist.Categorical(logits=out[:, :3]).log_prob(target[:, 0]) + dist.Categorical(
        logits=out[:, 3:]
    ).log_prob(target[:, 1])
    torch.testing.assert_close(lik.log_prob(out, None, target), want)
    probs = lik.probabilities(out)
    torch.testing.assert_close(probs[1], torch.softmax(out[:, 3:], -1))
    mode = lik.mean(out, None)
    assert torch.equal(mode[:, 0], out[:, :3].argmax(-1).to(mode.dtype))
    assert torch.equal(mode[:, 1], out[:, 3:].argmax(-1).to(mode.dtype))
    # one-hot encoder input
    enc = lik.encoder_input(X)
    assert enc.shape == (N, 8)
    np.testing.assert_array_equal(enc.sum(1), 2)
    np.testing.assert_array_equal(enc[np.arange(N), X[:, 0].astype(int)], 1)
    np.testing.assert_array_equal(enc[np.arange(N), 3 + X[:, 1].astype(int)], 1)


def test_categorical_n_categories_parameter():
    X = np.array([[0.0], [1.0]])
    assert Categorical(n_categories=4).fit(X, "v").n_categories_ == [4]
    with pytest.raises(ValueError, match="'v'"):
        Categorical(n_categories=1).fit(X, "v")


def test_log_prob_broadcasts_over_posterior_samples():
    """Decoders are called on z of shape (K, n, D); the likelihood broadcasts."""
    rng = np.random.RandomState(3)
    X = rng.randn(N, P)
    lik = Gaussian().fit(X, "v")
    out = _out(8, (3, N, P))
    extra = torch.zeros(P, dtype=torch.float64)
    target = torch.as_tensor(lik.target(X), dtype=torch.float64)
    got = lik.log_prob(out, extra, target)
    assert got.shape == (3, N)
    torch.testing.assert_close(got[1], lik.log_prob(out[1], extra, target))


@pytest.mark.parametrize("cls", [Gaussian, Laplace])
def test_standardization_state_and_inverse(cls):
    rng = np.random.RandomState(4)
    X = rng.randn(200, 3) * np.array([1e4, 1.0, 1e-3]) + np.array([500.0, -2.0, 0.0])
    X[:, 1] = 7.0  # a constant column
    lik = cls().fit(X, "v")
    np.testing.assert_allclose(lik.center_, X.mean(0))
    np.testing.assert_allclose(lik.scale_[[0, 2]], X[:, [0, 2]].std(0))
    assert lik.scale_[1] == 1.0  # constant column: no division by zero
    T = lik.target(X)
    assert np.all(np.isfinite(T))
    np.testing.assert_allclose(T[:, [0, 2]].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(T[:, [0, 2]].std(0), 1, atol=1e-5)
    np.testing.assert_allclose(lik.inverse(T.astype(np.float64)), X, rtol=1e-5, atol=1e-6)
    # the change of units enters the density: log|dT/dx| = -sum log scale
    np.testing.assert_allclose(lik.log_det(), -np.log(lik.scale_).sum())


def test_count_encoder_input_is_standardized_log1p():
    X = np.random.RandomState(5).poisson(6.0, size=(100, 3)).astype(float)
    lik = Poisson().fit(X, "v")
    enc = lik.encoder_input(X)
    np.testing.assert_allclose(enc.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(
        enc, (np.log1p(X) - np.log1p(X).mean(0)) / np.log1p(X).std(0), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_array_equal(lik.target(X), X)  # targets stay counts


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_bernoulli_rejects_values_outside_unit_interval(bad):
    X = np.full((4, 2), 0.5)
    X[2, 1] = bad
    with pytest.raises(ValueError, match=r"'pixels'.*\[0, 1\]"):
        Bernoulli().fit(X, "pixels")


@pytest.mark.parametrize("cls", [Poisson, NegativeBinomial])
@pytest.mark.parametrize("bad", [-1.0, 2.5])
def test_counts_reject_negative_or_non_integer(cls, bad):
    X = np.ones((4, 2))
    X[1, 0] = bad
    with pytest.raises(ValueError, match="'counts'"):
        cls().fit(X, "counts")


@pytest.mark.parametrize("bad", [-1.0, 0.5])
def test_categorical_rejects_negative_or_non_integer(bad):
    X = np.ones((4, 2))
    X[3, 1] = bad
    with pytest.raises(ValueError, match="'cats'"):
        Categorical().fit(X, "cats")


def test_auto_likelihood(digits):
    X = digits[0]
    assert isinstance(auto_likelihood(X), Bernoulli)
    assert isinstance(auto_likelihood(np.array([[0.0, 1.0]])), Bernoulli)
    assert isinstance(auto_likelihood(X * 16), Gaussian)
    assert isinstance(auto_likelihood(X - 0.5), Gaussian)
    assert isinstance(get_likelihood("auto", X, "v"), Bernoulli)
    assert isinstance(get_likelihood(None, X * 16, "v"), Gaussian)


def test_get_likelihood_names_instances_and_errors(digits):
    X = digits[0][:50, :8]
    for name, cls in LIKELIHOODS.items():
        data = np.round(X * 4) if name in ("poisson", "negative_binomial", "categorical") else X
        lik = get_likelihood(name, data, "v")
        assert type(lik) is cls
        assert lik.n_features_ == 8
    proto = Categorical(n_categories=5)
    lik = get_likelihood(proto, np.round(X * 4), "v")
    assert lik is not proto and not hasattr(proto, "n_categories_")  # copied, not fitted in place
    assert lik.n_categories_ == [5] * 8
    with pytest.raises(ValueError, match="'nope'.*'v'"):
        get_likelihood("nope", X, "v")
    with pytest.raises(TypeError, match="'v'"):
        get_likelihood(3.0, X, "v")
