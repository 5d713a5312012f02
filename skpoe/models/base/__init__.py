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
inference, importance sampling) lives here once, in one module per role:

* :mod:`skpoe.models.base.module`: the networks and the contract of a model;
* :mod:`skpoe.models.base.terms`: the loss parts every model shares;
* :mod:`skpoe.models.base.step`: the loss of one optimiser step;
* :mod:`skpoe.models.base.inference`: posteriors, draws and importance weights;
* :mod:`skpoe.models.base.mixture`: the base of the mixture models.
"""

from skpoe.models.base.mixture import MixtureModule
from skpoe.models.base.module import MultimodalModule
from skpoe.models.batch import Batch, Experts, LossRecord

__all__ = ["Batch", "Experts", "LossRecord", "MultimodalModule", "MixtureModule"]
