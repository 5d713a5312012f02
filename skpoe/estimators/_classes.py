"""Public estimators: each names its torch module, its options and defaults.

Everything else (parameters, validation, fit, inference, pickling) is shared
in :class:`skpoe.estimators._base.BaseMultimodalVAE`.
"""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from skpoe.estimators._base import BaseMultimodalVAE
from skpoe.estimators._params import document, with_model_options
from skpoe.models import MMVAEModule, MoPoEModule, MVAEModule, PoEModule, VAEVAEModule

__all__ = ["MultimodalPoEVAE", "MVAE", "VAEVAE", "MMVAE", "MoPoEVAE", "ESTIMATORS"]

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
    >>> model.transform(X).shape
    (1797, 32)
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


ESTIMATORS = (MultimodalPoEVAE, MVAE, VAEVAE, MMVAE, MoPoEVAE)
"""Every multimodal VAE estimator, for loops and parametrized tests."""
