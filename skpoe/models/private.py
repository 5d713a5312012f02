"""Per-modality private latents, for any model: shared code z plus a private code w_m per view.

Every model decodes modality m from its *code*. By default (:class:`SharedCodes`, a base of
:class:`~skpoe.models.base.MultimodalModule`) the code is the shared latent z alone. A model
that inherits :class:`PrivateLatents` before its base gives every view (not the label) a
private latent w_m of ``n_private_components`` dimensions, with prior N(0, I):

* each view's encoder has ``n_latent + n_private_components`` outputs per head: the first
  ``n_latent`` are its expert on z, the rest (of the first head) are q(w_m | x_m);
  :meth:`PrivateLatents.stack_experts` splits them, so the model's ``posterior`` sees the
  shared experts only and ``experts.private`` holds q(w_m | x_m) (n, M, P);
* view m's decoder reads ``[z, w_m]``; the label's reads z, so ``predict`` uses z alone;
* a code may be given as z alone (then w_m is its prior mean, 0: how a missing view is
  generated from the others), as ``[z, w_m]``, or as one joint draw
  ``[z, w_0, w_1, ...]`` of every latent (width :attr:`PrivateLatents.noise_width`; how
  ``sample`` and ``score_samples`` draw them);
* single-view rows get their view's ELBO over z and w_m; ``score_samples`` adds w_m to the
  importance sampler (drawn from q(w_m | x_m) for each observed view; the missing views'
  private latents are integrated out exactly); ``impute`` decodes missing entries of an
  observed view at the posterior means of z and w_m, and missing views at w_m = 0.

``transform`` stays the shared latent; :meth:`PrivateLatents.infer_private` gives the
private posteriors (the estimators' ``transform_private``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from skpoe.models.experts import kl_to_prior, log_normal, reparameterize

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["SharedCodes", "PrivateLatents"]


class SharedCodes:
    """Every modality's code is the shared latent (every model without private latents)."""

    n_latent: int  # set by MultimodalModule, which derives from this class

    def code_width(self, m):
        """Width of modality m's code: its decoder's input and its encoder's output per head."""
        return self.n_latent

    @property
    def noise_width(self):
        """Width of one joint draw of every latent (the shared one, then any private ones)."""
        return self.n_latent

    def impute_codes(self, batch, z):
        """Codes to impute from, given the posterior means ``z`` (n, D) of ``batch``."""
        return z


class PrivateLatents(ModelHost):
    """Mixin: a private latent per view (inherit it before the model's base)."""

    n_private_components = 8

    def private_width(self, m):
        """Private dimensions of modality m (0 for the label)."""
        return 0 if m == self.label else int(self.n_private_components)

    def code_width(self, m):
        return self.n_latent + self.private_width(m)

    @property
    def noise_width(self):
        return self.n_latent + sum(self.private_width(m) for m in range(self.M))

    def _offset(self, m):
        """Start of w_m in a joint draw ``[z, w_0, w_1, ...]``."""
        return self.n_latent + sum(self.private_width(k) for k in range(m))

    def code_for(self, m, z):
        """Modality m's decoder input from z, ``[z, w_m]`` or a joint draw (module docstring)."""
        D, P, width = self.n_latent, self.private_width(m), z.shape[-1]
        if width == D + P:
            return z
        if width == D:
            return torch.cat([z, z.new_zeros(*z.shape[:-1], P)], -1)
        if width == self.noise_width:
            start = self._offset(m)
            return torch.cat([z[..., :D], z[..., start : start + P]], -1)
        raise ValueError(f"a code of width {width} for modality {m}; expected {D} or {D + P}.")

    def log_lik(self, m, z, target):
        return super().log_lik(m, self.code_for(m, z), target)

    def decode_mean(self, m, z):
        return super().decode_mean(m, self.code_for(m, z))

    # -- encoders: shared experts and private posteriors --------------------
    def split_heads(self, m, mu, prec):
        """Shared heads ``(mu, prec)`` (n, H, D) and private ``(mu, var)`` (n, P) or None."""
        D = self.n_latent
        if not self.private_width(m):
            return (mu, prec), None
        return (mu[..., :D], prec[..., :D]), (mu[:, 0, D:], 1.0 / prec[:, 0, D:])

    def stack_experts(self, batch, heads):
        shared, private = {}, {}
        for m, (mu, prec) in heads.items():
            shared[m], private[m] = self.split_heads(m, mu, prec)
        experts = super().stack_experts(batch, shared)
        P = int(self.n_private_components)
        mus, variances = [], []
        for m in range(self.M):
            if private.get(m) is None:
                filler = experts.mu.new_zeros(batch.n, P)
                mus.append(filler)
                variances.append(filler + 1.0)
            else:
                mus.append(private[m][0])
                variances.append(private[m][1])
        experts.private = (torch.stack(mus, 1), torch.stack(variances, 1))
        return experts

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

    # -- inference ---------------------------------------------------------------
    def infer_private(self, batch):
        """Private posteriors ``(mu, var)`` (n, M, P) of each row's views (prior where unobserved)."""
        return self.encode(batch).private

    def impute_codes(self, batch, z):
        mu_w, _ = self.infer_private(batch)
        parts = [z]
        for m in range(self.M):
            if self.private_width(m):
                seen = batch.mask[:, m : m + 1]
                parts.append(torch.where(seen, mu_w[:, m], torch.zeros_like(mu_w[:, m])))
        return torch.cat(parts, -1)

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
