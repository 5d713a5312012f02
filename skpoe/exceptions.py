"""Errors and warnings that skpoe's training raises."""

from __future__ import annotations

__all__ = ["TrainingDiverged", "FitInterruptedWarning", "CheckpointError"]


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite during ``fit``.

    The message names the epoch. What the estimator keeps is stated in the
    ``fit`` docstring: a refit restores the previous model, a fresh fit or a
    warm-start continuation keeps its last good epoch.
    """


class FitInterruptedWarning(UserWarning):
    """``fit`` was interrupted (Ctrl-C); the estimator keeps its best weights so far."""


class CheckpointError(ValueError):
    """A checkpoint file cannot be used.

    Raised when ``checkpoint_path`` cannot be written (checked when ``fit``
    starts: a missing or read-only folder, a path under a regular file), when
    a checkpoint write fails during the fit (disk full, a file-size limit,
    permission; the message names the path and the operating system's
    error), or when an existing checkpoint cannot resume this fit (other data
    or parameters, or not a skpoe checkpoint). A write that fails during the
    fit ends it: the estimator keeps the model of the last finished epoch
    (fitted and usable, as after Ctrl-C) before the error is raised.
    """
