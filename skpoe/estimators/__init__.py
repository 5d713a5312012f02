"""The scikit-learn surface: the estimators, their parameters, ``fit`` and the fitted methods.

Each public estimator is a few lines in :mod:`skpoe.estimators._classes` naming its torch module
(:mod:`skpoe.models`) and its defaults; everything else is shared through
:class:`BaseMultimodalVAE`.
"""

from skpoe.estimators._base import BaseMultimodalVAE
from skpoe.estimators._classes import (
    DMVAE,
    ESTIMATORS,
    JMVAE,
    MMVAE,
    MVAE,
    MVTCAE,
    VAEVAE,
    MMVAEPlus,
    MoPoEVAE,
    MultimodalPoEVAE,
)

__all__ = [
    "BaseMultimodalVAE",
    "DMVAE",
    "ESTIMATORS",
    "JMVAE",
    "MMVAE",
    "MMVAEPlus",
    "MVAE",
    "MVTCAE",
    "MoPoEVAE",
    "MultimodalPoEVAE",
    "VAEVAE",
]
