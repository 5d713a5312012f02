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

from skpoe.models.base import MultimodalModule
from skpoe.models.leave_one_out import LeaveOneOut
from skpoe.nn import GaussianEncoder

__all__ = ["VAEVAEModule"]


class VAEVAEModule(LeaveOneOut, MultimodalModule):
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
        stacked = subset.dim() == 3
        sub = subset if stacked else subset[:, None]  # (n, T, M)
        n, T, M = sub.shape
        s = sub.to(experts.mu.dtype)
        x = torch.cat(
            [x[:, None] * s[..., m : m + 1] for m, x in enumerate(experts.batch.inputs)] + [s],
            -1,
        )
        j_mu, j_prec = self.joint(x.reshape(n * T, -1))
        j_mu, j_var = j_mu[:, 0].view(n, T, -1), 1.0 / j_prec[:, 0].view(n, T, -1)
        w = s[..., None]  # (n, T, M, 1)
        one_mu = (w * experts.mu[:, None, :, 0]).sum(2)
        one_var = (w / experts.prec[:, None, :, 0]).sum(2)
        single = (sub.sum(-1) == 1)[..., None]
        mu, var = torch.where(single, one_mu, j_mu), torch.where(single, one_var, j_var)
        return (mu, var) if stacked else (mu[:, 0], var[:, 0])

    paired_terms = LeaveOneOut.leave_one_out_terms
