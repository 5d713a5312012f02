"""Training: the loop every model shares, its minibatches, data on disk, checkpoints, progress and callbacks.

:class:`Trainer` runs the epochs of a fit; what happens after each epoch (history, progress,
early stopping, checkpoints, and any user callback) is a list of callbacks
(:mod:`skpoe.train.callbacks`).
"""

from skpoe.train._trainer import Trainer, fit_seed

__all__ = ["Trainer", "fit_seed"]
