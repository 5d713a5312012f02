"""Public estimators: each names its torch module, its options and defaults.

Everything else (parameters, validation, fit, inference, pickling) is shared
in :class:`skpoe.estimators._base.BaseMultimodalVAE`.
"""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from skpoe.estimators._base import BaseMultimodalVAE
from skpoe.estimators._params import document, with_model_options
from skpoe.estimators._private import PrivateLatentsMixin
from skpoe.models import (
    DMVAEModule,
    JMVAEModule,
    MMVAEModule,
    MMVAEPlusModule,
    MoPoEModule,
    MVAEModule,
    MVTCAEModule,
    PoEModule,
    VAEVAEModule,
)

__all__ = [
    "MultimodalPoEVAE",
    "MVAE",
    "VAEVAE",
    "MMVAE",
    "MoPoEVAE",
    "JMVAE",
    "MVTCAE",
    "MMVAEPlus",
    "DMVAE",
    "ESTIMATORS",
]

_STAR_DOC = """    star : bool, default=False
        The authors' "star" variant: also apply each observed modality's
        single-modality terms to samples with several observed modalities.
    view_supervision : float, default=1.0
        On labeled rows, also decode the label from the posterior of the
        views alone (their joint and, with two or more views, each single
        view), each term weighted by ``view_supervision * supervision_weight``.
        The paper's objective decodes the label only from posteriors that
        contain the label's own expert, so no term asks the views' posterior
        to carry the label that ``predict`` reads from it; this is the
        discriminative term of semi-supervised VAEs (Kingma et al., 2014).
        ``0`` gives the paper's objective exactly.
"""

_EXAMPLE = """
    Examples
    --------
    >>> import numpy as np
    >>> from skpoe import {name}
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()          # top and bottom halves of digits
    >>> y = np.where(np.arange(len(y)) % 10 == 0, y, -1)  # 10% labeled
    >>> model = {name}(max_iter=2, random_state=0).fit(X, y)
    >>> model.predict({{"top": X["top"][:3]}}).shape
    (3,)
    >>> model.transform(X).shape                 # n_components=32 latent columns
    (1797, 32)
    >>> X_new, y_new = model.sample(5, random_state=0)   # a (views, labels) tuple
    >>> X_new["bottom"].shape, y_new.shape
    ((5, 32), (5,))
"""


_SEE_MULTIMODALPOEVAE = """    MVAE : Plain product of the observed views' experts.
    VAEVAE : Single-view encoders plus a masked joint encoder.
    MMVAE : Mixture of the single-view posteriors.
    MoPoEVAE : Mixture of products of experts over subsets of the views.
    skpoe.load : Read a model written by ``save``.
"""
_REFS_MULTIMODALPOEVAE = """    .. [1] S. Kutuzova, O. Krause, D. McCloskey, M. Nielsen and C. Igel,
       "Multimodal Variational Autoencoders for Semi-Supervised Learning: In
       Defense of Product-of-Experts", arXiv:2101.07240, 2021.
    .. [2] M. Wu and N. Goodman, "Multimodal Generative Models for
       Compositional Representation Learning", arXiv:1912.05075, 2019 (the
       objective the paper builds on).
    .. [3] D. P. Kingma, D. J. Rezende, S. Mohamed and M. Welling,
       "Semi-Supervised Learning with Deep Generative Models", NeurIPS 2014
       (the discriminative term behind ``view_supervision``).
"""

_SEE_MVAE = """    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
    VAEVAE : Single-view encoders plus a masked joint encoder.
    MMVAE : Mixture of the single-view posteriors.
    MoPoEVAE : Mixture of products of experts over subsets of the views.
    skpoe.load : Read a model written by ``save``.
"""
_REFS_MVAE = """    .. [1] M. Wu and N. Goodman, "Multimodal Generative Models for Scalable
       Weakly-Supervised Learning", NeurIPS 2018.
    .. [2] S. Kutuzova, O. Krause, D. McCloskey, M. Nielsen and C. Igel,
       "Multimodal Variational Autoencoders for Semi-Supervised Learning: In
       Defense of Product-of-Experts", arXiv:2101.07240, 2021.
"""

