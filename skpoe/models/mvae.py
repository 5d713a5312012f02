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
    """Prior x one expert per observed modality.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights, beta, encoder_bodies, decoder_bodies, names, label
        As in :class:`~skpoe.models.MultimodalModule`.
    **options
        Set as attributes: ``n_subsets`` (default 2), the random proper subsets
        whose ELBOs are added with more than two modalities.

    See Also
    --------
    MVTCAEModule : The same posterior, the total-correlation objective.
    PoEModule : A product with substitute experts.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    n_heads = 1
    n_subsets = 2

    def posterior(self, experts, subset):
        """q(z | x_S): the prior times the one expert of each modality in S.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M) (or a stack (n, T, M)).

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_S), shape (n, D) (or (n, T, D)).

        See Also
        --------
        subset_elbo : The ELBO under this posterior.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.posterior(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 2])
        """
        return prior_times_experts(experts, subset)

    def subset_elbo(self, experts, subset, sample=True):
        """Part: per-row negative ELBO of the modalities in ``subset`` under q(z|subset).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            Its value is the loss per row, shape (n,).

        See Also
        --------
        paired_terms : Sums these ELBOs.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> part = module.subset_elbo(module.encode(batch), batch.mask)
        >>> module.evaluate(part).shape
        torch.Size([4])
        """
        q_mu, q_var = self.posterior(experts, subset)
        z = reparameterize(q_mu, q_var, sample)
        rec = yield from self.reconstruction(z, experts.batch, subset)
        return -rec + self.beta * kl_to_prior(q_mu, q_var)

    def paired_terms(self, experts, sample=True):
        """Part: the joint ELBO, each observed modality's ELBO and those of random subsets.

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
        subset_elbo : One ELBO.
        star_terms : The single-modality ELBOs.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
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
