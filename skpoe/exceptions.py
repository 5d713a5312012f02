"""Errors and warnings that skpoe raises.

Every warning skpoe gives is a :class:`SkpoeWarning`, so that one filter
silences them, or turns them into errors (as skpoe's own test suite does:
``filterwarnings = ["error::skpoe.exceptions.SkpoeWarning"]``). Where
scikit-learn has a warning class for the same thing, skpoe's warning is also
a subclass of it, so filters written for scikit-learn apply.
"""

from __future__ import annotations

from sklearn import exceptions as _sk

__all__ = [
    "TrainingDiverged",
    "FitInterruptedWarning",
    "CheckpointError",
    "SkpoeWarning",
    "ConvergenceWarning",
    "DataConversionWarning",
]


class SkpoeWarning(UserWarning):
    """Base class of every warning skpoe gives."""


class ConvergenceWarning(SkpoeWarning, _sk.ConvergenceWarning):
    """``max_iter`` ended while the loss was still falling (see
    :func:`skpoe.train.progress.still_falling`); a scikit-learn
    ``ConvergenceWarning`` too."""


class DataConversionWarning(SkpoeWarning, _sk.DataConversionWarning):
    """Input converted to the expected shape (a column-vector ``y``); a
    scikit-learn ``DataConversionWarning`` too."""


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite during ``fit``.

    The message names the epoch. What the estimator keeps is stated in the
    ``fit`` docstring: a refit restores the previous model, a fresh fit or a
    warm-start continuation keeps its last good epoch.
    """


class FitInterruptedWarning(SkpoeWarning):
    """``fit`` was interrupted (Ctrl-C); the estimator keeps its best weights so far."""


class CheckpointError(ValueError):
    """A checkpoint file cannot be used to resume this fit (other data or
    parameters, or a file that is not a skpoe checkpoint)."""
