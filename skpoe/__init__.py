"""skpoe: multimodal variational autoencoders for scikit-learn.

The product-of-experts VAE of Kutuzova et al. (2021) and its peers as
scikit-learn estimators over dicts of modality arrays, with missing views
(rows of NaN), missing entries (NaN inside a row) and partial labels (``-1``).
"""

from .data import ModalityDict
from .estimators import ESTIMATORS, MMVAE, MVAE, VAEVAE, MoPoEVAE, MultimodalPoEVAE
from .exceptions import CheckpointError, FitInterruptedWarning, TrainingDiverged
from . import metrics, model_selection, semi_supervised
from .persistence import ModelFileError, load

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "ESTIMATORS",
    "FitInterruptedWarning",
    "ModelFileError",
    "MMVAE",
    "MVAE",
    "ModalityDict",
    "MoPoEVAE",
    "MultimodalPoEVAE",
    "TrainingDiverged",
    "VAEVAE",
    "load",
    "metrics",
    "model_selection",
    "semi_supervised",
    "__version__",
]
