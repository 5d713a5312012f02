"""MMVAE+ (Palumbo et al., 2023): MMVAE with modality-specific latents and auxiliary priors.

Each view m has a shared latent z, whose posterior given S is MMVAE's uniform mixture of the
observed views' q(z|x_m), and a private latent w_m (:class:`~skpoe.models.private.PrivateLatents`)
with posterior q(w_m|x_m) and prior N(0, I); the label has no private latent. The bound of a
row with observed set S averages over its components m in S, with z ~ q(z|x_m) and
w_m ~ q(w_m|x_m):

    log p(x_m | z, w_m) + sum_{n in S, n != m} log p(x_n | z, w~_n)
        + beta [log p(z) + log p(w_m) - log q(z|x_S) - log q(w_m|x_m)],

where the private code of every *other* modality is drawn from its auxiliary prior
w~_n ~ r_n = N(0, diag(exp(aux_logvar_n))), with a learned variance: a cross-modal
reconstruction may not read the target's own private code, so what the modalities share goes
through z. ``objective="dreg"`` uses K = ``n_importance_samples`` draws per component, the
importance-weighted bound and DReG gradients for z and w_m (the paper's choice);
``"elbo"`` one draw. Gaussian posteriors and priors (the paper's code used Laplace ones).
A missing view is generated from z at w = 0, the mean of both its prior and r.
"""

from __future__ import annotations

import torch
from torch import nn

from skpoe.models.experts import log_normal
from skpoe.models.mmvae import MMVAEModule
from skpoe.models.private import PrivateLatents
from skpoe.noise import randn_rows

__all__ = ["MMVAEPlusModule"]


class MMVAEPlusModule(PrivateLatents, MMVAEModule):
    """Mixture over views of q(z|x_m) q(w_m|x_m); other views' private codes from r_n.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights
        As in :class:`~skpoe.models.MultimodalModule`.
    **kwargs
        The other parameters of :class:`~skpoe.models.MultimodalModule` (``beta``,
        ``encoder_bodies``, ``decoder_bodies``, ``names``, ``label``) and options, set as
        attributes: ``objective`` (``"dreg"``, default, or ``"elbo"``),
        ``n_importance_samples`` and ``n_private_components``.

    See Also
    --------
    MMVAEModule : Without private latents.
    skpoe.models.private.PrivateLatents : The private latents.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MMVAEPlusModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MMVAEPlusModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    objective = "dreg"

    def __init__(self, likelihoods, n_latent, hidden, weights, **kwargs):
        super().__init__(likelihoods, n_latent, hidden, weights, **kwargs)
        self.aux_logvar = nn.Parameter(torch.zeros(self.M, int(self.n_private_components)))

    def component_terms(self, experts, z, dreg, sample=True):
        """Part: each component's reconstruction, own w_m for its view and r_n draws for the others.

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
            log p(w_m) - log q(w_m | x_m) (K, M, n), and the draws of z and w_m.

        See Also
        --------
        MMVAEModule.component_terms : Without private latents.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MMVAEPlusModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MMVAEPlusModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> z = torch.zeros(1, 2, 4, 2)
        >>> rec, extra, drawn = module.evaluate(module.component_terms(module.encode(batch), z, False))
        >>> rec.shape, extra.shape
        (torch.Size([1, 2, 4]), torch.Size([1, 2, 4]))
        """
        batch = experts.batch
        mu, var = experts.private  # (n, M, P)
        mu_t, var_t = mu.transpose(0, 1), var.transpose(0, 1)  # (M, n, P)
        K, M = z.shape[0], self.M
        shape = (K, *mu_t.shape)
        eps = randn_rows(mu_t.expand(shape), row_dim=2) if sample else torch.zeros_like(mu_t)[None]
        own = mu_t + eps * var_t.sqrt()  # (K, M, n, P): w_c ~ q(w_c | x_c)
        wide = own.unsqueeze(-2).expand(*own.shape[:-1], M, own.shape[-1])
        noise = randn_rows(wide, row_dim=2) if sample else torch.zeros_like(wide)
        aux = noise * torch.exp(0.5 * self.aux_logvar)  # w~_n ~ r_n (its mean 0 unsampled)
        # (K, C, n, M, P): component c decodes modality c with its own w_c, the others from r
        eye = torch.eye(M, dtype=torch.bool, device=mu.device)[:, None, :, None]
        w = torch.where(eye, own.unsqueeze(-2), aux)
        rec = yield from self.private_reconstruction(z, w, batch)
        q_mu, q_var = (mu_t.detach(), var_t.detach()) if dreg else (mu_t, var_t)
        extra = log_normal(own, torch.zeros_like(own), torch.ones_like(own)) - log_normal(
            own, q_mu, q_var
        )
        has = torch.tensor([self.private_width(c) > 0 for c in range(M)], device=mu.device)
        extra = torch.where(has[:, None], extra, torch.zeros_like(extra))
        return rec, extra, [z, own]
