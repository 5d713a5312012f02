"""The shared torch module of every multimodal VAE in skpoe.

A model is a small subclass of :class:`MultimodalModule` that says

* how many Gaussian heads each modality's encoder has (``n_heads``),
* how experts combine into the posterior of an observed subset
  (:meth:`MultimodalModule.posterior`, :meth:`MultimodalModule.single_posterior`;
  mixtures define :meth:`MixtureModule.components` instead),
* which terms the loss of a batch of samples with two or more observed
  modalities has (:meth:`MultimodalModule.paired_terms`; the leave-one-out
  objective of the product-of-experts models is
  :class:`skpoe.models.leave_one_out.LeaveOneOut`).

Loss terms are *parts* (see :mod:`skpoe.models.fused`): generators that ask
for the log-likelihoods they need, ``lps = yield [(m, z, target), ...]``, so
that a training step can answer the requests of all its groups with one
decoder pass per modality (:meth:`MultimodalModule.loss`).

Everything else (encoders, decoders, likelihood terms, single-modality ELBOs,
inference, importance sampling) lives here once.
"""

from __future__ import annotations

import abc
import math

import torch
from torch import nn

from skpoe.models.acceleration import step_autocast
from skpoe.models.batch import Batch, Experts, LossRecord
from skpoe.models.experts import (
    kl_to_prior,
    log_normal,
    mixture_draw,
    mixture_log_prob,
    mixture_moments,
    product_with_prior,
    reparameterize,
)
from skpoe.models.fused import (
    concat_batches,
    decode_each,
    decode_fused,
    encode_groups,
    evaluate,
    gather,
)
from skpoe.models.private import SharedCodes
from skpoe.models.unlabeled import unlabeled_label_terms
from skpoe.nn import Decoder, GaussianEncoder, full_precision
from skpoe.noise import shard_parts

__all__ = ["Batch", "Experts", "LossRecord", "MultimodalModule", "MixtureModule"]


