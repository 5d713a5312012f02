"""The objectives of JMVAE, MVTCAE, MMVAE+ and DMVAE against their formulas written out.

On a small batch of a fitted model's networks (rows: both views and the label, the top view
and the label, both views without the label), the per-row loss at the posterior means equals
the paper's formula computed here from the encoder heads, with torch.distributions for the
densities and KL divergences, and differs from a broken variant of the formula (a wrong
weight, a reversed KL, a missing term), so that the comparison can fail.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import TINY
from torch.distributions import Normal, kl_divergence

from skpoe import DMVAE, JMVAE, MVTCAE, MMVAEPlus
from skpoe.data._validation import LABEL
from skpoe.models import Batch

pytestmark = pytest.mark.filterwarnings("ignore")

ROWS = [(0, 1, 2), (0, 2), (0, 1)]  # observed modalities per row (2 = the label)
BETA, ALPHA = 0.7, 0.3


def _fit(Estimator, small, **kw):
    params = {**TINY, "max_iter": 2, "beta": BETA, **kw}
    return Estimator(**params).fit(small.X, small.y_part)


def _batch(model, small):
    top, bottom = small.X["top"][:3].astype(np.float32), small.X["bottom"][:3].astype(np.float32)
    lab = model.likelihoods_[LABEL]
    code = np.searchsorted(model.classes_, small.y[:3])[:, None]
    mask = torch.tensor([[m in r for m in range(3)] for r in ROWS])
    inputs = [
        torch.from_numpy(top),
        torch.from_numpy(bottom) * mask[:, 1:2],
        torch.from_numpy(lab.encoder_input(code.astype(float))),
    ]
    targets = [torch.from_numpy(top), torch.from_numpy(bottom), torch.from_numpy(code)]
    return Batch(inputs, targets, mask)


class Heads:
    """Encoder heads of row i: shared expert N(mu, var) and private N(mu_w, var_w)."""

    def __init__(self, module, batch):
        self.module, self.batch, self.D = module, batch, module.n_latent
        self.out = [module.encoders[m](batch.inputs[m]) for m in range(module.M)]

    def shared(self, m, i):
        mu, prec = self.out[m]
        return Normal(mu[i, 0, : self.D], (1.0 / prec[i, 0, : self.D]).sqrt())

    def private(self, m, i):
        mu, prec = self.out[m]
        return Normal(mu[i, 0, self.D :], (1.0 / prec[i, 0, self.D :]).sqrt())

    def product(self, i, views):
        """Prior x the experts of ``views`` (MVAE's posterior)."""
        prec = 1.0 + sum(1.0 / self.shared(m, i).variance for m in views)
        eta = sum(self.shared(m, i).mean / self.shared(m, i).variance for m in views)
        return Normal(eta / prec, (1.0 / prec).sqrt())

    def rec(self, m, i, code):
        w, t = self.module.weights[m], self.batch.targets[m][i : i + 1]
        return w * self.module.log_lik(m, code[None], t)[0]


def _prior(d):
    return Normal(torch.zeros_like(d.mean), torch.ones_like(d.mean))


def _kl(p, q):
    return kl_divergence(p, q).sum()


def _loss(model, small):
    """The module with its encoders moved apart (after two epochs the experts are all close
    to the prior, where a wrong KL is hard to tell from the right one), and its loss."""
    module = copy.deepcopy(model.module_)
    g = torch.Generator().manual_seed(0)
    batch = _batch(model, small)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith(("encoders", "joint")):
                p.add_(0.5 * torch.randn(p.shape, generator=g))
        return module, batch, module.paired_loss(batch, sample=False), Heads(module, batch)


def _check(got, expected, broken):
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)
    assert not torch.allclose(got, broken, rtol=1e-3, atol=1e-2), "the broken variant matches"


def test_jmvae_objective(small):
    module, batch, got, h = _loss(_fit(JMVAE, small, alpha=ALPHA), small)
    expected, broken = [], []
    with torch.no_grad():
        q_mu, q_var = module.posterior(module.encode(batch), batch.mask)
        for i, views in enumerate(ROWS):
            q = Normal(q_mu[i], q_var[i].sqrt())
            base = -sum(h.rec(m, i, q.mean) for m in views) + BETA * _kl(q, _prior(q))
            expected.append(base + ALPHA * sum(_kl(q, h.shared(m, i)) for m in views))
            broken.append(base + ALPHA * sum(_kl(h.shared(m, i), q) for m in views))  # reversed
    _check(got, torch.stack(expected), torch.stack(broken))


def test_mvtcae_objective(small):
    module, batch, got, h = _loss(_fit(MVTCAE, small, alpha=ALPHA), small)
    expected, broken = [], []
    with torch.no_grad():
        for i, views in enumerate(ROWS):
            M = len(views)
            q = h.product(i, views)
            rec = sum(h.rec(m, i, q.mean) for m in views)
            cvib = sum(_kl(q, h.product(i, [m])) for m in views)
            kl = BETA * ((1 - ALPHA) * _kl(q, _prior(q)) + ALPHA / M * cvib)
            expected.append(-(M - ALPHA) / M * rec + kl)
            broken.append(-rec + kl)  # the reconstruction not scaled by (M - alpha) / M
    _check(got, torch.stack(expected), torch.stack(broken))


def _code(h, m, i, z, w):
    return z if m == LABEL_INDEX else torch.cat([z, w])


