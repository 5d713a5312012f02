"""The torch intra-op thread count during fit and inference.

``torch.set_num_threads`` is process-wide; :func:`limit_threads` sets it for
the duration of a block and restores the caller's count when the last of the
(possibly concurrent) blocks ends.
"""

from __future__ import annotations

import contextlib
import threading

import torch

from skpoe.parallel import worker_threads

__all__ = ["limit_threads", "default_threads", "SMALL_MODEL"]

#: Models with fewer parameters than this run on one CPU thread by default
#: (``benchmarks/results/threads.md``).
SMALL_MODEL = 10_000_000

_lock = threading.Lock()
_active = 0
_saved = None


def default_threads(n_threads, module, device):
    """The thread count to use, or ``None`` to leave the caller's setting.

    An int is used as given. ``None`` gives 1 for a model of fewer than
    :data:`SMALL_MODEL` parameters on the CPU (measured on a shared 2-core
    machine: every fit and inference call of models up to 5.3 M parameters
    was faster on one thread than on two, fits 9-14 times); otherwise the
    share of a fit that runs beside others (a Dask worker's share, 1 in a
    thread other than the main one: :func:`skpoe.parallel.worker_threads`),
    and the caller's setting on a process's main thread.
    """
    if n_threads is not None:
        return int(n_threads)
    if device is not None and module is not None and torch.device(device).type == "cpu":
        if sum(p.numel() for p in module.parameters()) < SMALL_MODEL:
            return 1
    # the share of the count before any fit of this process lowered it
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