class MultimodalModule(SharedCodes, nn.Module):
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
    label : int or None
        Index of the label modality (``None`` without labels).
    **options
        Model-specific options (e.g. ``star``), set as attributes.
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
        label=None,
        **options,
    ):
        super().__init__()
        M = len(likelihoods)
        self.M = M
        self.label = label
        self.n_latent = n_latent
        self.likelihoods = list(likelihoods)
        self.weights = [float(w) for w in weights]
        self.beta = float(beta)
        self.hidden = [tuple(h) for h in hidden]
        for key, value in options.items():
            setattr(self, key, value)
        names = names or [f"m{i}" for i in range(M)]
        encoder_bodies = encoder_bodies or [None] * M
        decoder_bodies = decoder_bodies or [None] * M
        self.encoders = nn.ModuleList(
            GaussianEncoder(
                lik.n_inputs,
                hidden[m],
                self.code_width(m),
                self.n_heads,
                encoder_bodies[m],
                names[m],
            )
            for m, lik in enumerate(likelihoods)
        )
        self.decoders = nn.ModuleList(
            Decoder(self.code_width(m), hidden[m], lik, decoder_bodies[m], names[m])
            for m, lik in enumerate(likelihoods)
        )

    # -- what a model defines -------------------------------------------
    n_heads = 1
    """Gaussian heads per encoder."""

    pseudo_label_weight = 0.0
    """Weight (times the label's) of the soft pseudo-label terms on unlabeled rows."""
    agreement_weight = 0.0
    """Weight (times the label's) of the cross-view agreement terms on unlabeled rows."""

    def __init_subclass__(cls, abstract=False, **kwargs):
        """A concrete model must define every abstract method: checked as the class is made."""
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        missing = sorted(
            name
            for name in dir(cls)
            if getattr(getattr(cls, name, None), "__isabstractmethod__", False)
        )
        if missing:
            raise TypeError(
                f"{cls.__name__} does not define {', '.join(missing)}, which every "
                f"model must (see skpoe.models.base.MultimodalModule); declare it "
                f"with `class {cls.__name__}(..., abstract=True)` if it is itself a base."
            )

    @abc.abstractmethod
    def posterior(self, experts, subset):
        """q(z | x_S): mean and variance for each row's subset.

        ``subset`` is (n, M) bool, giving (n, D) outputs, or a stack (n, T, M)
        of T subsets per row, giving (n, T, D) (needed by models using
        :class:`~skpoe.models.leave_one_out.LeaveOneOut`).
        """

    def single_posterior(self, mu_m, prec_m, m):
        """q(z | x_m) from modality m's heads (n, H, D): prior x all heads."""
        return product_with_prior(prec_m, mu_m * prec_m)

    @abc.abstractmethod
    def paired_terms(self, experts, sample=True):
        """Part giving the per-row loss (n,) of samples with two or more
        observed modalities, from their encoder outputs ``experts``."""

    def paired_loss(self, batch, sample=True):
        """Per-row loss (n,) of a batch of paired samples, computed on its own."""
        return self.evaluate(self.paired_terms(self.encode(batch), sample))

    # -- shared pieces ----------------------------------------------------
    def evaluate(self, part):
        """Value of a loss part, each decode request run on its own."""
        return evaluate(part, lambda requests: decode_each(self, requests))

    def encode(self, batch):
        """Experts of every modality for a batch.

        Modalities no row observes are not run through their encoder; they
        get standard normal filler experts (finite, and masked out by every
        model).
        """
        heads = {m: self.encoders[m](batch.inputs[m]) for m in batch.present}
        return self.stack_experts(batch, heads)

    def stack_experts(self, batch, heads):
        """:class:`Experts` of ``batch`` from ``heads[m] = (mu, prec)`` of the
        present modalities (filler experts for the others)."""
        mus, precs = [], []
        filler = None
        for m, x in enumerate(batch.inputs):
            if m in heads:
                mu, prec = heads[m]
            else:
                if filler is None:
                    filler = x.new_zeros(batch.n, self.n_heads, self.n_latent)
                mu, prec = filler, filler + 1.0
            mus.append(mu)
            precs.append(prec)
        return Experts(torch.stack(mus, 1), torch.stack(precs, 1), batch)

    def log_lik(self, m, z, target):
        """log p(x_m | z) (unweighted), shape z.shape[:-1].

        Missing entries of ``target`` (NaN, or code -1 for ``categorical``)
        are left out of the sum. Training looks for them only in modalities
        that had missing entries at fit time (no cost on complete data);
        inference always does, since new data may have them.
        """
        dec = self.decoders[m]
        lik = self.likelihoods[m]
        mask = None
        if lik.has_missing_entries or not self.training:
            target, mask = lik.split_missing(target)
            if not self.training and bool(mask.all()):
                mask = None  # complete data: the plain sum
        return lik.log_prob(full_precision(dec(z)), dec.extra, target, mask)

    def decode_mean(self, m, z):
        """Mean of p(x_m | z) in target space."""
        dec = self.decoders[m]
        return self.likelihoods[m].mean(dec(z), dec.extra)

    def reconstruction(self, z, batch, mask=None):
        """Part: sum over modalities in ``mask`` (default: observed) of w_m log p(x_m|z)."""
        mask = batch.mask if mask is None else mask
        present = list(batch.present)
        lps = yield [(m, z, batch.targets[m]) for m in present]
        total: torch.Tensor | float = 0.0
        for m, lp in zip(present, lps):
            lp = self.weights[m] * lp
            total = total + torch.where(mask[..., m], lp, torch.zeros_like(lp))
        return total

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True):
        """Part: per-row -w_m log p(x_m|z) + beta KL(q(z|x_m) || p(z))."""
        q_mu, q_var = self.single_posterior(mu_m, prec_m, m)
        z = reparameterize(q_mu, q_var, sample)
        (lp,) = yield [(m, z, target)]
        return -self.weights[m] * lp + self.beta * kl_to_prior(q_mu, q_var)

    def single_loss(self, m, x, target, sample=True):
        """Mean single-modality loss of a minibatch drawn from modality m."""
        mu_m, prec_m = self.encoders[m](x)
        return self.evaluate(self.single_elbo_terms(m, mu_m, prec_m, target, sample)).mean()

    def star_terms(self, experts, sample=True):
        """Part: single-modality terms of each observed modality on paired rows."""
        batch = experts.batch
        present = list(batch.present)
        heads = [experts.single(m) for m in present]
        terms = yield from gather(
            self.single_elbo_terms(m, mu, prec, batch.targets[m], sample)
            for m, (mu, prec) in zip(present, heads)
        )
        total: torch.Tensor | float = 0.0
        for m, t in zip(present, terms):
            total = total + torch.where(batch.mask[:, m], t, torch.zeros_like(t))
        return total

    def loss(self, paired, singles, sample=True, fused=True, weights=None):
        """Loss of one optimiser step: paired groups plus one group per modality.

        Each group is averaged over its own minibatch; groups are summed.

        Parameters
        ----------
        paired : list of Batch
            Minibatches of rows with two or more observed modalities.
        singles : list of (m, x, target)
        sample : bool
            Draw z (``False``: z at the posterior means).
        fused : bool
            Compute the paired groups as one batch (every paired term is a
            per-row quantity masked by the row's observed set), run each
            modality's encoder once over the rows of every group and its
            decoder once over every code the groups decode: the same numbers
            up to floating-point rounding (the same distribution of draws,
            not the same draws). ``False`` computes group by group.
        weights : list of float, default=None
            Factor of each group's mean in the total (paired groups first);
            data-parallel training scales a process's share of a group.

        The step runs under autocast when the module's ``autocast_dtype`` is
        set (see :mod:`skpoe.models.acceleration`).
        """
        with step_autocast(self):
            per_row = self._group_losses(paired, singles, sample, fused)
        names = [f"paired_{i}" for i in range(len(paired))] + [f"single_{m}" for m, _, _ in singles]
        terms = {}
        total: torch.Tensor | float = 0.0
        for i, (name, rows) in enumerate(zip(names, per_row)):
            mean = rows.mean()
            terms[name] = mean.detach()
            total = total + (mean if weights is None else weights[i] * mean)
        return LossRecord(total, terms)

    def _group_losses(self, paired, singles, sample, fused):
        """Per-row losses of each paired group, then of each single group."""
        if fused:
            sizes = [batch.n for batch in paired]
            merged = [concat_batches(paired)] if paired else []
            experts, heads = encode_groups(self, merged, singles)
        else:
            experts = [self.encode(batch) for batch in paired]
            heads = [self.encoders[m](x) for m, x, _ in singles]
        parts = [self.paired_terms(e, sample) for e in experts] + [
            self.single_elbo_terms(m, mu, prec, target, sample)
            for (m, _, target), (mu, prec) in zip(singles, heads)
        ]
        parts = shard_parts(parts, len(experts))  # data-parallel: each part's rows (skpoe.noise)
        if fused:
            per_row = evaluate(gather(parts), lambda requests: decode_fused(self, requests))
            per_row = list(per_row[0].split(sizes)) + per_row[1:] if paired else per_row
        else:
            per_row = [self.evaluate(part) for part in parts]
        return per_row

    def unlabeled_label_loss(self, batch, soft, weight, sample=True):
        """Mean label terms of a minibatch of unlabeled rows (see :mod:`skpoe.models.unlabeled`)."""
        with step_autocast(self):
            return unlabeled_label_terms(self, batch, soft, weight, sample).mean()

    # -- inference --------------------------------------------------------
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


class MixtureModule(MultimodalModule, abstract=True):
    """Base of models whose posterior is a uniform mixture of Gaussians.

    A subclass defines :meth:`components`; the posterior used by
    ``transform`` is the mixture's moment-matched Gaussian, draws are
    stratified over the components and densities are exact mixtures.
    """

    @abc.abstractmethod
    def components(self, experts, subset):
        """Mixture components: ``mu, var`` (n, C, D) and ``active`` (n, C) bool."""

    def posterior(self, experts, subset):
        mu, var, active = self.components(experts, subset)
        return mixture_moments(mu, var, active)

    def draw(self, batch, eps):
        mu, var, active = self.components(self.encode(batch), batch.mask)
        z = mixture_draw(mu, var, active, eps)
        return z, mixture_log_prob(z, mu, var, active)
