"""The process group fits train over: initialising it, choosing it, and what each rank is."""

from __future__ import annotations

import contextlib
import os
import warnings

import torch

from skpoe.exceptions import SkpoeWarning

__all__ = ["init_process_group", "is_main_process", "local_device", "process_group", "shared_seed"]

_WORLD = object()  # the default group, whatever it is when a fit starts
_chosen = _WORLD
_warned = False


def _dist():
    return torch.distributed if torch.distributed.is_available() else None


def init_process_group(backend=None, **kwargs):
    """Initialise ``torch.distributed`` from the environment ``torchrun`` sets.

    Does nothing if a process group is already initialised. With a GPU the
    backend is NCCL and the process's device becomes ``cuda:LOCAL_RANK``;
    without one it is gloo.

    Parameters
    ----------
    backend : str, default=None
        ``"nccl"``, ``"gloo"``, or ``None`` to choose as above.
    **kwargs
        Passed to :func:`torch.distributed.init_process_group`.

    Returns
    -------
    initialised : bool
        True if this call initialised the group, False if one already was.

    Raises
    ------
    ValueError
        If torch has no ``torch.distributed``, or if ``torchrun``'s environment
        (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) is missing and
        ``kwargs`` gives no ``init_method``.

    See Also
    --------
    process_group : Chooses the group that fits use.
    is_main_process : Whether this process is rank 0.

    Examples
    --------
    In a script launched with ``torchrun --nproc-per-node 2 script.py``:

    >>> from skpoe.distributed import init_process_group
    >>> init_process_group()  # doctest: +SKIP
    True

    Elsewhere it says how to launch the script:

    >>> init_process_group()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: init_process_group needs the environment torchrun sets ...
    """
    dist = _dist()
    if dist is None:
        raise ValueError("This build of torch has no torch.distributed.")
    if dist.is_initialized():
        return False
    needed = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
    missing = [k for k in needed if k not in os.environ]
    if missing and "init_method" not in kwargs:
        raise ValueError(
            f"init_process_group needs the environment torchrun sets (missing {missing}); "
            "launch the script with `torchrun --nproc-per-node N script.py`."
        )
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group(backend, **kwargs)
    return True


@contextlib.contextmanager
def process_group(group):
    """Fits inside the block use ``group`` (``None``: each process fits alone).

    Outside any such block fits use the default group, whatever it is when a fit starts
    (none until one is initialised). The previous choice comes back after the block. The
    choice is process-wide, not per thread.

    Parameters
    ----------
    group : torch.distributed.ProcessGroup or None
        The group to train over (from ``torch.distributed.new_group``), or ``None`` for a
        local fit in each process. A group of one process also fits locally.

    See Also
    --------
    init_process_group : Initialises the default group.
    is_main_process : Rank 0 of the group in use.

    Examples
    --------
    >>> from skpoe.distributed import is_main_process, process_group
    >>> with process_group(None):  # each process fits its own model here
    ...     is_main_process()
    True
    """
    global _chosen
    previous = _chosen
    _chosen = group
    try:
        yield
    finally:
        _chosen = previous


def _active_group():
    """The process group fits use now, or ``None`` for a local fit."""
    dist = _dist()
    if _chosen is None or dist is None or not dist.is_initialized():
        return None
    group = None if _chosen is _WORLD else _chosen
    if dist.get_world_size(group) < 2:
        return None
    return group if group is not None else dist.group.WORLD


def is_main_process():
    """True outside distributed training and on rank 0 inside it.

    Returns
    -------
    main : bool
        Whether this process writes logs, checkpoints and progress.

    See Also
    --------
    process_group : The group skpoe trains over.

    Examples
    --------
    >>> from skpoe.distributed import is_main_process
    >>> is_main_process()  # no process group here
    True
    """
    group = _active_group()
    return group is None or torch.distributed.get_rank(group) == 0


def local_device(device):
    """``device`` with a CUDA index per process in distributed training.

    ``cuda`` without an index becomes ``cuda:LOCAL_RANK`` (or the current
    device when ``LOCAL_RANK`` is not set). Outside distributed training, and
    for explicit indices, ``device`` is returned unchanged. Also warns once
    when ``torchrun``'s environment is set but no process group is.

    Parameters
    ----------
    device : torch.device
        The device a fit asked for.

    Returns
    -------
    device : torch.device
        The device this process uses.

    See Also
    --------
    init_process_group : Starts distributed training.

    Examples
    --------
    >>> import torch
    >>> from skpoe.distributed import local_device
    >>> local_device(torch.device("cpu"))
    device(type='cpu')
    """
    global _warned
    dist = _dist()
    initialised = dist is not None and dist.is_initialized()
    if not initialised and int(os.environ.get("WORLD_SIZE", "1")) > 1 and not _warned:
        _warned = True
        warnings.warn(
            "WORLD_SIZE is set but torch.distributed is not initialised: each process "
            "fits its own model. Call skpoe.distributed.init_process_group() first to "
            "train one model across the processes.",
            SkpoeWarning,
            stacklevel=3,
        )
    if _active_group() is None or device.type != "cuda" or device.index is not None:
        return device
    index = os.environ.get("LOCAL_RANK")
    return torch.device("cuda", int(index) if index is not None else torch.cuda.current_device())


def _collective_device(group):
    dist = torch.distributed
    if dist.get_backend(group) == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def shared_seed(seed):
    """Rank 0's ``seed`` on every rank (unchanged outside distributed training).

    A fit with ``random_state=None`` draws a fresh seed in each process; the
    processes must share one to draw the same minibatches.

    Parameters
    ----------
    seed : int
        This process's seed.

    Returns
    -------
    seed : int
        Rank 0's seed.

    See Also
    --------
    skpoe.train.fit_seed : The seed of a fit.

    Examples
    --------
    >>> from skpoe.distributed import shared_seed
    >>> shared_seed(7)  # no process group here
    7
    """
    group = _active_group()
    if group is None:
        return seed
    t = torch.tensor([int(seed)], dtype=torch.int64, device=_collective_device(group))
    torch.distributed.broadcast(t, src=torch.distributed.get_global_rank(group, 0), group=group)
    return int(t.item())
