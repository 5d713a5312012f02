"""MMVAE (Shi et al., 2019): a mixture of single-modality posteriors.

The posterior of an observed set S is the uniform mixture of the observed
modalities' encoders. On samples with several views the objective is the
stratified bound: a draw from each observed modality's posterior must
reconstruct every observed modality, weighed against the mixture density.
``objective="elbo"`` uses one draw per component; ``objective="dreg"`` uses
K = ``n_importance_samples`` draws per component in an importance-weighted
bound with the doubly reparameterised gradient estimator (DReG). Gaussian
posteriors and prior (the reference code used Laplace ones).
"""

from __future__ import annotations

import torch

from skpoe.models.base import MixtureModule
from skpoe.models.experts import log_normal, mixture_log_prob
from skpoe.noise import randn_rows

__all__ = ["MMVAEModule"]


class MMVAEModule(MixtureModule):
    """Uniform mixture of the observed modalities' own posteriors.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights, beta, encoder_bodies, decoder_bodies, names, label
        As in :class:`~skpoe.models.MultimodalModule`.
    **options
        Set as attributes: ``objective`` (``"elbo"``, default, or ``"dreg"``) and
        ``n_importance_samples`` (default 10, the draws per component of ``"dreg"``).

    See Also
    --------
    MixtureModule : The base of the mixtures.
    MMVAEPlusModule : With private latents.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MMVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    n_heads = 1
    objective = "elbo"
    n_importance_samples = 10

    def single_posterior(self, mu_m, prec_m, m):
        """q(z | x_m): modality m's encoder head used directly (no prior product).

        Parameters
        ----------
        mu_m, prec_m : torch.Tensor
            Means and precisions of modality m's heads, shape (n, H, D).
        m : int
            The modality.

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_m), shape (n, D).

        See Also
        --------
        components : The mixture of these.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.single_posterior(*module.encode(batch).single(0), 0)
        >>> mu.shape
        torch.Size([4, 2])
        """
        return mu_m[:, 0], 1.0 / prec_m[:, 0]

    def components(self, experts, subset):
        """One component per modality, its own posterior; those in S are active.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M).

        Returns
        -------
        mu, var : torch.Tensor
            Shape (n, M, D).
        active : torch.Tensor of bool
            ``subset``, shape (n, M).

        See Also
        --------
        single_posterior : One component.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var, active = module.components(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 2, 2])
        """
        return experts.mu[:, :, 0], 1.0 / experts.prec[:, :, 0], subset

    def paired_terms(self, experts, sample=True):
        """Part: the stratified bound (``"elbo"``) or its importance-weighted DReG form.

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
        component_terms : The reconstructions of each component's draws.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        mu, var, active = self.components(experts, batch.mask)  # (n, M, D), (n, M)
        dreg = self.objective == "dreg" and sample
        K = int(self.n_importance_samples) if dreg else 1
        mu_t, var_t = mu.transpose(0, 1), var.transpose(0, 1)  # (M, n, D)
        shape = (K, *mu_t.shape)
        eps = randn_rows(mu_t.expand(shape), row_dim=2) if sample else torch.zeros_like(mu_t)[None]
        z = mu_t + eps * var_t.sqrt()  # (K, M, n, D): draws of component m
        if dreg:
            q_mu, q_var = mu.detach(), var.detach()
        else:
            q_mu, q_var = mu, var
        log_q = mixture_log_prob(z, q_mu, q_var, active)
        log_prior = log_normal(z, torch.zeros_like(z), torch.ones_like(z))
        rec, extra, drawn = yield from self.component_terms(experts, z, dreg, sample)
        log_w = rec + self.beta * (log_prior - log_q)  # (K, M, n)
        if extra is not None:
            log_w = log_w + self.beta * extra
        comp = active.transpose(0, 1).to(log_w.dtype)  # (M, n)
        if dreg:
            wt = torch.softmax(log_w.detach(), 0)
            for t in drawn:
                if t.requires_grad:
                    t.register_hook(lambda g: wt.unsqueeze(-1) * g)
            per_comp = (wt * log_w).sum(0)
        else:
            per_comp = log_w[0]
        return -(per_comp * comp).sum(0) / comp.sum(0).clamp(min=1)

    def component_terms(self, experts, z, dreg, sample=True):
        """Part: the reconstruction of every observed modality from each component's draws.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        z : torch.Tensor
            Draws of each component, shape (K, M, n, D).
        dreg : bool
            Whether the bound is the DReG one.
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            Its value is ``(rec, extra, drawn)``: the reconstruction (K, M, n),
            further log-density terms of the bound (or None; MMVAE+ adds its
            private latents here), the draws whose gradients DReG reweights.

        See Also
        --------
        paired_terms : The bound.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> z = torch.zeros(1, 2, 4, 2)
        >>> rec, extra, drawn = module.evaluate(module.component_terms(module.encode(batch), z, False))
        >>> rec.shape, extra
        (torch.Size([1, 2, 4]), None)
        """
        rec = yield from self.reconstruction(z, experts.batch)
        return rec, None, [z]
