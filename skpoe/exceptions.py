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
    """Base class of every warning skpoe gives.

    See Also
    --------
    FitInterruptedWarning : A fit stopped by Ctrl-C.
    skpoe.semi_supervised.PartialLabelsWarning : Partial labels read as a class.

    Examples
    --------
    >>> import warnings
    >>> from skpoe import SkpoeWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", SkpoeWarning)  # every skpoe warning stops the script
    """


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

    See Also
    --------
    skpoe.MultimodalPoEVAE.fit : What a diverged fit leaves behind.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe import MultimodalPoEVAE, TrainingDiverged
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> try:
    ...     MultimodalPoEVAE(learning_rate_init=1e30, max_iter=2, random_state=0).fit(X, y)
    ... except TrainingDiverged as error:
    ...     print("diverged:", "epoch" in str(error))
    diverged: True
    """


class FitInterruptedWarning(SkpoeWarning):
    """``fit`` was interrupted (Ctrl-C); the estimator keeps its best weights so far.

    See Also
    --------
    skpoe.MultimodalPoEVAE.fit : What an interrupted fit keeps.

    Examples
    --------
    >>> import warnings
    >>> from skpoe import FitInterruptedWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", FitInterruptedWarning)  # stop scripts on Ctrl-C
    """


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

    See Also
    --------
    skpoe.MultimodalPoEVAE : Its ``checkpoint_path`` parameter.

    Examples
    --------
    >>> import os, tempfile
    >>> from skpoe import CheckpointError, MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> path = os.path.join(tempfile.mkdtemp(), "run.ckpt")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"not a checkpoint")
    >>> try:
    ...     MultimodalPoEVAE(max_iter=1, checkpoint_path=path).fit(X, y)
    ... except CheckpointError:
    ...     print("refused")
    refused
    """
