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
    """A checkpoint file cannot be used to resume this fit (other data or
    parameters, or a file that is not a skpoe checkpoint)."""
