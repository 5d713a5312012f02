"""MMVAE (Shi et al., 2019): a mixture of single-modality posteriors.

The posterior of an observed set S is the uniform mixture of the observed
modalities' encoders. On samples with several views the objective is the
stratified bound: a draw from each observed modality's posterior must
reconstruct every observed modality, weighed against the mixture density.
``objective="elbo"`` uses one draw per component; ``objective="dreg"`` uses
K = ``n_importance_samples`` draws per component in an importance-weighted
bound with the doubly reparameterised gradient estimator (DReG). Gaussian
posteriors and prior (the reference code used Laplace ones).
"""

from __future__ import annotations

import torch

from skpoe.models.base import MixtureModule
from skpoe.models.experts import log_normal, mixture_log_prob
from skpoe.noise import randn_rows

__all__ = ["MMVAEModule"]


class MMVAEModule(MixtureModule):
    """Uniform mixture of the observed modalities' own posteriors."""

    n_heads = 1
    objective = "elbo"
    n_importance_samples = 10

    def single_posterior(self, mu_m, prec_m, m):
        return mu_m[:, 0], 1.0 / prec_m[:, 0]

    def components(self, experts, subset):
        return experts.mu[:, :, 0], 1.0 / experts.prec[:, :, 0], subset

    def paired_terms(self, experts, sample=True):
        batch = experts.batch
        mu, var, active = self.components(experts, batch.mask)  # (n, M, D), (n, M)
        dreg = self.objective == "dreg" and sample
        K = int(self.n_importance_samples) if dreg else 1
        mu_t, var_t = mu.transpose(0, 1), var.transpose(0, 1)  # (M, n, D)
        shape = (K, *mu_t.shape)
        eps = randn_rows(mu_t.expand(shape), row_dim=2) if sample else torch.zeros_like(mu_t)[None]
        z = mu_t + eps * var_t.sqrt()  # (K, M, n, D): draws of component m
        if dreg:
            q_mu, q_var = mu.detach(), var.detach()
        else:
            q_mu, q_var = mu, var
        log_q = mixture_log_prob(z, q_mu, q_var, active)
        log_prior = log_normal(z, torch.zeros_like(z), torch.ones_like(z))
        rec, extra, drawn = yield from self.component_terms(experts, z, dreg, sample)
        log_w = rec + self.beta * (log_prior - log_q)  # (K, M, n)
        if extra is not None:
            log_w = log_w + self.beta * extra
        comp = active.transpose(0, 1).to(log_w.dtype)  # (M, n)
        if dreg:
            wt = torch.softmax(log_w.detach(), 0)
            for t in drawn:
                if t.requires_grad:
                    t.register_hook(lambda g: wt.unsqueeze(-1) * g)
            per_comp = (wt * log_w).sum(0)
        else:
            per_comp = log_w[0]
        return -(per_comp * comp).sum(0) / comp.sum(0).clamp(min=1)

    def component_terms(self, experts, z, dreg, sample=True):
        """Part: the reconstruction (K, M, n) of every observed modality from each component's
        draws ``z`` (K, M, n, D); further log-density terms of the bound (or None); the draws
        whose gradients DReG reweights. (MMVAE+ adds its private latents here.)"""
        rec = yield from self.reconstruction(z, experts.batch)
        return rec, None, [z]
