"""Former home of :class:`~skpoe.train.Trainer`, kept so that ``skpoe.training.Trainer`` imports.

The training loop now lives in :mod:`skpoe.train`; import it from there.
"""

from skpoe.train import Trainer, fit_seed

__all__ = ["Trainer", "fit_seed"]
