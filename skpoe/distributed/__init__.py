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

from skpoe.distributed._data_parallel import DataParallel, _StepLoss as _StepLoss, shard_bounds
from skpoe.distributed._group import (
    _active_group as _active_group,
    init_process_group,
    is_main_process,
    local_device,
    process_group,
    shared_seed,
)

__all__ = [
    "DataParallel",
    "init_process_group",
    "is_main_process",
    "local_device",
    "process_group",
    "shard_bounds",
    "shared_seed",
]
