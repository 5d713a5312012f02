"""VAEVAE (Wu & Goodman, 2019): single-modality encoders plus a joint encoder.

A row with one observed modality uses that modality's encoder directly (no
prior product). A row with two or more uses one extra *masked joint encoder*:
an MLP over the concatenated encoder inputs (unobserved ones zeroed) and the
observed mask. For two modalities this is the paper's q(z|x,y); for more it
replaces the authors' one network per subset with a single network that sees
which views are present. The objective is the same leave-one-out objective as
the product-of-experts model.
"""

from __future__ import annotations

import torch

from ..nn import GaussianEncoder
from .base import MultimodalModule

__all__ = ["VAEVAEModule"]


class VAEVAEModule(MultimodalModule):
    """Unimodal encoders used directly, a masked joint encoder for subsets."""

    n_heads = 1

    def __init__(self, likelihoods, n_latent, hidden, weights, **kwargs):
        super().__init__(likelihoods, n_latent, hidden, weights, **kwargs)
        n_in = sum(lik.n_inputs for lik in likelihoods) + self.M
        widest = max(self.hidden, key=lambda h: sum(h))
        self.joint = GaussianEncoder(n_in, widest, n_latent, 1, name="joint")

    def single_posterior(self, mu_m, prec_m, m):
        return mu_m[:, 0], 1.0 / prec_m[:, 0]

    def posterior(self, experts, subset):
        s = subset.to(experts.mu.dtype)
        x = torch.cat(
            [x * s[:, m : m + 1] for m, x in enumerate(experts.batch.inputs)] + [s], 1
        )
        j_mu, j_prec = self.joint(x)
        w = s[:, :, None]
        one_mu = (w * experts.mu[:, :, 0]).sum(1)
        one_var = (w / experts.prec[:, :, 0]).sum(1)
        single = (subset.sum(1) == 1)[:, None]
        return (
            torch.where(single, one_mu, j_mu[:, 0]),
            torch.where(single, one_var, 1.0 / j_prec[:, 0]),
        )

    paired_loss = MultimodalModule.leave_one_out_loss
