"""Data-parallel training on PyTorch's own distributed engine.

Launch the same script once per process with ``torchrun`` and initialise the
process group in it (one line, :func:`init_process_group`, or PyTorch's own
``torch.distributed.init_process_group``). Every ``fit`` then trains one model
across all processes with :class:`~torch.nn.parallel.DistributedDataParallel`:

* every process holds the data and draws the same global minibatches (the
  estimator's seed is the same everywhere); process ``r`` of ``W`` computes
  the loss of its slice of each minibatch group, and a group too small to give
  every process two rows is computed whole by each of them;
* each slice's loss is scaled so that DDP's average of the gradients is the
  gradient of the single-process loss, and each row gets the noise a single
  process would give it (:mod:`skpoe.noise`), so the fit matches a
  single-process fit up to floating point;
* DDP broadcasts the initial weights from rank 0, every process ends with the
  same weights, and only rank 0 prints progress.

skpoe does not initialise the process group by itself: a script launched by
``torchrun`` without it fits one independent model per process (and warns).
``with process_group(None):`` fits locally inside an initialised program (for
example a different grid point on each rank).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import torch
from torch import nn

from skpoe.exceptions import SkpoeWarning
from skpoe.models.masking import masked_batch, masked_inputs
from skpoe.noise import step_shards

__all__ = [
    "DataParallel",
    "init_process_group",
    "is_main_process",
    "local_device",
    "process_group",
    "shard_bounds",
    "shared_seed",
]

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
        True if this call initialised the group.
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
    """Fits inside the block use ``group`` (``None``: each process fits alone)."""
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


def shard_bounds(n, rank, world):
    """Rows ``start:stop`` of a minibatch of ``n`` rows that ``rank`` computes.

    Slices differ in size by at most one row. A minibatch of fewer than two
    rows per rank is not split: every rank computes all of it (a one-row slice
    would not tell :mod:`skpoe.noise` how the whole draw is laid out).

    Parameters
    ----------
    n : int
        Rows of the minibatch.
    rank : int
        This process's rank.
    world : int
        Number of processes.

    Returns
    -------
    start, stop : int
        The slice of rows of ``rank``.

    See Also
    --------
    skpoe.noise.row_shard : The same slice of the minibatch's noise.

    Examples
    --------
    >>> from skpoe.distributed import shard_bounds
    >>> [shard_bounds(10, r, 3) for r in range(3)]
    [(0, 3), (3, 6), (6, 10)]
    >>> shard_bounds(3, 1, 2)  # too few rows: not split
    (0, 3)
    """
    if n < 2 * world:
        return 0, n
    return rank * n // world, (rank + 1) * n // world


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


def _check_same(values, group, what):
    """Raise the same ValueError on every rank if ``values`` differ between ranks."""
    dist = torch.distributed
    t = torch.tensor(values, dtype=torch.int64, device=_collective_device(group))
    low, high = t.clone(), t.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN, group=group)
    dist.all_reduce(high, op=dist.ReduceOp.MAX, group=group)
    if not torch.equal(low, high):
        raise ValueError(
            f"Distributed training: the processes were given different {what} "
            f"(from {low.tolist()} to {high.tolist()}); every process must fit the "
            "same X and y with the same parameters (each computes its own slice)."
        )


class _StepLoss(nn.Module):
    """The module DDP wraps: its forward is the loss of this rank's slices."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, paired, singles, shards, weights):
        with step_shards(*shards):
            return self.module.loss(paired, singles, weights=weights).total


class DataParallel:
    """One fit's data-parallel step over the active process group.

    Use :meth:`maybe`, which gives ``None`` outside distributed training.
    """

    def __init__(self, module, device, group, sizes=()):
        dist = torch.distributed
        if dist.get_backend(group) == "nccl" and device.type != "cuda":
            raise ValueError(
                "torch.distributed uses the NCCL backend, which needs device='cuda' "
                f"(got {device}); use the gloo backend for CPU training."
            )
        self.group = group
        self.rank = dist.get_rank(group)
        self.world = dist.get_world_size(group)
        n_params = sum(p.numel() for p in module.parameters())
        _check_same(
            [n_params, *sizes],
            group,
            "data, networks or training state (parameters, rows per group, epochs run)",
        )
        # device_ids=None: the minibatches are on the module's device already, so
        # DDP moves no inputs; find_unused_parameters: a modality no training
        # row observes leaves its networks idle
        self.ddp = nn.parallel.DistributedDataParallel(
            _StepLoss(module), device_ids=None, process_group=group, find_unused_parameters=True
        )

    @classmethod
    def maybe(cls, module, device, sizes=()):
        """A :class:`DataParallel` when a process group is active, else ``None``.

        ``sizes`` (ints, e.g. the rows of each minibatch group) must agree on
        every rank; a clear ``ValueError`` is raised on every rank otherwise.
        """
        group = _active_group()
        return None if group is None else cls(module, device, group, sizes)

    def _slice(self, idx):
        n = len(idx)
        start, stop = shard_bounds(n, self.rank, self.world)
        # DDP averages over W ranks; a slice of k of n rows counts k * W / n of
        # its mean, a group every rank computes whole counts once per rank
        scale = (stop - start) * self.world / n if stop - start < n else 1.0
        return idx[start:stop], (n, start, stop), scale

    def step_loss(self, data, groups, paired_idx, singles_idx):
        """This rank's share of the loss of one step (call ``backward`` on it).

        Arguments as in the single-process step: ``paired_idx`` holds one
        index tensor per paired group, ``singles_idx`` pairs ``(m, idx)``.
        """
        paired, singles, weights = [], [], []
        shards: tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]] = ([], [])
        for idx, info in zip(paired_idx, groups.paired_info):
            local, shard, scale = self._slice(idx)
            paired.append(masked_batch(data, data.batch(local, *info)))
            shards[0].append(shard)
            weights.append(scale)
        for m, idx in singles_idx:
            local, shard, scale = self._slice(idx)
            x = masked_inputs(data, m, data.inputs[m][local])
            singles.append((m, x, data.targets[m][local]))
            shards[1].append(shard)
            weights.append(scale)
        return self.ddp(paired, singles, shards, weights)

    def mean(self, value):
        """Mean over the ranks of a tensor (the epoch's loss)."""
        value = value.clone()
        torch.distributed.all_reduce(value, group=self.group)
        return value / self.world
