"""The training loop's own callbacks, run before the user's (:func:`builtin_callbacks`).

Documented, and imported, from :mod:`skpoe.train.callbacks`.
"""

from __future__ import annotations

from skpoe.train._hooks import Callback

__all__ = [
    "Checkpoint",
    "EarlyStopping",
    "History",
    "KeepState",
    "ProgressBar",
    "builtin_callbacks",
]


class History(Callback):
    """Append each epoch's entry to ``trainer.history`` (NaN where a term is missing).

    A term first seen at a later epoch gets NaN for the epochs before it.

    See Also
    --------
    skpoe.train.Trainer : Its ``history`` becomes the estimator's ``history_``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from skpoe.train.callbacks import History
    >>> trainer = SimpleNamespace(history={"loss": [3.0]})
    >>> History().on_epoch_end(None, trainer, 2, {"loss": 2.0, "kl": 0.5})
    >>> trainer.history
    {'loss': [3.0, 2.0], 'kl': [nan, 0.5]}
    """

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Append ``logs`` to ``trainer.history``; a term missing from ``logs`` gets NaN.

        Parameters
        ----------
        estimator : object
            The estimator being fitted (unused).
        trainer : skpoe.train.Trainer
            The training loop, whose ``history`` grows by one entry per term.
        epoch : int
            The epochs of the model so far; a term first seen now gets NaN for the
            ``epoch - 1`` epochs before.
        logs : dict of str to float
            The epoch's entry.

        See Also
        --------
        Callback.on_epoch_end : The hook.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from skpoe.train.callbacks import History
        >>> trainer = SimpleNamespace(history={"loss": [3.0], "kl": [1.0]})
        >>> History().on_epoch_end(None, trainer, 2, {"loss": 2.0})
        >>> trainer.history
        {'loss': [3.0, 2.0], 'kl': [1.0, nan]}
        """
        history = trainer.history
        for key in logs:
            if key not in history:
                history[key] = [float("nan")] * (epoch - 1)
        for key, values in history.items():
            values.append(logs.get(key, float("nan")))


class EarlyStopping(Callback):
    """Track the best monitored loss; with ``active``, stop after ``patience`` epochs without gain.

    The monitored loss is ``val_loss`` when ``active`` (early stopping), else
    ``loss``. As in scikit-learn's MLP, ``tol`` only drives the patience
    counter; the best epoch (whose weights early stopping restores) is the
    true minimum. Only a validation loss stops training: a training loss
    often sits on a plateau for tens of epochs before it improves.

    Parameters
    ----------
    active : bool
        Early stopping: monitor ``val_loss`` and stop after ``patience`` epochs without gain.
    patience : int
        Epochs without an improvement of more than ``tol`` that stop the fit.
    tol : float
        The least improvement that resets the patience counter.

    See Also
    --------
    skpoe.train.Trainer : Keeps the best epoch's weights with early stopping.

    Examples
    --------
    >>> import math
    >>> from types import SimpleNamespace
    >>> from skpoe.train.callbacks import EarlyStopping
    >>> trainer = SimpleNamespace(best=math.inf, no_improve=0)
    >>> stop = EarlyStopping(active=True, patience=2, tol=0.1)
    >>> [stop.on_epoch_end(None, trainer, e, {"val_loss": v}) for e, v in [(1, 1.0), (2, 0.95), (3, 0.93)]]
    [False, False, True]
    >>> trainer.best
    0.93
    """

    def __init__(self, active, patience, tol):
        self.active = active
        self.patience = patience
        self.tol = tol

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Update ``trainer.best``, ``no_improve`` and ``improved``; True to stop.

        Parameters
        ----------
        estimator : object
            The estimator being fitted (unused).
        trainer : skpoe.train.Trainer
            The training loop, whose counters are updated.
        epoch : int
            The epochs of the model so far (unused).
        logs : dict of str to float
            The epoch's entry: ``val_loss`` is read when active, else ``loss``.

        Returns
        -------
        stop : bool
            Active, and ``patience`` epochs in a row without an improvement of more than ``tol``.

        See Also
        --------
        Callback.on_epoch_end : The hook.

        Examples
        --------
        Without early stopping the training loss is tracked and the fit never stopped:

        >>> import math
        >>> from types import SimpleNamespace
        >>> from skpoe.train.callbacks import EarlyStopping
        >>> trainer = SimpleNamespace(best=math.inf, no_improve=0)
        >>> track = EarlyStopping(active=False, patience=1, tol=0.1)
        >>> [track.on_epoch_end(None, trainer, e, {"loss": 2.0}) for e in (1, 2, 3)]
        [False, False, False]
        >>> trainer.best, trainer.no_improve
        (2.0, 2)
        """
        monitored = logs["val_loss"] if self.active else logs["loss"]
        trainer.no_improve = trainer.no_improve + 1 if monitored > trainer.best - self.tol else 0
        trainer.improved = monitored < trainer.best
        if trainer.improved:
            trainer.best = monitored
        return self.active and trainer.no_improve >= self.patience


