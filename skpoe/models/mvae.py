"""MVAE (Wu & Goodman, 2018): a plain product of experts.

One expert per observed modality (no substitutes) times the prior, so the
posterior sharpens with every extra view. Objective on samples with several
views: the joint ELBO, plus each observed modality's own ELBO, plus the ELBOs
of ``n_subsets`` random proper subsets of the observed views (with more than
two modalities; with two the single-modality ELBOs are those subsets).
"""

from __future__ import annotations

import torch

from skpoe.models.base import MultimodalModule
from skpoe.models.experts import kl_to_prior, product_with_prior, reparameterize
from skpoe.models.fused import gather
from skpoe.noise import rand_rows

__all__ = ["MVAEModule"]


def prior_times_experts(experts, subset):
    """q(z | x_S) of one head per modality: the prior times the experts of ``subset``."""
    prec = experts.prec[:, :, 0]
    return product_with_prior(prec, experts.mu[:, :, 0] * prec, subset)


class MVAEModule(MultimodalModule):
    """Prior x one expert per observed modality."""

    n_heads = 1
    n_subsets = 2

    def posterior(self, experts, subset):
        return prior_times_experts(experts, subset)

    def subset_elbo(self, experts, subset, sample=True):
        """Part: per-row negative ELBO of the modalities in ``subset`` under q(z|subset)."""
        q_mu, q_var = self.posterior(experts, subset)
        z = reparameterize(q_mu, q_var, sample)
        rec = yield from self.reconstruction(z, experts.batch, subset)
        return -rec + self.beta * kl_to_prior(q_mu, q_var)

    def paired_terms(self, experts, sample=True):
        s = experts.batch.mask
        parts = [self.subset_elbo(experts, s, sample), self.star_terms(experts, sample)]
        proper = []
        if self.M > 2 and sample:
            for _ in range(int(self.n_subsets)):
                sub = s & (rand_rows(experts.mu[:, :, 0, 0]) < 0.5)
                proper.append((sub.sum(1) >= 2) & (sub != s).any(1))  # singletons are above
                parts.append(self.subset_elbo(experts, sub, sample))
        joint, star, *subsets = yield from gather(parts)
        loss = joint + star
        for keep, t in zip(proper, subsets):
            loss = loss + torch.where(keep, t, torch.zeros_like(t))
        return loss
