"""Draws for a share of a minibatch's rows: :func:`row_shard`, :func:`step_shards`, :func:`shard_parts`.

Inside these blocks :func:`~skpoe.noise.randn_rows` and :func:`~skpoe.noise.rand_rows` draw for
the whole minibatch and return the rows the caller holds (data-parallel training,
:mod:`skpoe.distributed`).
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

from skpoe.noise._thread import _local

__all__ = ["row_shard", "shard_parts", "step_shards"]


@contextlib.contextmanager
def row_shard(n_total, start, stop):
    """Draws inside the block are for rows ``start:stop`` of ``n_total`` rows.

    A draw of :func:`~skpoe.noise.randn_rows` or :func:`~skpoe.noise.rand_rows` inside the block
    has ``stop - start`` rows along its ``row_dim``; it is made for all ``n_total`` rows, which
    advances the generator as the whole minibatch would, and rows ``start:stop`` are returned.

    Parameters
    ----------
    n_total : int
        Rows of the whole minibatch.
    start, stop : int
        The rows this caller computes, ``0 <= start <= stop <= n_total``; a ``ValueError``
        otherwise.

    See Also
    --------
    step_shards : The shares of a step of several minibatch groups.
    skpoe.distributed.shard_bounds : The rows each process computes.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import randn_rows, row_shard, use_generator
    >>> with use_generator(torch.Generator().manual_seed(0)):
    ...     whole = randn_rows(shape=(4, 2))
    >>> with use_generator(torch.Generator().manual_seed(0)), row_shard(4, 1, 3):
    ...     part = randn_rows(shape=(2, 2))
    >>> torch.equal(part, whole[1:3])
    True
    """
    with _rows(n_total, [(start, stop)]):
        yield


@contextlib.contextmanager
def _rows(n_total, ranges):
    """Draws inside the block are for the rows ``ranges`` (``(start, stop)``
    pairs, in order) of ``n_total`` rows."""
    for start, stop in ranges:
        if not 0 <= start <= stop <= n_total:
            raise ValueError(
                f"row_shard: need 0 <= start <= stop <= n_total, got {start}, {stop}, {n_total}."
            )
    previous = getattr(_local, "shard", None)
    _local.shard = (int(n_total), tuple((int(a), int(b)) for a, b in ranges))
    try:
        yield
    finally:
        _local.shard = previous


@contextlib.contextmanager
def step_shards(paired, singles):
    """A training step inside the block computes a share of each group's rows.

    :func:`shard_parts` gives each loss part its rows.

    Parameters
    ----------
    paired : list of tuple of int
        One ``(n_total, start, stop)`` per paired minibatch group of the step, in the order
        the loss receives them.
    singles : list of tuple of int
        One ``(n_total, start, stop)`` per single-modality group, in order.

    See Also
    --------
    shard_parts : Runs each loss part in its group's rows.
    row_shard : The rows of one minibatch.
    skpoe.distributed.DataParallel.step_loss : Computes a step inside this block.

    Examples
    --------
    >>> from skpoe.noise import randn_rows, shard_parts, step_shards
    >>> def part():  # a loss part drawing for the 2 rows it holds
    ...     yield randn_rows(shape=(2, 3))
    >>> with step_shards([(4, 2, 4)], []):
    ...     (held,) = shard_parts([part()], n_paired=1)
    ...     next(held).shape  # rows 2:4 of a draw for 4 rows
    torch.Size([2, 3])
    """
    previous = getattr(_local, "step", None)
    _local.step = (list(paired), list(singles))
    try:
        yield
    finally:
        _local.step = previous


def shard_parts(parts, n_paired):
    """Loss parts whose draws are for their rows of a step's share.

    Outside :func:`step_shards` the parts are returned unchanged; inside, each part that is a
    generator runs in :func:`row_shard` of its group's rows (the concatenated groups' rows
    follow each other); a part that is not a generator is kept as it is.

    Parameters
    ----------
    parts : list
        The loss parts of one step (generators of decode requests, or tensors): ``n_paired``
        paired parts, then one per single-modality group.
    n_paired : int
        Number of paired parts: one per paired group, or 1 for all paired groups
        concatenated into one batch.

    Returns
    -------
    parts : list
        ``parts`` itself outside :func:`step_shards`; inside, one part per input part.

    See Also
    --------
    step_shards : Sets the share of each group.
    skpoe.models.MultimodalModule.loss : Calls it on its parts.

    Examples
    --------
    >>> from skpoe.noise import shard_parts
    >>> parts = ["paired part", "single part"]
    >>> shard_parts(parts, n_paired=1) is parts  # outside step_shards
    True
    """
    step = getattr(_local, "step", None)
    if step is None:
        return parts
    paired, singles = step
    if n_paired == len(paired):
        specs = [(n, [(a, b)]) for n, a, b in paired]
    else:  # the paired groups as one batch
        offsets = [0]
        for n, _, _ in paired:
            offsets.append(offsets[-1] + n)
        specs = [(offsets[-1], [(o + a, o + b) for o, (_, a, b) in zip(offsets, paired)])]
    specs += [(n, [(a, b)]) for n, a, b in singles]
    return [_within(part, *spec) for part, spec in zip(parts, specs)]


def _within(part, n_total, ranges):
    """Run generator ``part`` with its draws in rows ``ranges`` of ``n_total``."""
    if not inspect.isgenerator(part):
        return part

    def run():
        answer: Any = None
        while True:
            with _rows(n_total, ranges):
                try:
                    requests = part.send(answer)
                except StopIteration as stop:
                    return stop.value
            answer = yield requests

    return run()
