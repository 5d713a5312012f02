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
    """Mixin: the inference methods of :class:`~skpoe.models.base.MultimodalModule`.

    See Also
    --------
    LossTerms : The likelihood terms it scores with.
    StepLoss : The loss of one step.

    Examples
    --------
    >>> from skpoe.models import MultimodalModule
    >>> from skpoe.models.base.inference import Inference
    >>> issubclass(MultimodalModule, Inference)
    True
    """

    def infer(self, batch):
        """Posterior (mean, var) of each row given its observed modalities.

        Parameters
        ----------
        batch : Batch
            The rows; ``batch.mask`` says which modalities each one observes.

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_S), shape (n, D) (a mixture model's
            moment-matched Gaussian).

        See Also
        --------
        posterior : The posterior of any subset.
        draw : Draws from the posterior.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.infer(batch)
        >>> mu.shape, var.shape
        (torch.Size([4, 2]), torch.Size([4, 2]))
        """
        return self.posterior(self.encode(batch), batch.mask)

    def draw(self, batch, eps):
        """Posterior draws z and their log density log q(z | x_S).

        Parameters
        ----------
        batch : Batch
            The rows.
        eps : torch.Tensor
            Standard normal draws (K, 1, D) shared by all rows, so each row's
            draws depend on that row only.

        Returns
        -------
        z : torch.Tensor
            The draws, shape (K, n, D).
        log_q : torch.Tensor
            log q(z | x_S) of each draw, shape (K, n).

        See Also
        --------
        infer : The posterior drawn from.
        log_importance_weights : The importance weights of the draws.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> z, log_q = module.draw(batch, torch.randn(5, 1, 2))
        >>> z.shape, log_q.shape
        (torch.Size([5, 4, 2]), torch.Size([5, 4]))
        """
        q_mu, q_var = self.infer(batch)
        z = q_mu + eps * q_var.sqrt()
        return z, log_normal(z, q_mu, q_var)

    def log_importance_weights(self, batch, eps):
        """log w_k = log p(x_S, z_k) - log q(z_k | x_S) of K posterior draws z_k.

        Parameters
        ----------
        batch : Batch
            The rows; each is scored on its observed modalities S.
        eps : torch.Tensor
            Standard normal draws (K, 1, noise_width) shared by all rows.

        Returns
        -------
        log_w : torch.Tensor
            Shape (K, n).

        See Also
        --------
        draw : The draws z_k.
        importance_log_likelihood : The estimate of log p(x_S) from them.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.log_importance_weights(batch, torch.randn(5, 1, 2)).shape
        torch.Size([5, 4])
        """
        z, log_q = self.draw(batch, eps)
        log_w = log_normal(z, torch.zeros_like(z), torch.ones_like(z)) - log_q
        for m in batch.present:
            if not bool(batch.mask[:, m].any()):
                continue  # e.g. the labels when scoring views: nothing to decode
            lp = self.log_lik(m, z, batch.targets[m])
            log_w = log_w + torch.where(batch.mask[:, m], lp, torch.zeros_like(lp))
        return log_w

    def importance_log_likelihood(self, batch, eps):
        """log (1/K) sum_k w_k per row (the standard importance-sampled estimate).

        A lower bound, in expectation, of log p(x_S); it tightens as K grows.

        Parameters
        ----------
        batch : Batch
            The rows; each is scored on its observed modalities S.
        eps : torch.Tensor
            Standard normal draws (K, 1, noise_width) shared by all rows.

        Returns
        -------
        log_lik : torch.Tensor
            The estimate of log p(x_S) of each row, shape (n,).

        See Also
        --------
        log_importance_weights : The weights log w_k.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> eps = torch.randn(8, 1, 2)
        >>> log_w = module.log_importance_weights(batch, eps)
        >>> estimate = module.importance_log_likelihood(batch, eps)
        >>> bool(torch.allclose(estimate, log_w.exp().mean(0).log()))
        True
        """
        log_w = self.log_importance_weights(batch, eps)
        return torch.logsumexp(log_w, 0) - math.log(eps.shape[0])