class KeepState(Callback):
    """Keep the state of the finished epoch: what a fault restores, and the best epoch's.

    It calls ``trainer.keep_state()`` after every epoch.

    See Also
    --------
    skpoe.train.Trainer.keep_state : The snapshot taken.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from skpoe.train.callbacks import KeepState
    >>> trainer = SimpleNamespace(keep_state=lambda: print("kept"))
    >>> KeepState().on_epoch_end(None, trainer, 1, {"loss": 1.0})
    kept
    """

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Call ``trainer.keep_state()``.

        Parameters
        ----------
        estimator : object
            The estimator being fitted (unused).
        trainer : skpoe.train.Trainer
            The training loop.
        epoch : int
            The epochs of the model so far (unused).
        logs : dict of str to float
            The epoch's entry (unused).

        See Also
        --------
        Callback.on_epoch_end : The hook.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from skpoe.train.callbacks import KeepState
        >>> trainer = SimpleNamespace(keep_state=lambda: print("kept"))
        >>> KeepState().on_epoch_end(None, trainer, 3, {}) is None  # never stops the fit
        kept
        True
        """
        trainer.keep_state()


class ProgressBar(Callback):
    """Show the epoch's losses (``verbose``), through :class:`~skpoe.train.progress.Progress`.

    Parameters
    ----------
    progress : skpoe.train.progress.Progress
        The fit's progress lines or bar.

    See Also
    --------
    skpoe.train.progress.Progress : Formats the lines.

    Examples
    --------
    >>> import sys
    >>> from types import SimpleNamespace
    >>> from skpoe.train.callbacks import ProgressBar
    >>> from skpoe.train.progress import Progress
    >>> bar = ProgressBar(Progress(2, max_iter=1, stream=sys.stdout, bar=False))
    >>> trainer = SimpleNamespace(epochs_this_fit=1, max_iter=1, stop_training=False)
    >>> bar.on_epoch_end(None, trainer, 1, {"loss": 1.5})  # doctest: +ELLIPSIS
    epoch 1/1  loss 1.50  [...]
    """

    def __init__(self, progress):
        self.progress = progress

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Report this fit's epoch and ``logs`` (the last line when the fit ends).

        Parameters
        ----------
        estimator : object
            The estimator being fitted (unused).
        trainer : skpoe.train.Trainer
            The training loop: ``epochs_this_fit``, ``max_iter`` and ``stop_training``.
        epoch : int
            The epochs of the model so far (unused: the line counts this fit's).
        logs : dict of str to float
            The epoch's entry, shown.

        See Also
        --------
        Callback.on_epoch_end : The hook.

        Examples
        --------
        With ``verbose=0`` nothing is shown:

        >>> from types import SimpleNamespace
        >>> from skpoe.train.callbacks import ProgressBar
        >>> from skpoe.train.progress import Progress
        >>> trainer = SimpleNamespace(epochs_this_fit=1, max_iter=3, stop_training=False)
        >>> ProgressBar(Progress(0, max_iter=3)).on_epoch_end(None, trainer, 1, {"loss": 1.5})
        """
        done = trainer.epochs_this_fit
        self.progress.update(done, logs, done >= trainer.max_iter or trainer.stop_training)


