"""The codes of the modalities: the shared latent alone, or with a private latent per view.

:class:`SharedCodes` is a base of every model; :class:`PrivateCodes` is the part of
:class:`~skpoe.models.private.PrivateLatents` that makes and reads the codes and splits the
encoders' outputs (see :mod:`skpoe.models.private`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["SharedCodes", "PrivateCodes"]


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


class PrivateCodes(ModelHost):
    """The codes and encoders of :class:`~skpoe.models.private.PrivateLatents`."""

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
