"""MoPoE-VAE (Sutter et al., 2021): a mixture of products of experts.

The posterior of an observed set S is the uniform mixture, over every
non-empty subset T of S, of the product of the prior and T's experts. The
objective draws one z from each subset's product, reconstructs every observed
modality from it, and averages over subsets the reconstruction and the KL of
the subset's product to the prior. There are 2^M - 1 subsets, so the model is
meant for a handful of modalities (at most 10).
"""

from __future__ import annotations

import itertools

import torch

from skpoe.models.base import MixtureModule
from skpoe.models.experts import kl_to_prior, reparameterize

__all__ = ["MoPoEModule"]

MAX_MODALITIES = 10


class MoPoEModule(MixtureModule):
    """Uniform mixture over subsets of products of the prior and experts."""

    n_heads = 1
    subsets: torch.Tensor  # (C, M) bool: the non-empty subsets, a buffer set in __init__

    def __init__(self, likelihoods, n_latent, hidden, weights, **kwargs):
        M = len(likelihoods)
        if M > MAX_MODALITIES:
            raise ValueError(
                f"MoPoEVAE enumerates the 2^M - 1 subsets of modalities; {M} "
                f"modalities (labels included) is more than {MAX_MODALITIES}."
            )
        super().__init__(likelihoods, n_latent, hidden, weights, **kwargs)
        subsets = [c for c in itertools.product([False, True], repeat=M) if any(c)]
        self.register_buffer("subsets", torch.tensor(subsets, dtype=torch.bool), persistent=False)

    def components(self, experts, subset):
        prec = experts.prec[:, :, 0]
        eta = experts.mu[:, :, 0] * prec
        T = self.subsets.to(prec.dtype)  # (C, M)
        total = 1.0 + torch.einsum("cm,nmd->ncd", T, prec)
        mu = torch.einsum("cm,nmd->ncd", T, eta) / total
        inside = ~(self.subsets[None] & ~subset[:, None, :]).any(-1)  # T within S
        return mu, 1.0 / total, inside

    def paired_terms(self, experts, sample=True):
        batch = experts.batch
        mu, var, active = self.components(experts, batch.mask)
        z = reparameterize(mu, var, sample).transpose(0, 1)  # (C, n, D)
        rec = yield from self.reconstruction(z, batch)
        per = -rec.transpose(0, 1) + self.beta * kl_to_prior(mu, var)
        a = active.to(per.dtype)
        return (per * a).sum(1) / a.sum(1).clamp(min=1)
