"""The base of the models whose posterior is a uniform mixture: :class:`MixtureModule`."""

from __future__ import annotations

import abc

from skpoe.models.base.module import MultimodalModule
from skpoe.models.experts import mixture_draw, mixture_log_prob, mixture_moments

__all__ = ["MixtureModule"]


class MixtureModule(MultimodalModule, abstract=True):
    """Base of models whose posterior is a uniform mixture of Gaussians.

    A subclass defines :meth:`components`; the posterior used by
    ``transform`` is the mixture's moment-matched Gaussian, draws are
    stratified over the components and densities are exact mixtures.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights, beta, encoder_bodies, decoder_bodies, names, label
        As in :class:`MultimodalModule`.
    **options
        Model-specific options, set as attributes.

    See Also
    --------
    MultimodalModule : The base of every model.
    skpoe.models.MMVAEModule : A mixture of the single-modality posteriors.
    skpoe.models.MoPoEModule : A mixture of products of experts.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MixtureModule, MMVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> isinstance(module, MixtureModule)
    True
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> z, log_q = module.draw(batch, torch.randn(3, 1, 2))
    >>> z.shape
    torch.Size([3, 4, 2])
    """

    @abc.abstractmethod
    def components(self, experts, subset):
        """Mixture components of each row's posterior given a subset (every mixture defines it).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch.
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M).

        Returns
        -------
        mu, var : torch.Tensor
            Means and variances of the C components, shape (n, C, D).
        active : torch.Tensor of bool
            Which components are in each row's mixture, shape (n, C).

        See Also
        --------
        posterior : The mixture's moment-matched Gaussian.
        draw : Draws stratified over the active components.

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
        >>> mu.shape, active.shape
        (torch.Size([4, 2, 2]), torch.Size([4, 2]))
        """

    def posterior(self, experts, subset):
        """q(z | x_S) as one Gaussian: the moments of the mixture of :meth:`components`.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch.
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M).

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of the mixture, shape (n, D).

        See Also
        --------
        components : The mixture.
        skpoe.models.experts.mixture_moments : The moments.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> experts = module.encode(batch)
        >>> mu, var = module.posterior(experts, batch.mask)
        >>> comp_mu, _, _ = module.components(experts, batch.mask)
        >>> bool(torch.allclose(mu, comp_mu.mean(1)))  # equal weights
        True
        """
        mu, var, active = self.components(experts, subset)
        return mixture_moments(mu, var, active)

    def draw(self, batch, eps):
        """Draws of the mixture posterior, stratified over its components, and their density.

        Parameters
        ----------
        batch : Batch
            The rows.
        eps : torch.Tensor
            Standard normal draws (K, 1, D) shared by all rows.

        Returns
        -------
        z : torch.Tensor
            The draws, shape (K, n, D), spread evenly over each row's active
            components.
        log_q : torch.Tensor
            The exact log density of the mixture at each draw, shape (K, n).

        See Also
        --------
        components : The mixture.
        skpoe.models.experts.mixture_draw : The stratified draws.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> z, log_q = module.draw(batch, torch.randn(4, 1, 2))
        >>> z.shape, log_q.shape
        (torch.Size([4, 4, 2]), torch.Size([4, 4]))
        """
        mu, var, active = self.components(self.encode(batch), batch.mask)
        z = mixture_draw(mu, var, active, eps)
        return z, mixture_log_prob(z, mu, var, active)
