"""The callback interface: :data:`HOOKS`, :class:`Callback`, and the checks and calls of callbacks.

Documented, and imported, from :mod:`skpoe.train.callbacks`.
"""

from __future__ import annotations

#: The methods a callback may have, in the order a fit calls them.
HOOKS = ("on_fit_begin", "on_epoch_end", "on_fit_end")

__all__ = ["HOOKS", "Callback", "check_callbacks", "notify"]


class Callback:
    """Optional base class: every hook does nothing. Override the ones you need.

    Any object with one of the methods of :data:`HOOKS` is a callback; this class only
    gives the others.

    See Also
    --------
    check_callbacks : Checks the ``callbacks`` parameter of an estimator.
    skpoe.train.Trainer : Calls the hooks.

    Examples
    --------
    Stop a fit after its second epoch (pass ``callbacks=[StopAfter(2)]`` to an estimator):

    >>> from skpoe.train.callbacks import Callback
    >>> class StopAfter(Callback):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def on_epoch_end(self, estimator, trainer, epoch, logs):
    ...         return trainer.epochs_this_fit >= self.n
    >>> from types import SimpleNamespace
    >>> StopAfter(2).on_epoch_end(None, SimpleNamespace(epochs_this_fit=2), 2, {"loss": 1.0})
    True
    """

    def on_fit_begin(self, estimator, trainer):
        """Called once before the first epoch of a fit.

        Parameters
        ----------
        estimator : object
            The estimator whose ``fit`` runs (its fitted attributes are those before the fit).
        trainer : skpoe.train.Trainer
            The training loop, with its ``module``, ``history`` and ``epoch``.

        See Also
        --------
        on_epoch_end : Called after each epoch.
        on_fit_end : Called when the fit has stored its model.

        Examples
        --------
        >>> from skpoe.train.callbacks import Callback
        >>> Callback().on_fit_begin(None, None) is None  # does nothing
        True
        """

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        """Called after each finished epoch; return True to stop the fit.

        The built-in callbacks (:func:`builtin_callbacks`) run before the user's, each with
        its own copy of ``logs``.

        Parameters
        ----------
        estimator : object
            The estimator whose ``fit`` runs.
        trainer : skpoe.train.Trainer
            The training loop; setting ``trainer.stop_training = True`` also stops the fit.
        epoch : int
            The epochs of the model so far (earlier fits of a warm start included), from 1.
        logs : dict of str to float
            A copy of the epoch's history entry: ``loss``, the per-term entries, and
            ``val_*`` with early stopping.

        Returns
        -------
        stop : bool or None
            True to end the fit after this epoch; this base class returns ``None``.

        See Also
        --------
        on_fit_begin : Called before the first epoch.
        History : The callback that records ``logs``.

        Examples
        --------
        >>> from skpoe.train.callbacks import Callback
        >>> Callback().on_epoch_end(None, None, 1, {"loss": 2.5}) is None  # does not stop
        True
        """

    def on_fit_end(self, estimator, trainer):
        """Called once when the fit has stored its model (also after Ctrl-C), not when it raised.

        Parameters
        ----------
        estimator : object
            The estimator whose ``fit`` ran, now with its fitted attributes.
        trainer : skpoe.train.Trainer
            The training loop that ran.

        See Also
        --------
        on_fit_begin : Called before the first epoch.

        Examples
        --------
        >>> from skpoe.train.callbacks import Callback
        >>> Callback().on_fit_end(None, None) is None  # does nothing
        True
        """


def check_callbacks(callbacks):
    """The ``callbacks`` parameter as a list, or a ValueError naming the bad entry.

    Parameters
    ----------
    callbacks : list, tuple or None
        Objects with at least one of the methods of :data:`HOOKS`.

    Returns
    -------
    callbacks : list
        The callbacks (``[]`` for ``None``).

    Raises
    ------
    ValueError
        If ``callbacks`` is not a list or tuple, or if an entry has none of the hooks.

    See Also
    --------
    Callback : A base class with every hook.

    Examples
    --------
    >>> from skpoe.train.callbacks import Callback, check_callbacks
    >>> check_callbacks(None)
    []
    >>> len(check_callbacks((Callback(),)))
    1
    >>> check_callbacks([object()])
    Traceback (most recent call last):
    ...
    ValueError: callbacks[0] (object) has none of the methods on_fit_begin, on_epoch_end, on_fit_end; a callback needs at least one.
    """
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
    """Call ``hook`` on each callback that has it; True if any asked to stop.

    Every callback with the hook is called, in order, even after one asked to stop.

    Parameters
    ----------
    callbacks : list
        The callbacks.
    hook : str
        One of :data:`HOOKS`.
    *args
        The hook's arguments.

    Returns
    -------
    stop : bool
        Whether any call returned a true value.

    See Also
    --------
    builtin_callbacks : The loop's own callbacks.

    Examples
    --------
    >>> from skpoe.train.callbacks import Callback, notify
    >>> class Stop(Callback):
    ...     def on_epoch_end(self, estimator, trainer, epoch, logs):
    ...         return True
    >>> notify([Callback(), Stop()], "on_epoch_end", None, None, 1, {})
    True
    >>> notify([Stop()], "on_fit_end", None, None)  # Stop has no on_fit_end of its own
    False
    """
    stop = False
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            stop = bool(method(*args)) or stop
    return stop
