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

HOOKS = ("on_fit_begin", "on_epoch_end", "on_fit_end")

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


class Callback:
    """Optional base class: every hook does nothing. Override the ones you need."""

    def on_fit_begin(self, estimator, trainer):
        """Called once before the first epoch."""

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Called after each epoch; return True to stop the fit."""

    def on_fit_end(self, estimator, trainer):
        """Called once when the fit has stored its model."""


def check_callbacks(callbacks):
    """The ``callbacks`` parameter as a list, or a ValueError naming the bad entry."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise ValueError(
            f"callbacks must be a list of callback objects or None, got {type(callbacks).__name__}."
        )
    for i, cb in enumerate(callbacks):
        if not any(callable(getattr(cb, hook, None)) for hook in HOOKS):
            raise ValueError(
                f"callbacks[{i}] ({type(cb).__name__}) has none of the methods "
                f"{', '.join(HOOKS)}; a callback needs at least one."
            )
    return list(callbacks)


def notify(callbacks, hook, *args):
    """Call ``hook`` on each callback that has it; True if any asked to stop."""
    stop = False
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            stop = bool(method(*args)) or stop
    return stop


class History(Callback):
    """Append each epoch's entry to ``trainer.history`` (NaN where a term is missing)."""

    def on_epoch_end(self, estimator, trainer, epoch, logs):
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
    """

    def __init__(self, active, patience, tol):
        self.active = active
        self.patience = patience
        self.tol = tol

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        monitored = logs["val_loss"] if self.active else logs["loss"]
        trainer.no_improve = trainer.no_improve + 1 if monitored > trainer.best - self.tol else 0
        trainer.improved = monitored < trainer.best
        if trainer.improved:
            trainer.best = monitored
        return self.active and trainer.no_improve >= self.patience


class KeepState(Callback):
    """Keep the state of the finished epoch: what a fault restores, and the best epoch's."""

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        trainer.keep_state()


class ProgressBar(Callback):
    """Show the epoch's losses (``verbose``), through :class:`~skpoe.train.progress.Progress`."""

    def __init__(self, progress):
        self.progress = progress

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        done = trainer.epochs_this_fit
        self.progress.update(done, logs, done >= trainer.max_iter or trainer.stop_training)


class Checkpoint(Callback):
    """Write the training state every ``every`` epochs of the fit (not after its last)."""

    def __init__(self, every):
        self.every = every

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        done = trainer.epochs_this_fit
        if done % self.every == 0 and done < trainer.max_iter and not trainer.stop_training:
            trainer.write_checkpoint()


def builtin_callbacks(trainer):
    """The loop's own callbacks for ``trainer``, in the order they run."""
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