LABEL_INDEX = 2


def test_dmvae_objective(small):
    module, batch, got, h = _loss(_fit(DMVAE, small, n_private_components=3), small)
    expected, broken = [], []
    with torch.no_grad():
        for i, views in enumerate(ROWS):
            priv = [m for m in views if m != LABEL_INDEX]
            kl_w = sum(_kl(h.private(m, i), _prior(h.private(m, i))) for m in priv)

            def elbo(q):
                rec = sum(h.rec(m, i, _code(h, m, i, q.mean, h.private(m, i).mean)) for m in views)
                return -rec + BETA * (_kl(q, _prior(q)) + kl_w)

            joint = elbo(h.product(i, views))
            expected.append(joint + sum(elbo(h.product(i, [k])) for k in views))
            broken.append(joint)  # without the cross ELBOs
    _check(got, torch.stack(expected), torch.stack(broken))


@pytest.mark.parametrize("objective", ["elbo", "dreg"])
def test_mmvae_plus_objective(small, objective):
    """At the posterior means the DReG bound is the ELBO (one draw, no weights to learn)."""
    model = _fit(
        MMVAEPlus, small, n_private_components=3, objective=objective, n_importance_samples=4
    )
    module, batch, got, h = _loss(model, small)
    expected, broken = [], []
    with torch.no_grad():
        for i, views in enumerate(ROWS):
            per, per_broken = [], []
            for c in views:
                z = h.shared(c, i).mean
                mix = torch.logsumexp(
                    torch.stack([h.shared(m, i).log_prob(z).sum() for m in views]), 0
                ) - np.log(len(views))
                dens = _prior(h.shared(c, i)).log_prob(z).sum() - mix
                if c != LABEL_INDEX:
                    w = h.private(c, i)
                    dens = dens + _prior(w).log_prob(w.mean).sum() - w.log_prob(w.mean).sum()
                own = {m: h.private(m, i).mean for m in views}
                aux = {m: (own[m] if m == c else torch.zeros_like(own[m])) for m in views}
                rec = sum(h.rec(m, i, _code(h, m, i, z, aux.get(m))) for m in views)
                rec_own = sum(h.rec(m, i, _code(h, m, i, z, own.get(m))) for m in views)
                per.append(rec + BETA * dens)
                per_broken.append(rec_own + BETA * dens)  # other views read their own w_n
            expected.append(-torch.stack(per).mean())
            broken.append(-torch.stack(per_broken).mean())
    _check(got, torch.stack(expected), torch.stack(broken))


def test_private_latents_have_the_documented_shapes(small):
    """Encoders of views give n_latent + P outputs, the label's n_latent; decoders read them."""
    model = _fit(DMVAE, small, n_private_components=3)
    module = model.module_
    D = model.n_components
    assert [module.code_width(m) for m in range(3)] == [D + 3, D + 3, D]
    assert module.noise_width == D + 6
    batch = _batch(model, small)
    with torch.no_grad():
        experts = module.encode(batch)
        assert experts.mu.shape[-1] == D and experts.private[0].shape == (3, 3, 3)
        z = torch.zeros(3, D)
        # z alone decodes at w = 0; a joint draw picks each view's own part
        full = torch.cat([z, torch.ones(3, 3), 2 * torch.ones(3, 3)], 1)
        np.testing.assert_array_equal(module.code_for(0, z)[:, D:], 0.0)
        np.testing.assert_array_equal(module.code_for(1, full)[:, D:], 2.0)
        assert module.code_for(2, full).shape == (3, D)


@pytest.mark.parametrize("Estimator", [MMVAEPlus, DMVAE], ids=lambda E: E.__name__)
def test_private_latents_on_request_and_in_imputation(Estimator, small):
    """transform is the shared latent, transform_private each view's (NaN where the view is
    missing); a missing entry of an observed view is decoded with that view's private mean,
    a missing view at w = 0."""
    model = _fit(Estimator, small, n_private_components=3)
    X = {k: np.array(v, dtype=float) for k, v in small.X.items()}
    X["bottom"][:5] = np.nan
    X["top"][5:10, :4] = np.nan
    assert model.transform(X).shape == (small.n, model.n_components)
    W = model.transform_private(X)
    assert W["top"].shape == (small.n, 3) and np.isfinite(W["top"]).all()
    assert np.isnan(W["bottom"][:5]).all() and np.isfinite(W["bottom"][5:]).all()
    module = model.module_
    imputed = model.impute(X)
    z = torch.as_tensor(model.transform(X), dtype=torch.float32)
    with torch.no_grad():
        own = torch.cat([z, torch.as_tensor(W["top"], dtype=torch.float32)], 1)
        at_own = model.likelihoods_["top"].inverse(module.decode_mean(0, own).double().numpy())
        at_zero = model.likelihoods_["top"].inverse(module.decode_mean(0, z).double().numpy())
        gen = model.likelihoods_["bottom"].inverse(module.decode_mean(1, z).double().numpy())
    np.testing.assert_allclose(imputed["top"][5:10, :4], at_own[5:10, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(imputed["top"][5:10, :4], at_zero[5:10, :4], atol=1e-4)
    np.testing.assert_allclose(imputed["bottom"][:5], gen[:5], rtol=1e-5, atol=1e-6)
    S, _ = model.sample(4, random_state=0)
    assert S["top"].shape == (4, 32) and np.isfinite(S["top"]).all()
