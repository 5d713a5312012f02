"""The torch intra-op thread count during fit and inference.

``torch.set_num_threads`` is process-wide; :func:`limit_threads` sets it for
the duration of a block and restores the caller's count when the last of the
(possibly concurrent) blocks ends.
"""

from __future__ import annotations

import contextlib
import threading

import torch

from skpoe.estimators._inference import CHUNK, score_chunk
from skpoe.parallel import worker_threads

__all__ = ["limit_threads", "default_threads", "call_work", "PARALLEL_WORK"]

#: The work of one forward pass (rows in the pass times the model's parameters,
#: :func:`call_work`) from which a CPU call keeps the caller's torch threads by
#: default; lighter calls run on one thread. On a quiet 2-core machine two
#: threads took 0.53-0.71 of one thread's time from about this work on, and
#: 0.70-0.95 below it (``benchmarks/results/threads.md``, ``docs/speed.md``).
PARALLEL_WORK = 500_000_000


def n_parameters(module):
    """The number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())


def call_work(module, call, n_rows=0, n_importance_samples=1, batch_size=None):
    """The work of one forward pass of a call: rows in the pass times parameters.

    Parameters
    ----------
    module : torch.nn.Module
        The networks (a :class:`~skpoe.models.base.MultimodalModule`).
    call : {"fit", "transform", "predict_proba", "score_samples", ...}
        ``"fit"``: a training step of ``batch_size`` rows per group;
        ``"score_samples"``: a chunk of its rows times ``n_importance_samples``
        draws (:func:`~skpoe.estimators._inference.score_chunk`);
        ``"sample"``: its ``n_rows`` draws, decoded at once; any other call:
        a chunk of at most :data:`~skpoe.estimators._inference.CHUNK` of its
        ``n_rows`` rows.
    n_rows : int
        Rows of the call (inference).
    n_importance_samples : int
        K of ``score_samples``.
    batch_size : int
        Rows of a minibatch (fit).

    Returns
    -------
    work : int
        Rows in one forward pass times the module's parameters, what
        :func:`default_threads` compares with :data:`PARALLEL_WORK`.
    """
    if call == "fit":
        rows = batch_size
    elif call == "score_samples":
        K = n_importance_samples
        rows = min(n_rows, score_chunk(module, K, [module.n_latent])) * K
    elif call == "sample":
        rows = n_rows
    else:
        rows = min(n_rows, CHUNK)
    return int(rows) * n_parameters(module)


_lock = threading.Lock()
_active = 0
_saved = None


def default_threads(n_threads, device, work):
    """The thread count to use, or ``None`` to leave the caller's setting.

    Parameters
    ----------
    n_threads : int or None
        The estimator's ``n_threads``: an int is used as given.
    device : torch.device or None
        The model's device.
    work : int
        The call's work per forward pass (:func:`call_work`).

    Returns
    -------
    n_threads : int or None
        With ``n_threads=None``, 1 on the CPU for work below
        :data:`PARALLEL_WORK` (a second thread gains little there, and a
        loaded machine makes every thread wait for a core at each parallel
        operation); otherwise the share of a call that runs beside others (a
        Dask worker's share, 1 in a thread other than the main one:
        :func:`skpoe.parallel.worker_threads`), and the caller's setting on a
        process's main thread.
    """
    if n_threads is not None:
        return int(n_threads)
    if device is not None and torch.device(device).type == "cpu" and work < PARALLEL_WORK:
        return 1
    # the share of the count before any call of this process lowered it
    return worker_threads(_saved if _active else None)


@contextlib.contextmanager
def limit_threads(n):
    """Run the block with ``n`` torch intra-op threads (``None``: unchanged)."""
    global _active, _saved
    if n is None:
        yield
        return
    with _lock:
        if _active == 0:
            _saved = torch.get_num_threads()
        _active += 1
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and torch.get_num_threads() != _saved:
                assert _saved is not None  # set as the first of the active blocks began
                torch.set_num_threads(_saved)
