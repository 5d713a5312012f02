"""The networks of a multimodal VAE and the contract of a model: :class:`MultimodalModule`.

The loss parts, the step loss and inference come from the mixins of
:mod:`skpoe.models.base.terms`, :mod:`skpoe.models.base.step` and
:mod:`skpoe.models.base.inference`.
"""

from __future__ import annotations

import abc

import torch
from torch import nn

from skpoe.models.base.inference import Inference
from skpoe.models.base.step import StepLoss
from skpoe.models.base.terms import LossTerms
from skpoe.models.batch import Experts
from skpoe.models.experts import product_with_prior
from skpoe.models.private import SharedCodes
from skpoe.nn import Decoder, GaussianEncoder, full_precision

__all__ = ["MultimodalModule"]


class MultimodalModule(SharedCodes, LossTerms, StepLoss, Inference, nn.Module):
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
