"""The data-parallel step: each rank's rows of a minibatch, and the loss DDP wraps."""

from __future__ import annotations

import torch
from torch import nn

from skpoe.distributed._group import _active_group, _collective_device
from skpoe.models.masking import masked_batch, masked_inputs
from skpoe.noise import step_shards

__all__ = ["DataParallel", "shard_bounds"]


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

    Use :meth:`maybe`, which gives ``None`` outside distributed training. The
    constructor checks that every rank holds as many network parameters and
    the same ``sizes``, and wraps the module's loss in
    :class:`~torch.nn.parallel.DistributedDataParallel`, which broadcasts rank 0's
    weights and averages the gradients over the ranks during ``backward``.

    Parameters
    ----------
    module : skpoe.models.MultimodalModule
        The networks being trained, on ``device``.
    device : torch.device
        The device of the fit; the NCCL backend needs a CUDA device (a ``ValueError``
        otherwise).
    group : torch.distributed.ProcessGroup
        The group to train over.
    sizes : sequence of int, default=()
        Numbers every rank must agree on (the rows of the data and of each minibatch
        group, the epochs run); a ``ValueError`` on every rank otherwise.

    Attributes
    ----------
    group : torch.distributed.ProcessGroup
        The group trained over.
    rank : int
        This process's rank in ``group``.
    world : int
        The number of processes in ``group``.
    ddp : torch.nn.parallel.DistributedDataParallel
        The wrapped loss of this rank's share of a step.

    See Also
    --------
    shard_bounds : The rows of each minibatch a rank computes.
    process_group : Chooses the group.
    skpoe.train.Trainer : Trains with it inside a process group.

    Examples
    --------
    A group of one process (a store in memory, the gloo backend):

    >>> import torch
    >>> import torch.distributed as dist
    >>> from skpoe.distributed import DataParallel
    >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    >>> dp = DataParallel(torch.nn.Linear(3, 1), torch.device("cpu"), dist.group.WORLD)
    >>> dp.rank, dp.world
    (0, 1)
    >>> dist.destroy_process_group()
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
        A group is active inside an initialised process group of at least two
        processes, unless :func:`process_group` chose ``None``.

        Parameters
        ----------
        module : skpoe.models.MultimodalModule
            The networks being trained.
        device : torch.device
            The device of the fit.
        sizes : sequence of int, default=()
            Numbers every rank must agree on.

        Returns
        -------
        parallel : DataParallel or None
            The data-parallel step, or ``None`` for a local fit.

        See Also
        --------
        process_group : Chooses the group fits use.

        Examples
        --------
        >>> import torch
        >>> from skpoe.distributed import DataParallel
        >>> DataParallel.maybe(torch.nn.Linear(2, 2), torch.device("cpu")) is None
        True
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

        Arguments as in the single-process step
        (:func:`skpoe.train.batches.step_loss`). Each minibatch is cut to this
        rank's rows (:func:`shard_bounds`), its loss weighted so that the mean of
        the ranks' gradients is the gradient of the whole step, and its draws are
        those a single process makes for these rows
        (:func:`skpoe.noise.step_shards`).

        Parameters
        ----------
        data : skpoe.train.batches.TensorData
            The training data (or a lazily read view of it).
        groups : skpoe.train.batches.BatchGroups
            The minibatch groups of the fit.
        paired_idx : list of torch.Tensor
            One index tensor per paired group.
        singles_idx : list of tuple
            ``(m, idx)``: modality ``m``'s index tensor, one per single-modality group.

        Returns
        -------
        loss : torch.Tensor
            A scalar, this rank's weighted share of the step's loss.

        See Also
        --------
        mean : The mean of a value over the ranks.
        shard_bounds : The rows of this rank.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> import torch.distributed as dist
        >>> from skpoe.distributed import DataParallel
        >>> from skpoe.likelihoods import Bernoulli
        >>> from skpoe.models import PoEModule
        >>> from skpoe.train.batches import BatchGroups, TensorData
        >>> x = (np.arange(24).reshape(8, 3) % 2).astype(np.float32)
        >>> module = PoEModule([Bernoulli().fit(x)] * 2, 2, [(4,), (4,)], [1.0, 1.0])
        >>> mask = np.ones((8, 2), bool)
        >>> data = TensorData([x, x], [x, x], mask, torch.device("cpu"))
        >>> groups = BatchGroups(mask, np.arange(8), None)
        >>> _, paired, singles = groups.epoch(8, 4, np.random.RandomState(0), torch.device("cpu"))
        >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        >>> dp = DataParallel(module, torch.device("cpu"), dist.group.WORLD)
        >>> loss = dp.step_loss(data, groups, [p[0] for p in paired], [(m, i[0]) for m, i in singles])
        >>> loss.shape
        torch.Size([])
        >>> dist.destroy_process_group()
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
        """Mean over the ranks of a tensor (the epoch's loss).

        Parameters
        ----------
        value : torch.Tensor
            This rank's value, on the device of the group's backend; not changed.

        Returns
        -------
        mean : torch.Tensor
            The mean of ``value`` over the ranks, the same on every rank.

        See Also
        --------
        step_loss : This rank's share of a step's loss.

        Examples
        --------
        >>> import torch
        >>> import torch.distributed as dist
        >>> from skpoe.distributed import DataParallel
        >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        >>> dp = DataParallel(torch.nn.Linear(3, 1), torch.device("cpu"), dist.group.WORLD)
        >>> dp.mean(torch.tensor(2.0))
        tensor(2.)
        >>> dist.destroy_process_group()
        """
        value = value.clone()
        torch.distributed.all_reduce(value, group=self.group)
        return value / self.world
