"""MVTCAE (Hwang et al., 2021): the total-correlation objective of multi-view learning.

The posterior of an observed set S is MVAE's product of the prior and one expert per observed
modality. On a row with |S| >= 2 observed modalities (labels count as one) the loss is the
paper's bound, with M = |S|:

    -(M - alpha) / M * sum_{m in S} w_m log p(x_m | z)
        + beta [(1 - alpha) KL(q(z|x_S) || p(z)) + alpha / M sum_{m in S} KL(q(z|x_S) || q(z|x_m))],

z ~ q(z|x_S), where q(z|x_m) is the posterior of view m alone (the prior times its expert). The
conditional VIB terms, weighted by alpha, pull each view's posterior toward the joint one.
Rows with one observed view get that view's ELBO (the engine's single-modality terms; the
bound at M = 1 is the same ELBO scaled by 1 - alpha).
"""

from __future__ import annotations

import torch

from skpoe.models.base import MultimodalModule
from skpoe.models.experts import kl_gaussians, kl_to_prior, reparameterize
from skpoe.models.mvae import prior_times_experts

__all__ = ["MVTCAEModule"]


class MVTCAEModule(MultimodalModule):
    """Prior x observed experts; total-correlation (VIB + conditional VIB) objective.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights, beta, encoder_bodies, decoder_bodies, names, label
        As in :class:`~skpoe.models.MultimodalModule`.
    **options
        Set as attributes: ``alpha`` (default 0.1), the weight of the conditional
        VIB terms.

    See Also
    --------
    MVAEModule : The same posterior, MVAE's objective.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MVTCAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MVTCAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    n_heads = 1
    alpha = 0.1

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
        MVAEModule.posterior : The same.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVTCAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVTCAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.posterior(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 2])
        """
        return prior_times_experts(experts, subset)

    def paired_terms(self, experts, sample=True):
        """Part: the total-correlation bound of the module docstring, per row.

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
        posterior : The joint and single-view posteriors.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVTCAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVTCAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        s = batch.mask
        q_mu, q_var = self.posterior(experts, s)
        z = reparameterize(q_mu, q_var, sample)
        rec = yield from self.reconstruction(z, batch)
        eye = torch.eye(self.M, dtype=torch.bool, device=s.device)
        cvib: torch.Tensor | float = 0.0
        for m in batch.present:
            p_mu, p_var = self.posterior(experts, s & eye[m])
            kl = kl_gaussians(q_mu, q_var, p_mu, p_var)
            cvib = cvib + torch.where(s[:, m], kl, torch.zeros_like(kl))
        a = float(self.alpha)
        count = s.sum(1).to(rec.dtype)
        vib = (1.0 - a) * kl_to_prior(q_mu, q_var)
        return -(count - a) / count * rec + self.beta * (vib + a / count * cvib)