_SEE_VAEVAE = """    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
    MVAE : Plain product of the observed views' experts.
    MMVAE : Mixture of the single-view posteriors.
    MoPoEVAE : Mixture of products of experts over subsets of the views.
    skpoe.load : Read a model written by ``save``.
"""
_REFS_VAEVAE = """    .. [1] M. Wu and N. Goodman, "Multimodal Generative Models for
       Compositional Representation Learning", arXiv:1912.05075, 2019.
    .. [2] S. Kutuzova, O. Krause, D. McCloskey, M. Nielsen and C. Igel,
       "Multimodal Variational Autoencoders for Semi-Supervised Learning: In
       Defense of Product-of-Experts", arXiv:2101.07240, 2021.
"""

_SEE_MMVAE = """    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
    MVAE : Plain product of the observed views' experts.
    VAEVAE : Single-view encoders plus a masked joint encoder.
    MoPoEVAE : Mixture of products of experts over subsets of the views.
    skpoe.load : Read a model written by ``save``.
"""
_REFS_MMVAE = """    .. [1] Y. Shi, N. Siddharth, B. Paige and P. H. S. Torr, "Variational
       Mixture-of-Experts Autoencoders for Multi-Modal Deep Generative
       Models", NeurIPS 2019.
    .. [2] G. Tucker, D. Lawson, S. Gu and C. J. Maddison, "Doubly
       Reparameterized Gradient Estimators for Monte Carlo Objectives", ICLR 2019.
"""

_SEE_MOPOEVAE = """    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
    MVAE : Plain product of the observed views' experts.
    VAEVAE : Single-view encoders plus a masked joint encoder.
    MMVAE : Mixture of the single-view posteriors.
    skpoe.load : Read a model written by ``save``.
"""
_REFS_MOPOEVAE = """    .. [1] T. M. Sutter, I. Daunhawer and J. E. Vogt, "Generalized Multimodal
       ELBO", ICLR 2021.
"""


def _star(constraints):
    return {**BaseMultimodalVAE._parameter_constraints, **constraints}


_LOO = {"star": ["boolean"], "view_supervision": [Interval(Real, 0, None, closed="left")]}


@with_model_options(star=False, view_supervision=1.0)
class MultimodalPoEVAE(BaseMultimodalVAE):
    _module_class = PoEModule
    _parameter_constraints = _star(_LOO)
    __doc__ = document(
        """Product-of-experts multimodal VAE with substitute experts.

    The model of Kutuzova et al. (2021), "Multimodal Variational Autoencoders
    for Semi-Supervised Learning: In Defense of Product-of-Experts". Each
    modality has its own Gaussian expert and, for every other modality, a
    substitute expert; the posterior of any set of observed views is the
    prior times exactly one expert per modality slot, so it is equally sharp
    however many views are missing. Partial labels are one more modality
    with a categorical likelihood, so the estimator is a semi-supervised
    classifier as well as a transformer to a shared latent space.""",
        _STAR_DOC,
        see_also=_SEE_MULTIMODALPOEVAE,
        references=_REFS_MULTIMODALPOEVAE,
    ) + _EXAMPLE.format(name="MultimodalPoEVAE")


@with_model_options(n_subsets=2)
class MVAE(BaseMultimodalVAE):
    _module_class = MVAEModule
    _parameter_constraints = _star({"n_subsets": [Interval(Integral, 0, None, closed="left")]})
    __doc__ = document(
        """Multimodal VAE with a plain product of experts (Wu & Goodman, 2018).

    The posterior is the product of the prior and one expert per observed
    modality, so it grows sharper with every view present. Trained with the
    joint ELBO, each observed modality's ELBO and the ELBOs of random subsets
    of the observed views.""",
        """    n_subsets : int, default=2
        Random subsets of the observed views whose ELBO is added per paired
        sample (used with more than two modalities, labels included).
""",
        see_also=_SEE_MVAE,
        references=_REFS_MVAE,
    ) + _EXAMPLE.format(name="MVAE")


@with_model_options(star=False, view_supervision=1.0)
class VAEVAE(BaseMultimodalVAE):
    _module_class = VAEVAEModule
    _parameter_constraints = _star(_LOO)
    __doc__ = document(
        """Multimodal VAE with single-view encoders and a joint encoder (Wu & Goodman, 2019).

    A row with one observed view is encoded by that view's encoder; a row
    with several by a masked joint encoder (an MLP over all views, missing
    ones zeroed, plus the observed mask). Trained with the same objective as
    :class:`MultimodalPoEVAE`.""",
        _STAR_DOC,
        see_also=_SEE_VAEVAE,
        references=_REFS_VAEVAE,
    ) + _EXAMPLE.format(name="VAEVAE")


