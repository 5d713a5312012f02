"""The loss parts that every model shares: reconstruction, single-modality and star terms.

A mixin of :class:`~skpoe.models.base.MultimodalModule`; parts are described in
:mod:`skpoe.models.fused`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from skpoe.models.experts import kl_to_prior, reparameterize
from skpoe.models.fused import decode_each, evaluate, gather

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["LossTerms"]


class LossTerms(ModelHost):
    """Mixin: the loss parts of :class:`~skpoe.models.base.MultimodalModule`."""

    def evaluate(self, part):
        """Value of a loss part, each decode request run on its own."""
        return evaluate(part, lambda requests: decode_each(self, requests))

    def reconstruction(self, z, batch, mask=None):
        """Part: sum over modalities in ``mask`` (default: observed) of w_m log p(x_m|z)."""
        mask = batch.mask if mask is None else mask
        present = list(batch.present)
        lps = yield [(m, z, batch.targets[m]) for m in present]
        total: torch.Tensor | float = 0.0
        for m, lp in zip(present, lps):
            lp = self.weights[m] * lp
            total = total + torch.where(mask[..., m], lp, torch.zeros_like(lp))
        return total

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True):
        """Part: per-row -w_m log p(x_m|z) + beta KL(q(z|x_m) || p(z))."""
        q_mu, q_var = self.single_posterior(mu_m, prec_m, m)
        z = reparameterize(q_mu, q_var, sample)
        (lp,) = yield [(m, z, target)]
        return -self.weights[m] * lp + self.beta * kl_to_prior(q_mu, q_var)

    def star_terms(self, experts, sample=True):
        """Part: single-modality terms of each observed modality on paired rows."""
        batch = experts.batch
        present = list(batch.present)
        heads = [experts.single(m) for m in present]
        terms = yield from gather(
            self.single_elbo_terms(m, mu, prec, batch.targets[m], sample)
            for m, (mu, prec) in zip(present, heads)
        )
        total: torch.Tensor | float = 0.0
        for m, t in zip(present, terms):
            total = total + torch.where(batch.mask[:, m], t, torch.zeros_like(t))
        return total
