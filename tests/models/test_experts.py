"""Gaussian expert algebra against closed forms (method.md, sections 1-2)."""

import itertools

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from skpoe.models import PoEModule
from skpoe.models.experts import (
    kl_gaussians,
    kl_to_prior,
    log_normal,
    product_with_prior,
    slot_experts,
    subset_posterior,
)

D = 5


def _experts(n, M, seed=0):
    """Random experts mu, prec of shape (n, M_source, M_slot, D), float64."""
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, M, M, D, generator=g, dtype=torch.float64) * 2
    var = torch.rand(n, M, M, D, generator=g, dtype=torch.float64) * 3 + 0.05
    return mu, 1.0 / var


def _numpy_poe(mus, vars_):
    """Product of N(0, 1) and the experts N(mus[i], vars_[i]) in numpy."""
    mus, vars_ = np.asarray(mus), np.asarray(vars_)
    precision = 1.0 + np.sum(1.0 / vars_, axis=0)
    mean = np.sum(mus / vars_, axis=0) / precision
    return mean, 1.0 / precision


def test_product_with_prior_matches_numpy():
    rng = np.random.RandomState(0)
    mus = rng.randn(4, D) * 3
    vars_ = rng.rand(4, D) * 2 + 0.1
    mean, var = _numpy_poe(mus, vars_)
    prec = torch.from_numpy(1.0 / vars_)
    mu, v = product_with_prior(prec, torch.from_numpy(mus) * prec)
    np.testing.assert_allclose(mu.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(v.numpy(), var, rtol=1e-12)


def test_product_with_prior_weight_drops_experts():
    rng = np.random.RandomState(1)
    mus = rng.randn(3, D)
    vars_ = rng.rand(3, D) + 0.2
    prec = torch.from_numpy(1.0 / vars_)
    eta = torch.from_numpy(mus) * prec
    mu, var = product_with_prior(prec, eta, weight=torch.tensor([1.0, 0.0, 1.0]))
    mean, v = _numpy_poe(mus[[0, 2]], vars_[[0, 2]])
    np.testing.assert_allclose(mu.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), v, rtol=1e-12)


def test_product_with_no_experts_is_prior():
    prec = torch.zeros(2, 3, D, dtype=torch.float64)
    mu, var = product_with_prior(prec, torch.zeros_like(prec))
    assert torch.equal(mu, torch.zeros(2, D, dtype=torch.float64))
    assert torch.equal(var, torch.ones(2, D, dtype=torch.float64))


def test_slot_experts_own_when_observed_geometric_mean_of_substitutes_otherwise():
    n, M = 6, 3
    mu, prec = _experts(n, M)
    subset = torch.tensor(
        [
            [True, True, True],
            [True, False, False],
            [False, True, False],
            [True, False, True],
            [False, True, True],
            [True, True, False],
        ]
    )
    p_slot, e_slot = slot_experts(mu, prec, subset)
    mu_np, prec_np = mu.numpy(), prec.numpy()
    for i in range(n):
        S = np.where(subset[i].numpy())[0]
        for k in range(M):
            if k in S:
                want_p = prec_np[i, k, k]
                want_e = mu_np[i, k, k] * prec_np[i, k, k]
            else:
                # geometric mean of the substitutes q_mk, m in S:
                # average precision, precision-weighted mean
                want_p = prec_np[i, S, k].mean(0)
                want_mu = (prec_np[i, S, k] * mu_np[i, S, k]).sum(0) / prec_np[i, S, k].sum(0)
                want_e = want_mu * want_p
            np.testing.assert_allclose(p_slot[i, k].numpy(), want_p, rtol=1e-12)
            np.testing.assert_allclose(e_slot[i, k].numpy(), want_e, rtol=1e-12)