@with_model_options(objective="elbo", n_importance_samples=10)
class MMVAE(BaseMultimodalVAE):
    _module_class = MMVAEModule
    _parameter_constraints = _star(
        {
            "objective": [StrOptions({"elbo", "dreg"})],
            "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        }
    )
    __doc__ = document(
        """Mixture-of-experts multimodal VAE (Shi et al., 2019).

    The posterior of the observed views is the uniform mixture of their own
    posteriors; every view's draw must reconstruct every observed view
    (stratified bound).""",
        """    objective : {"elbo", "dreg"}, default="elbo"
        ``"elbo"``: the stratified ELBO with one draw per component;
        ``"dreg"``: the importance-weighted bound with the doubly
        reparameterised gradient estimator.
    n_importance_samples : int, default=10
        Draws per component for ``objective="dreg"`` (K).
""",
        see_also=_SEE_MMVAE,
        references=_REFS_MMVAE,
    ) + _EXAMPLE.format(name="MMVAE")


@with_model_options()
class MoPoEVAE(BaseMultimodalVAE):
    _module_class = MoPoEModule
    __doc__ = document(
        """Mixture-of-products-of-experts multimodal VAE (Sutter et al., 2021).

    The posterior of the observed views is the uniform mixture, over every
    non-empty subset of them, of the product of the prior and the subset's
    experts. Meant for a handful of modalities (2^M - 1 subsets).""",
        see_also=_SEE_MOPOEVAE,
        references=_REFS_MOPOEVAE,
    ) + _EXAMPLE.format(name="MoPoEVAE")


_ALPHA = {"alpha": [Interval(Real, 0, 1, closed="both")]}
_PRIVATE = {"n_private_components": [Interval(Integral, 1, None, closed="left")]}
_PRIVATE_DOC = """    n_private_components : int, default=8
        Size of each view's private latent (the label has none). ``transform`` returns the
        shared latent; :meth:`transform_private` the private ones.
"""


_SEE_JMVAE = """    VAEVAE : The same masked joint encoder, with VAEVAE's objective.
    MVTCAE : Conditional KL terms of the same kind, in a total-correlation bound.
    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
"""
_REFS_JMVAE = """    .. [1] M. Suzuki, K. Nakayama and Y. Matsuo, "Joint Multimodal Learning
       with Deep Generative Models", arXiv:1611.01891, 2016.
"""
_SEE_MVTCAE = """    MVAE : The same product-of-experts posterior, with the joint ELBO.
    JMVAE : KL terms pulling each view's encoder toward the joint posterior.
    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
"""
_REFS_MVTCAE = """    .. [1] H. Hwang, G.-H. Kim, S. Hong and K.-E. Kim, "Multi-View
       Representation Learning via Total Correlation Objective", NeurIPS 2021.
"""
_SEE_MMVAEPLUS = """    MMVAE : The same mixture of experts, without private latents.
    DMVAE : Private latents with a product-of-experts shared posterior.
    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
"""
_REFS_MMVAEPLUS = """    .. [1] E. Palumbo, I. Daunhawer and J. E. Vogt, "MMVAE+: Enhancing the
       Generative Quality of Multimodal VAEs without Compromises", ICLR 2023.
"""
_SEE_DMVAE = """    MVAE : The same product-of-experts shared posterior, without private latents.
    MMVAEPlus : Private latents with a mixture-of-experts shared posterior.
    MultimodalPoEVAE : Product of own and substitute experts (the paper's model).
"""
_REFS_DMVAE = """    .. [1] M. Lee and V. Pavlovic, "Private-Shared Disentangled Multimodal
       VAE for Learning of Latent Representations", CVPR Workshops 2021.
"""


@with_model_options(alpha=0.1)
class JMVAE(BaseMultimodalVAE):
    _module_class = JMVAEModule
    _parameter_constraints = _star(_ALPHA)
    __doc__ = document(
        """Joint multimodal VAE, JMVAE-kl (Suzuki et al., 2016).

    A joint encoder gives the posterior of the observed views; each view's own encoder is
    pulled toward it by ``alpha * KL(q(z|X) || q(z|x_m))``, so that one view alone can
    stand in for all of them. Missing views: the joint encoder is VAEVAE's masked one, which
    sees which views are present, so any two or more observed views have a joint posterior;
    a row with one observed view is encoded, and trained, by that view's own encoder and
    decoder (its ELBO). Missing entries are left out of the likelihood, as for every
    model.""",
        """    alpha : float, default=0.1
        Weight of the KL terms pulling each view's encoder toward the joint one.
""",
        see_also=_SEE_JMVAE,
        references=_REFS_JMVAE,
    ) + _EXAMPLE.format(name="JMVAE")


@with_model_options(alpha=0.1)
class MVTCAE(BaseMultimodalVAE):
    _module_class = MVTCAEModule
    _parameter_constraints = _star(_ALPHA)
    __doc__ = document(
        """Multi-view total-correlation autoencoder (Hwang et al., 2021).

    The posterior is MVAE's product of the prior and the observed views' experts; the loss
    is the paper's total-correlation bound: ``(M - alpha) / M`` times the reconstruction,
    plus ``beta`` times ``(1 - alpha) KL(q(z|X) || p(z))`` (the VIB term) and
    ``alpha / M`` times the sum of ``KL(q(z|X) || q(z|x_m))`` (the conditional VIB terms),
    with M the row's number of observed modalities. Missing views: the bound over the
    observed ones; a row with one view gets its ELBO.""",
        """    alpha : float, default=0.1
        Share of the conditional VIB terms (the total-correlation weight of the paper).
""",
        see_also=_SEE_MVTCAE,
        references=_REFS_MVTCAE,
    ) + _EXAMPLE.format(name="MVTCAE")


@with_model_options(n_private_components=8, objective="dreg", n_importance_samples=10)
class MMVAEPlus(PrivateLatentsMixin, BaseMultimodalVAE):
    _module_class = MMVAEPlusModule
    _parameter_constraints = _star(
        {
            **_PRIVATE,
            "objective": [StrOptions({"elbo", "dreg"})],
            "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        }
    )
    __doc__ = document(
        """MMVAE+ (Palumbo et al., 2023): a mixture of experts with modality-specific latents.

    Each view has a shared latent, whose posterior is MMVAE's mixture of the observed views'
    posteriors, and a private latent. Each view's draw reconstructs that view with its own
    private code and every other observed view with a private code drawn from that view's
    auxiliary prior (a Gaussian of learned variance), so the shared latent carries what the
    views share. Missing views: the mixture over the observed views; a missing view is
    generated at its private prior mean. Missing entries of an observed view are imputed
    from its own private code.""",
        _PRIVATE_DOC
        + """    objective : {"elbo", "dreg"}, default="dreg"
        ``"dreg"``: the importance-weighted bound with DReG gradients (the paper's);
        ``"elbo"``: one draw per component.
    n_importance_samples : int, default=10
        Draws per component for ``objective="dreg"`` (K).
""",
        see_also=_SEE_MMVAEPLUS,
        references=_REFS_MMVAEPLUS,
    ) + _EXAMPLE.format(name="MMVAEPlus")


@with_model_options(n_private_components=8)
class DMVAE(PrivateLatentsMixin, BaseMultimodalVAE):
    _module_class = DMVAEModule
    _parameter_constraints = _star(_PRIVATE)
    __doc__ = document(
        """Private-shared disentangled multimodal VAE, DMVAE (Lee & Pavlovic, 2021).

    A shared latent with MVAE's product-of-experts posterior and a private latent per view.
    Trained with the ELBO of the joint posterior and, for each observed view, the cross
    ELBO in which that view's shared code, with every view's own private code,
    reconstructs all observed views. Missing views: the product over the observed ones (a
    row with one view gets its ELBO); a missing view is generated at its private prior mean.
    Missing entries of an observed view are imputed from its own private code.""",
        _PRIVATE_DOC,
        see_also=_SEE_DMVAE,
        references=_REFS_DMVAE,
    ) + _EXAMPLE.format(name="DMVAE")


ESTIMATORS = (MultimodalPoEVAE, MVAE, VAEVAE, MMVAE, MoPoEVAE, JMVAE, MVTCAE, MMVAEPlus, DMVAE)
"""Every multimodal VAE estimator, for loops and parametrized tests."""
