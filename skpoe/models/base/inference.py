"""Inference of a model: posteriors, posterior draws and importance weights.

A mixin of :class:`~skpoe.models.base.MultimodalModule`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from skpoe.models.experts import log_normal

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["Inference"]


class Inference(ModelHost):
    """Mixin: the inference methods of :class:`~skpoe.models.base.MultimodalModule`."""

    def infer(self, batch):
        """Posterior (mean, var) of each row given its observed modalities."""
        return self.posterior(self.encode(batch), batch.mask)

    def draw(self, batch, eps):
        """Posterior draws z (K, n, D) and their log density log q(z | x_S).

        ``eps`` (K, 1, D) are standard normal draws shared by all rows, so
        each row's draws depend on that row only.
        """
        q_mu, q_var = self.infer(batch)
        z = q_mu + eps * q_var.sqrt()
        return z, log_normal(z, q_mu, q_var)

    def log_importance_weights(self, batch, eps):
        """log w_k = log p(x_S, z_k) - log q(z_k | x_S), shape (K, n)."""
        z, log_q = self.draw(batch, eps)
        log_w = log_normal(z, torch.zeros_like(z), torch.ones_like(z)) - log_q
        for m in batch.present:
            if not bool(batch.mask[:, m].any()):
                continue  # e.g. the labels when scoring views: nothing to decode
            lp = self.log_lik(m, z, batch.targets[m])
            log_w = log_w + torch.where(batch.mask[:, m], lp, torch.zeros_like(lp))
        return log_w

    def importance_log_likelihood(self, batch, eps):
        """log (1/K) sum_k w_k per row (the standard importance-sampled estimate)."""
        log_w = self.log_importance_weights(batch, eps)
        return torch.logsumexp(log_w, 0) - math.log(eps.shape[0])
