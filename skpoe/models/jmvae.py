"""JMVAE (Suzuki et al., 2016), the JMVAE-kl objective: a joint encoder, and unimodal
encoders pulled toward it.

The joint encoder is VAEVAE's masked joint encoder (an MLP over every view, unobserved ones
zeroed, plus the observed mask), so a row with any two or more observed modalities has a joint
posterior; the paper's has one network for all M views, the same thing when every view is
observed. A row with one observed view uses that view's unimodal encoder directly. On rows with
two or more observed modalities S the loss is the joint ELBO plus the unimodal encoders' pull

    -sum_{m in S} w_m log p(x_m | z) + beta KL(q(z|x_S) || p(z))
        + alpha sum_{m in S} KL(q(z|x_S) || q(z|x_m)),     z ~ q(z|x_S);

rows with one observed view train that view's encoder and decoder by its own ELBO (the
engine's single-modality terms), which the paper, with complete data only, has no need of.
"""

from __future__ import annotations

import torch

from skpoe.models.experts import kl_gaussians, kl_to_prior, reparameterize
from skpoe.models.vaevae import VAEVAEModule

__all__ = ["JMVAEModule"]


class JMVAEModule(VAEVAEModule):
    """VAEVAE's networks with the JMVAE-kl objective.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights
        As in :class:`~skpoe.models.MultimodalModule`.
    **kwargs
        The other parameters of :class:`~skpoe.models.MultimodalModule` (``beta``,
        ``encoder_bodies``, ``decoder_bodies``, ``names``, ``label``) and options, set as
        attributes: ``alpha`` (default 0.1), the weight of the pull of the
        unimodal encoders toward the joint one.

    See Also
    --------
    VAEVAEModule : The networks.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, JMVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = JMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    alpha = 0.1

    def paired_terms(self, experts, sample=True):
        """Part: the joint ELBO plus alpha times the KL of the joint posterior to each view's.

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
        posterior : The joint posterior.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, JMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = JMVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        s = batch.mask
        q_mu, q_var = self.posterior(experts, s)
        z = reparameterize(q_mu, q_var, sample)
        rec = yield from self.reconstruction(z, batch)
        pull: torch.Tensor | float = 0.0
        for m in batch.present:
            mu_m, prec_m = experts.single(m)
            u_mu, u_var = self.single_posterior(mu_m, prec_m, m)
            kl = kl_gaussians(q_mu, q_var, u_mu, u_var)
            pull = pull + torch.where(s[:, m], kl, torch.zeros_like(kl))
        return -rec + self.beta * kl_to_prior(q_mu, q_var) + float(self.alpha) * pull