class Checkpoint(Callback):
    """Write the training state every ``every`` epochs of the fit (not after its last).

    A fit that ends normally (after ``max_iter`` epochs, or stopped by early stopping or a
    callback) removes the file, so nothing is written after its last epoch.

    Parameters
    ----------
    every : int
        Epochs of this fit between two checkpoint files.

    See Also
    --------
    skpoe.train.Trainer.write_checkpoint : Writes the file.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from skpoe.train.callbacks import Checkpoint
    >>> trainer = SimpleNamespace(
    ...     epochs_this_fit=2, max_iter=5, stop_training=False,
    ...     write_checkpoint=lambda: print("written"),
    ... )
    >>> Checkpoint(every=2).on_epoch_end(None, trainer, 2, {"loss": 1.0})
    written
    """

    def __init__(self, every):
        self.every = every

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Write the training state after every ``every``-th epoch of the fit but its last.

        Parameters
        ----------
        estimator : object
            The estimator being fitted (unused).
        trainer : skpoe.train.Trainer
            The training loop: ``epochs_this_fit``, ``max_iter``, ``stop_training`` and
            ``write_checkpoint``.
        epoch : int
            The epochs of the model so far (unused: ``every`` counts this fit's).
        logs : dict of str to float
            The epoch's entry (unused).

        See Also
        --------
        Callback.on_epoch_end : The hook.

        Examples
        --------
        Nothing is written after the fit's last epoch:

        >>> from types import SimpleNamespace
        >>> from skpoe.train.callbacks import Checkpoint
        >>> trainer = SimpleNamespace(
        ...     epochs_this_fit=4, max_iter=4, stop_training=False,
        ...     write_checkpoint=lambda: print("written"),
        ... )
        >>> Checkpoint(every=2).on_epoch_end(None, trainer, 4, {})
        """
        done = trainer.epochs_this_fit
        if done % self.every == 0 and done < trainer.max_iter and not trainer.stop_training:
            trainer.write_checkpoint()


def builtin_callbacks(trainer):
    """The loop's own callbacks for ``trainer``, in the order they run.

    Parameters
    ----------
    trainer : skpoe.train.Trainer
        The training loop; its ``early_stopping``, ``n_iter_no_change``, ``tol``,
        ``progress`` and ``checkpoint`` choose the callbacks.

    Returns
    -------
    callbacks : list of Callback
        :class:`History`, :class:`EarlyStopping`, :class:`KeepState`, then
        :class:`ProgressBar` with a ``progress`` and :class:`Checkpoint` with a
        checkpoint's ``every``.

    See Also
    --------
    notify : Calls a hook on each callback.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from skpoe.train.callbacks import builtin_callbacks
    >>> trainer = SimpleNamespace(
    ...     early_stopping=False, n_iter_no_change=10, tol=1e-4, progress=None, checkpoint=None
    ... )
    >>> [type(cb).__name__ for cb in builtin_callbacks(trainer)]
    ['History', 'EarlyStopping', 'KeepState']
    """
    out = [
        History(),
        EarlyStopping(trainer.early_stopping, trainer.n_iter_no_change, trainer.tol),
        KeepState(),
    ]
    if trainer.progress is not None:
        out.append(ProgressBar(trainer.progress))
    if trainer.checkpoint is not None and trainer.checkpoint.get("every"):
        out.append(Checkpoint(trainer.checkpoint["every"]))
    return out
