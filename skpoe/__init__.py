"""skpoe: multimodal variational autoencoders for scikit-learn.

The product-of-experts VAE of Kutuzova et al. (2021) and its peers as
scikit-learn estimators over dicts of modality arrays, with missing views
(rows of NaN), missing entries (NaN inside a row) and partial labels (``-1``).
"""

from skpoe import compose, metrics, model_selection, semi_supervised
from skpoe._version import __version__
from skpoe.compose import PerView
from skpoe.data._container import ModalityDict
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
from skpoe.exceptions import CheckpointError, FitInterruptedWarning, SkpoeWarning, TrainingDiverged
from skpoe.persistence._files import ModelFileError, load

__all__ = [
    "CheckpointError",
    "DMVAE",
    "ESTIMATORS",
    "FitInterruptedWarning",
    "JMVAE",
    "ModelFileError",
    "MMVAE",
    "MMVAEPlus",
    "MVAE",
    "MVTCAE",
    "ModalityDict",
    "MoPoEVAE",
    "MultimodalPoEVAE",
    "PerView",
    "SkpoeWarning",
    "TrainingDiverged",
    "VAEVAE",
    "compose",
    "load",
    "metrics",
    "model_selection",
    "semi_supervised",
    "__version__",
]
