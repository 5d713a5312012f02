"""The shared torch module of every multimodal VAE in skpoe.

A model is a small subclass of :class:`MultimodalModule` that says

* how many Gaussian heads each modality's encoder has (``n_heads``),
* how experts combine into the posterior of an observed subset
  (:meth:`MultimodalModule.posterior` and :meth:`MultimodalModule.single_posterior`),
* which terms the loss of a batch of samples with two or more observed
  modalities has (:meth:`MultimodalModule.paired_loss`).

Everything else (encoders, decoders, likelihood terms, single-modality ELBOs,
inference, importance sampling) lives here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..experts import kl_to_prior, log_normal
from ..nn import Decoder, GaussianEncoder

__all__ = ["Batch", "LossRecord", "MultimodalModule"]


@dataclass
class Batch:
    """Rows of training data on the model's device.

    ``inputs[m]`` and ``targets[m]`` hold modality m's encoder input and
    likelihood target (zeros where unobserved); ``mask`` is (n, M) bool.
    """

    inputs: list
    targets: list
    mask: torch.Tensor

    @property
    def n(self):
        return self.mask.shape[0]


@dataclass
class LossRecord:
    """Total loss of a step plus named terms (detached) for logging."""

    total: torch.Tensor
    terms: dict


def reparameterize(mu, var, sample=True):
    """z = mu + sqrt(var) * eps (or mu when ``sample`` is False)."""
    if not sample:
        return mu
    return mu + torch.randn_like(mu) * var.sqrt()


class MultimodalModule(nn.Module):
    """Encoders, decoders and likelihoods of M modalities.

    Parameters
    ----------
    likelihoods : list of skpoe.likelihoods.Likelihood
        Fitted likelihood of each modality (labels included, last).
    n_latent : int
    hidden : list of tuple of int
        Hidden layer sizes per modality.
    weights : list of float
        Weight of each modality's reconstruction terms (the label weight is
        the supervision strength).
    beta : float
        Weight of the KL terms.
    encoder_bodies, decoder_bodies : list of (nn.Module or None)
        User-supplied networks per modality.
    names : list of str
    star : bool
        Add single-modality terms on the paired samples too.
    """

    def __init__(
        self,
        likelihoods,
        n_latent,
        hidden,
        weights,
        beta=1.0,
        encoder_bodies=None,
        decoder_bodies=None,
        names=None,
        star=False,
    ):
        super().__init__()
        M = len(likelihoods)
        self.M = M
        self.n_latent = n_latent
        self.likelihoods = list(likelihoods)
        self.weights = [float(w) for w in weights]
        self.beta = float(beta)
        self.star = bool(star)
        names = names or [f"m{i}" for i in range(M)]
        encoder_bodies = encoder_bodies or [None] * M
        decoder_bodies = decoder_bodies or [None] * M
        self.encoders = nn.ModuleList(
            GaussianEncoder(
                lik.n_inputs, hidden[m], n_latent, self.n_heads, encoder_bodies[m], names[m]
            )
            for m, lik in enumerate(likelihoods)
        )
        self.decoders = nn.ModuleList(
            Decoder(n_latent, hidden[m], lik, decoder_bodies[m], names[m])
            for m, lik in enumerate(likelihoods)
        )

    # -- what a model defines -------------------------------------------
    @property
    def n_heads(self):
        """Gaussian heads per encoder."""
        raise NotImplementedError

    def posterior(self, mu, prec, subset):
        """q(z | x_S): mean and variance (n, D) from experts (n, M, H, D)."""
        raise NotImplementedError

    def single_posterior(self, mu_m, prec_m, m):
        """q(z | x_m) from modality m's heads (n, H, D)."""
        raise NotImplementedError

    def paired_loss(self, batch, sample=True):
        """Per-row loss (n,) of samples with two or more observed modalities."""
        raise NotImplementedError

    # -- shared pieces ----------------------------------------------------
    def encode(self, batch):
        """Experts of every modality: ``mu, prec`` of shape (n, M, H, D)."""
        outs = [enc(x) for enc, x in zip(self.encoders, batch.inputs)]
        return torch.stack([o[0] for o in outs], 1), torch.stack([o[1] for o in outs], 1)

    def log_lik(self, m, z, target):
        """Weighted-free log p(x_m | z), shape z.shape[:-1]."""
        dec = self.decoders[m]
        return self.likelihoods[m].log_prob(dec(z), dec.extra, target)

    def decode_mean(self, m, z):
        """Mean of p(x_m | z) in target space."""
        dec = self.decoders[m]
        return self.likelihoods[m].mean(dec(z), dec.extra)

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True):
        """Per-row -w_m log p(x_m|z) + beta KL(q(z|x_m) || p(z))."""
        q_mu, q_var = self.single_posterior(mu_m, prec_m, m)
        z = reparameterize(q_mu, q_var, sample)
        return -self.weights[m] * self.log_lik(m, z, target) + self.beta * kl_to_prior(
            q_mu, q_var
        )

    def single_loss(self, m, x, target, sample=True):
        """Mean single-modality loss of a minibatch drawn from modality m."""
        mu_m, prec_m = self.encoders[m](x)
        return self.single_elbo_terms(m, mu_m, prec_m, target, sample).mean()

    def star_terms(self, batch, mu, prec, sample=True):
        """Single-modality terms of each observed modality on paired rows."""
        total = 0.0
        for m in range(self.M):
            t = self.single_elbo_terms(m, mu[:, m], prec[:, m], batch.targets[m], sample)
            total = total + torch.where(batch.mask[:, m], t, torch.zeros_like(t))
        return total

    def reconstruction(self, z, batch):
        """Sum over observed modalities of w_m log p(x_m | z), per row."""
        total = 0.0
        for m in range(self.M):
            lp = self.weights[m] * self.log_lik(m, z, batch.targets[m])
            total = total + torch.where(batch.mask[:, m], lp, torch.zeros_like(lp))
        return total

    def loss(self, paired, singles, sample=True):
        """Loss of one optimiser step: the paired group plus one group per modality.

        Each group is averaged over its own minibatch; groups are summed.

        Parameters
        ----------
        paired : list of Batch
            Minibatches of rows with two or more observed modalities.
        singles : list of (m, x, target)
        """
        terms = {}
        total = 0.0
        for i, batch in enumerate(paired):
            pl = self.paired_loss(batch, sample).mean()
            terms[f"paired_{i}"] = pl.detach()
            total = total + pl
        for m, x, target in singles:
            sl = self.single_loss(m, x, target, sample)
            terms[f"single_{m}"] = sl.detach()
            total = total + sl
        return LossRecord(total, terms)

    # -- inference --------------------------------------------------------
    def infer(self, batch):
        """Posterior (mean, var) of each row given its observed modalities."""
        mu, prec = self.encode(batch)
        return self.posterior(mu, prec, batch.mask)

    def log_importance_weights(self, batch, eps):
        """log w_k = log p(x_S, z_k) - log q(z_k | x_S), shape (K, n).

        ``z_k = mu + sqrt(var) * eps[k]``: the standard normal draws ``eps`` of
        shape (K, 1, D) are shared by all rows, so each row's estimate depends
        on that row only (invariant to batch order and subsets).
        """
        q_mu, q_var = self.infer(batch)
        z = q_mu + eps * q_var.sqrt()
        log_w = log_normal(z, torch.zeros_like(z), torch.ones_like(z)) - log_normal(
            z, q_mu, q_var
        )
        for m in range(self.M):
            lp = self.log_lik(m, z, batch.targets[m])
            log_w = log_w + torch.where(batch.mask[:, m], lp, torch.zeros_like(lp))
        return log_w

    def importance_log_likelihood(self, batch, eps):
        """log (1/K) sum_k w_k per row (the standard importance-sampled estimate)."""
        log_w = self.log_importance_weights(batch, eps)
        return torch.logsumexp(log_w, 0) - math.log(eps.shape[0])
