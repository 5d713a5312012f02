"""Callbacks: what happens around a fit and after each of its epochs.

A callback is any object with any of these methods (a missing one is skipped):

``on_fit_begin(estimator, trainer)``
    Once, before the first epoch of a fit.
``on_epoch_end(estimator, trainer, epoch, logs)``
    After every finished epoch. ``epoch`` counts the epochs of the model
    (earlier fits of a warm start included, from 1); ``logs`` is a copy of
    the epoch's history entry (``loss``, ``rec[<view>]``, ``kl``, ``label``,
    ``accuracy``, and ``val_*`` with early stopping). Return ``True`` (or set
    ``trainer.stop_training = True``) to end the fit after this epoch; the
    estimator then keeps this epoch's weights (with early stopping, the best
    epoch's), as when early stopping ends it.
``on_fit_end(estimator, trainer)``
    Once, when the fit has stored its model (also after Ctrl-C), not when it
    raised.

``estimator`` is the estimator whose ``fit`` runs. Its fitted attributes
change only when the fit ends (a fit that fails leaves it as it was), so
during the epochs read the training state from ``trainer`` (``history``,
``epoch``, ``module``) or from ``logs``. Pass callbacks as
``callbacks=[...]`` to any skpoe estimator; they are parameters, so
``clone`` and ``get_params`` copy them.

The loop's own bookkeeping uses the same interface: :class:`History`,
:class:`EarlyStopping`, :class:`KeepState`, :class:`ProgressBar` and
:class:`Checkpoint` run in this order before the user's callbacks
(:func:`builtin_callbacks`).
"""

from __future__ import annotations

from skpoe.train._builtin import (
    Checkpoint,
    EarlyStopping,
    History,
    KeepState,
    ProgressBar,
    builtin_callbacks,
)
from skpoe.train._hooks import HOOKS, Callback, check_callbacks, notify

__all__ = [
    "HOOKS",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "History",
    "KeepState",
    "ProgressBar",
    "builtin_callbacks",
    "check_callbacks",
    "notify",
]