def test_slot_experts_geometric_mean_is_normalised_product():
    """The geometric mean of Gaussians N(m_j, v_j) is prod_j N^(1/J) renormalised."""
    n, M = 1, 3
    mu, prec = _experts(n, M, seed=3)
    subset = torch.tensor([[True, True, False]])
    p_slot, e_slot = slot_experts(mu, prec, subset)
    z = torch.linspace(-6, 6, 2001, dtype=torch.float64)[:, None]
    sources = [0, 1]
    log_geo = sum(Normal(mu[0, m, 2], prec[0, m, 2].rsqrt()).log_prob(z) for m in sources) / len(
        sources
    )
    log_geo = log_geo - torch.logsumexp(log_geo, 0)
    slot = Normal(e_slot[0, 2] / p_slot[0, 2], p_slot[0, 2].rsqrt()).log_prob(z)
    slot = slot - torch.logsumexp(slot, 0)
    np.testing.assert_allclose(slot.numpy(), log_geo.numpy(), atol=1e-8)


def test_slot_without_observed_modality_is_prior_only():
    mu, prec = _experts(2, 2)
    p_slot, e_slot = slot_experts(mu, prec, torch.zeros(2, 2, dtype=torch.bool))
    assert torch.count_nonzero(p_slot) == 0
    assert torch.count_nonzero(e_slot) == 0
    q_mu, q_var = subset_posterior(mu, prec, torch.zeros(2, 2, dtype=torch.bool))
    assert torch.allclose(q_mu, torch.zeros_like(q_mu))
    assert torch.allclose(q_var, torch.ones_like(q_var))


