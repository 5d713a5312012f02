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
    """Mixin: a private latent per view (inherit it before the model's base)."""

    # -- loss pieces -----------------------------------------------------------
    def private_reconstruction(self, z, w, batch, mask=None):
        """Part: sum over modalities in ``mask`` (default: observed) of w_m log p(x_m | z, w_m).

        ``z`` is (..., n, D) and ``w`` (..., n, M, P): ``w[..., m, :]`` is the private code
        that modality m is decoded with.
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
        """Per-row sum over observed views of KL(q(w_m | x_m) || N(0, I)), shape (n,)."""
        mu, var = experts.private
        kl = kl_to_prior(mu, var)  # (n, M)
        has = torch.tensor([self.private_width(m) > 0 for m in range(self.M)], device=kl.device)
        return torch.where(experts.batch.mask & has, kl, torch.zeros_like(kl)).sum(1)

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True):
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
        """log w_k with z and each observed view's w_m drawn; ``eps`` (K, 1, noise_width)."""
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
