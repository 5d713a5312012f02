"""The product-of-experts VAE with substitute experts (Kutuzova et al., 2021).

Each modality's encoder has one head per slot: its own expert and a
substitute for every other modality. The posterior of an observed set S is
the prior times one expert per slot (own if observed, otherwise the
geometric mean of the observed modalities' substitutes), so its sharpness
does not depend on how many views are present.
"""

from __future__ import annotations

import torch

from ..experts import kl_gaussians, product_with_prior, subset_posterior
from .base import MultimodalModule, reparameterize

__all__ = ["PoEModule"]


class PoEModule(MultimodalModule):
    """Product of own and substitute experts; leave-one-out KL objective."""

    @property
    def n_heads(self):
        return self.M

    def posterior(self, mu, prec, subset):
        return subset_posterior(mu, prec, subset)

    def single_posterior(self, mu_m, prec_m, m):
        # with only modality m observed, slot m takes q_mm and every other
        # slot k the substitute q_mk: the product of all of m's heads
        return product_with_prior(prec_m, mu_m * prec_m)

    def paired_loss(self, batch, sample=True):
        mu, prec = self.encode(batch)
        s = batch.mask
        q_mu, q_var = self.posterior(mu, prec, s)
        z = reparameterize(q_mu, q_var, sample)
        loss = -self.reconstruction(z, batch)
        count = s.sum(1)
        kl = 0.0
        for m in range(self.M):
            without = s.clone()
            without[:, m] = False
            p_mu, p_var = self.posterior(mu, prec, without)
            k = kl_gaussians(q_mu, q_var, p_mu, p_var)
            kl = kl + torch.where(s[:, m], k, torch.zeros_like(k))
            if self.M > 2:
                # pull each single-view posterior toward the larger observed
                # set (for |S| = 2 the leave-one-out term above already is it)
                p_mu, p_var = self.single_posterior(mu[:, m], prec[:, m], m)
                k = kl_gaussians(q_mu, q_var, p_mu, p_var)
                kl = kl + torch.where(s[:, m] & (count > 2), k, torch.zeros_like(k))
        loss = loss + self.beta * kl
        if self.star:
            loss = loss + self.star_terms(batch, mu, prec, sample)
        return loss
