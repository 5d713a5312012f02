"""Torch threads of fits that run side by side (joblib, Dask).

``GridSearchCV(n_jobs=k)``, ``cross_val_score(n_jobs=k)`` and Dask run several
fits at once. Each fit's torch uses a pool of intra-op threads, so k fits on
c cores should use about c / k threads each, not c:

* joblib's default backend (loky) starts its worker processes with
  ``OMP_NUM_THREADS`` set to ``cpu_count // n_jobs``, which torch reads when
  it starts: nothing to do there, and :func:`worker_threads` leaves it;
* Dask's worker processes start with ``OMP_NUM_THREADS=1`` by default, and a
  worker runs ``nthreads`` tasks at once: a fit on it gets its share,
  ``torch.get_num_threads() // nthreads``, at least 1;
* fits in threads of one process (joblib's ``threading`` backend, a Dask
  cluster with ``processes=False``) share the process's one torch thread pool:
  a fit that is not on the main thread uses 1 thread.

Estimators apply this share during ``fit`` and inference when their
``n_threads`` is ``None`` and the call's work is not small enough for one
thread anyway (``skpoe.estimators._threads.default_threads``). Set ``OMP_NUM_THREADS`` before
starting the workers (or Dask's ``distributed.nanny.pre-spawn-environ``), or
pass ``n_threads``, to choose otherwise.
"""

from __future__ import annotations

import sys
import threading

import torch

__all__ = ["worker_threads"]


def _dask_worker_threads():
    """``nthreads`` of the Dask worker running this code, or ``None``."""
    if "distributed" not in sys.modules:  # never import Dask here
        return None
    try:
        from distributed import get_worker

        worker = get_worker()
        return int(getattr(worker, "nthreads", None) or worker.state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return None


def worker_threads(available=None):
    """Torch intra-op threads for a fit or inference that starts now.

    Parameters
    ----------
    available : int, default=None
        The process's torch threads to share (default: the current count).

    Returns
    -------
    n_threads : int or None
        The worker's share of torch's threads inside a Dask worker, 1 on any
        other thread than the main one, ``None`` (leave torch's setting) on
        the main thread of a process, where joblib's loky workers already
        carry their limit.

    See Also
    --------
    skpoe.distributed.local_device : The device of this process in a group.

    Examples
    --------
    >>> import threading
    >>> from skpoe.parallel import worker_threads
    >>> worker_threads() is None  # the main thread leaves torch's setting
    True
    >>> found = []
    >>> thread = threading.Thread(target=lambda: found.append(worker_threads()))
    >>> thread.start(); thread.join()
    >>> found
    [1]
    """
    nthreads = _dask_worker_threads()
    if nthreads is not None:
        available = torch.get_num_threads() if available is None else available
        return max(1, available // max(1, nthreads))
    if threading.current_thread() is not threading.main_thread():
        return 1
    return None
