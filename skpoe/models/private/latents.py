"""Per-modality private latents: the mixin, with its loss terms and importance sampler.

See :mod:`skpoe.models.private`; the codes and encoders are in
:mod:`skpoe.models.private.codes`.
"""

from __future__ import annotations

import torch

from skpoe.models.experts import kl_to_prior, log_normal, reparameterize
from skpoe.models.private.codes import PrivateCodes

__all__ = ["PrivateLatents"]


class PrivateLatents(PrivateCodes):
    """Mixin: a private latent per view (inherit it before the model's base).

    Every view (not the label) gets a private latent w_m of ``n_private_components``
    dimensions with prior N(0, I); see :mod:`skpoe.models.private`.

    See Also
    --------
    skpoe.models.private.SharedCodes : The codes of the models without private latents.
    skpoe.models.DMVAEModule : A product of experts with private latents.
    skpoe.models.MMVAEPlusModule : A mixture with private latents.

    Examples
    --------
    >>> from skpoe.models import DMVAEModule, MVAEModule
    >>> from skpoe.models.private import PrivateLatents
    >>> issubclass(DMVAEModule, PrivateLatents), issubclass(MVAEModule, PrivateLatents)
    (True, False)
    """

    # -- loss pieces -----------------------------------------------------------
    def private_reconstruction(self, z, w, batch, mask=None):
        """Part: sum over modalities in ``mask`` (default: observed) of w_m log p(x_m | z, w_m).

        Parameters
        ----------
        z : torch.Tensor
            Shared codes, shape (..., n, D).
        w : torch.Tensor
            Private codes, shape (..., n, M, P): ``w[..., m, :]`` is the one
            that modality m is decoded with.
        batch : Batch
            The rows, whose targets are scored.
        mask : torch.Tensor of bool, default=None
            Modalities to sum over, shape (..., n, M) (``None``: ``batch.mask``).

        Returns
        -------
        part : generator
            Its value is the weighted log-likelihood, shape ``z.shape[:-1]``.

        See Also
        --------
        reconstruction : The same from shared codes alone.
        evaluate : The value of a part.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> z, w = torch.zeros(4, 2), torch.zeros(4, 2, 1)
        >>> module.evaluate(module.private_reconstruction(z, w, batch)).shape
        torch.Size([4])
        """
        mask = batch.mask if mask is None else mask
        present = list(batch.present)
        codes = [torch.cat([z, w[..., m, :]], -1) if self.private_width(m) else z for m in present]
        lps = yield [(m, c, batch.targets[m]) for m, c in zip(present, codes)]
        total: torch.Tensor | float = 0.0
        for m, lp in zip(present, lps):
            lp = self.weights[m] * lp
            total = total + torch.where(mask[..., m], lp, torch.zeros_like(lp))
        return total

    def private_kl(self, experts):
        """Per-row sum over observed views of KL(q(w_m | x_m) || N(0, I)).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of the rows, with their private posteriors.

        Returns
        -------
        kl : torch.Tensor
            Shape (n,).

        See Also
        --------
        infer_private : The private posteriors.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> bool((module.private_kl(module.encode(batch)) >= 0).all())
        True
        """
        mu, var = experts.private
        kl = kl_to_prior(mu, var)  # (n, M)
        has = torch.tensor([self.private_width(m) > 0 for m in range(self.M)], device=kl.device)
        return torch.where(experts.batch.mask & has, kl, torch.zeros_like(kl)).sum(1)

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True):
        """Part: modality m's negative ELBO over z and its private w_m (over z alone for the label).

        Parameters
        ----------
        m : int
            The modality.
        mu_m, prec_m : torch.Tensor
            Modality m's encoder outputs, shape (n, H, ``code_width(m)``).
        target : torch.Tensor
            Likelihood targets of modality m, shape (n, n_features).
        sample : bool, default=True
            Draw z and w_m (``False``: their means).

        Returns
        -------
        part : generator
            Its value is -w_m log p(x_m | z, w_m) + beta (KL on z + KL on w_m),
            shape (n,).

        See Also
        --------
        split_heads : The posteriors on z and w_m.
        private_kl : The KL terms of w over a batch.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> part = module.single_elbo_terms(0, *module.encoders[0](x), x)
        >>> module.evaluate(part).shape
        torch.Size([4])
        """
        (mu, prec), private = self.split_heads(m, mu_m, prec_m)
        if private is None:
            return (yield from super().single_elbo_terms(m, mu, prec, target, sample))
        q_mu, q_var = self.single_posterior(mu, prec, m)
        z = reparameterize(q_mu, q_var, sample)
        w_mu, w_var = private
        w = reparameterize(w_mu, w_var, sample)
        (lp,) = yield [(m, torch.cat([z, w], -1), target)]
        return -self.weights[m] * lp + self.beta * (
            kl_to_prior(q_mu, q_var) + kl_to_prior(w_mu, w_var)
        )

    def log_importance_weights(self, batch, eps):
        """log w_k of K joint draws of z and of each observed view's w_m.

        Parameters
        ----------
        batch : Batch
            The rows; each is scored on its observed modalities.
        eps : torch.Tensor
            Standard normal draws (K, 1, ``noise_width``) shared by all rows: z
            from the first ``n_latent``, w_m from its slice (the private
            latents of unobserved views are integrated out exactly).

        Returns
        -------
        log_w : torch.Tensor
            Shape (K, n).

        See Also
        --------
        noise_width : The width of ``eps``.
        importance_log_likelihood : The estimate of log p(x_S) from them.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.log_importance_weights(batch, torch.randn(5, 1, 4)).shape
        torch.Size([5, 4])
        """
        D = self.n_latent
        z, log_q = self.draw(batch, eps[..., :D])
        log_w = log_normal(z, torch.zeros_like(z), torch.ones_like(z)) - log_q
        mu_w, var_w = self.infer_private(batch)
        for m in batch.present:
            if not bool(batch.mask[:, m].any()):
                continue
            code, extra = z, 0.0
            if self.private_width(m):
                start = self._offset(m)
                e = eps[..., start : start + self.private_width(m)]
                w = mu_w[:, m] + e * var_w[:, m].sqrt()  # (K, n, P)
                extra = log_normal(w, torch.zeros_like(w), torch.ones_like(w)) - log_normal(
                    w, mu_w[:, m], var_w[:, m]
                )
                code = torch.cat([z, w], -1)
            lp = self.log_lik(m, code, batch.targets[m]) + extra
            log_w = log_w + torch.where(batch.mask[:, m], lp, torch.zeros_like(lp))
        return log_w
