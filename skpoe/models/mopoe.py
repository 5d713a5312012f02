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
    """Uniform mixture over subsets of products of the prior and experts.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights
        As in :class:`~skpoe.models.MultimodalModule`.
    **kwargs
        The other parameters of :class:`~skpoe.models.MultimodalModule` (``beta``,
        ``encoder_bodies``, ``decoder_bodies``, ``names``, ``label``) and options, set as
        attributes. At most 10 modalities, labels included (2^M - 1 subsets).

    See Also
    --------
    MixtureModule : The base of the mixtures.
    MMVAEModule : A mixture of the single-modality posteriors.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MoPoEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MoPoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

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
        """One component per non-empty subset T: the prior times T's experts; T within S is active.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M).

        Returns
        -------
        mu, var : torch.Tensor
            Shape (n, 2^M - 1, D).
        active : torch.Tensor of bool
            Shape (n, 2^M - 1).

        See Also
        --------
        paired_terms : Averages over the active components.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MoPoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MoPoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var, active = module.components(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 3, 2])
        """
        prec = experts.prec[:, :, 0]
        eta = experts.mu[:, :, 0] * prec
        T = self.subsets.to(prec.dtype)  # (C, M)
        total = 1.0 + torch.einsum("cm,nmd->ncd", T, prec)
        mu = torch.einsum("cm,nmd->ncd", T, eta) / total
        inside = ~(self.subsets[None] & ~subset[:, None, :]).any(-1)  # T within S
        return mu, 1.0 / total, inside

    def paired_terms(self, experts, sample=True):
        """Part: the mean over the active subsets of each one's negative ELBO.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            Its value is the loss per row, shape (n,).

        See Also
        --------
        components : The subsets' products.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MoPoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MoPoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        mu, var, active = self.components(experts, batch.mask)
        z = reparameterize(mu, var, sample).transpose(0, 1)  # (C, n, D)
        rec = yield from self.reconstruction(z, batch)
        per = -rec.transpose(0, 1) + self.beta * kl_to_prior(mu, var)
        a = active.to(per.dtype)
        return (per * a).sum(1) / a.sum(1).clamp(min=1)
