"""DMVAE (Lee & Pavlovic, 2021): private-shared disentangled multimodal VAE.

Each view m has a private latent w_m (:class:`~skpoe.models.private.PrivateLatents`, prior
N(0, I)); the shared latent z has MVAE's posterior, the product of the prior and the observed
modalities' experts. The label has no private latent. A row with observed set S is trained by
the ELBO of the joint posterior and the cross ELBO of each single observed modality's
posterior: for each q in {q(z|x_S)} and {q(z|x_k), k in S}, with z ~ q and each observed view's
own w_m ~ q(w_m|x_m),

    -sum_{m in S} w_m log p(x_m | z, w_m) + beta [KL(q || p(z)) + sum_{m in S} KL(q(w_m|x_m) || p(w_m))],

so every observed view is reconstructed from its own private code and a shared code that one
other view alone must supply. Rows with one observed view get that view's ELBO over z and w_m.
A missing view is generated from z at w = 0, its prior mean.
"""

from __future__ import annotations

import torch

from skpoe.models.base import MultimodalModule
from skpoe.models.experts import kl_to_prior
from skpoe.models.mvae import prior_times_experts
from skpoe.models.private import PrivateLatents
from skpoe.noise import randn_rows

__all__ = ["DMVAEModule"]


class DMVAEModule(PrivateLatents, MultimodalModule):
    """Product of experts on z, a private w_m per view; joint and cross ELBOs.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights, beta, encoder_bodies, decoder_bodies, names, label
        As in :class:`~skpoe.models.MultimodalModule`.
    **options
        Set as attributes: ``n_private_components`` (default 8).

    See Also
    --------
    skpoe.models.private.PrivateLatents : The private latents.
    MVAEModule : The posterior on z.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, DMVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = DMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    n_heads = 1

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
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.posterior(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 2])
        """
        return prior_times_experts(experts, subset)

    def paired_terms(self, experts, sample=True):
        """Part: the joint ELBO plus the cross ELBO of each observed view's posterior.

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
        private_reconstruction : The reconstructions with private codes.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        s = batch.mask
        eye = torch.eye(self.M, dtype=torch.bool, device=s.device)
        present = list(batch.present)
        subsets = [s] + [s & eye[k] for k in present]
        posts = [self.posterior(experts, sub) for sub in subsets]
        p_mu = torch.stack([mu for mu, _ in posts])  # (T, n, D)
        p_var = torch.stack([var for _, var in posts])
        noise = randn_rows(p_mu, row_dim=1) if sample else torch.zeros_like(p_mu)
        z = p_mu + noise * p_var.sqrt()  # one draw per posterior
        w_mu, w_var = experts.private  # (n, M, P): each ELBO draws its own w_m
        wide = w_mu.expand(len(subsets), *w_mu.shape)
        noise = randn_rows(wide, row_dim=1) if sample else torch.zeros_like(wide)
        w = w_mu + noise * w_var.sqrt()
        rec = yield from self.private_reconstruction(z, w, batch)  # (T, n)
        per = -rec + self.beta * (kl_to_prior(p_mu, p_var) + self.private_kl(experts))
        use = torch.stack([torch.ones_like(s[:, 0])] + [s[:, k] for k in present])
        return torch.where(use, per, torch.zeros_like(per)).sum(0)