def test_two_modalities_posterior_of_one_view_is_prior_own_and_substitute():
    """For M = 2: q(z | x) = p(z) q_xx(z | x) q_xy(z | x)."""
    mu, prec = _experts(4, 2, seed=5)
    only_x = torch.tensor([[True, False]] * 4)
    q_mu, q_var = subset_posterior(mu, prec, only_x)
    mus = [mu[:, 0, 0].numpy(), mu[:, 0, 1].numpy()]
    vars_ = [1 / prec[:, 0, 0].numpy(), 1 / prec[:, 0, 1].numpy()]
    mean, var = _numpy_poe(mus, vars_)
    np.testing.assert_allclose(q_mu.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(q_var.numpy(), var, rtol=1e-12)
    # and the full posterior uses both own experts q_xx, q_yy
    q_mu, q_var = subset_posterior(mu, prec, torch.ones(4, 2, dtype=torch.bool))
    mean, var = _numpy_poe(
        [mu[:, 0, 0].numpy(), mu[:, 1, 1].numpy()],
        [1 / prec[:, 0, 0].numpy(), 1 / prec[:, 1, 1].numpy()],
    )
    np.testing.assert_allclose(q_mu.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(q_var.numpy(), var, rtol=1e-12)


def test_poe_single_posterior_equals_subset_posterior_of_that_view():
    module_posterior = PoEModule.single_posterior
    mu, prec = _experts(3, 3, seed=7)
    for m in range(3):
        subset = torch.zeros(3, 3, dtype=torch.bool)
        subset[:, m] = True
        want_mu, want_var = subset_posterior(mu, prec, subset)
        got_mu, got_var = module_posterior(None, mu[:, m], prec[:, m], m)
        torch.testing.assert_close(got_mu, want_mu)
        torch.testing.assert_close(got_var, want_var)


def test_sharpness_independent_of_number_of_observed_views():
    """One expert per slot: with identical experts everywhere, 1 of 3 views
    gives the same posterior precision as all 3, whereas a plain PoE of the
    observed experts gets three times sharper."""
    n, M = 1, 3
    prec_value = 2.5
    mu = torch.full((n, M, M, D), 0.7, dtype=torch.float64)
    prec = torch.full((n, M, M, D), prec_value, dtype=torch.float64)
    one = torch.tensor([[True, False, False]])
    full = torch.ones(n, M, dtype=torch.bool)
    p_one, _ = slot_experts(mu, prec, one)
    p_full, _ = slot_experts(mu, prec, full)
    assert p_one.shape == p_full.shape == (n, M, D)
    assert torch.count_nonzero(p_one) == torch.count_nonzero(p_full) == n * M * D
    _, var_one = subset_posterior(mu, prec, one)
    _, var_full = subset_posterior(mu, prec, full)
    torch.testing.assert_close(1 / var_one, 1 / var_full)
    torch.testing.assert_close(1 / var_one, torch.full_like(var_one, 1 + M * prec_value))
    # a plain PoE (own experts of the observed views only) is not like that
    own = torch.diagonal(prec, dim1=1, dim2=2).transpose(1, 2)
    eta = torch.diagonal(mu * prec, dim1=1, dim2=2).transpose(1, 2)
    _, var_plain_one = product_with_prior(own, eta, one.double())
    _, var_plain_full = product_with_prior(own, eta, full.double())
    assert torch.all(1 / var_plain_full > 2 * (1 / var_plain_one))


def test_sharpness_random_experts_slot_count_constant():
    """With random experts, every subset's product has exactly M experts (no
    zero-precision slot) as long as one view is observed."""
    mu, prec = _experts(8, 3, seed=11)
    for bits in range(1, 8):
        subset = torch.tensor([[(bits >> m) & 1 == 1 for m in range(3)]] * 8)
        p_slot, _ = slot_experts(mu, prec, subset)
        assert torch.all(p_slot > 0)
        _, var = subset_posterior(mu, prec, subset)
        # precision is 1 + sum over 3 slots, each between min and max expert precision
        total = 1 / var
        assert torch.all(total >= 1 + 3 * prec.min() - 1e-9)
        assert torch.all(total <= 1 + 3 * prec.max() + 1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kl_gaussians_matches_torch(seed):
    g = torch.Generator().manual_seed(seed)
    mu_q, mu_p = torch.randn(2, 7, D, generator=g, dtype=torch.float64)
    var_q, var_p = torch.rand(2, 7, D, generator=g, dtype=torch.float64) * 4 + 0.01
    want = kl_divergence(Normal(mu_q, var_q.sqrt()), Normal(mu_p, var_p.sqrt())).sum(-1)
    torch.testing.assert_close(kl_gaussians(mu_q, var_q, mu_p, var_p), want)
    # KL of a distribution to itself is zero, otherwise positive
    torch.testing.assert_close(
        kl_gaussians(mu_q, var_q, mu_q, var_q), torch.zeros(7, dtype=torch.float64)
    )
    assert torch.all(kl_gaussians(mu_q, var_q, mu_p, var_p) > 0)


def test_kl_to_prior_matches_torch():
    g = torch.Generator().manual_seed(4)
    mu = torch.randn(9, D, generator=g, dtype=torch.float64)
    var = torch.rand(9, D, generator=g, dtype=torch.float64) * 3 + 0.01
    want = kl_divergence(Normal(mu, var.sqrt()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(kl_to_prior(mu, var), want)
    torch.testing.assert_close(
        kl_to_prior(mu, var),
        kl_gaussians(mu, var, torch.zeros_like(mu), torch.ones_like(var)),
    )


def test_log_normal_matches_torch():
    g = torch.Generator().manual_seed(5)
    z, mu = torch.randn(2, 6, D, generator=g, dtype=torch.float64)
    var = torch.rand(6, D, generator=g, dtype=torch.float64) + 0.1
    want = Normal(mu, var.sqrt()).log_prob(z).sum(-1)
    torch.testing.assert_close(log_normal(z, mu, var), want)


def test_subset_posterior_is_prior_times_slot_experts():
    """The one-matrix-product posterior equals the prior times the slot experts
    of :func:`slot_experts`, for every subset of three modalities."""
    gen = torch.Generator().manual_seed(0)
    n, M, D = 5, 3, 4
    mu = torch.randn(n, M, M, D, generator=gen)
    prec = torch.rand(n, M, M, D, generator=gen) * 3 + 0.1
    subsets = torch.tensor(list(itertools.product([False, True], repeat=M)))
    stack = subsets[None].expand(n, -1, -1)  # (n, 8, M), the empty subset included
    got_mu, got_var = subset_posterior(mu, prec, stack)
    want_mu, want_var = product_with_prior(*slot_experts(mu, prec, stack))
    torch.testing.assert_close(got_mu, want_mu)
    torch.testing.assert_close(got_var, want_var)
    one_mu, one_var = subset_posterior(mu, prec, stack[:, 5])
    torch.testing.assert_close(one_mu, want_mu[:, 5])
    torch.testing.assert_close(one_var, want_var[:, 5])
